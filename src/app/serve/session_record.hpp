#pragma once

#include <chrono>
#include <string>

#include "app/serve/json_log.hpp"
#include "app/serve/serve_session.hpp"
#include "netbench/results.hpp"
#include "netbench/test_spec.hpp"

namespace netbench::app {

/// What --json-log records of one session: one line when the session ends,
/// by end() on every return path, or by the destructor (an exception).
class SessionRecord {
 public:
  SessionRecord(JsonLog* log, const std::string& peer, const TestSpec& spec)
      : log_(log), peer_(peer), spec_(spec) {}
  SessionRecord(const SessionRecord&) = delete;
  SessionRecord& operator=(const SessionRecord&) = delete;
  ~SessionRecord() {
    if (!written_) {
      write(SessionOutcome::kFailed, "the session failed on the server", nullptr);
    }
  }
  /// Logs how the session ends (`result`: the server's side of the results
  /// if the test ran, else null); returns `o` for the caller to return.
  SessionOutcome end(SessionOutcome o, const std::string& why,
                     const RunResult* result = nullptr) noexcept {
    write(o, why, result);
    return o;
  }

 private:
  void write(SessionOutcome o, const std::string& why, const RunResult* result) noexcept {
    written_ = true;
    if (log_ == nullptr) {
      return;
    }
    try {
      const char* what = o == SessionOutcome::kCompleted    ? "completed"
                         : o == SessionOutcome::kIncomplete ? "incomplete"
                                                            : "failed";
      const auto wall = std::chrono::system_clock::now().time_since_epoch();
      log_->write(
          session_log_line(static_cast<std::uint64_t>(
                               std::chrono::duration_cast<std::chrono::nanoseconds>(wall).count()),
                           peer_, what, why, spec_, result));
    } catch (...) {
      // Out of memory building the line: this test's line is lost, the
      // server goes on.
    }
  }

  JsonLog* log_;
  const std::string& peer_;
  const TestSpec& spec_;
  bool written_ = false;
};

}  // namespace netbench::app
