#pragma once

#include <cstddef>
#include <cstdio>
#include <vector>

#include "app/report/reporter.hpp"
#include "app/sweep/sweep_report.hpp"

namespace netbench::app {

/// A sweep's terminal summary on `out` (stdout) at the end: "Sweep: N
/// points, C completed, F failed[, interrupted]" and the table of every
/// point that ran or failed (print_sweep_table()). Does not own `out`.
class SweepTableReporter final : public Reporter {
 public:
  explicit SweepTableReporter(std::FILE* out) : out_(out) {}

  void on_context(const ReportContext& context) override;
  void on_run(const RunResult& result, const RunPoint& point) override;
  void on_repeated(const RepeatedRun& run, const RunPoint& point) override;
  void on_error(const std::string& error, const TestSpec* spec, const RunPoint& point) override;
  void finalize(const std::string& error) override;

 private:
  std::FILE* out_;
  std::size_t points_ = 0;
  std::vector<PointOutcome> rows_;
};

}  // namespace netbench::app
