#include "netbench/receiver.hpp"

#include <sys/select.h>
#include <sys/socket.h>

#include <cerrno>

#include "net/socket_ops.hpp"
#include "netbench/error.hpp"
#include "server/receiver_state.hpp"
#include "server/select_model.hpp"
#include "server/server_model.hpp"

namespace netbench {

struct Receiver::Impl {
  explicit Impl(const TestSpec& s) : state(s) {}
  server::ReceiverState state;
  server::ServeSet sockets;
  std::unique_ptr<server::ServerModel> model;
  std::vector<std::uint16_t> ports;
  Endpoint local;
  bool started = false;
};

Receiver::Receiver(const TestSpec& spec) : impl_(std::make_unique<Impl>(spec)) {
  validate(spec);
  Endpoint ep = resolve(spec.bind_address, spec.port, spec.family, true);
  if (spec.bind_address.empty() && spec.family != Family::kAny) {
    ep = loopback(spec.family, spec.port);
  }
  if (spec.model == ModelKind::kSelect && spec.proto == Proto::kUdp) {
    server::check_select_capacity(spec.flows, 2 + server::loop_count(spec));
  }
  if (spec.proto == Proto::kTcp) {
    const unsigned loops = server::loop_count(spec);
    for (unsigned i = 0; i < loops; ++i) {
      Fd l = net::listen_tcp(ep, loops > 1);
      // Accepted connections inherit the listener's buffer sizes.
      net::set_buffer(l.get(), true, spec.socket_buffer_bytes);
      net::set_buffer(l.get(), false, spec.socket_buffer_bytes);
      if (i == 0) {
        impl_->local = net::local_endpoint(l.get());
        ep.set_port(impl_->local.port());  // later loops share the chosen port
        impl_->ports.push_back(impl_->local.port());
      }
      net::set_nonblocking(l.get(), true);
      impl_->sockets.tcp_listeners.push_back(std::move(l));
    }
  } else {
    for (std::uint32_t i = 0; i < spec.flows; ++i) {
      // Flow 0 takes the requested port; the others take free ports.
      Endpoint flow_ep = ep;
      flow_ep.set_port(i == 0 ? spec.port : 0);
      Fd s = net::bind_udp(flow_ep);
      net::set_buffer(s.get(), true, spec.socket_buffer_bytes);
      net::set_buffer(s.get(), false, spec.socket_buffer_bytes);
      const Endpoint bound = net::local_endpoint(s.get());
      if (i == 0) {
        impl_->local = bound;
      }
      impl_->ports.push_back(bound.port());
      impl_->sockets.udp_flows.push_back({i, std::move(s)});
    }
  }
  impl_->model = server::make_server_model(spec.model, impl_->state);
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
}

}  // namespace netbench
