#include "app/report/text_reporter.hpp"

#include "app/report/text_report.hpp"

namespace netbench::app {

void TextReporter::on_start(const TestSpec& spec) {
  spec_ = spec;
  print_config(out_, spec);
  print_interval_header(out_, spec);
  std::fflush(out_);
}

void TextReporter::on_interval(const IntervalRecord& record) {
  if (!spec_) {
    return;  // intervals come after on_start
  }
  print_interval(out_, *spec_, record);
  std::fflush(out_);
}

void TextReporter::on_run(const RunResult& result, const RunPoint& /*point*/) {
  print_summary(out_, result);
}

}  // namespace netbench::app
