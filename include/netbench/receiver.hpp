#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <stop_token>
#include <string>
#include <vector>

#include "netbench/endpoint.hpp"
#include "netbench/fd.hpp"
#include "netbench/latency_histogram.hpp"
#include "netbench/registration.hpp"
#include "netbench/results.hpp"
#include "netbench/test_spec.hpp"

namespace netbench {

/// Live totals over every flow of a receiver, readable while it runs.
struct ReceiverLive {
  std::uint64_t messages = 0;
  std::uint64_t bytes = 0;
  std::uint64_t reordered = 0;
  std::uint64_t duplicates = 0;
  std::uint32_t flows = 0;           ///< flows seen so far
  std::uint32_t finished_flows = 0;  ///< flows whose peer closed or failed
};

/// The receiving side of one test: its data sockets, served by the model the
/// spec names, measuring into per-flow and per-thread records.
///
/// How flows are set up. TCP: one listening socket per event loop on one
/// port (SO_REUSEPORT when there are several); each connection is one flow
/// and names its flow id in every message header. UDP: one socket per flow,
/// each bound to its own port on the listen address (ports()[i] is flow i's),
/// so that a model multiplexes N sockets as it would N TCP connections. Once
/// the sender's address of flow i is known (register_udp_peer), that socket
/// is connect()ed to it: it then receives only from that peer and echoes to
/// no one else.
///
/// Methods are called from the owning thread; live() and
/// take_interval_latency() from any thread.
class Receiver {
 public:
  /// Creates and binds the sockets (port spec.port, 0 = any free); does not
  /// serve yet. Throws ConfigError or SystemError (e.g. port in use).
  /// `shared_clock`: the sender stamps messages with this host's
  /// CLOCK_MONOTONIC (paired runs; hosts on one machine). When false, the
  /// receiver measures one-way delay *variation* only. `force_buffers`:
  /// spec.socket_buffer_bytes may go beyond the system's limits (the local
  /// user's paired runs); false for a remote client's test.
  /// Fan-out (spec.fanout()): each flow's socket binds the group (or
  /// broadcast) address with SO_REUSEADDR, on `fanout_ports[i]` for flow i
  /// when given (the first receiver's ports(), which the others share) or a
  /// free port, and joins the group (sys::join_fanout_group).
  explicit Receiver(const TestSpec& spec, bool shared_clock = true, bool force_buffers = true,
                    std::span<const std::uint16_t> fanout_ports = {});
  /// A receiver over data sockets this side opened itself (`--reverse`: the
  /// receiver is the client): `opened[i]` is flow i's connected socket (TCP:
  /// connected to the sender's listener, its flow id read from the message
  /// headers; UDP: connected to the sender's flow socket i). No listener,
  /// no registration: start() serves them with the spec's model. ports() is
  /// empty; local() is flow 0's address. Throws ConfigError (e.g. select
  /// beyond FD_SETSIZE).
  Receiver(const TestSpec& spec, std::vector<Fd> opened, bool shared_clock = true);
  ~Receiver();
  Receiver(const Receiver&) = delete;
  Receiver& operator=(const Receiver&) = delete;

  /// TCP: one element, the listening port. UDP: flow i's port at index i.
  [[nodiscard]] const std::vector<std::uint16_t>& ports() const noexcept;
  /// The address the data sockets are bound to (port of the first one).
  [[nodiscard]] const Endpoint& local() const noexcept;
  /// UDP: connects flow `flow`'s socket to the sender's `peer` address.
  void register_udp_peer(std::uint32_t flow, const Endpoint& peer);
  /// UDP, remote: waits up to `timeout_ms` for each flow's registration
  /// datagram carrying `token` and connects that flow's socket to its source.
  /// Other datagrams are discarded, and so is whatever a flow's socket
  /// queued before it was connected (the client sends no data before it is
  /// told every flow registered): no datagram from an unregistered source is
  /// ever counted or echoed. Returns how many flows registered (all of them
  /// on success). `host`, when given (a remote test: the control client's
  /// address): a registration from any other IP address is discarded
  /// whatever its token, so a token sent from elsewhere, or with a spoofed
  /// source, cannot point a flow (and its echo) at a third party. Call
  /// before start().
  std::uint32_t register_udp_by_token(const RegistrationToken& token, int timeout_ms,
                                      const Endpoint* host = nullptr);
  /// Datagrams register_udp_by_token() discarded (from unregistered
  /// sources, or repeats of a registration). Once a flow's socket is
  /// connected the kernel drops any other source's datagrams unseen.
  [[nodiscard]] std::uint64_t unregistered_datagrams() const noexcept;
  /// Remote runs: serves TCP data connections only from `host`'s IP address
  /// (any port), and at most spec.flows of them (connect mode: a connection
  /// per transaction, any number); any other connection is closed at accept
  /// and never becomes a flow. Connect mode over UDP: answers requests only
  /// from that address (a fresh socket per transaction cannot register),
  /// so the server reflects nothing to a third party. Call before start().
  void restrict_peers(const Endpoint& host) noexcept;
  /// TCP connections restrict_peers() turned away. Thread-safe.
  [[nodiscard]] std::uint64_t refused_tcp_connections() const noexcept;
  /// Connect mode, UDP: datagrams from other addresses that
  /// restrict_peers() ignored. Thread-safe.
  [[nodiscard]] std::uint64_t refused_udp_datagrams() const noexcept;
  /// Starts the model's threads.
  void start();
  /// Stops and joins every thread. Idempotent.
  void stop() noexcept;

  [[nodiscard]] ReceiverLive live() const;
  /// Latency samples measured since the last call (stream: one-way delay).
  [[nodiscard]] LatencyHistogram take_interval_latency();
  /// The first serving error (e.g. a descriptor limit), or empty.
  [[nodiscard]] std::string error() const;

  /// After stop(): fills `out.receiver_flows`, `out.receiver`, the one-way
  /// delay histograms and, given the sender's measured count of each flow
  /// (`sent_by_flow[flow id]`), each flow's loss. Thread-safe w.r.t. nothing:
  /// call once the threads are joined.
  void collect(RunResult& out, std::span<const std::uint64_t> sent_by_flow) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace netbench
