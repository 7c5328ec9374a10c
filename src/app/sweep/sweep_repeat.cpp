#include "app/sweep/sweep_repeat.hpp"

#include <csignal>
#include <cstdio>

#include "app/cli/exit_codes.hpp"
#include "app/repeat/repeat_runner.hpp"
#include "app/repeat/run_noise.hpp"
#include "netbench/interleave.hpp"

namespace netbench::app {

nlohmann::json sweep_repeat_json(const RepeatOptions& o) {
  return {{"repeat",
           o.policy.until_precise ? nlohmann::json("auto") : nlohmann::json(o.policy.max_runs)},
          {"seed", o.seed},
          {"ci_width_target", o.policy.until_precise ? o.policy.ci_width : 0.0},
          {"min_runs", o.policy.min_runs},
          {"max_runs", o.policy.max_runs},
          {"cooldown_ns", o.cooldown_ns}};
}

int run_sweep_rounds(const std::vector<SweepPoint>& points, const nlohmann::json& matrix,
                     const RepeatOptions& options, const PointRunner& run, Reporter& reporter,
                     std::stop_source& stop, const SignalStop& signals, bool quiet) {
  ReportContext context{points.size(), matrix, true, sweep_repeat_json(options)};
  reporter.on_context(context);
  const std::vector<Slot> order = interleave(points.size(), options.policy.max_runs, options.seed);
  std::vector<RepeatedRun> runs(points.size());
  std::vector<std::vector<double>> values(points.size());
  std::vector<bool> done(points.size(), false);
  std::vector<std::string> failures(points.size());
  std::size_t ran = 0;
  for (const Slot& slot : order) {
    if (stop.stop_requested()) {
      break;
    }
    const std::size_t p = slot.point;
    if (done[p]) {
      continue;
    }
    if (slot.repetition >= options.policy.min_runs &&
        !repeat_status(values[p], options.policy).more) {
      done[p] = true;
      continue;
    }
    if (ran > 0 && options.cooldown_ns > 0 && !cool_down(options.cooldown_ns, stop.get_token())) {
      break;
    }
    RunPoint at{p, points.size(), points[p].label, PointStatus::kCompleted, std::nullopt};
    const HostLoadProbe probe;
    std::optional<RunResult> r =
        run(points[p], run_hooks(reporter, points[p].spec), stop.get_token(), failures[p]);
    if (!r) {
      done[p] = true;
      runs[p].error = failures[p];
      continue;
    }
    probe.finish(*r);
    if (signals.signal() != 0) {
      r->complete = false;
      r->error =
          std::string("interrupted by ") + (signals.signal() == SIGINT ? "SIGINT" : "SIGTERM");
    }
    at.status = r->complete ? PointStatus::kCompleted : PointStatus::kIncomplete;
    print_warnings(*r, quiet);
    reporter.on_repetition(*r, at, slot.repetition);
    runs[p].sequence.push_back(ran++);
    if (!r->complete) {
      done[p] = true;
      runs[p].error =
          "repetition " + std::to_string(slot.repetition + 1) + " ended early: " + r->error;
    } else {
      values[p].push_back(primary_figure(*r));
    }
    runs[p].repetitions.push_back(std::move(*r));
  }
  std::size_t failed = 0;
  for (std::size_t p = 0; p < points.size(); ++p) {
    RunPoint at{p, points.size(), points[p].label, PointStatus::kCompleted, std::nullopt};
    RepeatedRun& rr = runs[p];
    if (rr.repetitions.empty()) {
      if (!failures[p].empty()) {
        at.status = PointStatus::kFailed;
        reporter.on_error(failures[p], &points[p].spec, at);
        ++failed;
      }
      continue;
    }
    rr.policy = options.policy;
    rr.seed = options.seed;
    rr.status = repeat_status(values[p], options.policy);
    if (!rr.error.empty()) {
      at.status = signals.signal() != 0 ? PointStatus::kInterrupted : PointStatus::kIncomplete;
      failed += at.status == PointStatus::kIncomplete ? 1 : 0;
    }
    reporter.on_repeated(rr, at);
  }
  const std::string why = signals.signal() == 0
                              ? std::string()
                              : std::string("interrupted by ") +
                                    (signals.signal() == SIGINT ? "SIGINT" : "SIGTERM") +
                                    " after " + std::to_string(ran) + " runs";
  return finish_sweep(reporter, why, failed, points.size());
}

int finish_sweep(Reporter& reporter, const std::string& why, std::size_t failed,
                 std::size_t points) {
  reporter.finalize(why);
  if (!why.empty()) {
    std::fprintf(stderr, "netbench: sweep %s\n", why.c_str());
    return kExitInterrupted;
  }
  if (failed > 0) {
    std::fprintf(stderr, "netbench: %zu of %zu sweep points failed\n", failed, points);
    return kExitIncomplete;
  }
  return kExitOk;
}

}  // namespace netbench::app
