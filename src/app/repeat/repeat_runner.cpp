#include "app/repeat/repeat_runner.hpp"

#include <csignal>
#include <cstdio>
#include <exception>

#include "app/cli/exit_codes.hpp"
#include "app/report/json_report.hpp"
#include "app/report/metrics.hpp"

namespace netbench::app {

double primary_figure(const RunResult& r) {
  return metric_value(run_json(r), metrics().front()).value_or(0.0);
}

int run_repeated(const TestSpec& spec, const RepeatOptions& options, const RunOnce& once,
                 Reporter& reporter, std::stop_source& stop,
                 const std::function<int()>& signal_number, bool quiet) {
  ReportContext context;
  context.runs = options.policy.max_runs;
  context.repeated = true;
  reporter.on_context(context);
  RepeatedRun rr;
  rr.policy = options.policy;
  rr.seed = options.seed;
  std::vector<double> values;
  const RunPoint point{0, 1, "", PointStatus::kCompleted, std::nullopt};
  bool incomplete = false;
  for (std::size_t i = 0; !stop.stop_requested(); ++i) {
    if (i > 0 && options.cooldown_ns > 0 && !cool_down(options.cooldown_ns, stop.get_token())) {
      break;
    }
    RunResult result;
    try {
      const HostLoadProbe probe;
      result = once(run_hooks(reporter, spec), stop.get_token());
      probe.finish(result);
    } catch (const std::exception& e) {
      if (rr.repetitions.empty()) {
        reporter.on_error(e.what(), &spec, {0, 1, "", PointStatus::kFailed, std::nullopt});
        throw;
      }
      rr.error = "repetition " + std::to_string(i + 1) + " could not be set up: " + e.what();
      incomplete = true;
      break;
    }
    if (signal_number() != 0) {
      result.complete = false;
      result.error =
          std::string("interrupted by ") + (signal_number() == SIGINT ? "SIGINT" : "SIGTERM");
    }
    print_warnings(result, quiet);
    RunPoint at = point;
    at.status = result.complete ? PointStatus::kCompleted : PointStatus::kIncomplete;
    reporter.on_repetition(result, at, i);
    rr.repetitions.push_back(result);
    rr.sequence.push_back(i);
    if (!result.complete) {
      rr.error = "repetition " + std::to_string(i + 1) + " ended early: " + result.error;
      incomplete = true;
      break;
    }
    values.push_back(primary_figure(result));
    rr.status = repeat_status(values, options.policy);
    if (!rr.status.more) {
      break;
    }
  }
  reporter.on_repeated(rr, point);
  reporter.finalize("");
  if (signal_number() != 0) {
    return kExitInterrupted;
  }
  if (incomplete) {
    std::fprintf(stderr, "netbench: repeated run incomplete: %s\n", rr.error.c_str());
    return kExitIncomplete;
  }
  return kExitOk;
}

}  // namespace netbench::app
