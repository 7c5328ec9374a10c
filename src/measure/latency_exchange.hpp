#pragma once

#include <cstddef>
#include <cstdint>
#include <mutex>

#include "netbench/latency_histogram.hpp"

namespace netbench {

/// Hands latency samples from the threads that measure them to the thread
/// that prints intervals. Owners record into a private histogram and deposit
/// it here every kFlushNs; the reporter takes the merged samples once per
/// interval. Thread-safe.
class LatencyExchange {
 public:
  /// How often an owner deposits its private samples, ns.
  static constexpr std::uint64_t kFlushNs = 100'000'000;

  /// Merges `local` in and resets it. Any thread. Throws std::bad_alloc
  /// (nothing merged, `local` kept) if a row cannot be allocated.
  void deposit(LatencyHistogram& local) {
    if (local.count() == 0) {
      return;
    }
    const std::lock_guard lock(mutex_);
    merged_.merge(local);
    local.reset();
  }
  /// Returns the samples deposited since the last call and forgets them.
  LatencyHistogram take() {
    const std::lock_guard lock(mutex_);
    LatencyHistogram out = merged_;
    merged_.reset();
    return out;
  }

 private:
  std::mutex mutex_;
  LatencyHistogram merged_;
};

/// The owner's side of a LatencyExchange: one per measuring thread.
/// Not thread-safe.
class IntervalLatency {
 public:
  /// `max_rows`: the private histogram's row budget (see LatencyHistogram).
  explicit IntervalLatency(LatencyExchange& exchange,
                           std::size_t max_rows = LatencyHistogram::kMaxRows)
      : exchange_(&exchange),
        local_(max_rows >= LatencyHistogram::kMaxRows ? LatencyHistogram()
                                                      : LatencyHistogram(max_rows)) {}

  /// Throws std::bad_alloc only as LatencyHistogram::record() does.
  void record(std::uint64_t value_ns) { local_.record(value_ns); }
  /// Deposits if the flush period has passed (call from the owner's loop).
  void maybe_flush(std::uint64_t now_ns) {
    if (now_ns >= next_flush_ns_) {
      exchange_->deposit(local_);
      next_flush_ns_ = now_ns + LatencyExchange::kFlushNs;
    }
  }
  void flush() { exchange_->deposit(local_); }

 private:
  LatencyExchange* exchange_;
  LatencyHistogram local_;
  std::uint64_t next_flush_ns_ = 0;
};

}  // namespace netbench
