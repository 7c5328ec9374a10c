#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <stop_token>
#include <vector>

#include "netbench/endpoint.hpp"
#include "netbench/latency_histogram.hpp"
#include "netbench/results.hpp"
#include "netbench/test_spec.hpp"

namespace netbench {

/// Live totals of a sender, readable from any thread while it runs.
struct SenderLive {
  std::uint64_t messages = 0;  ///< measured messages sent
  std::uint64_t bytes = 0;
  std::uint64_t replies = 0;  ///< echo: measured replies received
  std::uint64_t reply_bytes = 0;
  std::uint64_t measured_start_ns = 0;  ///< CLOCK_MONOTONIC start of the measured period; 0 before
  bool finished = false;                ///< run() has returned
};

/// The sending side of a test: one engine for every server model. A single
/// thread drives all flows over non-blocking sockets and one epoll set:
/// a min-heap orders flows by their next intended send time (constant or
/// Poisson schedule per flow, rate split evenly), a flow whose socket is full
/// waits for EPOLLOUT and then catches up on its schedule, and echo replies
/// are read as they arrive. Message payload comes from one shared buffer, so
/// memory does not grow with message size × flows.
///
/// Methods are called from the owning thread; live() and
/// take_interval_latency() from any thread.
class Sender {
 public:
  /// Opens and connects one socket per flow. `targets` holds one endpoint
  /// for all flows (TCP) or one per flow (UDP). `high_descriptors` moves the
  /// sockets above FD_SETSIZE when the limit allows, so that a select()
  /// receiver in the same process keeps the low numbers. Throws SystemError
  /// (refused, unreachable, timed out) or ConfigError.
  Sender(const TestSpec& spec, const std::vector<Endpoint>& targets, bool high_descriptors);
  ~Sender();
  Sender(const Sender&) = delete;
  Sender& operator=(const Sender&) = delete;

  /// The local address of flow `flow`'s socket (UDP: to register it).
  [[nodiscard]] Endpoint local(std::uint32_t flow) const;
  /// UDP: sends `datagram` once from every flow's socket (registration with
  /// a remote receiver). Best effort: UDP may lose it; call again to retry.
  void send_on_every_flow(std::span<const std::byte> datagram);
  /// Runs the test on the calling thread; returns when every flow has sent
  /// its share (and echo replies are in or timed out), or on a stop request.
  void run(std::stop_token stop);

  [[nodiscard]] SenderLive live() const;
  /// Latency samples measured since the last call (echo: RTT).
  [[nodiscard]] LatencyHistogram take_interval_latency();
  /// Measured messages sent per flow, indexed by flow id (after run()).
  [[nodiscard]] std::vector<std::uint64_t> sent_by_flow() const;
  /// After run(): sender flows, costs, pacing, echo latency, measured_ns,
  /// and `complete`/`error` if the run ended early.
  void collect(RunResult& out) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace netbench
