#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "netbench/results.hpp"

namespace netbench {

// What the flows of one run looked like side by side: the spread of each
// per-flow figure, how fairly the throughput was shared, and which flows did
// worst. Reports print it instead of (or besides) every flow when a run has
// many (`--per-flow`). Pure: derived from a RunResult alone.

/// The spread of one figure over n values (one per flow).
///
/// p5 and p95 are nearest-rank percentiles: the value at 1-based rank
/// ceil(p/100 · n) of the values sorted ascending (for n = 20: the 1st and
/// the 19th; for n = 4096: the 205th and the 3892nd). The median is the
/// middle value, the mean of the two middle ones for even n. All 0 for n = 0.
struct FlowDistribution {
  double min = 0;
  double p5 = 0;
  double median = 0;
  double p95 = 0;
  double max = 0;
  double mean = 0;  ///< arithmetic mean
};

/// The spread of `values` (in any order; finite). All 0 when empty.
[[nodiscard]] FlowDistribution distribution_of(std::span<const double> values);

/// Jain's fairness index (Σx)² / (n · Σx²) of non-negative `values`: 1 when
/// all are equal, 1/n when one value has everything; 1 when Σx² = 0 (no
/// values, or all 0: nothing to share unfairly).
[[nodiscard]] double jain_fairness(std::span<const double> values) noexcept;

/// Most flow ids FlowSummary names as the slowest or the lossiest.
inline constexpr std::size_t kWorstFlows = 5;

/// The per-flow summary of one run.
///
/// Which flows: stream, every flow id of the sender or the receiver, the
/// receiver's records of one id merged (bytes, lost and sent summed, the
/// largest jitter); a flow the receiver never heard from counts 0 bit/s and,
/// if it sent anything, loss ratio 1. Echo, the sender's flows (replies are
/// measured at the client; a plain echo run has no receiver flows).
struct FlowSummary {
  std::uint32_t flows = 0;  ///< flows summarized (n)
  /// Received bit/s of each flow over the run's measured period
  /// (RunResult::measured_ns): stream, the bytes the receiver got; echo, the
  /// reply bytes back at the client.
  FlowDistribution throughput_bps;
  /// Jain's index of the per-flow throughputs.
  double jain_fairness = 1;
  /// Each flow's loss ratio in [0, 1] (stream: the receiver's lost / sent;
  /// echo: requests without a reply / requests). nullopt under
  /// `--stats counts` (not measured).
  std::optional<FlowDistribution> loss_ratio;
  /// Flows whose loss ratio is above 0; 0 when loss is not measured.
  std::uint32_t flows_with_loss = 0;
  /// Each flow's RFC 3550 interarrival jitter, ns, over the flows the
  /// receiver heard from. Stream runs with full statistics only, else nullopt.
  std::optional<FlowDistribution> jitter_ns;
  /// Up to kWorstFlows flow ids with the lowest throughput, slowest first
  /// (equal throughputs by ascending id).
  std::vector<std::uint32_t> slowest_flows;
  /// Up to kWorstFlows flow ids with the highest loss ratio among the flows
  /// that lost anything, worst first (equal ratios by ascending id); empty
  /// when nothing was lost or loss is not measured.
  std::vector<std::uint32_t> lossiest_flows;
};

/// Summarizes the flows of `r` (see FlowSummary). Pure; never produces NaN
/// or infinity.
[[nodiscard]] FlowSummary summarize_flows(const RunResult& r);

}  // namespace netbench
