#include "app/report/text_report.hpp"

#include <cinttypes>
#include <string>
#include <vector>

#include "app/cli/units.hpp"
#include "app/report/text_fanout.hpp"
#include "netbench/flow_summary.hpp"
#include "netbench/interval_meter.hpp"
#include "netbench/sender.hpp"
#include "netbench/summary.hpp"
#include "netbench/version.hpp"

namespace netbench::app {
namespace {

std::string rate_text(const TestSpec& s) {
  return s.rate_msgs_per_s > 0
             ? format_count(s.rate_msgs_per_s) + " msg/s " + std::string(to_string(s.pattern))
             : std::string("unlimited rate");
}

void row(std::FILE* out, const char* name, const std::string& sender, const std::string& receiver) {
  std::fprintf(out, "  %-22s %-22s %s\n", name, sender.c_str(), receiver.c_str());
}

std::string u64(std::uint64_t v) { return format_grouped(v); }

/// Jain's index under which the summary names the slowest flows.
constexpr double kUnfairJain = 0.9;
/// Flows above which the jitter of each is not printed, but its spread.
constexpr std::size_t kJitterFlowsListed = 4;

/// "min A  p5 B  median C  p95 D  max E" with each figure through `format`.
template <typename Format>
std::string spread_text(const FlowDistribution& d, Format format) {
  return "min " + format(d.min) + "  p5 " + format(d.p5) + "  median " + format(d.median) +
         "  p95 " + format(d.p95) + "  max " + format(d.max);
}

/// A ratio as a percentage with four decimals, as the loss row prints it.
std::string percent_text(double ratio) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.4f%%", ratio * 100.0);
  return buf;
}

/// Flow ids as "3, 17, 42".
std::string ids_text(const std::vector<std::uint32_t>& ids) {
  std::string out;
  for (const std::uint32_t id : ids) {
    out += (out.empty() ? "" : ", ") + std::to_string(id);
  }
  return out;
}

/// The spread of per-flow throughput and Jain's index (runs of 2 flows or
/// more), and the slowest flows when the share was unfair.
void print_flow_throughput(std::FILE* out, const FlowSummary& fs) {
  if (fs.flows < 2) {
    return;
  }
  std::fprintf(
      out, "  %-22s %s  Jain %.3f\n", "per-flow throughput",
      spread_text(fs.throughput_bps, [](double bps) { return format_bits_per_second(bps / 8.0); })
          .c_str(),
      fs.jain_fairness);
  if (fs.jain_fairness < kUnfairJain) {
    std::fprintf(out, "  %-22s %s (Jain %.3f < %.1f: throughput unevenly shared)\n",
                 "slowest flows", ids_text(fs.slowest_flows).c_str(), fs.jain_fairness,
                 kUnfairJain);
  }
}

/// The spread of per-flow loss when a flow of several lost anything.
void print_flow_loss(std::FILE* out, const FlowSummary& fs) {
  if (fs.flows < 2 || !fs.loss_ratio || fs.flows_with_loss == 0) {
    return;
  }
  std::fprintf(out, "  %-22s %s  (%s of %s flows lost; worst %s)\n", "per-flow loss",
               spread_text(*fs.loss_ratio, percent_text).c_str(),
               format_grouped(fs.flows_with_loss).c_str(), format_grouped(fs.flows).c_str(),
               ids_text(fs.lossiest_flows).c_str());
}

std::string cpu_text(const std::vector<std::uint32_t>& cpus) {
  std::string out;
  for (const std::uint32_t c : cpus) {
    out += (out.empty() ? "" : "+") + std::to_string(c);
  }
  return out.empty() ? "any" : out;
}

/// The CPU, wake-up, TCP_INFO and overhead lines of the summary.
void print_cost(std::FILE* out, const RunResult& r, const RunTotals& t);
void print_connect(std::FILE* out, const RunResult& r);

/// --probe: the probe's RTT alone and under the test's load, and the rise.
void print_probe(std::FILE* out, const RunResult& r) {
  if (!r.probe) {
    return;
  }
  const ProbeResult& p = *r.probe;
  std::fprintf(out, "  latency under load     probe: UDP echo, %s requests/s\n",
               format_count(p.rate_msgs_per_s).c_str());
  for (const auto& [name, phase] :
       {std::pair<const char*, const ProbePhase*>{"probe RTT idle", &p.idle},
        {"probe RTT loaded", &p.loaded}}) {
    if (phase->rtt.count() == 0) {
      std::fprintf(out, "  %-22s no replies%s%s\n", name, phase->error.empty() ? "" : ": ",
                   phase->error.c_str());
      continue;
    }
    print_latency_line(out, name, phase->rtt);
    if (phase->lost > 0) {
      std::fprintf(out, "  %-22s %s of %s requests lost\n", "", u64(phase->lost).c_str(),
                   u64(phase->sent).c_str());
    }
  }
  if (p.idle.rtt.count() > 0 && p.loaded.rtt.count() > 0) {
    const auto rise = [&p](double q) {
      const double d = static_cast<double>(p.loaded.rtt.percentile(q)) -
                       static_cast<double>(p.idle.rtt.percentile(q));
      return (d < 0 ? "-" : "+") + format_ns(d < 0 ? -d : d);
    };
    std::fprintf(out, "  %-22s p50 %s  p99 %s under load\n", "probe RTT rise", rise(50).c_str(),
                 rise(99).c_str());
  }
}

/// The loss lines. UDP: where each loss happened and its bursts. TCP
/// delivers every byte it accepts, so only the count (0 unless the run ended
/// early). A plain echo server cannot say where a message was lost.
void print_loss(std::FILE* out, const RunResult& r, const RunTotals& t) {
  char ratio[32];
  std::snprintf(ratio, sizeof ratio, "%.4f%%", t.loss_ratio * 100.0);
  std::string loss = u64(t.lost) + " (" + ratio + ")";
  const bool udp = r.spec.proto == Proto::kUdp;
  if (udp && r.peer.kind == PeerKind::kPlainEcho) {
    loss += ": sender " + u64(t.lost_at_sender) + ", beyond: not measured (foreign server)";
  } else if (udp) {
    loss += ": sender " + u64(t.lost_at_sender) + ", receiver socket " +
            u64(t.lost_at_receiver_socket) + ", network " + u64(t.lost_in_network);
  }
  std::fprintf(out, "  %-22s %s\n", r.spec.replies() ? "lost (no reply)" : "lost", loss.c_str());
  if (udp) {
    std::fprintf(out, "  %-22s %s bursts, longest %s\n", "loss bursts", u64(t.loss_bursts).c_str(),
                 u64(t.max_loss_burst).c_str());
  }
}

}  // namespace

void print_latency_line(std::FILE* out, const char* name, const LatencyHistogram& h) {
  if (h.count() == 0) {
    return;
  }
  std::fprintf(out, "  %-22s min %s  p50 %s  p90 %s  p99 %s  p99.9 %s  p99.99 %s  max %s  (n=%s)\n",
               name, format_ns(static_cast<double>(h.min())).c_str(),
               format_ns(static_cast<double>(h.percentile(50))).c_str(),
               format_ns(static_cast<double>(h.percentile(90))).c_str(),
               format_ns(static_cast<double>(h.percentile(99))).c_str(),
               format_ns(static_cast<double>(h.percentile(99.9))).c_str(),
               format_ns(static_cast<double>(h.percentile(99.99))).c_str(),
               format_ns(static_cast<double>(h.max())).c_str(), u64(h.count()).c_str());
}

void print_config(std::FILE* out, const TestSpec& s, const std::string& target) {
  std::string length = s.count > 0 ? std::to_string(s.count) + " messages"
                                   : format_ns(static_cast<double>(s.duration_ns));
  std::fprintf(out, "netbench %s: %s %s, model %s, %u flow%s, %u B messages, %s, %s", kVersion,
               std::string(to_string(s.proto)).c_str(), std::string(to_string(s.mode)).c_str(),
               std::string(to_string(s.model)).c_str(), s.flows, s.flows == 1 ? "" : "s",
               s.message_bytes(), rate_text(s).c_str(), length.c_str());
  if (s.direction == Direction::kReverse) {
    std::fprintf(out, ", reverse (server sends, client receives)");
  } else if (s.direction == Direction::kBidir) {
    std::fprintf(out, ", bidir (%u flow%s each way)", s.flows, s.flows == 1 ? "" : "s");
  }
  if (s.warmup_ns > 0) {
    std::fprintf(out, " + %s warm-up", format_ns(static_cast<double>(s.warmup_ns)).c_str());
  }
  if (!target.empty()) {
    std::fprintf(out, ", %s", target.c_str());
  }
  if (s.family != Family::kAny) {
    std::fprintf(out, ", %s", s.family == Family::kV6 ? "IPv6" : "IPv4");
  }
  if (s.batch > 1) {
    std::fprintf(out, ", batch %u", s.batch);
  }
  if (s.socket_buffer_bytes > 0) {
    std::fprintf(out, ", buffer %s", format_size(s.socket_buffer_bytes).c_str());
  }
  if (s.replies() && !s.open_loop()) {
    std::fprintf(out, ", %u outstanding/flow", s.outstanding);
  }
  if (s.mode == Mode::kConnect && s.proto == Proto::kTcp) {
    std::fprintf(out, ", close %s", std::string(to_string(s.close)).c_str());
  }
  if (s.model != ModelKind::kThread && s.threads > 1) {
    std::fprintf(out, ", %u loops", s.threads);
  }
  if (s.sender_threads != 1) {
    const unsigned k = sender_loop_count(s);
    std::fprintf(out, ", %u sender thread%s", k, k == 1 ? "" : "s");
  }
  if (s.pacing_spin && s.rate_msgs_per_s > 0) {
    std::fprintf(out, ", pacing spin");
  }
  if (s.busy_poll) {
    std::fprintf(out, ", busy-poll");
  }
  if (s.gso) {
    std::fprintf(out, ", gso");
  }
  if (s.zerocopy) {
    std::fprintf(out, ", zerocopy");
  }
  if (s.skip_rx_copy) {
    std::fprintf(out, ", skip-rx-copy");
  }
  if (s.coalesce_ns > 0) {
    std::fprintf(out, ", coalesce %s", format_ns(static_cast<double>(s.coalesce_ns)).c_str());
  }
  if (s.proto == Proto::kTcp) {
    std::fprintf(out, ", %s", s.tcp_nodelay() ? "TCP_NODELAY" : "Nagle");
  }
  if (!s.congestion.empty()) {
    std::fprintf(out, ", congestion %s", s.congestion.c_str());
  }
  if (s.tos >= 0) {
    std::fprintf(out, ", tos 0x%02x (dscp %d)", static_cast<unsigned>(s.tos), s.tos >> 2);
  }
  if (s.mss_bytes > 0) {
    std::fprintf(out, ", mss %u", s.mss_bytes);
  }
  if (s.fq_rate_bps > 0) {
    std::fprintf(out, ", fq-rate %s/flow",
                 format_bits_per_second(static_cast<double>(s.fq_rate_bps) / 8).c_str());
  }
  if (s.client_port > 0) {
    std::fprintf(out, ", cport %u", static_cast<unsigned>(s.client_port));
  }
  if (!s.bind_device.empty()) {
    std::fprintf(out, ", device %s", s.bind_device.c_str());
  }
  if (s.fanout()) {
    std::fprintf(out, ", fan-out to %u receivers by %s", s.receivers,
                 s.broadcast ? "broadcast" : ("multicast " + s.multicast_group).c_str());
  }
  if (!s.full_stats()) {
    std::fprintf(out, ", stats counts only");
  }
  if (!s.sender_cpus.empty()) {
    std::fprintf(out, ", CPUs sender %s receiver %s", cpu_text(s.sender_cpus).c_str(),
                 cpu_text(s.receiver_cpus).c_str());
  }
  std::fprintf(out, "\n");
}

void print_interval_header(std::FILE* out, const TestSpec& s) {
  if (s.direction == Direction::kBidir) {
    // Two tests' lines would interleave: each keeps its intervals instead.
    std::fprintf(out, "(--bidir: no live interval lines; each direction's are in the JSON)\n");
    return;
  }
  std::fprintf(out, "%-15s %16s %12s %12s %8s %10s %10s\n", "interval", "received", "recv msg/s",
               "sent msg/s", "reord",
               s.mode == Mode::kConnect ? "txn p50"
               : s.replies()            ? "rtt p50"
                                        : "delay p50",
               s.mode == Mode::kConnect ? "txn p99"
               : s.replies()            ? "rtt p99"
                                        : "delay p99");
}

void print_interval(std::FILE* out, const TestSpec& spec, const IntervalRecord& r) {
  const IntervalSample recv{r.start_ns, r.end_ns, r.received_bytes, r.received_messages};
  const IntervalSample sent{r.start_ns, r.end_ns, r.sent_bytes, r.sent_messages};
  char when[32];
  std::snprintf(when, sizeof when, "%6.2f-%6.2f s", static_cast<double>(r.start_ns) / 1e9,
                static_cast<double>(r.end_ns) / 1e9);
  const bool lat = r.latency_samples > 0;
  std::fprintf(out, "%-15s %16s %12s %12s %8s %10s %10s\n", when,
               format_bits_per_second(recv.bytes_per_second()).c_str(),
               format_count(recv.messages_per_second()).c_str(),
               format_count(sent.messages_per_second()).c_str(),
               spec.full_stats() ? u64(r.reordered).c_str() : "-",
               lat ? format_ns(static_cast<double>(r.latency_p50_ns)).c_str() : "-",
               lat ? format_ns(static_cast<double>(r.latency_p99_ns)).c_str() : "-");
}

void print_summary(std::FILE* out, const RunResult& r) {
  const RunTotals t = summarize(r);
  const bool echo = r.spec.replies();
  // --bidir: each direction's summary apart, the forward one first.
  const char* direction = r.spec.direction == Direction::kBidir     ? " (forward: client sends)"
                          : r.spec.direction == Direction::kReverse ? " (reverse: server sends)"
                                                                    : "";
  std::fprintf(out, "\nSummary%s over %s measured%s\n", direction,
               format_ns(static_cast<double>(r.measured_ns)).c_str(),
               r.complete ? "" : " (INCOMPLETE)");
  if (r.peer.kind == PeerKind::kPlainEcho) {
    std::fprintf(
        out, "  (plain echo: client-side figures only; the server knows nothing of netbench)\n");
  } else if (!echo && !r.clock.empty()) {
    // Which clock one-way figures use, always: delay, or variation only.
    std::fprintf(out, "  clock: %s%s\n", r.clock.c_str(),
                 r.clock.find("separate") != std::string::npos
                     ? " (one-way figures are delay variation above the minimum)"
                     : "");
  }
  if (r.start.requested()) {
    std::fprintf(out, "  start: %s (--start-at), sender started %s late\n",
                 format_wall_time(r.start.requested_unix_ns).c_str(),
                 format_ns(static_cast<double>(r.start.skew_ns())).c_str());
  }
  row(out, "", "sender", echo ? "replies (at client)" : "receiver");
  row(out, "messages", u64(t.sent_messages), u64(t.received_messages));
  row(out, "bytes", format_bytes(static_cast<double>(t.sent_bytes)),
      format_bytes(static_cast<double>(t.received_bytes)));
  row(out, "throughput", format_bits_per_second(t.sent_bytes_per_s),
      format_bits_per_second(t.received_bytes_per_s));
  row(out, "messages/s", format_count(t.sent_msgs_per_s), format_count(t.received_msgs_per_s));
  const FlowSummary fs = summarize_flows(r);
  print_flow_throughput(out, fs);
  if (!r.spec.full_stats()) {
    std::fprintf(out, "  %-22s not measured (--stats counts)\n",
                 echo ? "loss, order, RTT" : "loss, order, delay, jitter");
    print_cost(out, r, t);
    print_probe(out, r);
    return;
  }
  print_loss(out, r, t);
  print_flow_loss(out, fs);
  if (r.spec.mode != Mode::kConnect) {
    // Connect mode: concurrent transactions end in any order; no row.
    std::fprintf(out, "  %-22s %s reordered (max extent %s), %s duplicates, %s malformed\n",
                 "ordering", u64(t.reordered).c_str(), u64(t.max_reorder_extent).c_str(),
                 u64(t.duplicates).c_str(), u64(t.malformed).c_str());
  }
  print_fanout(out, r);
  if (r.spec.mode == Mode::kConnect) {
    print_connect(out, r);
  } else if (echo) {
    print_latency_line(out, r.spec.open_loop() ? "RTT (from intended)" : "RTT", r.latency);
    if (r.spec.open_loop()) {
      print_latency_line(out, "RTT (from actual)", r.latency_from_actual);
    }
  } else {
    print_latency_line(out, "one-way delay", r.latency_from_actual);
    if (r.spec.rate_msgs_per_s > 0) {
      print_latency_line(out, "delay from intended", r.latency);
    }
    print_latency_line(out, "delay variation |D|", r.delay_variation);
    if (r.receiver_flows.size() > kJitterFlowsListed && fs.jitter_ns) {
      std::fprintf(out, "  %-22s %s (RFC 3550)\n", "per-flow jitter",
                   spread_text(*fs.jitter_ns, format_ns).c_str());
    } else {
      for (const FlowRecvStats& f : r.receiver_flows) {
        std::fprintf(out, "  jitter flow %-10u %s (RFC 3550%s)\n", f.flow_id,
                     format_ns(f.jitter_ns).c_str(),
                     r.fanout.empty() ? "" : ", the highest receiver's");
      }
    }
  }
  if (r.spec.rate_msgs_per_s > 0) {
    std::fprintf(out,
                 "  %-22s target %s msg/s, achieved %s msg/s, lateness p50 %s p99 %s, "
                 "sender CPU %.0f%% of a core\n",
                 "pacing", format_count(r.pacing.target_msgs_per_s).c_str(),
                 format_count(r.pacing.achieved_msgs_per_s()).c_str(),
                 format_ns(static_cast<double>(r.pacing.lateness.percentile(50))).c_str(),
                 format_ns(static_cast<double>(r.pacing.lateness.percentile(99))).c_str(),
                 100.0 * t.sender_cpu_share);
  }
  if (r.zerocopy) {
    // Loopback and veth deliver to a local socket, where the kernel copies
    // the pages after all: "copied" then counts every completion.
    const ZeroCopyStats& z = *r.zerocopy;
    std::fprintf(out, "  %-22s %s sends, %s completed: %s zero-copy, %s copied by the kernel\n",
                 "zerocopy", u64(z.sends).c_str(), u64(z.completions).c_str(),
                 u64(z.zerocopy).c_str(), u64(z.copied).c_str());
    std::fprintf(out,
                 "  %-22s %s waits for a free buffer, %s on ENOBUFS, %s copied sends, "
                 "%s outstanding at the end\n",
                 "", u64(z.buffer_waits).c_str(), u64(z.enobufs_waits).c_str(),
                 u64(z.copy_fallbacks).c_str(), u64(z.outstanding_at_end).c_str());
  }
  print_cost(out, r, t);
  print_probe(out, r);
  for (const RunResult& back : r.reverse) {
    print_summary(out, back);
  }
}

namespace {

void print_connect(std::FILE* out, const RunResult& r) {
  const ConnectStats& c = r.connect;
  const double secs = static_cast<double>(r.measured_ns) / 1e9;
  const auto per_s = [secs](std::uint64_t n) {
    return format_count(secs > 0 ? static_cast<double>(n) / secs : 0);
  };
  std::fprintf(out, "  %-22s %s (%s/s), %s connect failures, %s failed, %s reply timeouts\n",
               "transactions", u64(c.transactions).c_str(), per_s(c.transactions).c_str(),
               u64(c.connect_failures).c_str(), u64(c.transaction_failures).c_str(),
               u64(c.reply_timeouts).c_str());
  print_latency_line(out, "connect", c.connect_latency);
  print_latency_line(out, r.spec.open_loop() ? "transaction (intended)" : "transaction", r.latency);
  if (r.spec.open_loop()) {
    print_latency_line(out, "transaction (actual)", r.latency_from_actual);
  }
  if (r.spec.proto != Proto::kTcp || r.peer.kind == PeerKind::kPlainEcho) {
    return;  // a foreign server reports nothing
  }
  std::string accepts = u64(c.server_accepts) + " (" + per_s(c.server_accepts) + "/s)";
  if (r.spec.model == ModelKind::kThread) {
    accepts += ", " + u64(c.server_threads_started) + " threads started";
  }
  std::fprintf(out, "  %-22s %s\n", "server accepts", accepts.c_str());
  if (c.kernel.valid) {
    std::fprintf(out, "  %-22s %s listen overflows, %s listen drops, %s SYN retransmits (%s)\n",
                 "kernel (TcpExt)", u64(c.kernel.listen_overflows).c_str(),
                 u64(c.kernel.listen_drops).c_str(), u64(c.kernel.syn_retransmits).c_str(),
                 r.peer.kind == PeerKind::kInProcess
                     ? "namespace-wide"
                     : "listen: the server's namespace; SYN: this one's");
  }
}

void print_cost(std::FILE* out, const RunResult& r, const RunTotals& t) {
  char cpu_tx[96];
  char cpu_rx[96];
  std::snprintf(cpu_tx, sizeof cpu_tx, "%.2f s (%s/msg)", t.sender_cpu_s,
                format_ns(t.sender_cpu_per_msg_ns).c_str());
  std::snprintf(cpu_rx, sizeof cpu_rx, "%.2f s (%s/msg)", t.receiver_cpu_s,
                format_ns(t.receiver_cpu_per_msg_ns).c_str());
  // A foreign echo server's costs are unknown, not zero.
  const bool server_known = r.peer.kind != PeerKind::kPlainEcho;
  const std::string unknown = "not measured";
  row(out, "CPU user+sys", cpu_tx, server_known ? cpu_rx : unknown);
  row(out, "context switches",
      u64(r.sender.cpu.voluntary_switches + r.sender.cpu.involuntary_switches),
      server_known ? u64(r.receiver.cpu.voluntary_switches + r.receiver.cpu.involuntary_switches)
                   : unknown);
  char wake[96];
  std::snprintf(wake, sizeof wake, "%s (%.2f ready/wakeup)", u64(r.receiver.loop.wakeups).c_str(),
                t.receiver_ready_per_wakeup);
  row(out, r.spec.replies() ? "server wake-ups" : "receiver wake-ups", "",
      server_known ? wake : unknown);
  if (const auto& u = r.receiver.uring) {
    // --model uring: the path its rings took on this kernel.
    std::fprintf(out, "  io_uring path: setup %s, %s accept, %s%s\n", u->setup.c_str(),
                 u->multishot_accept ? "multishot" : "single-shot",
                 u->multishot_receive ? "multishot receive into a provided-buffer ring"
                                      : "single-shot receive into per-connection buffers",
                 u->forced ? " (forced by NETBENCH_URING_FORCE_FALLBACK)" : "");
  }
  if (r.spec.mode == Mode::kConnect) {
    // Its connections are gone before TCP_INFO could be read.
    if (!r.complete) {
      std::fprintf(out, "  incomplete: %s\n", r.error.c_str());
    }
    return;
  }
  if (r.spec.proto == Proto::kTcp) {
    char tcp[96];
    std::snprintf(tcp, sizeof tcp, "%s retransmits, mean srtt %s", u64(t.tcp_retransmits).c_str(),
                  format_ns(t.tcp_mean_srtt_us * 1e3).c_str());
    row(out, "TCP_INFO", tcp, "");
  }
  std::fprintf(out, "  %-22s %s (L3/L4 headers)\n", "wire overhead",
               format_bytes(static_cast<double>(t.wire_overhead_bytes)).c_str());
  if (!r.complete) {
    std::fprintf(out, "  incomplete: %s\n", r.error.c_str());
  }
}

}  // namespace

}  // namespace netbench::app
