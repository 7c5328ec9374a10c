#pragma once

#include <cstdint>
#include <vector>

#include "netbench/endpoint.hpp"
#include "netbench/fd.hpp"
#include "netbench/registration.hpp"
#include "netbench/test_spec.hpp"

namespace netbench::run {

/// The server's end of the data sockets of a test whose server sends
/// (`--reverse`, and the reverse half of `--bidir`), before and after the
/// client opens its flows: the client still opens every data connection.
/// TCP: one listener; the client connects spec.flows times and take()
/// accepts them. UDP: one socket per flow, each bound to its own port (as a
/// receiver's are); the client connects a flow socket to each, and take()
/// connects each server socket back to its client socket, so that it sends
/// to that peer only (the registered, connected flow socket).
/// Every socket carries --buffer and the socket knobs before any packet.
class ReverseServerSockets {
 public:
  /// Binds on spec.bind_address, port spec.port (flow 0's for UDP; 0 = any
  /// free port); loopback when the address is empty. Throws SystemError or
  /// ConfigError.
  explicit ReverseServerSockets(const TestSpec& spec);

  /// Where the client opens its flows: one endpoint (TCP), or flow i's at
  /// index i (UDP).
  [[nodiscard]] const std::vector<Endpoint>& targets() const noexcept { return targets_; }

  /// UDP, remote (`netbench serve`): connects each flow's socket to where
  /// the registration datagram of `token` came from, from `host` only,
  /// within `timeout_ms` (behind NAT the client cannot know its own
  /// address). Returns the flows registered; take({}, ...) then hands them
  /// over. Once.
  std::uint32_t register_udp(const RegistrationToken& token, int timeout_ms, const Endpoint& host);

  /// The server's connected data sockets, flow i's at index i. TCP: accepts
  /// spec.flows connections within `timeout_ms` (their order is the flow
  /// order: a TCP flow names its id in every message header), from `host`
  /// only when given (a stranger's connection is closed and counted). UDP:
  /// connects flow i's socket to `clients[i]`, the client's flow socket; no
  /// `clients` after register_udp(). Throws SystemError (timeout: "accept")
  /// or ConfigError. Once.
  std::vector<Fd> take(const std::vector<Endpoint>& clients, int timeout_ms,
                       const Endpoint* host = nullptr);

  /// Connections and datagrams from others than `host` (take(),
  /// register_udp()) that were turned away.
  [[nodiscard]] std::uint64_t strangers() const noexcept { return strangers_; }

 private:
  TestSpec spec_;
  Fd listener_;
  std::vector<Fd> udp_;
  std::vector<Endpoint> targets_;
  bool registered_ = false;
  std::uint64_t strangers_ = 0;
};

/// The client's end: spec.flows sockets, flow i's connected to targets[i]
/// (UDP) or targets[0] (TCP), with --cport, --buffer and the socket knobs.
/// Throws SystemError or ConfigError.
std::vector<Fd> open_client_flows(const TestSpec& spec, const std::vector<Endpoint>& targets);

/// The local address of each socket of `fds`.
std::vector<Endpoint> local_endpoints(const std::vector<Fd>& fds);

}  // namespace netbench::run
