#pragma once

#include <cstddef>
#include <functional>
#include <optional>
#include <stop_token>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "app/cli/signal_stop.hpp"
#include "app/repeat/repeat_args.hpp"
#include "app/report/reporter.hpp"
#include "app/sweep/sweep.hpp"

namespace netbench::app {

/// Runs one sweep point once; nullopt and `failure` when it could not be set up.
using PointRunner = std::function<std::optional<RunResult>(const SweepPoint&, const RunHooks&,
                                                           std::stop_token, std::string& failure)>;

/// The "sweep.repeat" object: repeat ("auto" or N), seed, ci_width_target,
/// min_runs, max_runs.
[[nodiscard]] nlohmann::json sweep_repeat_json(const RepeatOptions& o);

/// `netbench sweep --repeat`: the slots of interleave(points, max_runs,
/// seed) in order — round k runs repetition k of every point, shuffled —
/// skipping, from round min_runs on, the points whose primary figure's
/// interval is narrow enough (--repeat auto) and the points that failed.
/// Reports on_repetition per run and, after the last round, on_repeated per
/// point that ran (on_error for a point that never could be set up).
/// Returns the exit code as run_sweep().
[[nodiscard]] int run_sweep_rounds(const std::vector<SweepPoint>& points,
                                   const nlohmann::json& matrix, const RepeatOptions& options,
                                   const PointRunner& run, Reporter& reporter,
                                   std::stop_source& stop, const SignalStop& signals, bool quiet);

/// The end of a sweep, repeated or not: finalizes the reporters with `why`
/// (empty unless interrupted) and returns the exit code — kExitInterrupted,
/// kExitIncomplete when `failed` of `points` points failed, else kExitOk —
/// saying which on stderr.
[[nodiscard]] int finish_sweep(Reporter& reporter, const std::string& why, std::size_t failed,
                               std::size_t points);

}  // namespace netbench::app
