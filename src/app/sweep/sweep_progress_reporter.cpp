#include "app/sweep/sweep_progress_reporter.hpp"

#include <string>

#include "app/sweep/sweep_report.hpp"

namespace netbench::app {

void SweepProgressReporter::on_run(const RunResult& result, const RunPoint& point) {
  const std::string line = progress_line(outcome_of(point.index, point.label, result, point.status),
                                         point.total, point.eta_ns);
  std::fprintf(out_, "%s\n", line.c_str());
}

void SweepProgressReporter::on_repetition(const RunResult& result, const RunPoint& point,
                                          std::size_t repetition) {
  const std::string line = progress_line(outcome_of(point.index, point.label, result, point.status),
                                         point.total, point.eta_ns);
  std::fprintf(out_, "%s (repetition %zu)\n", line.c_str(), repetition + 1);
}

void SweepProgressReporter::on_error(const std::string& error, const TestSpec* spec,
                                     const RunPoint& point) {
  if (spec == nullptr) {
    return;  // the sweep never started
  }
  const std::string line = progress_line(failed_outcome(point.index, point.label, *spec, error),
                                         point.total, point.eta_ns);
  std::fprintf(out_, "%s\n", line.c_str());
}

}  // namespace netbench::app
