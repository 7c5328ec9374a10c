#pragma once

#include <functional>
#include <stop_token>

#include "app/repeat/repeat_args.hpp"
#include "app/repeat/run_noise.hpp"
#include "app/report/reporter.hpp"

namespace netbench::app {

/// Runs one test once: run_paired, run_remote or run_plain_echo with these
/// hooks. May throw (set-up failures).
using RunOnce = std::function<RunResult(const RunHooks&, std::stop_token)>;

/// Primary figure of a run, the one `--repeat auto` watches (the first of
/// metrics(): receiver msg/s, replies/s in echo mode).
[[nodiscard]] double primary_figure(const RunResult& r);

/// A single run with --repeat: runs `once` until repeat_status() says stop
/// (or a repetition fails or ends early, or `stop`), `cooldown_ns` apart;
/// reports on_context, on_repetition per run and on_repeated at the end.
/// Adds host-load warnings to each repetition and prints them to stderr
/// unless `quiet`. Returns the exit code (kExitOk, kExitIncomplete,
/// kExitInterrupted when `stop` came from a signal: `signal_number` ≠ 0).
[[nodiscard]] int run_repeated(const TestSpec& spec, const RepeatOptions& options,
                               const RunOnce& once, Reporter& reporter, std::stop_source& stop,
                               const std::function<int()>& signal_number, bool quiet);

}  // namespace netbench::app
