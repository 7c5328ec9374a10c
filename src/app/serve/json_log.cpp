#include "app/serve/json_log.hpp"

#include <array>
#include <cerrno>
#include <cstring>
#include <ctime>

#include "app/report/json_report.hpp"
#include "netbench/error.hpp"
#include "netbench/summary.hpp"

namespace netbench::app {

JsonLog::JsonLog(const std::string& path) : file_(std::fopen(path.c_str(), "ae")) {
  if (file_ == nullptr) {
    throw ConfigError("serve --json-log '" + path + "': cannot open it for appending (" +
                      std::strerror(errno) + "); give a writable file");
  }
}

JsonLog::~JsonLog() {
  if (file_ != nullptr) {
    std::fclose(file_);
  }
}

void JsonLog::write(const nlohmann::json& line) noexcept {
  try {
    const std::string text = line.dump() + "\n";
    const std::lock_guard lock(mutex_);
    if (std::fwrite(text.data(), 1, text.size(), file_) != text.size() || std::fflush(file_) != 0) {
      ++failed_;
    }
  } catch (...) {
    const std::lock_guard lock(mutex_);
    ++failed_;
  }
}

std::uint64_t JsonLog::failed_writes() const noexcept {
  const std::lock_guard lock(mutex_);
  return failed_;
}

nlohmann::json session_log_line(std::uint64_t wall_ns, const std::string& client,
                                const char* outcome, const std::string& error, const TestSpec& spec,
                                const RunResult* result) {
  const std::time_t secs = static_cast<std::time_t>(wall_ns / 1'000'000'000);
  std::tm utc{};
  ::gmtime_r(&secs, &utc);
  std::array<char, 40> when{};
  const std::size_t n = std::strftime(when.data(), when.size(), "%Y-%m-%dT%H:%M:%S", &utc);
  std::snprintf(when.data() + n, when.size() - n, ".%03uZ",
                static_cast<unsigned>(wall_ns / 1'000'000 % 1000));
  TestSpec logged = spec;
  if (logged.flows > kPerFlowAutoLimit) {
    logged.per_flow = PerFlowOutput::kSummary;
  }
  nlohmann::json line = {{"time", when.data()},
                         {"client", client},
                         {"outcome", outcome},
                         {"error", error.empty() ? nlohmann::json(nullptr) : nlohmann::json(error)},
                         {"config", config_json(logged)}};
  if (result != nullptr) {
    RunResult r = *result;
    r.spec = logged;
    if (r.measured_ns == 0) {
      // The measured period is the client's to fix (its schedule); the
      // server's own is the span it saw data in.
      r.measured_ns = summarize(r).receiver_active_ns;
    }
    const nlohmann::json run = run_json(r);
    line["measured_ns"] = run["measured_ns"];
    // The server's side: its receiver, or its sender in a --reverse test
    // (whose echo RTT it measured itself).
    const bool sends = spec.direction == Direction::kReverse;
    line[sends ? "sender" : "receiver"] = run[sends ? "sender" : "receiver"];
    line["flow_summary"] = run["flow_summary"];
    if (spec.mode == Mode::kStream || sends) {
      line["latency"] = run["latency"];
    }
  }
  return line;
}

}  // namespace netbench::app
