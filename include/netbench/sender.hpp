#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <stop_token>
#include <vector>

#include "netbench/endpoint.hpp"
#include "netbench/fd.hpp"
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
  bool finished = false;                ///< every send loop has returned
};

/// The sending side of a test: one engine for every server model. Flows are
/// dealt round robin to send loops (one thread each, as a receiver deals its
/// flows to event loops; one loop today), each driving its flows over
/// non-blocking sockets and its own epoll set: a min-heap orders flows by
/// their next intended send time (constant or Poisson schedule per flow, the
/// total rate split evenly), a flow whose socket is full waits for EPOLLOUT
/// and then catches up on its schedule, and echo replies are read as they
/// arrive. Message payload comes from one buffer per loop, so memory does not
/// grow with message size × flows.
///
/// Methods are called from the owning thread; live(), finished(),
/// wait_finished_until() and take_interval_latency() from any thread.
class Sender {
 public:
  /// Opens and connects one socket per flow. `targets` holds one endpoint
  /// for all flows (TCP) or one per flow (UDP). `high_descriptors` moves the
  /// sockets above FD_SETSIZE when the limit allows, so that a select()
  /// receiver in the same process keeps the low numbers. Throws SystemError
  /// (refused, unreachable, timed out) or ConfigError.
  Sender(const TestSpec& spec, const std::vector<Endpoint>& targets, bool high_descriptors);
  /// A sender over connected sockets the other side opened (`--reverse`:
  /// the sender is the server): `opened[i]` is flow i's (TCP: an accepted
  /// connection; UDP: a flow socket connected to the client's). Made
  /// non-blocking here; `high_descriptors` as above. Not for connect mode.
  /// Throws ConfigError.
  Sender(const TestSpec& spec, std::vector<Fd> opened, bool high_descriptors);
  ~Sender();
  Sender(const Sender&) = delete;
  Sender& operator=(const Sender&) = delete;

  /// The local address of flow `flow`'s socket (UDP: to register it).
  [[nodiscard]] Endpoint local(std::uint32_t flow) const;
  /// UDP: sends `datagram` once from every flow's socket (registration with
  /// a remote receiver). Best effort: UDP may lose it; call again to retry.
  void send_on_every_flow(std::span<const std::byte> datagram);
  /// Starts the test: fixes the schedule's origin and starts every send
  /// loop's thread. A stop request on `stop` ends every loop early. Once.
  void start(std::stop_token stop);
  /// True once every loop has returned (each flow has sent its share and
  /// echo replies are in or timed out, or a stop or a stall ended it).
  [[nodiscard]] bool finished() const;
  /// Waits until finished() or CLOCK_MONOTONIC reaches `deadline_ns`;
  /// returns finished().
  bool wait_finished_until(std::uint64_t deadline_ns) const;
  /// Joins every loop's thread. Idempotent.
  void join() noexcept;
  /// start() and join() on the calling thread's behalf.
  void run(std::stop_token stop);

  /// Totals summed over every loop.
  [[nodiscard]] SenderLive live() const;
  /// Latency samples measured since the last call (echo: RTT).
  [[nodiscard]] LatencyHistogram take_interval_latency();
  /// Measured messages sent per flow, indexed by flow id (after join()).
  [[nodiscard]] std::vector<std::uint64_t> sent_by_flow() const;
  /// After join(): sender flows, costs, pacing, echo latency, measured_ns,
  /// and `complete`/`error` if the run ended early.
  void collect(RunResult& out) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

/// Send loops (threads) a sender runs for `spec`: --sender-threads, or
/// with auto (0) one per flow up to the CPUs the sender may use (its --cpu
/// list, else this thread's affinity); never more than the flows.
[[nodiscard]] unsigned sender_loop_count(const TestSpec& spec) noexcept;

/// Connect mode in open loop (--rate): the most transactions of one flow
/// open at once. A start due while this many are open waits for one to end
/// (its latency still counts from its intended time), so that descriptors
/// stay bounded when the server falls behind.
inline constexpr std::uint32_t kOpenLoopTransactionsPerFlow = 64;

/// Connect mode: transactions one flow may have open at once (--outstanding
/// in closed loop, kOpenLoopTransactionsPerFlow in open loop).
[[nodiscard]] std::uint32_t transactions_per_flow(const TestSpec& spec) noexcept;

/// The measured period of a run, ns (docs/schema.md, `measured_ns`): from
/// the end of warm-up to the last measured send (stream) or reply (echo)
/// at `last_activity_ns`; a paced run (--rate) that was not ended early
/// covers at least its schedule — the duration, or count / rate — so that
/// one message at 1 msg/s is 1 s of traffic, not the 20 µs its send took,
/// and a lossless run's sender and receiver rates agree. Pure.
[[nodiscard]] std::uint64_t measured_period_ns(const TestSpec& spec, std::uint64_t warm_end_ns,
                                               std::uint64_t last_activity_ns,
                                               bool ended_early) noexcept;

}  // namespace netbench
