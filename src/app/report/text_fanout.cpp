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
  // A remote fan-out names each receiver's netbench serve, a paired one
  // its interface.
  const bool remote =
      std::any_of(r.fanout.begin(), r.fanout.end(), [](const auto& f) { return !f.host.empty(); });
  const auto where = [remote](const FanoutReceiver& rx) {
    const std::string& w = remote ? rx.host : rx.device;
    return w.empty() ? std::string("-") : w;
  };
  int width = 8;
  for (const FanoutReceiver& rx : r.fanout) {
    width = std::max(width, static_cast<int>(where(rx).size()));
  }
  std::fprintf(out, "  %-9s %-*s %14s %22s %10s %10s %10s %10s %10s\n", "receiver", width,
               remote ? "host" : "device", "received", "lost", "reordered", "dups", "delay p50",
               "delay p99", "jitter");
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
    std::fprintf(out, "  %-9u %-*s %14s %22s %10s %10s %10s %10s %10s%s\n", rx.index, width,
                 where(rx).c_str(), format_grouped(t.received_messages).c_str(), lost,
                 format_grouped(t.reordered).c_str(), format_grouped(t.duplicates).c_str(),
                 format_ns(static_cast<double>(rx.latency_from_actual.percentile(50))).c_str(),
                 format_ns(static_cast<double>(rx.latency_from_actual.percentile(99))).c_str(),
                 format_ns(jitter).c_str(), rx.error.empty() ? "" : "  (error)");
  }
}

}  // namespace netbench::app
