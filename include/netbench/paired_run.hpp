#pragma once

#include <functional>
#include <stop_token>

#include "netbench/results.hpp"
#include "netbench/test_spec.hpp"

namespace netbench {

/// Callbacks of a running test. Called on the thread that called run_paired().
struct RunHooks {
  /// Once both engines are set up, just before traffic starts (a setup
  /// error throws before it is ever called).
  std::function<void()> on_start;
  /// Once per reporting interval of the measured period, and once for the
  /// last (partial) interval.
  std::function<void(const IntervalRecord&)> on_interval;
};

/// Runs one test with both engines in this process over loopback (the spec's
/// family; bind_address, if set, must be a local address): a Receiver with
/// the spec's model and the Sender, wired together here. Returns when the
/// test is over; a stop request ends it early with `complete == false`.
/// Throws ConfigError or SystemError if the test cannot be set up.
RunResult run_paired(const TestSpec& spec, const RunHooks& hooks = {}, std::stop_token stop = {});

}  // namespace netbench
