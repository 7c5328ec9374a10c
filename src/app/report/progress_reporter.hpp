#pragma once

#include <cstdio>
#include <optional>

#include "app/report/reporter.hpp"

namespace netbench::app {

/// A one-line progress display of a single run on a terminal: rewritten in
/// place each interval, erased when the run ends (on_run; a run that fails
/// leaves it, as the error line follows). Does nothing unless `out` is a
/// terminal when constructed. Does not own `out`.
class ProgressReporter final : public Reporter {
 public:
  explicit ProgressReporter(std::FILE* out);

  void on_start(const TestSpec& spec) override;
  void on_interval(const IntervalRecord& record) override;
  void on_run(const RunResult& result, const RunPoint& point) override;

 private:
  std::FILE* out_;
  bool tty_;
  bool shown_ = false;
  std::optional<TestSpec> spec_;  ///< the running test's, from on_start
};

}  // namespace netbench::app
