#include "run/run_test.hpp"

#include <numeric>
#include <utility>

#include "measure/run_warnings.hpp"
#include "run/drain.hpp"

namespace netbench::run {

RunResult run_test(const TestSpec& spec, ReceiverLink& link, const RunHooks& hooks,
                   std::stop_token stop) {
  Sender tx(spec, link.targets(), link.high_descriptors());
  link.attach(tx);
  IntervalReporter::ReceiverProbe probe = link.probe();
  const auto live = probe.live;
  IntervalReporter reporter(spec, hooks, tx, std::move(probe));
  reporter.run(stop);
  // Let the receiver take in what is still in flight, so that the last
  // interval covers the drain and the intervals add up to its totals.
  std::uint64_t drained_at = 0;
  if (spec.mode == Mode::kStream && live) {
    const std::vector<std::uint64_t> sent = tx.sent_by_flow();
    drained_at = wait_drained(spec, std::accumulate(sent.begin(), sent.end(), std::uint64_t{0}),
                              live, stop, link.drain_tick());
  }
  reporter.finish(drained_at);

  RunResult result;
  result.spec = spec;
  result.intervals = reporter.take_records();
  tx.collect(result);
  link.collect(tx, result);
  // An unreachable rate is said, not passed over (issue 14).
  result.warnings = pacing_warnings(result);
  return result;
}

void add_receiver_error(RunResult& out, const std::string& error) {
  if (error.empty()) {
    return;
  }
  out.complete = false;
  if (out.error.empty()) {
    out.error = "receiver: " + error;
  }
}

}  // namespace netbench::run
