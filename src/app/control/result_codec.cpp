#include "app/control/result_codec.hpp"

#include <cstdint>
#include <exception>
#include <utility>
#include <vector>

#include "app/control/json_reader.hpp"

namespace netbench::app {
namespace {

using codec::finite_or_zero;
using codec::indexed;
using codec::Reader;
using nlohmann::json;

json flow_to_json(const FlowRecvStats& f) {
  return {{"flow_id", f.flow_id},
          {"messages", f.messages},
          {"bytes", f.bytes},
          {"warmup_messages", f.warmup_messages},
          {"malformed", f.malformed},
          {"unique", f.unique},
          {"duplicates", f.duplicates},
          {"reordered", f.reordered},
          {"beyond_window", f.beyond_window},
          {"reorder_extents", codec::distribution_to_json(f.reorder_extents)},
          {"loss", codec::loss_to_json(f.loss)},
          {"jitter_ns", finite_or_zero(f.jitter_ns)},
          {"socket_drops", f.socket_drops},
          {"first_arrival_ns", f.first_arrival_ns},
          {"last_arrival_ns", f.last_arrival_ns},
          {"echoed_messages", f.echoed_messages},
          {"echoed_bytes", f.echoed_bytes},
          {"echo_failures", f.echo_failures},
          {"peer_closed", f.peer_closed},
          {"stream_error", f.stream_error}};
}

// ---- reading ----

/// One FlowRecvStats object at path `p`.
bool flow(Reader& r, const json& v, const std::string& p, FlowRecvStats& f) {
  return r.object(v, p) && r.u32(v, p, "flow_id", f.flow_id) &&
         r.u64(v, p, "messages", f.messages) && r.u64(v, p, "bytes", f.bytes) &&
         r.u64(v, p, "warmup_messages", f.warmup_messages) &&
         r.u64(v, p, "malformed", f.malformed) && r.u64(v, p, "unique", f.unique) &&
         r.u64(v, p, "duplicates", f.duplicates) && r.u64(v, p, "reordered", f.reordered) &&
         r.u64(v, p, "beyond_window", f.beyond_window) &&
         r.distribution(v, p, "reorder_extents", f.reorder_extents) &&
         r.loss(v, p, "loss", f.loss) && r.number(v, p, "jitter_ns", f.jitter_ns) &&
         r.u64(v, p, "socket_drops", f.socket_drops) &&
         r.optional_u64(v, p, "first_arrival_ns", f.first_arrival_ns) &&
         r.optional_u64(v, p, "last_arrival_ns", f.last_arrival_ns) &&
         r.u64(v, p, "echoed_messages", f.echoed_messages) &&
         r.u64(v, p, "echoed_bytes", f.echoed_bytes) &&
         r.u64(v, p, "echo_failures", f.echo_failures) &&
         r.boolean(v, p, "peer_closed", f.peer_closed) &&
         r.boolean(v, p, "stream_error", f.stream_error);
}

}  // namespace

json receiver_part_to_json(const RunResult& r) {
  json flows = json::array();
  for (const FlowRecvStats& f : r.receiver_flows) {
    flows.push_back(flow_to_json(f));
  }
  json out = {{"receiver_flows", std::move(flows)},
              {"receiver", codec::side_to_json(r.receiver)},
              {"latency", codec::histogram_to_json(r.latency)},
              {"latency_from_actual", codec::histogram_to_json(r.latency_from_actual)},
              {"delay_variation", codec::histogram_to_json(r.delay_variation)}};
  if (r.spec.mode == Mode::kConnect) {
    // The server's side of connect mode: its accepts and threads, and its
    // own listen queue counters (the client's namespace cannot see them).
    const ConnectStats& c = r.connect;
    out["connect"] = {{"server_accepts", c.server_accepts},
                      {"server_threads_started", c.server_threads_started}};
    if (c.kernel.valid) {
      out["connect"]["kernel"] = {{"listen_overflows", c.kernel.listen_overflows},
                                  {"listen_drops", c.kernel.listen_drops},
                                  {"syn_retransmits", c.kernel.syn_retransmits}};
    }
  }
  return out;
}

bool receiver_part_from_json(const json& j, RunResult& out, std::string& error) noexcept {
  try {
    Reader r(error);
    if (!j.is_object()) {
      return r.fail("receiver part", "expected an object");
    }
    const json* flows = r.find(j, "", "receiver_flows");
    if (flows == nullptr) {
      return false;
    }
    if (!flows->is_array()) {
      return r.fail("receiver_flows", "expected an array");
    }
    // Checked before anything is allocated for them.
    if (flows->size() > kMaxReceiverFlows) {
      return r.fail("receiver_flows", "more than " + std::to_string(kMaxReceiverFlows) +
                                          " flows (" + std::to_string(flows->size()) + ")");
    }
    std::vector<FlowRecvStats> recv_flows(flows->size());
    std::size_t i = 0;
    for (const json& f : *flows) {
      if (!flow(r, f, indexed("receiver_flows", i), recv_flows[i])) {
        return false;
      }
      ++i;
    }
    SideStats receiver;
    LatencyHistogram latency;
    LatencyHistogram latency_from_actual;
    LatencyHistogram delay_variation;
    if (!r.side(j, "receiver", receiver) || !r.histogram(j, "latency", latency) ||
        !r.histogram(j, "latency_from_actual", latency_from_actual) ||
        !r.histogram(j, "delay_variation", delay_variation)) {
      return false;
    }
    ConnectStats connect;
    if (const auto it = j.find("connect"); it != j.end()) {
      if (!r.object(*it, "connect") ||
          !r.u64(*it, "connect", "server_accepts", connect.server_accepts) ||
          !r.u64(*it, "connect", "server_threads_started", connect.server_threads_started)) {
        return false;
      }
      if (const auto k = it->find("kernel"); k != it->end()) {
        TcpStackCounters& c = connect.kernel;
        if (!r.object(*k, "connect.kernel") ||
            !r.u64(*k, "connect.kernel", "listen_overflows", c.listen_overflows) ||
            !r.u64(*k, "connect.kernel", "listen_drops", c.listen_drops) ||
            !r.u64(*k, "connect.kernel", "syn_retransmits", c.syn_retransmits)) {
          return false;
        }
        c.valid = true;
      }
    }
    // Only now, so that a failure leaves `out` as it was.
    out.connect.server_accepts = connect.server_accepts;
    out.connect.server_threads_started = connect.server_threads_started;
    out.connect.kernel = connect.kernel;
    out.receiver_flows = std::move(recv_flows);
    out.receiver = receiver;
    out.latency = std::move(latency);
    out.latency_from_actual = std::move(latency_from_actual);
    out.delay_variation = std::move(delay_variation);
    error.clear();
    return true;
  } catch (const std::exception& e) {
    // Only allocation can fail here; report it rather than let it escape.
    error = std::string("receiver part: ") + e.what();
    return false;
  }
}

}  // namespace netbench::app
