#pragma once

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "netbench/flow_summary.hpp"
#include "netbench/latency_histogram.hpp"

namespace netbench::app {

/// One document given to `netbench merge`: its name (the file as given)
/// and its parsed JSON.
struct FleetInput {
  std::string name;
  nlohmann::json doc;
};

/// A merge refused: one line naming the document and what is wrong.
class MergeError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// One run of the fleet, as merged.
struct FleetRun {
  std::string name;           ///< the document's file
  std::string hostname;       ///< the host that wrote it (the client's, for --connect)
  std::string peer;           ///< who took its traffic: "host:port", or "" for none
  nlohmann::json run;         ///< the run object, kept whole
  double throughput_bps = 0;  ///< receiver bits/s over its measured period
  double messages_per_s = 0;  ///< receiver messages/s
  std::optional<std::uint64_t>
      p99_ns;  ///< latency p99 from the intended send; none if not measured
  std::optional<std::uint64_t> start_skew_ns;  ///< --start-at: how late it started
  std::uint64_t start_requested_unix_ns = 0;   ///< --start-at time; 0 without
};

/// Counts and bytes of the fleet: every run's summed (saturating at 2^64 − 1),
/// and the rates summed, since the runs ran side by side.
struct FleetTotals {
  std::uint64_t sent_messages = 0;
  std::uint64_t sent_bytes = 0;
  std::uint64_t warmup_sent = 0;
  std::uint64_t send_failures = 0;
  std::uint64_t received_messages = 0;
  std::uint64_t received_bytes = 0;
  std::uint64_t unique = 0;
  std::uint64_t duplicates = 0;
  std::uint64_t reordered = 0;
  std::uint64_t malformed = 0;
  std::optional<std::uint64_t> lost;  ///< none under --stats counts
  double sent_bps = 0;
  double sent_msgs_per_s = 0;
  double received_bps = 0;
  double received_msgs_per_s = 0;
  /// lost / sent messages over the fleet, in [0, 1].
  [[nodiscard]] double loss_ratio() const noexcept;
};

/// A group of runs: by the host that sent (`hostname`) or by the host that
/// received (the peer's address without its port).
struct FleetGroup {
  std::string name;
  std::size_t runs = 0;
  std::uint64_t sent_messages = 0;
  std::uint64_t received_messages = 0;
  std::uint64_t received_bytes = 0;
  double received_bps = 0;  ///< summed over the group's runs
};

/// Many runs of one test plan merged exactly: counts summed, latency
/// histograms merged (the pooled percentiles are those of the union of the
/// samples), the spread over the runs, each run and each host kept.
struct Fleet {
  std::vector<FleetRun> runs;
  nlohmann::json config;                ///< the first run's config
  std::string clock;                    ///< the one clock of every run's one-way figures
  std::string latency_kind;             ///< "one_way_delay" or "rtt"
  bool forced = false;                  ///< --force merged despite the mismatches
  std::vector<std::string> mismatches;  ///< what differed (empty unless forced)
  FleetTotals totals;
  /// Pooled histograms; empty (and latency_measured false) under --stats counts.
  bool latency_measured = false;
  LatencyHistogram latency;
  LatencyHistogram latency_from_actual;
  std::optional<LatencyHistogram> delay_variation;  ///< stream runs only
  FlowDistribution throughput_spread;               ///< receiver bits/s of each run
  double jain_fairness = 1;                         ///< Jain's index of those
  std::optional<FlowDistribution> p99_spread;       ///< each run's p99, ns
  std::optional<FlowDistribution> skew_spread;      ///< each --start-at run's skew, ns
  std::vector<FleetGroup> hosts;                    ///< by sending host, in first-seen order
  std::vector<FleetGroup> peers;                    ///< by receiving host, in first-seen order
  std::vector<std::string> warnings;
};

/// The file name of `path` without its directories, as the summary shows a run.
[[nodiscard]] std::string base_name(const std::string& path);

/// Configuration keys that may differ between the runs of one plan: where
/// each receiver listens and the CPUs each host pins to, and the report's
/// --per-flow.
[[nodiscard]] bool fleet_key_may_differ(const std::string& key) noexcept;

/// What differs between the runs' configurations (and their one-way clock),
/// one line each naming the key and two documents that disagree:
/// "flows: a.json has 4, b.json has 1".
[[nodiscard]] std::vector<std::string> fleet_mismatches(const std::vector<FleetInput>& inputs);

/// Merges single-run documents of one test plan. Throws MergeError naming
/// the document when one holds no run (an error document, a sweep, a
/// --repeat document), is incomplete, or its histograms do not decode; and
/// when the configurations differ — unless `force`, which merges incomplete
/// runs and differing configurations anyway and records them.
[[nodiscard]] Fleet merge_fleet(const std::vector<FleetInput>& inputs, bool force);

}  // namespace netbench::app
