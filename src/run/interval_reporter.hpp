#pragma once

#include <cstdint>
#include <functional>
#include <stop_token>
#include <vector>

#include "netbench/latency_histogram.hpp"
#include "netbench/paired_run.hpp"
#include "netbench/receiver.hpp"
#include "netbench/results.hpp"
#include "netbench/sender.hpp"
#include "netbench/test_spec.hpp"

namespace netbench::run {

/// Turns the engines' live totals into one IntervalRecord per reporting
/// interval of the measured period, while the Sender's loops run on their
/// own threads. Used by run_test() for every kind of run.
///
/// Not thread-safe: one thread calls every method, and the hooks are called
/// on that thread.
class IntervalReporter {
 public:
  /// Where the receiver's live figures come from: a Receiver in this
  /// process, or a remote run's server asked over the control connection.
  /// Empty functions when there is none (plain echo: receiver figures read
  /// as zero). Both are called on the reporter's thread.
  struct ReceiverProbe {
    std::function<ReceiverLive()> live;
    std::function<LatencyHistogram()> take_interval_latency;
  };
  /// A stream test needs a probe, whose one-way delays are its latency.
  /// `spec`, `hooks` and `tx` must outlive the reporter.
  IntervalReporter(const TestSpec& spec, const RunHooks& hooks, Sender& tx, ReceiverProbe probe);

  /// Calls hooks.on_start, starts the sender (a stop request on `stop`
  /// reaches its loops) and emits the intervals of the measured period while
  /// it runs. Returns once the sender is joined.
  void run(std::stop_token stop);
  /// Emits the last (partial) interval. It ends now, or at `end_cap_ns`
  /// (CLOCK_MONOTONIC ns) if that is non-zero and earlier; nothing is emitted
  /// when that end is not after the previous interval's.
  void finish(std::uint64_t end_cap_ns = 0);
  /// The records emitted so far, in order; leaves none behind.
  [[nodiscard]] std::vector<IntervalRecord> take_records() noexcept;

 private:
  struct Snapshot {
    std::uint64_t at_ns = 0;
    SenderLive tx;
    ReceiverLive rx;
  };

  [[nodiscard]] Snapshot snapshot() const;
  [[nodiscard]] LatencyHistogram take_latency();
  void emit(const Snapshot& a, const Snapshot& b);

  const TestSpec& spec_;
  const RunHooks& hooks_;
  Sender& tx_;
  ReceiverProbe rx_;
  Snapshot prev_;
  std::uint64_t origin_ = 0;  ///< start of the measured period, CLOCK_MONOTONIC ns
  std::vector<IntervalRecord> records_;
};

}  // namespace netbench::run
