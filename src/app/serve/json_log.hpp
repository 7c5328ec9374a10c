#pragma once

#include <cstdio>
#include <mutex>
#include <string>

#include <nlohmann/json.hpp>

#include "netbench/results.hpp"

namespace netbench::app {

/// `netbench serve --json-log FILE`: one JSON object per line for each test
/// the server set up, appended as the test ends, from any test thread.
class JsonLog {
 public:
  /// Opens `path` for appending (created if missing). Throws ConfigError
  /// naming the path and the reason when it cannot.
  explicit JsonLog(const std::string& path);
  ~JsonLog();
  JsonLog(const JsonLog&) = delete;
  JsonLog& operator=(const JsonLog&) = delete;

  /// Appends `line` and a newline, flushed at once (a crash loses no test
  /// logged before it). Thread-safe; never throws (a failed write is
  /// counted, not fatal: the tests go on).
  void write(const nlohmann::json& line) noexcept;
  /// Lines that could not be written (disk full, file gone).
  [[nodiscard]] std::uint64_t failed_writes() const noexcept;

 private:
  mutable std::mutex mutex_;
  std::FILE* file_ = nullptr;
  std::uint64_t failed_ = 0;
};

/// One --json-log line: {"time" (UTC, ISO 8601 with ms), "client" (its
/// address), "outcome" (completed, incomplete, failed), "error" (null or
/// why), "config", and the server's side of the results when the test ran:
/// "measured_ns", "receiver", "flow_summary" and, in stream mode, "latency"
/// (the one-way delay the server measured) — as in a run document. Above
/// 64 flows the flows are summarised whatever the client asked, so that a
/// line stays small. "measured_ns" is the server's own period, the span it
/// saw data in (receiver.active_ns): the client's period, fixed by its
/// schedule, is in the client's document. `result` is null when the test
/// never ran.
[[nodiscard]] nlohmann::json session_log_line(std::uint64_t wall_ns, const std::string& client,
                                              const char* outcome, const std::string& error,
                                              const TestSpec& spec, const RunResult* result);

}  // namespace netbench::app
