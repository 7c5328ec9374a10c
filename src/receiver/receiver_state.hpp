#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <exception>
#include <map>
#include <mutex>
#include <optional>
#include <span>
#include <stop_token>
#include <string>
#include <vector>

#include "measure/latency_exchange.hpp"
#include "measure/saturating.hpp"
#include "measure/socket_drop_counter.hpp"
#include "netbench/jitter_estimator.hpp"
#include "netbench/latency_histogram.hpp"
#include "netbench/receiver.hpp"
#include "netbench/results.hpp"
#include "netbench/sequence_tracker.hpp"
#include "netbench/test_spec.hpp"

namespace netbench::receiver {

/// True when `a` and `b` hold the same IP address (ports ignored; an
/// IPv4-mapped IPv6 address equals its IPv4 one). Pure.
[[nodiscard]] bool same_host(const sockaddr_storage& a, const sockaddr_storage& b) noexcept;

/// Receiver state of one flow. Written by the one thread serving the flow;
/// `live_*` counters may be read by any thread; the rest is read after that
/// thread has been joined.
struct FlowState {
  FlowRecvStats stats;  // messages/bytes/reordered/duplicates live in live_*
  SequenceTracker tracker;
  JitterEstimator jitter;
  /// UDP: the socket's drop counter, turned into datagrams (GRO batches).
  SocketDropCounter drops;
  bool flow_id_known = false;
  /// Separate clocks: lowest receive − send seen so far (ns, signed).
  std::int64_t min_transit_ns = INT64_MAX;
  std::atomic<std::uint64_t> live_messages{0};
  std::atomic<std::uint64_t> live_bytes{0};
  std::atomic<std::uint64_t> live_reordered{0};
  std::atomic<std::uint64_t> live_duplicates{0};
  std::atomic<bool> finished{false};  // peer closed, stream failed or socket retired
  bool released = false;              // connect mode: in the reuse list (under the lock)
};

/// Row budget of each receiver-side latency histogram: the peer stamps the
/// times, so it could otherwise spread its delays over all 34 rows (264 KiB
/// per histogram, four per serving thread). 24 rows keep every delay below
/// 2^33 ns (8.6 s) exact whatever the distribution, and cap a histogram at
/// 24 * 8 KiB + 8 = 196,616 bytes; samples beyond count as saturated.
inline constexpr std::size_t kHistogramRows = 24;

/// One arrival's one-way figures (stream mode), as a serving thread records
/// them. `ipdv` < 0: none (the flow's first arrival).
struct DelaySample {
  std::uint64_t delay = 0;         ///< from the intended send
  std::uint64_t delay_actual = 0;  ///< from the actual send
  std::int64_t ipdv = -1;          ///< RFC 3550 |D|
};

/// The one-way histograms of many serving threads together: the thread
/// model runs a thread per flow, and histograms of their own (up to
/// 4 × 196 KiB each) took a 4,096-flow UDP receiver to 595 MB. Its threads
/// hand their samples over in batches (ThreadState::record_delay) under one
/// lock per batch, so memory is one set of histograms plus 1.5 KiB per
/// thread whatever the flow count. Thread-safe.
class PooledDelays {
 public:
  explicit PooledDelays(LatencyExchange& exchange)
      : delay_(kHistogramRows),
        delay_actual_(kHistogramRows),
        ipdv_(kHistogramRows),
        interval_(exchange, kHistogramRows) {}
  /// Records `samples`, and deposits the live interval's samples when its
  /// flush period has passed (now_ns). Throws std::bad_alloc as
  /// LatencyHistogram::record() does.
  void add(std::span<const DelaySample> samples, std::uint64_t now_ns);
  /// Deposits the live interval's samples now.
  void flush_interval();
  /// After every thread has been joined: merges into the run's histograms.
  void merge_into(RunResult& out) const;

 private:
  mutable std::mutex mutex_;
  LatencyHistogram delay_;
  LatencyHistogram delay_actual_;
  LatencyHistogram ipdv_;
  IntervalLatency interval_;
};

/// State of one serving thread: its latency samples and costs. Written by
/// that thread only; read after it has been joined.
struct ThreadState {
  explicit ThreadState(LatencyExchange& exchange) : interval(exchange, kHistogramRows) {}
  std::optional<LatencyHistogram> delay;         // stream: one-way delay from intended send
  std::optional<LatencyHistogram> delay_actual;  // stream: one-way delay from actual send
  std::optional<LatencyHistogram> ipdv;          // stream: RFC 3550 |D|
  IntervalLatency interval;
  LoopStats loop;
  CpuUsage cpu;
  /// Set for a pooled thread (ReceiverState::add_thread(true)): its samples
  /// go to the pool in batches of kPoolBatch, and it has no histograms.
  PooledDelays* pool = nullptr;

  /// Records one arrival's one-way figures (stream mode, delays measured).
  void record_delay(const DelaySample& s) {
    if (pool == nullptr) {
      delay->record(s.delay);
      delay_actual->record(s.delay_actual);
      interval.record(s.delay_actual);
      if (s.ipdv >= 0) {
        ipdv->record(static_cast<std::uint64_t>(s.ipdv));
      }
      return;
    }
    pending_[pending_count_++] = s;
    if (pending_count_ == pending_.size()) {
      flush_pending(0);
    }
  }
  /// From the thread's loop: deposits the live interval's samples when the
  /// flush period has passed (a pooled thread first hands over its batch,
  /// so that a slow flow's samples do not wait for a full one).
  void maybe_flush(std::uint64_t now_ns);
  /// At the thread's end: everything pending handed over and deposited.
  void flush_all();

 private:
  static constexpr std::size_t kPoolBatch = 64;
  void flush_pending(std::uint64_t now_ns);
  std::array<DelaySample, kPoolBatch> pending_{};
  std::size_t pending_count_ = 0;
  std::uint64_t next_pool_flush_ns_ = 0;
};

/// Everything the serving threads of one test share: the registries of flows
/// and threads (stable addresses, created under a lock) and the test spec.
/// Shared by every server model.
class ReceiverState {
 public:
  /// `shared_clock`: sender and receiver read the same CLOCK_MONOTONIC
  /// (a paired run, or hosts on one machine); otherwise only delay
  /// *variation* can be measured.
  explicit ReceiverState(const TestSpec& spec, bool shared_clock = true)
      : spec_(spec), shared_clock_(shared_clock) {}
  [[nodiscard]] bool shared_clock() const noexcept { return shared_clock_; }

  [[nodiscard]] const TestSpec& spec() const noexcept { return spec_; }
  /// Message size of the test, bytes.
  [[nodiscard]] std::uint32_t message_bytes() const noexcept { return spec_.message_bytes(); }
  /// True when one-way delay is measured (stream mode).
  [[nodiscard]] bool measures_delay() const noexcept {
    return spec_.mode == Mode::kStream && spec_.full_stats();
  }

  /// A new flow record. Thread-safe; the reference stays valid (until
  /// release_flow()). In connect mode a released record is reused.
  FlowState& add_flow();
  /// Connect mode: a connection's record is done with (its socket closed):
  /// its figures are added to its flow's totals and the record is reused by
  /// a later add_flow(), so that memory follows the connections open at
  /// once, not the transactions of the test. Thread-safe; `f` must not be
  /// touched afterwards.
  void release_flow(FlowState& f);
  /// Connect mode, thread model: a connection thread has ended (after
  /// record_thread_exit()): its costs join the totals and the record is
  /// reused by a later add_thread(true). Thread-safe.
  void release_thread(ThreadState& t);
  /// Connection threads the thread model started (one per accepted TCP
  /// connection). Thread-safe.
  void count_thread_started() noexcept { threads_started_.fetch_add(1, std::memory_order_relaxed); }
  /// A new thread record. Thread-safe; the reference stays valid.
  /// `pooled`: its one-way samples go to the test's shared PooledDelays
  /// instead of histograms of its own (the thread model's many threads).
  ThreadState& add_thread(bool pooled = false);
  /// Sums the live counters. Thread-safe.
  [[nodiscard]] ReceiverLive live_totals() const;
  LatencyExchange& latency_exchange() noexcept { return exchange_; }
  /// Records the first serving error (a thread that could not go on).
  /// Thread-safe.
  void set_error(std::string message);
  /// Records the exception that ended a serving thread or a connection as
  /// the test's error, like set_error(e.what()); never throws: if that
  /// message cannot be allocated (or `e` is std::bad_alloc), records that
  /// `flow_id`'s measurement ran out of memory instead. Thread-safe.
  void record_failure(const std::exception& e, std::uint32_t flow_id = kNoFlow) noexcept;
  /// The flow_id of a failure not tied to one flow.
  static constexpr std::uint32_t kNoFlow = UINT32_MAX;
  /// The first serving error, or empty. Thread-safe.
  [[nodiscard]] std::string error() const;

  /// Remote runs: serve TCP data connections only from `host`'s address
  /// (any port) and at most spec.flows of them (connect mode: any number,
  /// a connection per transaction), and answer connect mode's UDP requests
  /// only from that address. Call before serving.
  void restrict_peers(const Endpoint& host) noexcept;
  /// Whether to serve a TCP connection accepted from `peer`; counts the
  /// ones turned away. Thread-safe (the accepting threads call it).
  [[nodiscard]] bool admit_tcp(const sockaddr_storage& peer) noexcept;
  /// TCP connections admit_tcp() turned away. Thread-safe.
  [[nodiscard]] std::uint64_t refused_tcp() const noexcept {
    return tcp_refused_.load(std::memory_order_relaxed);
  }
  /// Connect mode, UDP: whether to read and answer a datagram from `from`
  /// (null: a connected socket's, always); counts the ones ignored.
  /// Thread-safe.
  [[nodiscard]] bool admit_udp_source(const sockaddr* from, socklen_t len) noexcept;
  /// Datagrams admit_udp_source() ignored. Thread-safe.
  [[nodiscard]] std::uint64_t refused_udp() const noexcept {
    return udp_refused_.load(std::memory_order_relaxed);
  }

  /// --model uring: how one ring serves (each ring reports its own; the
  /// result keeps, per feature, the older path). Thread-safe.
  void note_uring(const UringPath& path);

  /// After every serving thread has been joined: the per-flow results sorted
  /// by flow id (loss finalized against `sent_by_flow[flow id]` in stream
  /// mode), the latency histograms and the costs.
  void collect(RunResult& out, std::span<const std::uint64_t> sent_by_flow) const;

 private:
  TestSpec spec_;
  bool shared_clock_;
  mutable std::mutex mutex_;
  std::deque<FlowState> flows_;
  std::deque<ThreadState> threads_;
  LatencyExchange exchange_;
  PooledDelays pooled_{exchange_};
  std::string error_;
  std::optional<UringPath> uring_;
  // Set without allocating when memory ran out; error() spells it out.
  std::atomic<bool> out_of_memory_{false};
  std::atomic<std::uint32_t> out_of_memory_flow_{kNoFlow};
  std::optional<Endpoint> peer_host_;  // set before serving, then only read
  std::atomic<std::uint64_t> udp_refused_{0};
  std::atomic<std::uint32_t> tcp_admitted_{0};
  std::atomic<std::uint64_t> tcp_refused_{0};
  std::atomic<std::uint64_t> tcp_accepted_{0};  // every accept, admitted or not
  std::atomic<std::uint64_t> threads_started_{0};
  // Connect mode: figures of released records by flow id, and the records
  // ready for reuse.
  std::map<std::uint32_t, FlowRecvStats> folded_;
  std::vector<FlowState*> free_;
  std::vector<ThreadState*> free_threads_;  // pooled, released (connect mode)
  CpuUsage folded_cpu_;
  LoopStats folded_loop_;
};

/// Records the calling thread's CPU usage into `t` and deposits its interval
/// latency samples (call when it exits; never throws: samples that cannot be
/// deposited are dropped from the live display only).
void record_thread_exit(ThreadState& t) noexcept;

}  // namespace netbench::receiver
