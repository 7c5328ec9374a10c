#include "app/report/multi_reporter.hpp"

#include <utility>

namespace netbench::app {

void MultiReporter::add(std::unique_ptr<Reporter> reporter) {
  reporters_.push_back(std::move(reporter));
}

void MultiReporter::on_context(const ReportContext& context) {
  for (const auto& r : reporters_) {
    r->on_context(context);
  }
}

void MultiReporter::on_start(const TestSpec& spec) {
  for (const auto& r : reporters_) {
    r->on_start(spec);
  }
}

void MultiReporter::on_interval(const IntervalRecord& record) {
  for (const auto& r : reporters_) {
    r->on_interval(record);
  }
}

void MultiReporter::on_run(const RunResult& result, const RunPoint& point) {
  for (const auto& r : reporters_) {
    r->on_run(result, point);
  }
}

void MultiReporter::on_error(const std::string& error, const TestSpec* spec,
                             const RunPoint& point) {
  for (const auto& r : reporters_) {
    r->on_error(error, spec, point);
  }
}

void MultiReporter::finalize(const std::string& error) {
  for (const auto& r : reporters_) {
    r->finalize(error);
  }
}

void MultiReporter::on_repetition(const RunResult& result, const RunPoint& point,
                                  std::size_t repetition) {
  for (const auto& r : reporters_) {
    r->on_repetition(result, point, repetition);
  }
}

void MultiReporter::on_repeated(const RepeatedRun& run, const RunPoint& point) {
  for (const auto& r : reporters_) {
    r->on_repeated(run, point);
  }
}

}  // namespace netbench::app
