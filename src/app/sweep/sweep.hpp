#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "app/cli/run_args.hpp"
#include "app/report/reporter.hpp"
#include "netbench/test_spec.hpp"

namespace netbench::app {

/// The comma lists of `netbench sweep`, each element as typed on the
/// command line. `size`, `rate` and `bitrate` may be empty lists (the
/// default size for proto and mode; unlimited rate).
struct SweepMatrix {
  std::vector<std::string> proto;
  std::vector<std::string> model;
  std::vector<std::string> mode;
  /// forward, reverse, bidir (--direction); the innermost list but for
  /// rates, so that a point's directions run side by side.
  std::vector<std::string> direction;
  std::vector<std::string> flows;
  /// requests/transactions in flight per flow (echo, connect); empty = 1.
  /// A stream point runs once whatever the list.
  std::vector<std::string> outstanding;
  std::vector<std::string> size;
  std::vector<std::string> rate;     ///< messages/s; "0" = unlimited
  std::vector<std::string> bitrate;  ///< bits/s; "0" = unlimited
};

/// One point of a sweep: the spec it runs and its name in progress lines
/// ("udp epoll echo flows=16 size=64 rate=100k").
struct SweepPoint {
  TestSpec spec;
  std::string label;
};

/// Splits the list flags of `a` at commas. Throws UsageError for an empty
/// element ("1,,4") or if both --rate and --bitrate are given.
[[nodiscard]] SweepMatrix split_matrix(const RunArgs& a);

/// Every combination of the lists, nested proto > model > mode > flows >
/// outstanding > size > rate (the last varies fastest; a stream point takes
/// no --outstanding, so it appears once), each turned into a spec by
/// make_spec() with the other flags of `base`, so each point is checked
/// exactly as a single run would be. A --bitrate element becomes a message
/// rate for each point's message size. Pure; throws UsageError naming the
/// first point that cannot run, before anything has run.
[[nodiscard]] std::vector<SweepPoint> expand_matrix(const SweepMatrix& m, const RunArgs& base);

/// The "sweep.matrix" object: the lists with units resolved (flows and
/// sizes as integers, rates as numbers, 0 = unlimited). Call only on a
/// matrix that expand_matrix() accepted.
[[nodiscard]] nlohmann::json matrix_json(const SweepMatrix& m);

/// Estimated ns until the sweep ends, when the first `done` points took
/// `elapsed_ns` in all: each remaining point's nominal time (warm-up +
/// duration; warm-up only for --count) plus the mean time the points done
/// took beyond their own nominal time (setup, drain, --count transfers).
[[nodiscard]] std::uint64_t estimate_remaining_ns(const std::vector<SweepPoint>& points,
                                                  std::size_t done, std::uint64_t elapsed_ns);

/// Runs `netbench sweep` (list flags in `a`): every point in turn with
/// run_paired, or run_remote with --connect, reporting the matrix
/// (on_context), each point (on_run, or on_error when it could not be set
/// up, with its ETA) and the end (finalize, with why when interrupted) to
/// `reporter`. Returns the exit code: kExitOk, kExitIncomplete if a point
/// failed, kExitInterrupted on SIGINT/SIGTERM. Throws UsageError for bad
/// flags, after reporting it (on_error without a spec).
[[nodiscard]] int run_sweep(const RunArgs& a, Reporter& reporter);

}  // namespace netbench::app
