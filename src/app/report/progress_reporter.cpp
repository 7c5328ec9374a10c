#include "app/report/progress_reporter.hpp"

#include <unistd.h>

#include <string>

#include "app/cli/units.hpp"
#include "netbench/interval_meter.hpp"

namespace netbench::app {

ProgressReporter::ProgressReporter(std::FILE* out)
    : out_(out), tty_(::isatty(::fileno(out)) == 1) {}

void ProgressReporter::on_start(const TestSpec& spec) { spec_ = spec; }

void ProgressReporter::on_interval(const IntervalRecord& r) {
  if (!tty_ || !spec_) {
    return;
  }
  const IntervalSample recv{r.start_ns, r.end_ns, r.received_bytes, r.received_messages};
  std::string total = spec_->count > 0 ? std::to_string(spec_->count) + " msgs"
                                       : format_ns(static_cast<double>(spec_->duration_ns));
  std::fprintf(out_, "\r\033[Knetbench: %s of %s, %s, %s msg/s",
               format_ns(static_cast<double>(r.end_ns)).c_str(), total.c_str(),
               format_bits_per_second(recv.bytes_per_second()).c_str(),
               format_count(recv.messages_per_second()).c_str());
  std::fflush(out_);
  shown_ = true;
}

void ProgressReporter::on_run(const RunResult& /*result*/, const RunPoint& /*point*/) {
  if (tty_ && shown_) {
    std::fprintf(out_, "\r\033[K");
    std::fflush(out_);
    shown_ = false;
  }
}

}  // namespace netbench::app
