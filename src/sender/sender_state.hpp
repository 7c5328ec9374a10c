#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <mutex>

#include "measure/latency_exchange.hpp"
#include "netbench/endpoint.hpp"
#include "netbench/test_spec.hpp"

namespace netbench::sender {

/// Live totals of one send loop: written by that loop's thread alone (a
/// relaxed load and store, no read-modify-write), read by any thread.
struct alignas(64) LoopLive {
  std::atomic<std::uint64_t> messages{0};  ///< measured messages sent
  std::atomic<std::uint64_t> bytes{0};
  std::atomic<std::uint64_t> replies{0};  ///< echo: measured replies
  std::atomic<std::uint64_t> reply_bytes{0};
};

/// What every send loop of one test shares: the spec, the schedule's time
/// base (all loops measure from one warm-up end, so their intervals and
/// pacing line up), the latency exchange of the interval reporter, and the
/// count of loops that have finished. Thread-safe where marked.
class SenderState {
 public:
  explicit SenderState(const TestSpec& spec) : spec_(spec), size_(spec.message_bytes()) {}

  [[nodiscard]] const TestSpec& spec() const noexcept { return spec_; }
  /// Bytes of every message.
  [[nodiscard]] std::uint32_t size() const noexcept { return size_; }
  /// True when replies come back (echo and connect modes).
  [[nodiscard]] bool echo() const noexcept { return spec_.replies(); }
  [[nodiscard]] bool connect() const noexcept { return spec_.mode == Mode::kConnect; }
  /// Connect mode: where each transaction connects (set before begin()).
  void set_target(const Endpoint& target) { target_ = target; }
  [[nodiscard]] const Endpoint& target() const noexcept { return target_; }
  [[nodiscard]] bool tcp() const noexcept { return spec_.proto == Proto::kTcp; }

  /// Fixes the schedule's origin `t0_ns` (CLOCK_MONOTONIC): warm-up ends at
  /// t0 + warmup, sending at the end of the duration (count runs: never).
  /// Called once, before any loop starts.
  void begin(std::uint64_t t0_ns) noexcept {
    t0_ns_ = t0_ns;
    warm_end_ns_ = t0_ns + spec_.warmup_ns;
    end_ns_ = spec_.count == 0 ? warm_end_ns_ + spec_.duration_ns : UINT64_MAX;
    measured_start_.store(warm_end_ns_, std::memory_order_relaxed);
  }
  [[nodiscard]] std::uint64_t t0_ns() const noexcept { return t0_ns_; }
  /// Messages intended before this are warm-up, ns.
  [[nodiscard]] std::uint64_t warm_end_ns() const noexcept { return warm_end_ns_; }
  /// No sends are intended at or after this, ns (UINT64_MAX: --count).
  [[nodiscard]] std::uint64_t end_ns() const noexcept { return end_ns_; }
  /// Start of the measured period, 0 before begin(). Any thread.
  [[nodiscard]] std::uint64_t measured_start_ns() const noexcept {
    return measured_start_.load(std::memory_order_relaxed);
  }

  /// Samples for the interval reporter (echo RTT). Thread-safe.
  [[nodiscard]] LatencyExchange& exchange() noexcept { return exchange_; }

  /// A loop has returned. Any thread.
  void loop_finished() {
    const std::lock_guard lock(mutex_);
    ++finished_loops_;
    cv_.notify_all();
  }
  /// True once `loops` loops have finished. Any thread.
  [[nodiscard]] bool finished(unsigned loops) const {
    const std::lock_guard lock(mutex_);
    return finished_loops_ >= loops;
  }
  /// Waits until `loops` loops have finished or CLOCK_MONOTONIC reaches
  /// `deadline_ns` (UINT64_MAX: no deadline); true if they have. Any thread.
  bool wait_finished_until(unsigned loops, std::uint64_t deadline_ns);

 private:
  TestSpec spec_;
  std::uint32_t size_;
  Endpoint target_;
  std::uint64_t t0_ns_ = 0;
  std::uint64_t warm_end_ns_ = 0;
  std::uint64_t end_ns_ = UINT64_MAX;
  std::atomic<std::uint64_t> measured_start_{0};
  LatencyExchange exchange_;
  mutable std::mutex mutex_;
  std::condition_variable cv_;
  unsigned finished_loops_ = 0;
};

}  // namespace netbench::sender
