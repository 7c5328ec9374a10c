#include "app/report/text_fanout.hpp"

#include <algorithm>
#include <string>

#include "app/cli/units.hpp"
#include "netbench/summary.hpp"

namespace netbench::app {

void print_fanout(std::FILE* out, const RunResult& r) {
  if (r.fanout.empty()) {
    return;
  }
  const TestSpec& s = r.spec;
  std::fprintf(out,
               "  %-22s %u receivers of %s; the figures above count deliveries (message x "
               "receiver)\n",
               "fan-out", s.receivers,
               s.broadcast ? "broadcast" : ("multicast " + s.multicast_group).c_str());
  std::fprintf(out, "  %-9s %-8s %14s %22s %10s %10s %10s %10s %10s\n", "receiver", "device",
               "received", "lost", "reordered", "dups", "delay p50", "delay p99", "jitter");
  for (std::size_t k = 0; k < r.fanout.size(); ++k) {
    const FanoutReceiver& rx = r.fanout[k];
    const RunTotals t = summarize(fanout_receiver_view(r, k));
    double jitter = 0;
    for (const FlowRecvStats& f : rx.flows) {
      jitter = std::max(jitter, f.jitter_ns);
    }
    char lost[64];
    std::snprintf(lost, sizeof lost, "%s (%.4f%%)", format_grouped(t.lost).c_str(),
                  t.loss_ratio * 100.0);
    std::fprintf(out, "  %-9u %-8s %14s %22s %10s %10s %10s %10s %10s%s\n", rx.index,
                 rx.device.empty() ? "-" : rx.device.c_str(),
                 format_grouped(t.received_messages).c_str(), lost,
                 format_grouped(t.reordered).c_str(), format_grouped(t.duplicates).c_str(),
                 format_ns(static_cast<double>(rx.latency_from_actual.percentile(50))).c_str(),
                 format_ns(static_cast<double>(rx.latency_from_actual.percentile(99))).c_str(),
                 format_ns(jitter).c_str(), rx.error.empty() ? "" : "  (error)");
  }
}

}  // namespace netbench::app
