#include "app/report/live_output.hpp"

#include <unistd.h>

#include <string>

#include "app/report/json_report.hpp"
#include "app/cli/units.hpp"
#include "netbench/interval_meter.hpp"

namespace netbench::app {

void JsonLines::write(const nlohmann::json& event) {
  const std::string line = event.dump() + "\n";
  std::fwrite(line.data(), 1, line.size(), out_);
  std::fflush(out_);
}

void JsonLines::start(const TestSpec& spec) {
  write({{"event", "start"}, {"schema", kSchema}, {"config", config_json(spec)}});
}

void JsonLines::interval(const IntervalRecord& r) {
  nlohmann::json e = interval_json(r);
  e["event"] = "interval";
  write(e);
}

void JsonLines::end(const nlohmann::json& document) {
  write({{"event", "end"}, {"document", document}});
}

Progress::Progress(std::FILE* out, const TestSpec& spec)
    : out_(out), spec_(&spec), tty_(::isatty(::fileno(out)) == 1) {}

void Progress::interval(const IntervalRecord& r) {
  if (!tty_) {
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

void Progress::clear() {
  if (tty_ && shown_) {
    std::fprintf(out_, "\r\033[K");
    std::fflush(out_);
    shown_ = false;
  }
}

}  // namespace netbench::app
