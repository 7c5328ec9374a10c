#include "app/sweep/sweep_table_reporter.hpp"

namespace netbench::app {

void SweepTableReporter::on_context(const ReportContext& context) { points_ = context.runs; }

void SweepTableReporter::on_run(const RunResult& result, const RunPoint& point) {
  rows_.push_back(outcome_of(point.index, point.label, result, point.status));
}

void SweepTableReporter::on_repeated(const RepeatedRun& run, const RunPoint& point) {
  rows_.push_back(repeated_outcome(point.index, point.label, run, point.status));
}

void SweepTableReporter::on_error(const std::string& error, const TestSpec* spec,
                                  const RunPoint& point) {
  if (spec != nullptr) {
    rows_.push_back(failed_outcome(point.index, point.label, *spec, error));
  }
}

void SweepTableReporter::finalize(const std::string& error) {
  std::size_t completed = 0;
  std::size_t failed = 0;
  for (const PointOutcome& o : rows_) {
    // As the document counts: an interrupted point is neither.
    completed += o.status == PointStatus::kCompleted ? 1 : 0;
    failed += o.status == PointStatus::kFailed || o.status == PointStatus::kIncomplete ? 1 : 0;
  }
  std::fprintf(out_, "\nSweep: %zu points, %zu completed, %zu failed%s\n", points_, completed,
               failed, error.empty() ? "" : ", interrupted");
  print_sweep_table(out_, rows_);
  std::fflush(out_);
}

}  // namespace netbench::app
