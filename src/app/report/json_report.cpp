#include "app/report/json_report.hpp"

#include <sys/utsname.h>
#include <unistd.h>

#include <cmath>
#include <optional>

#include "app/control/base64.hpp"
#include "app/report/fanout_json.hpp"
#include "netbench/flow_summary.hpp"
#include "netbench/summary.hpp"
#include "netbench/version.hpp"

namespace netbench::app {
namespace {

using nlohmann::json;

/// JSON has no NaN or infinity: such a value is written as 0.
double finite(double v) { return std::isfinite(v) ? v : 0.0; }

}  // namespace

json latency_summary_json(const LatencyHistogram& h) {
  json j = {{"count", h.count()},
            {"min_ns", h.min()},
            {"mean_ns", finite(h.mean())},
            {"p50_ns", h.percentile(50)},
            {"p90_ns", h.percentile(90)},
            {"p99_ns", h.percentile(99)},
            {"p99_9_ns", h.percentile(99.9)},
            {"p99_99_ns", h.percentile(99.99)},
            {"max_ns", h.max()},
            {"saturated", h.saturated()}};
  j["histogram_base64"] = base64(h.serialize());
  return j;
}

namespace {

json latency_json(const LatencyHistogram& h) { return latency_summary_json(h); }

json distribution_json(const CountDistribution& d) {
  json buckets = json::array();
  for (std::size_t k = 0; k < CountDistribution::kBuckets; ++k) {
    if (d.buckets()[k] != 0) {
      buckets.push_back({{"from", CountDistribution::bucket_low(k)}, {"count", d.buckets()[k]}});
    }
  }
  return {{"count", d.count()}, {"max", d.max()}, {"sum", d.sum()}, {"log2_buckets", buckets}};
}

json cpu_json(const SideStats& s, double per_msg_ns) {
  return {{"user_s", finite(s.cpu.user_s)},
          {"sys_s", finite(s.cpu.sys_s)},
          {"cpu_per_message_ns", finite(per_msg_ns)},
          {"voluntary_context_switches", s.cpu.voluntary_switches},
          {"involuntary_context_switches", s.cpu.involuntary_switches},
          {"threads", s.cpu.threads},
          {"wakeups", s.loop.wakeups},
          {"ready_events", s.loop.ready_events}};
}

json send_flow_json(const FlowSendStats& f, bool echo) {
  json j = {{"flow", f.flow_id},
            {"messages", f.messages},
            {"bytes", f.bytes},
            {"warmup_messages", f.warmup_messages},
            {"send_failures", f.send_failures},
            {"would_block", f.would_block},
            {"closed_by_peer", f.closed_by_peer}};
  if (echo) {
    j["replies"] = f.replies;
    j["reply_bytes"] = f.reply_bytes;
    j["replies_malformed"] = f.replies_malformed;
    j["reply_reordered"] = f.reply_reordered;
    j["reply_duplicates"] = f.reply_duplicates;
    j["reply_lost"] = f.reply_loss.lost;
  }
  if (f.tcp.valid) {
    j["tcp"] = {{"retransmits", f.tcp.retransmits}, {"srtt_us", f.tcp.srtt_us},
                {"rttvar_us", f.tcp.rttvar_us},     {"cwnd_segments", f.tcp.cwnd_segments},
                {"mss_bytes", f.tcp.mss_bytes},     {"segments_out", f.tcp.segments_out},
                {"segments_in", f.tcp.segments_in}};
  }
  return j;
}

json recv_flow_json(const FlowRecvStats& f) {
  return {{"flow", f.flow_id},
          {"messages", f.messages},
          {"bytes", f.bytes},
          {"warmup_messages", f.warmup_messages},
          {"unique", f.unique},
          {"duplicates", f.duplicates},
          {"reordered", f.reordered},
          {"beyond_window", f.beyond_window},
          {"reorder_extent", distribution_json(f.reorder_extents)},
          {"lost", f.loss.lost},
          {"loss_ratio", finite(f.loss.loss_ratio())},
          {"loss_bursts", f.loss.bursts},
          {"loss_burst_length", distribution_json(f.loss.burst_lengths)},
          {"jitter_ns", finite(f.jitter_ns)},
          {"socket_drops", f.socket_drops},
          {"malformed", f.malformed},
          {"echoed_messages", f.echoed_messages},
          {"echoed_bytes", f.echoed_bytes},
          {"echo_failures", f.echo_failures},
          {"peer_closed", f.peer_closed},
          {"stream_error", f.stream_error}};
}

/// A FlowDistribution as {min, p5, median, p95, max, mean}.
json flow_distribution_json(const FlowDistribution& d) {
  return {{"min", finite(d.min)}, {"p5", finite(d.p5)},   {"median", finite(d.median)},
          {"p95", finite(d.p95)}, {"max", finite(d.max)}, {"mean", finite(d.mean)}};
}

/// The same, or null when the figure was not measured.
json flow_distribution_json(const std::optional<FlowDistribution>& d) {
  return d ? flow_distribution_json(*d) : json(nullptr);
}

/// The run's "flow_summary": the spread over its flows, and whether
/// sender.flows and receiver.flows list every flow.
json flow_summary_json(const RunResult& r, bool listed) {
  const FlowSummary s = summarize_flows(r);
  return {{"flows", s.flows},
          {"listed", listed},
          {"throughput_bps", flow_distribution_json(s.throughput_bps)},
          {"jain_fairness", finite(s.jain_fairness)},
          {"loss_ratio", flow_distribution_json(s.loss_ratio)},
          {"jitter_ns", flow_distribution_json(s.jitter_ns)},
          {"slowest_flows", s.slowest_flows},
          {"lossiest_flows", s.lossiest_flows}};
}

/// --stats counts: what per-message statistics would have filled is null
/// ("not measured"), never a zero that reads as "no loss".
void mark_not_measured(json& run) {
  for (const char* key : {"unique", "duplicates", "reordered", "max_reorder_extent", "loss"}) {
    run["receiver"][key] = nullptr;
  }
  for (json& f : run["receiver"]["flows"]) {
    for (const char* key :
         {"unique", "duplicates", "reordered", "beyond_window", "reorder_extent", "lost",
          "loss_ratio", "loss_bursts", "loss_burst_length", "jitter_ns"}) {
      f[key] = nullptr;
    }
  }
  for (json& f : run["sender"]["flows"]) {
    for (const char* key : {"reply_reordered", "reply_duplicates", "reply_lost"}) {
      if (f.contains(key)) {
        f[key] = nullptr;
      }
    }
  }
  for (json& i : run["intervals"]) {
    for (const char* key : {"reordered", "duplicates", "latency_p50_ns", "latency_p99_ns"}) {
      i[key] = nullptr;
    }
  }
  run["latency"] = nullptr;
}

/// A foreign echo server tells nothing: its CPU, wake-ups and where a lost
/// message went (its socket or the network) are unknown, not zero.
void mark_plain_echo(json& run) {
  json& rx = run["receiver"];
  for (const char* key : {"active_ns", "ready_events_per_wakeup"}) {
    rx[key] = nullptr;
  }
  rx["cost"] = nullptr;
  if (rx["loss"].is_object()) {
    rx["loss"]["at_receiver_socket"] = nullptr;
    rx["loss"]["in_network"] = nullptr;
  }
}

/// A side's TCP congestion control in use, read back; null for UDP, a
/// plain echo server's side, or an older server that does not say.
json congestion_json(const SideStats& side) {
  return side.tcp_congestion.empty() ? json(nullptr) : json(side.tcp_congestion);
}

/// The uring model's io_uring path (the receiver's); null for every other
/// model, a plain echo server, or an older server that does not say.
json uring_json(const SideStats& side) {
  if (!side.uring) {
    return nullptr;
  }
  const UringPath& u = *side.uring;
  return {{"setup", u.setup},
          {"accept", u.multishot_accept ? "multishot" : "single_shot"},
          {"receive", u.multishot_receive ? "multishot" : "single_shot"},
          {"buffers", u.multishot_receive ? "provided_ring" : "per_connection"},
          {"forced_fallback", u.forced},
          {"features", u.features}};
}

}  // namespace

json config_json(const TestSpec& s) {
  return {{"proto", std::string(to_string(s.proto))},
          {"model", std::string(to_string(s.model))},
          {"mode", std::string(to_string(s.mode))},
          {"direction", std::string(to_string(s.direction))},
          {"pattern", std::string(to_string(s.pattern))},
          {"family", std::string(to_string(s.family))},
          {"flows", s.flows},
          {"size_bytes", s.message_bytes()},
          {"rate_msgs_per_s", finite(s.rate_msgs_per_s)},
          {"duration_ns", s.count == 0 ? s.duration_ns : 0},
          {"count_messages", s.count},
          {"warmup_ns", s.warmup_ns},
          {"interval_ns", s.interval_ns},
          {"outstanding", s.outstanding},
          {"close", s.mode == Mode::kConnect && s.proto == Proto::kTcp
                        ? json(std::string(to_string(s.close)))
                        : json(nullptr)},
          {"threads", s.threads},
          {"sender_threads", s.sender_threads},
          {"batch", s.batch},
          {"busy_poll", s.busy_poll},
          {"pacing", s.pacing_spin ? "spin" : "sleep"},
          {"gso", s.gso},
          {"zerocopy", s.zerocopy},
          {"skip_rx_copy", s.skip_rx_copy},
          {"socket_buffer_bytes", s.socket_buffer_bytes},
          {"coalesce_ns", s.coalesce_ns},
          {"tcp_nodelay", s.tcp_nodelay()},
          {"stats", std::string(to_string(s.stats))},
          {"per_flow", std::string(to_string(s.per_flow))},
          {"sender_cpus", s.sender_cpus},
          {"receiver_cpus", s.receiver_cpus},
          {"congestion", s.congestion.empty() ? json(nullptr) : json(s.congestion)},
          {"tos", s.tos < 0 ? json(nullptr) : json(s.tos)},
          {"mss_bytes", s.mss_bytes == 0 ? json(nullptr) : json(s.mss_bytes)},
          {"fq_rate_bps", s.fq_rate_bps == 0 ? json(nullptr) : json(s.fq_rate_bps)},
          {"client_port", s.client_port == 0 ? json(nullptr) : json(s.client_port)},
          {"bind_device", s.bind_device.empty() ? json(nullptr) : json(s.bind_device)},
          {"probe_rate_msgs_per_s",
           s.probe_rate_msgs_per_s > 0 ? json(s.probe_rate_msgs_per_s) : json(nullptr)},
          {"fanout", fanout_config_json(s)},
          {"bind", s.bind_address},
          {"port", s.port}};
}

/// `--zerocopy`: what became of the MSG_ZEROCOPY sends; null without it.
json zerocopy_json(const std::optional<ZeroCopyStats>& z) {
  if (!z) {
    return nullptr;
  }
  return {{"sends", z->sends},
          {"notifications", z->notifications},
          {"completions", z->completions},
          {"zerocopy", z->zerocopy},
          {"copied", z->copied},
          {"enobufs_waits", z->enobufs_waits},
          {"buffer_waits", z->buffer_waits},
          {"copy_fallbacks", z->copy_fallbacks},
          {"unexpected", z->unexpected},
          {"outstanding_at_end", z->outstanding_at_end}};
}

json interval_json(const IntervalRecord& i) {
  const std::uint64_t d = i.end_ns - i.start_ns;
  const double secs = d > 0 ? static_cast<double>(d) / 1e9 : 0;
  return {{"start_ns", i.start_ns},
          {"end_ns", i.end_ns},
          {"sent_messages", i.sent_messages},
          {"sent_bytes", i.sent_bytes},
          {"received_messages", i.received_messages},
          {"received_bytes", i.received_bytes},
          {"received_bps", finite(secs > 0 ? static_cast<double>(i.received_bytes) * 8 / secs : 0)},
          {"received_msgs_per_s",
           finite(secs > 0 ? static_cast<double>(i.received_messages) / secs : 0)},
          {"reordered", i.reordered},
          {"duplicates", i.duplicates},
          {"latency_samples", i.latency_samples},
          {"latency_p50_ns", i.latency_p50_ns},
          {"latency_p99_ns", i.latency_p99_ns}};
}

namespace {

/// The sender's threads: where each ran and what it did.
json send_loops_json(const RunResult& r) {
  json loops = json::array();
  for (const SendLoopStats& l : r.send_loops) {
    loops.push_back({{"cpu", l.cpu < 0 ? json(nullptr) : json(l.cpu)},
                     {"flows", l.flows},
                     {"messages", l.messages},
                     {"user_s", finite(l.cpu_usage.user_s)},
                     {"sys_s", finite(l.cpu_usage.sys_s)}});
  }
  return loops;
}

/// Connect mode's figures: transactions, connect latency, the server's
/// accepts and threads, the kernel's listen-queue counters; null in the
/// other modes.
json connect_json(const RunResult& r, const RunTotals& t) {
  if (r.spec.mode != Mode::kConnect) {
    return nullptr;
  }
  const ConnectStats& c = r.connect;
  const double secs = static_cast<double>(r.measured_ns) / 1e9;
  const auto per_s = [secs](std::uint64_t n) {
    return finite(secs > 0 ? static_cast<double>(n) / secs : 0);
  };
  const bool tcp = r.spec.proto == Proto::kTcp;
  // Remote: the listen queue's counters are the server's namespace's, the
  // SYN retransmits the client's.
  const bool remote_server = r.peer.kind == PeerKind::kNetbenchServe;
  const bool server_side = r.peer.kind != PeerKind::kPlainEcho;  // what a server reports
  json kernel = nullptr;
  if (tcp && c.kernel.valid) {
    kernel = {{"scope", remote_server ? "per_side" : "network_namespace"},
              {"listen_overflows", c.kernel.listen_overflows},
              {"listen_drops", c.kernel.listen_drops},
              {"syn_retransmits", c.kernel.syn_retransmits}};
  }
  return {
      {"transactions", c.transactions},
      {"transactions_per_s", per_s(c.transactions)},
      {"connect_failures", c.connect_failures},
      {"transaction_failures", c.transaction_failures},
      {"reply_timeouts", c.reply_timeouts},
      {"connect_latency", r.spec.full_stats() ? latency_json(c.connect_latency) : json(nullptr)},
      {"client_cpu_per_transaction_ns",
       finite(c.transactions > 0 ? t.sender_cpu_s * 1e9 / static_cast<double>(c.transactions) : 0)},
      {"server_cpu_per_transaction_ns",
       !server_side ? json(nullptr)
                    : json(finite(c.transactions > 0
                                      ? t.receiver_cpu_s * 1e9 / static_cast<double>(c.transactions)
                                      : 0))},
      {"server_accepts", tcp && server_side ? json(c.server_accepts) : json(nullptr)},
      {"server_accepts_per_s", tcp && server_side ? json(per_s(c.server_accepts)) : json(nullptr)},
      {"server_threads_started", tcp && server_side && r.spec.model == ModelKind::kThread
                                     ? json(c.server_threads_started)
                                     : json(nullptr)},
      {"kernel", kernel}};
}

json probe_phase_json(const ProbePhase& p) {
  return {{"complete", p.complete},
          {"error", p.error.empty() ? json(nullptr) : json(p.error)},
          {"measured_ns", p.measured_ns},
          {"sent", p.sent},
          {"replies", p.replies},
          {"lost", p.lost},
          {"rtt", latency_summary_json(p.rtt)}};
}

/// `--probe`: both phases, and how much the loaded RTT exceeds the idle
/// one at p50 and p99 (negative if it fell; null unless both phases have
/// replies).
json probe_json(const std::optional<ProbeResult>& probe) {
  if (!probe) {
    return nullptr;
  }
  json increase = nullptr;
  if (probe->idle.rtt.count() > 0 && probe->loaded.rtt.count() > 0) {
    const auto diff = [&probe](double q) {
      return static_cast<std::int64_t>(probe->loaded.rtt.percentile(q)) -
             static_cast<std::int64_t>(probe->idle.rtt.percentile(q));
    };
    increase = {{"p50_ns", diff(50)}, {"p99_ns", diff(99)}};
  }
  return {{"rate_msgs_per_s", probe->rate_msgs_per_s},
          {"idle", probe_phase_json(probe->idle)},
          {"loaded", probe_phase_json(probe->loaded)},
          {"rtt_increase", increase}};
}

}  // namespace

json receiver_json(const RunResult& r, const RunTotals& t, bool listed) {
  json flows = json::array();
  if (listed) {
    for (const FlowRecvStats& f : r.receiver_flows) {
      flows.push_back(recv_flow_json(f));
    }
  }
  return {{"messages", t.received_messages},
          {"bytes", t.received_bytes},
          {"unique", t.unique},
          {"duplicates", t.duplicates},
          {"reordered", t.reordered},
          {"max_reorder_extent", t.max_reorder_extent},
          {"malformed", t.malformed},
          {"active_ns", t.receiver_active_ns},
          {"throughput_bps", finite(t.received_bytes_per_s * 8)},
          {"messages_per_s", finite(t.received_msgs_per_s)},
          {"loss",
           {{"lost", t.lost},
            {"ratio", finite(t.loss_ratio)},
            {"bursts", t.loss_bursts},
            {"max_burst", t.max_loss_burst},
            {"at_sender", t.lost_at_sender},
            {"at_receiver_socket", t.lost_at_receiver_socket},
            {"in_network", t.lost_in_network}}},
          {"cost", cpu_json(r.receiver, t.receiver_cpu_per_msg_ns)},
          {"ready_events_per_wakeup", finite(t.receiver_ready_per_wakeup)},
          {"tcp_congestion", congestion_json(r.receiver)},
          {"uring", uring_json(r.receiver)},
          {"flows", flows}};
}

json run_json(const RunResult& r) {
  const RunTotals t = summarize(r);
  const bool echo = r.spec.replies();
  json intervals = json::array();
  for (const IntervalRecord& i : r.intervals) {
    intervals.push_back(interval_json(i));
  }
  // --per-flow: every flow, or a summary of them; the arrays stay (empty)
  // so that a reader of sender.flows finds its key.
  const PerFlowOutput per_flow = r.spec.per_flow_output();
  const bool listed = per_flow == PerFlowOutput::kFull;
  json sender_flows = json::array();
  if (listed) {
    for (const FlowSendStats& f : r.sender_flows) {
      sender_flows.push_back(send_flow_json(f, echo));
    }
  }
  json latency = {
      {"kind", r.spec.mode == Mode::kConnect ? "transaction"
               : echo                        ? "rtt"
                                             : "one_way_delay"},
      {"clock", r.clock},
      {"from_intended_send", latency_json(r.latency)},
      {"from_actual_send", latency_json(r.latency_from_actual)},
  };
  if (!echo) {
    latency["delay_variation"] = latency_json(r.delay_variation);
  }
  json out = {
      {"config", config_json(r.spec)},
      {"complete", r.complete},
      {"error", r.error},
      {"warnings", r.warnings},
      {"probe", probe_json(r.probe)},
      {"measured_ns", r.measured_ns},
      {"intervals", intervals},
      {"sender",
       {{"messages", t.sent_messages},
        {"bytes", t.sent_bytes},
        {"warmup_messages", t.warmup_sent},
        {"send_failures", t.send_failures},
        {"would_block", t.would_block},
        {"throughput_bps", finite(t.sent_bytes_per_s * 8)},
        {"messages_per_s", finite(t.sent_msgs_per_s)},
        {"wire_overhead_bytes", t.wire_overhead_bytes},
        {"tcp_retransmits", t.tcp_retransmits},
        {"tcp_mean_srtt_us", finite(t.tcp_mean_srtt_us)},
        {"tcp_congestion", congestion_json(r.sender)},
        {"pacing",
         {{"target_msgs_per_s", finite(r.pacing.target_msgs_per_s)},
          {"achieved_msgs_per_s", finite(r.pacing.achieved_msgs_per_s())},
          {"sender_cpu_share", finite(t.sender_cpu_share)},
          {"lateness", latency_json(r.pacing.lateness)}}},
        {"cost", cpu_json(r.sender, t.sender_cpu_per_msg_ns)},
        {"zerocopy", zerocopy_json(r.zerocopy)},
        {"threads", send_loops_json(r)},
        {"flows", sender_flows}}},
      {"receiver", receiver_json(r, t, listed)},
      {"latency", latency},
      {"flow_summary",
       per_flow == PerFlowOutput::kNone ? json(nullptr) : flow_summary_json(r, listed)},
  };
  out["start"] = r.start.requested() ? json{{"requested_unix_ns", r.start.requested_unix_ns},
                                            {"actual_unix_ns", r.start.actual_unix_ns},
                                            {"skew_ns", r.start.skew_ns()}}
                                     : json(nullptr);
  out["connect"] = connect_json(r, t);
  out["fanout"] = fanout_json(r);
  out["peer"] = {{"kind", std::string(to_string(r.peer.kind))},
                 {"address", r.peer.address.empty() ? json(nullptr) : json(r.peer.address)},
                 {"family", r.peer.ipv6 ? "ipv6" : "ipv4"}};
  if (r.peer.kind == PeerKind::kPlainEcho) {
    mark_plain_echo(out);
  }
  if (!r.spec.full_stats()) {
    mark_not_measured(out);
  }
  // --bidir: this object is the forward direction's; the reverse one, run
  // at the same time, is an object of its own (never keys of this one).
  out["reverse"] = r.reverse.empty() ? json(nullptr) : run_json(r.reverse.front());
  return out;
}

json document(const json& run, const std::string& error) {
  utsname u{};
  ::uname(&u);
  json doc = {{"schema", kSchema},
              {"tool", {{"name", "netbench"}, {"version", kVersion}}},
              {"host",
               {{"hostname", u.nodename},
                {"kernel", std::string(u.sysname) + " " + u.release},
                {"machine", u.machine},
                {"cpus", ::sysconf(_SC_NPROCESSORS_ONLN)}}}};
  if (!run.is_null()) {
    doc["run"] = run;
  }
  if (!error.empty()) {
    doc["error"] = error;
  }
  return doc;
}

json run_document(const RunResult& r) { return document(run_json(r), r.complete ? "" : r.error); }

}  // namespace netbench::app
