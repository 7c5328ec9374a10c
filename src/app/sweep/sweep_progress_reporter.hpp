#pragma once

#include <cstdio>

#include "app/report/reporter.hpp"

namespace netbench::app {

/// A sweep's progress on `out` (stderr): one line per point as it ends,
/// "[3/8] udp epoll echo flows=16 size=64: 412 k msg/s, p99 83.0 us — ETA
/// 1m12s" (progress_line()). Does not own `out`.
class SweepProgressReporter final : public Reporter {
 public:
  explicit SweepProgressReporter(std::FILE* out) : out_(out) {}

  void on_run(const RunResult& result, const RunPoint& point) override;
  void on_repetition(const RunResult& result, const RunPoint& point,
                     std::size_t repetition) override;
  void on_error(const std::string& error, const TestSpec* spec, const RunPoint& point) override;

 private:
  std::FILE* out_;
};

}  // namespace netbench::app
