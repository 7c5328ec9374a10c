#include "app/control/sender_codec.hpp"

#include <cstdint>
#include <exception>
#include <optional>
#include <utility>
#include <vector>

#include "app/control/json_reader.hpp"

namespace netbench::app {
namespace {

using codec::finite_or_zero;
using codec::indexed;
using codec::join;
using codec::Reader;
using nlohmann::json;

// ---- writing ----

json tcp_to_json(const TcpKernelInfo& t) {
  return {{"valid", t.valid},
          {"retransmits", t.retransmits},
          {"srtt_us", t.srtt_us},
          {"rttvar_us", t.rttvar_us},
          {"cwnd_segments", t.cwnd_segments},
          {"mss_bytes", t.mss_bytes},
          {"segments_out", t.segments_out},
          {"segments_in", t.segments_in}};
}

json zerocopy_to_json(const ZeroCopyStats& z) {
  return {{"sends", z.sends},
          {"notifications", z.notifications},
          {"completions", z.completions},
          {"zerocopy", z.zerocopy},
          {"copied", z.copied},
          {"enobufs_waits", z.enobufs_waits},
          {"buffer_waits", z.buffer_waits},
          {"copy_fallbacks", z.copy_fallbacks},
          {"unexpected", z.unexpected},
          {"outstanding_at_end", z.outstanding_at_end}};
}

json flow_to_json(const FlowSendStats& f) {
  return {{"flow_id", f.flow_id},
          {"messages", f.messages},
          {"bytes", f.bytes},
          {"warmup_messages", f.warmup_messages},
          {"send_failures", f.send_failures},
          {"would_block", f.would_block},
          {"replies", f.replies},
          {"reply_bytes", f.reply_bytes},
          {"replies_malformed", f.replies_malformed},
          {"reply_reordered", f.reply_reordered},
          {"reply_duplicates", f.reply_duplicates},
          {"reply_loss", codec::loss_to_json(f.reply_loss)},
          {"reply_reorder_extents", codec::distribution_to_json(f.reply_reorder_extents)},
          {"tcp", tcp_to_json(f.tcp)},
          {"zerocopy", zerocopy_to_json(f.zerocopy)},
          {"closed_by_peer", f.closed_by_peer}};
}

json send_loop_to_json(const SendLoopStats& s) {
  return {{"cpu", s.cpu},
          {"flows", s.flows},
          {"messages", s.messages},
          {"cpu_usage", codec::cpu_to_json(s.cpu_usage)}};
}

json pacing_to_json(const PacingStats& p) {
  return {{"target_msgs_per_s", finite_or_zero(p.target_msgs_per_s)},
          {"lateness", codec::histogram_to_json(p.lateness)},
          {"first_send_ns", p.first_send_ns},
          {"last_send_ns", p.last_send_ns},
          {"sends", p.sends}};
}

// ---- reading ----

/// The object member `key` of `obj` (path `at`), its path in `p`; nullptr
/// after failing.
const json* member_object(Reader& r, const json& obj, const std::string& at, std::string_view key,
                          std::string& p) {
  const json* v = r.find(obj, at, key);
  p = join(at, key);
  return v != nullptr && r.object(*v, p) ? v : nullptr;
}

bool tcp(Reader& r, const json& obj, const std::string& at, TcpKernelInfo& t) {
  std::string p;
  const json* v = member_object(r, obj, at, "tcp", p);
  return v != nullptr && r.boolean(*v, p, "valid", t.valid) &&
         r.u64(*v, p, "retransmits", t.retransmits) && r.u32(*v, p, "srtt_us", t.srtt_us) &&
         r.u32(*v, p, "rttvar_us", t.rttvar_us) && r.u32(*v, p, "cwnd_segments", t.cwnd_segments) &&
         r.u32(*v, p, "mss_bytes", t.mss_bytes) && r.u64(*v, p, "segments_out", t.segments_out) &&
         r.u64(*v, p, "segments_in", t.segments_in);
}

bool zerocopy(Reader& r, const json& obj, const std::string& at, ZeroCopyStats& z) {
  std::string p;
  const json* v = member_object(r, obj, at, "zerocopy", p);
  return v != nullptr && r.u64(*v, p, "sends", z.sends) &&
         r.u64(*v, p, "notifications", z.notifications) &&
         r.u64(*v, p, "completions", z.completions) && r.u64(*v, p, "zerocopy", z.zerocopy) &&
         r.u64(*v, p, "copied", z.copied) && r.u64(*v, p, "enobufs_waits", z.enobufs_waits) &&
         r.u64(*v, p, "buffer_waits", z.buffer_waits) &&
         r.u64(*v, p, "copy_fallbacks", z.copy_fallbacks) &&
         r.u64(*v, p, "unexpected", z.unexpected) &&
         r.u64(*v, p, "outstanding_at_end", z.outstanding_at_end);
}

bool flow(Reader& r, const json& v, const std::string& p, FlowSendStats& f) {
  return r.object(v, p) && r.u32(v, p, "flow_id", f.flow_id) &&
         r.u64(v, p, "messages", f.messages) && r.u64(v, p, "bytes", f.bytes) &&
         r.u64(v, p, "warmup_messages", f.warmup_messages) &&
         r.u64(v, p, "send_failures", f.send_failures) &&
         r.u64(v, p, "would_block", f.would_block) && r.u64(v, p, "replies", f.replies) &&
         r.u64(v, p, "reply_bytes", f.reply_bytes) &&
         r.u64(v, p, "replies_malformed", f.replies_malformed) &&
         r.u64(v, p, "reply_reordered", f.reply_reordered) &&
         r.u64(v, p, "reply_duplicates", f.reply_duplicates) &&
         r.loss(v, p, "reply_loss", f.reply_loss) &&
         r.distribution(v, p, "reply_reorder_extents", f.reply_reorder_extents) &&
         tcp(r, v, p, f.tcp) && zerocopy(r, v, p, f.zerocopy) &&
         r.boolean(v, p, "closed_by_peer", f.closed_by_peer);
}

bool send_loop(Reader& r, const json& v, const std::string& p, SendLoopStats& s) {
  // -1: the loop was not pinned to a CPU.
  if (!r.object(v, p) || !r.i32(v, p, "cpu", -1, s.cpu) || !r.u32(v, p, "flows", s.flows) ||
      !r.u64(v, p, "messages", s.messages)) {
    return false;
  }
  const json* c = r.find(v, p, "cpu_usage");
  return c != nullptr && r.cpu(*c, p + ".cpu_usage", s.cpu_usage);
}

bool pacing(Reader& r, const json& obj, PacingStats& s) {
  std::string p;
  const json* v = member_object(r, obj, "", "pacing", p);
  return v != nullptr && r.number(*v, p, "target_msgs_per_s", s.target_msgs_per_s) &&
         r.histogram(*v, p, "lateness", s.lateness) &&
         r.u64(*v, p, "first_send_ns", s.first_send_ns) &&
         r.u64(*v, p, "last_send_ns", s.last_send_ns) && r.u64(*v, p, "sends", s.sends);
}

bool start(Reader& r, const json& obj, StartTiming& s) {
  std::string p;
  const json* v = member_object(r, obj, "", "start", p);
  return v != nullptr && r.u64(*v, p, "requested_unix_ns", s.requested_unix_ns) &&
         r.u64(*v, p, "actual_unix_ns", s.actual_unix_ns);
}

bool interval(Reader& r, const json& v, const std::string& p, IntervalRecord& out) {
  IntervalRecord i;
  if (!r.object(v, p) || !r.u64(v, p, "start_ns", i.start_ns) || !r.u64(v, p, "end_ns", i.end_ns) ||
      !r.u64(v, p, "sent_messages", i.sent_messages) || !r.u64(v, p, "sent_bytes", i.sent_bytes) ||
      !r.u64(v, p, "received_messages", i.received_messages) ||
      !r.u64(v, p, "received_bytes", i.received_bytes) || !r.u64(v, p, "reordered", i.reordered) ||
      !r.u64(v, p, "duplicates", i.duplicates) ||
      !r.u64(v, p, "latency_samples", i.latency_samples) ||
      !r.u64(v, p, "latency_p50_ns", i.latency_p50_ns) ||
      !r.u64(v, p, "latency_p99_ns", i.latency_p99_ns) || !r.boolean(v, p, "warmup", i.warmup)) {
    return false;
  }
  if (i.end_ns < i.start_ns) {
    return r.fail(join(p, "end_ns"), "before start_ns");
  }
  out = i;
  return true;
}

/// Reads array member `key` (at most `max` elements, checked before
/// allocating) element by element with `read`.
template <typename T, typename Read>
bool list(Reader& r, const json& obj, std::string_view key, std::size_t max, std::string_view what,
          std::vector<T>& out, Read read) {
  const json* a = r.array(obj, "", key, max, what);
  if (a == nullptr) {
    return false;
  }
  std::vector<T> items(a->size());
  const std::string p(key);
  std::size_t i = 0;
  for (const json& v : *a) {
    if (!read(r, v, indexed(p, i), items[i])) {
      return false;
    }
    ++i;
  }
  out = std::move(items);
  return true;
}

bool warning(Reader& r, const json& v, const std::string& p, std::string& out) {
  if (!v.is_string()) {
    return r.fail(p, "expected a string");
  }
  if (v.get_ref<const std::string&>().size() > kMaxWarningChars) {
    return r.fail(p, "longer than " + std::to_string(kMaxWarningChars) + " bytes");
  }
  out = v.get<std::string>();
  return true;
}

}  // namespace

json sender_part_to_json(const RunResult& r) {
  json flows = json::array();
  for (const FlowSendStats& f : r.sender_flows) {
    flows.push_back(flow_to_json(f));
  }
  json loops = json::array();
  for (const SendLoopStats& s : r.send_loops) {
    loops.push_back(send_loop_to_json(s));
  }
  json intervals = json::array();
  for (const IntervalRecord& i : r.intervals) {
    intervals.push_back(interval_to_json(i));
  }
  json out = {{"message_bytes", r.message_bytes},
              {"measured_ns", r.measured_ns},
              {"sender_flows", std::move(flows)},
              {"sender", codec::side_to_json(r.sender)},
              {"send_loops", std::move(loops)},
              {"pacing", pacing_to_json(r.pacing)},
              {"latency", codec::histogram_to_json(r.latency)},
              {"latency_from_actual", codec::histogram_to_json(r.latency_from_actual)},
              {"start",
               {{"requested_unix_ns", r.start.requested_unix_ns},
                {"actual_unix_ns", r.start.actual_unix_ns}}},
              {"intervals", std::move(intervals)},
              {"complete", r.complete},
              {"error", r.error},
              {"warnings", r.warnings}};
  if (r.zerocopy) {
    out["zerocopy"] = zerocopy_to_json(*r.zerocopy);
  }
  return out;
}

bool sender_part_from_json(const json& j, RunResult& out, std::string& error) noexcept {
  try {
    Reader r(error);
    if (!j.is_object()) {
      return r.fail("sender part", "expected an object");
    }
    // Everything is read into locals first, so that a failure leaves `out`
    // as it was.
    std::uint32_t message_bytes = 0;
    std::uint64_t measured_ns = 0;
    std::vector<FlowSendStats> flows;
    SideStats sender;
    std::vector<SendLoopStats> loops;
    PacingStats pacing_stats;
    std::optional<ZeroCopyStats> zc;
    LatencyHistogram latency;
    LatencyHistogram latency_from_actual;
    StartTiming start_timing;
    std::vector<IntervalRecord> intervals;
    bool complete = true;
    std::string run_error;
    std::vector<std::string> warnings;
    if (!r.u32(j, "", "message_bytes", message_bytes) ||
        !r.u64(j, "", "measured_ns", measured_ns) ||
        !list(r, j, "sender_flows", kMaxSenderFlows, "flows", flows, flow) ||
        !r.side(j, "sender", sender) ||
        // Bounded by the flows: each loop owns at least one.
        !list(r, j, "send_loops", kMaxSenderFlows, "send loops", loops, send_loop) ||
        !pacing(r, j, pacing_stats) || !r.histogram(j, "latency", latency) ||
        !r.histogram(j, "latency_from_actual", latency_from_actual) || !start(r, j, start_timing) ||
        !list(r, j, "intervals", kMaxIntervals, "intervals", intervals, interval) ||
        !r.boolean(j, "", "complete", complete) ||
        !r.string(j, "", "error", kMaxErrorChars, run_error) ||
        !list(r, j, "warnings", kMaxWarnings, "warnings", warnings, warning)) {
      return false;
    }
    if (j.contains("zerocopy")) {  // absent: the run had no --zerocopy
      if (!zerocopy(r, j, "", zc.emplace())) {
        return false;
      }
    }
    out.message_bytes = message_bytes;
    out.measured_ns = measured_ns;
    out.sender_flows = std::move(flows);
    out.sender = std::move(sender);
    out.send_loops = std::move(loops);
    out.pacing = std::move(pacing_stats);
    out.zerocopy = zc;
    out.latency = std::move(latency);
    out.latency_from_actual = std::move(latency_from_actual);
    out.start = start_timing;
    out.intervals = std::move(intervals);
    out.complete = complete;
    out.error = std::move(run_error);
    out.warnings = std::move(warnings);
    error.clear();
    return true;
  } catch (const std::exception& e) {
    // Only allocation can fail here; report it rather than let it escape.
    error = std::string("sender part: ") + e.what();
    return false;
  }
}

json interval_to_json(const IntervalRecord& r) {
  return {{"start_ns", r.start_ns},
          {"end_ns", r.end_ns},
          {"sent_messages", r.sent_messages},
          {"sent_bytes", r.sent_bytes},
          {"received_messages", r.received_messages},
          {"received_bytes", r.received_bytes},
          {"reordered", r.reordered},
          {"duplicates", r.duplicates},
          {"latency_samples", r.latency_samples},
          {"latency_p50_ns", r.latency_p50_ns},
          {"latency_p99_ns", r.latency_p99_ns},
          {"warmup", r.warmup}};
}

bool interval_from_json(const json& j, IntervalRecord& out, std::string& error) noexcept {
  try {
    Reader r(error);
    if (!j.is_object()) {
      return r.fail("interval", "expected an object");
    }
    if (!interval(r, j, "", out)) {
      return false;
    }
    error.clear();
    return true;
  } catch (const std::exception& e) {
    error = std::string("interval: ") + e.what();
    return false;
  }
}

}  // namespace netbench::app
