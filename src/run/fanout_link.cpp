#include "run/fanout_link.hpp"

#include "netbench/sender.hpp"
#include "sys/fanout_socket.hpp"

namespace netbench::run {

FanoutReceiverLink::FanoutReceiverLink(const TestSpec& spec) : spec_(spec) {
  for (std::uint32_t k = 0; k < spec.receivers; ++k) {
    TestSpec own = spec;
    if (!spec.receiver_devices.empty()) {
      own.bind_device = spec.receiver_devices[k];
    }
    // The first receiver picks the ports (flow 0: --port, or free ones);
    // the others bind the same, so that each gets its copy.
    const std::vector<std::uint16_t> ports =
        receivers_.empty() ? std::vector<std::uint16_t>{} : receivers_.front()->ports();
    receivers_.push_back(std::make_unique<Receiver>(own, true, true, ports));
  }
}

std::vector<Endpoint> FanoutReceiverLink::targets() {
  std::vector<Endpoint> out;
  for (const std::uint16_t port : receivers_.front()->ports()) {
    out.push_back(sys::fanout_target(spec_, port));
  }
  return out;
}

unsigned FanoutReceiverLink::descriptors_per_flow() const { return 1 + spec_.receivers; }

bool FanoutReceiverLink::high_descriptors() const { return spec_.model == ModelKind::kSelect; }

void FanoutReceiverLink::attach(Sender& tx) {
  // Each receiver's socket of flow i takes flow i's datagrams from its
  // sender socket only (connect()): the group's other senders are not counted.
  for (auto& rx : receivers_) {
    for (std::uint32_t i = 0; i < spec_.flows; ++i) {
      rx->register_udp_peer(i, tx.local(i));
    }
    rx->start();
  }
}

IntervalReporter::ReceiverProbe FanoutReceiverLink::probe() {
  // Live totals count deliveries: each receiver's copies, summed.
  auto live = [this] {
    ReceiverLive sum;
    for (const auto& rx : receivers_) {
      add_live(sum, rx->live());
    }
    return sum;
  };
  auto latency = [this] {
    LatencyHistogram h;
    for (auto& rx : receivers_) {
      h.merge(rx->take_interval_latency());
    }
    return h;
  };
  return {live, latency};
}

void FanoutReceiverLink::collect(const Sender& tx, RunResult& out) {
  for (auto& rx : receivers_) {
    rx->stop();
  }
  const std::vector<std::uint64_t> sent = tx.sent_by_flow();
  out.receiver_flows.clear();
  out.fanout.clear();
  for (std::uint32_t k = 0; k < receivers_.size(); ++k) {
    RunResult own;
    receivers_[k]->collect(own, sent);
    FanoutReceiver rx;
    rx.index = k;
    rx.device = spec_.receiver_devices.empty() ? spec_.bind_device : spec_.receiver_devices[k];
    rx.flows = std::move(own.receiver_flows);
    rx.side = std::move(own.receiver);
    rx.latency = std::move(own.latency);
    rx.latency_from_actual = std::move(own.latency_from_actual);
    rx.delay_variation = std::move(own.delay_variation);
    rx.error = receivers_[k]->error();
    add_fanout_receiver(out, rx);
    add_receiver_error(out,
                       rx.error.empty() ? "" : "receiver " + std::to_string(k) + ": " + rx.error);
    out.fanout.push_back(std::move(rx));
  }
}

void add_live(ReceiverLive& into, const ReceiverLive& from) noexcept {
  into.messages += from.messages;
  into.bytes += from.bytes;
  into.reordered += from.reordered;
  into.duplicates += from.duplicates;
  into.flows += from.flows;
  into.finished_flows += from.finished_flows;
}

PeerInfo FanoutReceiverLink::peer() const {
  Endpoint at = receivers_.front()->local();
  if (!receivers_.front()->ports().empty()) {
    at.set_port(receivers_.front()->ports().front());
  }
  return peer_at(PeerKind::kInProcess, at);
}

}  // namespace netbench::run
