#pragma once

#include <cstdio>
#include <optional>
#include <string>
#include <utility>

#include "app/report/reporter.hpp"

namespace netbench::app {

/// The terminal output of a single run (text_report.hpp): the configuration
/// and column titles at the start, one line per interval (each flushed), the
/// summary table at the end. Writes to `out`, which it does not own.
class TextReporter final : public Reporter {
 public:
  /// `target`: the peer as the user named it ("netbench serve at
  /// host:5201"), shown in the configuration line; empty for a paired run.
  explicit TextReporter(std::FILE* out, std::string target = {})
      : out_(out), target_(std::move(target)) {}

  void on_context(const ReportContext& context) override;
  void on_start(const TestSpec& spec) override;
  void on_interval(const IntervalRecord& record) override;
  void on_run(const RunResult& result, const RunPoint& point) override;
  /// One line per repetition; the configuration only before the first.
  void on_repetition(const RunResult& result, const RunPoint& point,
                     std::size_t repetition) override;
  void on_repeated(const RepeatedRun& run, const RunPoint& point) override;

 private:
  std::FILE* out_;
  std::string target_;
  std::optional<TestSpec> spec_;  ///< the running test's, from on_start
  bool repeated_ = false;         ///< --repeat: no interval lines, a line per repetition
  bool config_shown_ = false;
};

}  // namespace netbench::app
