#pragma once

#include <cstdio>

#include <nlohmann/json.hpp>

#include "app/report/reporter.hpp"

namespace netbench::app {

/// `--json-lines`: one JSON object per line on `out` while the test runs —
/// {"event":"start","config":...}, {"event":"interval",...} per interval,
/// {"event":"end",...} with the whole document — each flushed at once, so a
/// consumer sees every interval as it happens. Does not own `out`.
class JsonLinesReporter final : public Reporter {
 public:
  explicit JsonLinesReporter(std::FILE* out) : out_(out) {}

  void on_start(const TestSpec& spec) override;
  void on_interval(const IntervalRecord& record) override;
  void on_run(const RunResult& result, const RunPoint& point) override;
  /// --repeat: {"event":"repetition","repetition":k,"run":...} per repetition,
  /// then one "end" event with the repeated document.
  void on_repetition(const RunResult& result, const RunPoint& point,
                     std::size_t repetition) override;
  void on_repeated(const RepeatedRun& run, const RunPoint& point) override;

 private:
  void write(const nlohmann::json& event);
  std::FILE* out_;
};

}  // namespace netbench::app
