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

namespace netbench {

/// Runs a Sender on its own thread and, on the calling thread, turns the
/// engines' live totals into one IntervalRecord per reporting interval of the
/// measured period. Shared by run_paired() and run_plain_echo().
///
/// Not thread-safe: one thread calls every method, and the hooks are called
/// on that thread.
class IntervalReporter {
 public:
  /// `rx` is the receiver in this process, or null when there is none (plain
  /// echo: receiver figures read as zero). A stream test needs `rx`, whose
  /// one-way delays are its latency. `spec`, `hooks`, `tx` and `rx` must
  /// outlive the reporter.
  IntervalReporter(const TestSpec& spec, const RunHooks& hooks, Sender& tx, Receiver* rx);

  /// Where the receiver's live figures come from when it is not in this
  /// process (a remote run asks the server over the control connection).
  /// Both are called on the reporter's thread.
  struct ReceiverProbe {
    std::function<ReceiverLive()> live;
    std::function<LatencyHistogram()> take_interval_latency;
  };
  IntervalReporter(const TestSpec& spec, const RunHooks& hooks, Sender& tx, ReceiverProbe probe);

  /// Calls hooks.on_start, runs tx.run() on a std::jthread (a stop request on
  /// `stop` is forwarded to it) and emits the intervals of the measured
  /// period while it runs. Returns once the sender thread is joined.
  void run_sender(std::stop_token stop);
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

}  // namespace netbench
