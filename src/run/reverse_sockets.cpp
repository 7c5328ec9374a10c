#include "run/reverse_sockets.hpp"

#include <poll.h>
#include <sys/socket.h>

#include <cerrno>
#include <string>

#include "netbench/clock.hpp"
#include "netbench/error.hpp"
#include "receiver/receiver_state.hpp"
#include "receiver/udp_registration.hpp"
#include "sender/flow_socket.hpp"
#include "sys/accept.hpp"
#include "sys/socket_ops.hpp"

namespace netbench::run {

ReverseServerSockets::ReverseServerSockets(const TestSpec& spec) : spec_(spec) {
  Endpoint ep = resolve(spec.bind_address, spec.port, spec.family, true);
  if (spec.bind_address.empty() && spec.family != Family::kAny) {
    ep = loopback(spec.family, spec.port);
  }
  const auto prepare = [&spec](int fd, int family, bool tcp) {
    sys::set_buffer(fd, true, spec.socket_buffer_bytes);
    sys::set_buffer(fd, false, spec.socket_buffer_bytes);
    // Set before any connection arrives: accepted ones inherit them.
    sys::apply_socket_knobs(fd, family, tcp, spec);
  };
  if (spec.proto == Proto::kTcp) {
    listener_ = sys::listen_tcp(ep, false);
    prepare(listener_.get(), ep.family(), true);
    sys::set_nonblocking(listener_.get(), true);
    targets_.push_back(sys::local_endpoint(listener_.get()));
    return;
  }
  for (std::uint32_t i = 0; i < spec.flows; ++i) {
    Endpoint flow_ep = ep;
    flow_ep.set_port(i == 0 ? spec.port : 0);  // flow 0 takes the requested port
    Fd s = sys::bind_udp(flow_ep);
    prepare(s.get(), flow_ep.family(), false);
    targets_.push_back(sys::local_endpoint(s.get()));
    udp_.push_back(std::move(s));
  }
}

std::uint32_t ReverseServerSockets::register_udp(const RegistrationToken& token, int timeout_ms,
                                                 const Endpoint& host) {
  std::vector<int> fds;
  for (const Fd& s : udp_) {
    fds.push_back(s.get());
  }
  registered_ = true;
  return receiver::register_udp_sockets(fds, token, timeout_ms, &host, strangers_);
}

std::vector<Fd> ReverseServerSockets::take(const std::vector<Endpoint>& clients, int timeout_ms,
                                           const Endpoint* host) {
  std::vector<Fd> out;
  if (spec_.proto == Proto::kUdp && registered_) {
    out = std::move(udp_);
    udp_.clear();
    return out;
  }
  if (spec_.proto == Proto::kUdp) {
    if (clients.size() != udp_.size()) {
      throw ConfigError("reverse: " + std::to_string(clients.size()) + " client flows for " +
                        std::to_string(udp_.size()) + " server sockets");
    }
    for (std::size_t i = 0; i < udp_.size(); ++i) {
      if (::connect(udp_[i].get(), clients[i].sa(), clients[i].len) != 0) {
        throw SystemError("connect",
                          "udp flow " + std::to_string(i) + " to " + clients[i].to_string(), errno);
      }
      out.push_back(std::move(udp_[i]));
    }
    udp_.clear();
    return out;
  }
  const std::uint64_t until =
      now_ns() + static_cast<std::uint64_t>(timeout_ms) * std::uint64_t{1'000'000};
  while (out.size() < spec_.flows) {
    sockaddr_storage peer{};
    if (Fd fd = sys::accept_next(listener_.get(), SOCK_CLOEXEC, peer)) {
      if (host != nullptr && !receiver::same_host(peer, host->addr)) {
        ++strangers_;  // closed here: never a flow
        continue;
      }
      out.push_back(std::move(fd));
      continue;
    }
    const std::uint64_t now = now_ns();
    if (now >= until) {
      throw SystemError("accept",
                        "tcp " + targets_.front().to_string() + " (" + std::to_string(out.size()) +
                            " of " + std::to_string(spec_.flows) + " flows came)",
                        ETIMEDOUT);
    }
    pollfd p{listener_.get(), POLLIN, 0};
    ::poll(&p, 1, static_cast<int>((until - now) / 1'000'000 + 1));
  }
  listener_ = Fd{};  // every flow is in: no one else connects
  return out;
}

std::vector<Fd> open_client_flows(const TestSpec& spec, const std::vector<Endpoint>& targets) {
  if (targets.empty() || (spec.proto == Proto::kUdp && targets.size() < spec.flows)) {
    throw ConfigError("reverse: no server address for every flow");
  }
  std::vector<Fd> out;
  for (std::uint32_t i = 0; i < spec.flows; ++i) {
    out.push_back(sender::connect_flow_socket(spec, targets[spec.proto == Proto::kUdp ? i : 0], i));
  }
  return out;
}

std::vector<Endpoint> local_endpoints(const std::vector<Fd>& fds) {
  std::vector<Endpoint> out;
  out.reserve(fds.size());
  for (const Fd& fd : fds) {
    out.push_back(sys::local_endpoint(fd.get()));
  }
  return out;
}

}  // namespace netbench::run
