#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "app/control/control_channel.hpp"
#include "app/control/messages.hpp"
#include "app/remote/live_poller.hpp"
#include "netbench/endpoint.hpp"
#include "netbench/latency_histogram.hpp"
#include "netbench/receiver.hpp"
#include "netbench/results.hpp"
#include "netbench/sender.hpp"
#include "netbench/test_spec.hpp"

namespace netbench::app {

/// The client's side of one `netbench serve` during one test: its control
/// connection, its "ready", the live figures polled from it and its result.
/// A remote run has one (remote_client.cpp), a remote fan-out one per
/// server (remote_fanout.cpp). Not thread-safe: the run's thread only.
class ServerSession {
 public:
  /// Connects to `host`:`port` and says hello (with `auth_token` when not
  /// empty). Throws ConfigError (host does not resolve), SystemError or
  /// RemoteError (refused, silent, not a netbench server, wrong token).
  ServerSession(const TestSpec& spec, const std::string& host, std::uint16_t port,
                const std::string& auth_token);

  /// Sends the test and waits for "ready", which must fit it
  /// (check_ready()). Fan-out: `fanout_ports`, when not empty, are the
  /// ports every flow's socket must bind (flow i: fanout_ports[i]), and
  /// "ready" must name them. `spec` must outlive the session. Throws
  /// RemoteError.
  /// --bidir, reverse half: `pair` is the token the forward half's "ready"
  /// gave (Ready::pair).
  void start(const TestSpec& spec, std::span<const std::uint16_t> fanout_ports = {},
             const RegistrationToken* pair = nullptr);

  [[nodiscard]] const Ready& ready() const noexcept { return ready_; }
  /// The server's control endpoint.
  [[nodiscard]] const Endpoint& server() const noexcept { return server_; }
  /// This host's address on the control connection (the interface that
  /// reaches the server).
  [[nodiscard]] Endpoint local() const;

  /// The control connection (a --reverse test turns its roles round).
  [[nodiscard]] ControlChannel& channel() noexcept { return ch_; }

  /// One live poll (stream mode), as LivePoller::poll(): the first failure
  /// ends the polling, live() stays as it was, and failed() says why.
  /// After start().
  void poll();
  /// The server's latest totals.
  [[nodiscard]] const ReceiverLive& live() const noexcept;
  /// The latency samples the polls brought since the last call.
  [[nodiscard]] LatencyHistogram take_latency();
  /// Why the server's answers stopped counting; empty while fine.
  [[nodiscard]] const std::string& failed() const noexcept;

  /// After the test: sends "done" with the sender's counts and takes the
  /// server's result. Its receiver part and its error, or nullopt and
  /// `error` one line saying why not (failed(), a server gone, a bad or
  /// foreign result).
  std::optional<Result> finish(const Sender& tx, std::string& error);

 private:
  friend void register_udp_flows(Sender& tx, std::span<ServerSession* const> servers);

  const TestSpec* spec_ = nullptr;
  Endpoint server_;
  ControlChannel ch_;
  std::uint32_t max_setup_bytes_ = 0;
  std::uint64_t hello_rtt_ns_ = 0;  ///< the hello's round trip, ns
  Ready ready_;
  std::optional<LivePoller> poller_;  ///< from start()
};

/// UDP registration with every server of `servers` (started): each one's
/// token is sent on every flow until it says "registered" (a fan-out's
/// flows go to the group, so every server sees every token and takes its
/// own). At most 5 s. Throws RemoteError naming the server that did not
/// answer (UDP blocked, say).
void register_udp_flows(Sender& tx, std::span<ServerSession* const> servers);

/// "host:port" of a server as the user gave it, for messages.
[[nodiscard]] std::string server_label(const std::string& host, std::uint16_t port);

}  // namespace netbench::app
