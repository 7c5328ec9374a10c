#include "app/report/text_reporter.hpp"

#include "app/cli/units.hpp"
#include "app/report/repeated_report.hpp"
#include "app/report/text_report.hpp"
#include "netbench/summary.hpp"

namespace netbench::app {

void TextReporter::on_context(const ReportContext& context) { repeated_ = context.repeated; }

void TextReporter::on_start(const TestSpec& spec) {
  spec_ = spec;
  if (repeated_) {
    if (!config_shown_) {
      print_config(out_, spec, target_);
      config_shown_ = true;
    }
    return;
  }
  print_config(out_, spec, target_);
  print_interval_header(out_, spec);
  std::fflush(out_);
}

void TextReporter::on_interval(const IntervalRecord& record) {
  if (!spec_ || repeated_) {
    return;  // intervals come after on_start
  }
  print_interval(out_, *spec_, record);
  std::fflush(out_);
}

void TextReporter::on_run(const RunResult& result, const RunPoint& /*point*/) {
  print_summary(out_, result);
}

void TextReporter::on_repetition(const RunResult& result, const RunPoint& /*point*/,
                                 std::size_t repetition) {
  const RunTotals t = summarize(result);
  std::fprintf(out_, "repetition %zu: %s, %s msg/s, p50 %s, p99 %s%s\n", repetition + 1,
               format_bits_per_second(t.received_bytes_per_s).c_str(),
               format_count(t.received_msgs_per_s).c_str(),
               format_ns(static_cast<double>(result.latency.percentile(50))).c_str(),
               format_ns(static_cast<double>(result.latency.percentile(99))).c_str(),
               result.complete ? "" : " (INCOMPLETE)");
  std::fflush(out_);
}

void TextReporter::on_repeated(const RepeatedRun& run, const RunPoint& /*point*/) {
  print_repeated_summary(out_, run);
}

}  // namespace netbench::app
