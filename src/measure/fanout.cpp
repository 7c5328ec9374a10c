#include <algorithm>

#include "measure/saturating.hpp"
#include "netbench/results.hpp"

namespace netbench {
namespace {

/// Adds one receiver's record of a flow to the aggregate record of that flow.
void add_flow(FlowRecvStats& into, const FlowRecvStats& f) {
  into.messages = add_saturating(into.messages, f.messages);
  into.bytes = add_saturating(into.bytes, f.bytes);
  into.warmup_messages = add_saturating(into.warmup_messages, f.warmup_messages);
  into.malformed = add_saturating(into.malformed, f.malformed);
  into.unique = add_saturating(into.unique, f.unique);
  into.duplicates = add_saturating(into.duplicates, f.duplicates);
  into.reordered = add_saturating(into.reordered, f.reordered);
  into.beyond_window = add_saturating(into.beyond_window, f.beyond_window);
  into.reorder_extents.merge(f.reorder_extents);
  into.loss.sent = add_saturating(into.loss.sent, f.loss.sent);
  into.loss.unique = add_saturating(into.loss.unique, f.loss.unique);
  into.loss.lost = add_saturating(into.loss.lost, f.loss.lost);
  into.loss.bursts = add_saturating(into.loss.bursts, f.loss.bursts);
  into.loss.burst_lengths.merge(f.loss.burst_lengths);
  into.jitter_ns = std::max(into.jitter_ns, f.jitter_ns);
  into.socket_drops = add_saturating(into.socket_drops, f.socket_drops);
  if (f.first_arrival_ns != 0 &&
      (into.first_arrival_ns == 0 || f.first_arrival_ns < into.first_arrival_ns)) {
    into.first_arrival_ns = f.first_arrival_ns;
  }
  into.last_arrival_ns = std::max(into.last_arrival_ns, f.last_arrival_ns);
  into.peer_closed = into.peer_closed || f.peer_closed;
  into.stream_error = into.stream_error || f.stream_error;
}

}  // namespace

void add_fanout_receiver(RunResult& out, const FanoutReceiver& rx) {
  for (const FlowRecvStats& f : rx.flows) {
    const auto it = std::find_if(out.receiver_flows.begin(), out.receiver_flows.end(),
                                 [&](const FlowRecvStats& g) { return g.flow_id == f.flow_id; });
    if (it == out.receiver_flows.end()) {
      out.receiver_flows.push_back(f);
    } else {
      add_flow(*it, f);
    }
  }
  std::sort(out.receiver_flows.begin(), out.receiver_flows.end(),
            [](const FlowRecvStats& a, const FlowRecvStats& b) { return a.flow_id < b.flow_id; });
  out.receiver.cpu.add(rx.side.cpu);
  out.receiver.loop.add(rx.side.loop);
  if (!out.receiver.uring && rx.side.uring) {
    out.receiver.uring = rx.side.uring;
  }
  out.latency.merge(rx.latency);
  out.latency_from_actual.merge(rx.latency_from_actual);
  out.delay_variation.merge(rx.delay_variation);
}

RunResult fanout_receiver_view(const RunResult& r, std::size_t k) {
  RunResult view = r;
  view.fanout.clear();
  view.spec.receivers = 1;
  if (k < r.fanout.size()) {
    const FanoutReceiver& rx = r.fanout[k];
    view.receiver_flows = rx.flows;
    view.receiver = rx.side;
    view.latency = rx.latency;
    view.latency_from_actual = rx.latency_from_actual;
    view.delay_variation = rx.delay_variation;
  }
  return view;
}

}  // namespace netbench
