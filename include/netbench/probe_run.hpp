#pragma once

#include <functional>
#include <stop_token>

#include "netbench/paired_run.hpp"
#include "netbench/results.hpp"
#include "netbench/test_spec.hpp"

namespace netbench {

/// Runs one test of `spec` (paired or remote: the caller's choice) and
/// returns its result; throws what its setup throws.
using TestRunner = std::function<RunResult(const TestSpec&, const RunHooks&, std::stop_token)>;

/// The latency probe's test beside `bulk` (`--probe RATE`, flent's RRUL
/// idea): one UDP echo flow of 64-byte requests at bulk.probe_rate_msgs_per_s,
/// constant spacing, to the same receiver address and model. `loaded`: the
/// phase that runs beside the bulk flows, its measured period the bulk's
/// measured period less a ramp (a fifth of it, at most 1 s) for the bulk
/// flows to fill the path's queues; else the idle phase before them, long
/// enough for 20 requests (1 s to 5 s).
[[nodiscard]] TestSpec probe_spec(const TestSpec& bulk, bool loaded);

/// The test of `spec` with its latency probe: the probe's idle phase alone
/// first, then the bulk test with the probe's loaded phase beside it
/// (started on a thread of its own once the bulk test's traffic starts).
/// The bulk test's result, with `probe` filled; a probe phase that fails
/// (e.g. a server that runs one test at a time refuses the loaded phase as
/// busy) is recorded in its phase and as a warning, never failing the bulk
/// test. Without a probe rate, just `run(spec, hooks, stop)`.
RunResult run_with_probe(const TestSpec& spec, const TestRunner& run, const RunHooks& hooks,
                         std::stop_token stop);

}  // namespace netbench
