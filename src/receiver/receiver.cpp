#include "netbench/receiver.hpp"

#include <poll.h>
#include <sys/select.h>
#include <sys/socket.h>

#include <cerrno>
#include <chrono>
#include <thread>

#include "netbench/clock.hpp"
#include "netbench/error.hpp"
#include "receiver/models/select_model.hpp"
#include "receiver/receiver_state.hpp"
#include "receiver/server_model.hpp"
#include "receiver/udp_registration.hpp"
#include "sys/fanout_socket.hpp"
#include "sys/socket_ops.hpp"

namespace netbench {

struct Receiver::Impl {
  Impl(const TestSpec& s, bool shared_clock) : state(s, shared_clock) {}
  receiver::ReceiverState state;
  receiver::ServeSet sockets;
  std::unique_ptr<receiver::ServerModel> model;
  std::vector<std::uint16_t> ports;
  Endpoint local;
  bool started = false;
  std::uint64_t unregistered = 0;
  /// TCP_CONGESTION read back from the first listener; empty for UDP.
  std::string congestion;
};

Receiver::Receiver(const TestSpec& spec, bool shared_clock, bool force_buffers,
                   std::span<const std::uint16_t> fanout_ports)
    : impl_(std::make_unique<Impl>(spec, shared_clock)) {
  validate(spec);
  Endpoint ep = resolve(spec.bind_address, spec.port, spec.family, true);
  if (spec.bind_address.empty() && spec.family != Family::kAny) {
    ep = loopback(spec.family, spec.port);
  }
  if (spec.model == ModelKind::kSelect && spec.proto == Proto::kUdp &&
      spec.mode != Mode::kConnect) {
    receiver::check_select_capacity(spec.flows, 2 + receiver::loop_count(spec));
  }
  if (spec.proto == Proto::kTcp) {
    const unsigned loops = receiver::loop_count(spec);
    for (unsigned i = 0; i < loops; ++i) {
      Fd l = sys::listen_tcp(ep, loops > 1);
      // Accepted connections inherit the listener's buffer sizes.
      sys::set_buffer(l.get(), true, spec.socket_buffer_bytes, force_buffers);
      sys::set_buffer(l.get(), false, spec.socket_buffer_bytes, force_buffers);
      // And its socket knobs (congestion control, MSS, TOS, pacing rate):
      // set before any connection arrives, from the first packet on.
      sys::apply_socket_knobs(l.get(), ep.family(), true, spec);
      if (i == 0) {
        impl_->congestion = sys::congestion_of(l.get());
        impl_->local = sys::local_endpoint(l.get());
        ep.set_port(impl_->local.port());  // later loops share the chosen port
        impl_->ports.push_back(impl_->local.port());
      }
      sys::set_nonblocking(l.get(), true);
      impl_->sockets.tcp_listeners.push_back(std::move(l));
    }
  } else if (spec.mode == Mode::kConnect) {
    // A fresh client socket per transaction cannot be registered: one
    // unconnected socket per event loop (SO_REUSEPORT on one port) answers
    // every request to its source, as a DNS server does.
    const unsigned loops = receiver::loop_count(spec);
    for (unsigned i = 0; i < loops; ++i) {
      Fd s = sys::bind_udp(ep, loops > 1);
      sys::set_buffer(s.get(), true, spec.socket_buffer_bytes, force_buffers);
      sys::set_buffer(s.get(), false, spec.socket_buffer_bytes, force_buffers);
      sys::apply_socket_knobs(s.get(), ep.family(), false, spec);
      if (i == 0) {
        impl_->local = sys::local_endpoint(s.get());
        ep.set_port(impl_->local.port());
        impl_->ports.push_back(impl_->local.port());
      }
      impl_->sockets.udp_flows.push_back({i, std::move(s)});
    }
  } else {
    for (std::uint32_t i = 0; i < spec.flows; ++i) {
      // Flow 0 takes the requested port; the others take free ports (a
      // fan-out receiver: the ports of the first receiver, if given).
      const std::uint16_t port = i < fanout_ports.size()
                                     ? fanout_ports[i]
                                     : static_cast<std::uint16_t>(i == 0 ? spec.port : 0);
      Endpoint flow_ep = spec.fanout() ? sys::fanout_target(spec, port) : ep;
      flow_ep.set_port(port);
      Fd s = sys::bind_udp(flow_ep, false, spec.fanout());
      if (spec.fanout()) {
        sys::join_fanout_group(s.get(), spec);
      }
      sys::set_buffer(s.get(), true, spec.socket_buffer_bytes, force_buffers);
      sys::set_buffer(s.get(), false, spec.socket_buffer_bytes, force_buffers);
      sys::apply_socket_knobs(s.get(), flow_ep.family(), false, spec);
      const Endpoint bound = sys::local_endpoint(s.get());
      if (i == 0) {
        impl_->local = bound;
      }
      impl_->ports.push_back(bound.port());
      impl_->sockets.udp_flows.push_back({i, std::move(s)});
    }
  }
  impl_->model = receiver::make_server_model(spec.model, impl_->state);
}

Receiver::Receiver(const TestSpec& spec, std::vector<Fd> opened, bool shared_clock)
    : impl_(std::make_unique<Impl>(spec, shared_clock)) {
  validate(spec);
  if (opened.size() != spec.flows) {
    throw ConfigError("receiver: " + std::to_string(opened.size()) + " sockets for " +
                      std::to_string(spec.flows) + " flows");
  }
  impl_->local = sys::local_endpoint(opened.front().get());
  if (spec.proto == Proto::kTcp) {
    impl_->congestion = sys::congestion_of(opened.front().get());
    impl_->sockets.tcp_connections = std::move(opened);
  } else {
    for (std::uint32_t i = 0; i < spec.flows; ++i) {
      impl_->sockets.udp_flows.push_back({i, std::move(opened[i])});
    }
  }
  impl_->model = receiver::make_server_model(spec.model, impl_->state);
}

Receiver::~Receiver() { stop(); }

const std::vector<std::uint16_t>& Receiver::ports() const noexcept { return impl_->ports; }
const Endpoint& Receiver::local() const noexcept { return impl_->local; }

void Receiver::register_udp_peer(std::uint32_t flow, const Endpoint& peer) {
  auto& flows = impl_->sockets.udp_flows;
  if (impl_->started || flow >= flows.size()) {
    throw ConfigError("register_udp_peer: no unstarted UDP flow " + std::to_string(flow));
  }
  if (::connect(flows[flow].fd.get(), peer.sa(), peer.len) != 0) {
    throw SystemError("connect", "udp flow " + std::to_string(flow) + " to " + peer.to_string(),
                      errno);
  }
}

std::uint32_t Receiver::register_udp_by_token(const RegistrationToken& token, int timeout_ms,
                                              const Endpoint* host) {
  std::vector<int> fds;
  for (const auto& flow : impl_->sockets.udp_flows) {
    fds.push_back(flow.fd.get());
  }
  return receiver::register_udp_sockets(fds, token, timeout_ms, host, impl_->unregistered);
}

std::uint64_t Receiver::unregistered_datagrams() const noexcept { return impl_->unregistered; }

void Receiver::restrict_peers(const Endpoint& host) noexcept { impl_->state.restrict_peers(host); }

std::uint64_t Receiver::refused_udp_datagrams() const noexcept {
  return impl_->state.refused_udp();
}

std::uint64_t Receiver::refused_tcp_connections() const noexcept {
  return impl_->state.refused_tcp();
}

void Receiver::start() {
  impl_->started = true;
  impl_->model->start(std::move(impl_->sockets));
}

void Receiver::stop() noexcept {
  if (impl_ && impl_->model) {
    impl_->model->stop();
  }
}

ReceiverLive Receiver::live() const { return impl_->state.live_totals(); }

LatencyHistogram Receiver::take_interval_latency() {
  return impl_->state.latency_exchange().take();
}

std::string Receiver::error() const { return impl_->state.error(); }

void Receiver::collect(RunResult& out, std::span<const std::uint64_t> sent_by_flow) const {
  impl_->state.collect(out, sent_by_flow);
  out.receiver.tcp_congestion = impl_->congestion;
}

}  // namespace netbench
