#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>

#include <nlohmann/json.hpp>

#include "app/report/repeated_run.hpp"
#include "netbench/paired_run.hpp"
#include "netbench/results.hpp"
#include "netbench/test_spec.hpp"

namespace netbench::app {

/// What became of one run: a sweep point, or the single run of `netbench`.
enum class PointStatus : std::uint8_t {
  kCompleted,    ///< ran to the end
  kFailed,       ///< could not be set up (no run)
  kIncomplete,   ///< ran but ended early (peer died, stalled)
  kInterrupted,  ///< stopped by SIGINT/SIGTERM; its partial run is kept
};

/// What a command is about to run, reported once before its first run (as
/// Google Benchmark's ReportContext).
struct ReportContext {
  ReportContext() = default;
  /// A constructor, not aggregate initialization, so that {runs, matrix}
  /// still compiles without naming the later members (-Wextra).
  ReportContext(std::size_t runs_, nlohmann::json matrix_, bool repeated_ = false,
                nlohmann::json repeat_ = nullptr)
      : runs(runs_), matrix(std::move(matrix_)), repeated(repeated_), repeat(std::move(repeat_)) {}

  std::size_t runs = 1;   ///< runs the command will make (a sweep's points)
  nlohmann::json matrix;  ///< a sweep's "sweep.matrix" object; null for a single run
  bool repeated = false;  ///< --repeat: on_repetition and on_repeated instead of on_run
  /// --repeat: the "repeat" object of a sweep document (repeat, seed,
  /// ci_width_target); null otherwise.
  nlohmann::json repeat;
};

/// Which run a report is about: a single run is run 0 of 1, unlabelled.
struct RunPoint {
  std::size_t index = 0;  ///< 0-based position in the sweep
  std::size_t total = 1;  ///< runs in the command
  std::string label;      ///< the sweep point's name ("udp epoll echo flows=16 size=64")
  PointStatus status = PointStatus::kCompleted;
  /// Estimated time until the command ends, ns; nullopt after the last run
  /// (and for a single run).
  std::optional<std::uint64_t> eta_ns;
};

/// Formats what the runner measured: the terminal summary, the JSON
/// document, JSON Lines, progress. The runner (a single run, a sweep) calls
/// the hooks in this order: on_context once; per run on_start, on_interval
/// per interval, then on_run (on_repetition with --repeat) or on_error;
/// with --repeat, on_repeated per point after its last repetition; finalize once at the end (unless
/// the command failed before its first run). A reporter only reads results:
/// it never parses, and the control protocol is not a reporter. Calls come
/// from the runner's thread; a reporter need not be thread-safe. Every hook
/// does nothing unless overridden. A hook may throw SystemError (a file that
/// cannot be written); the runner lets it end the command.
class Reporter {
 public:
  virtual ~Reporter() = default;

  /// Once, before the first run.
  virtual void on_context(const ReportContext& /*context*/) {}
  /// A run's engines are set up; traffic starts now.
  virtual void on_start(const TestSpec& /*spec*/) {}
  /// One reporting interval of the running test (the last may be partial).
  virtual void on_interval(const IntervalRecord& /*record*/) {}
  /// A run that happened, completely or not (`result.complete`, `point.status`).
  virtual void on_run(const RunResult& /*result*/, const RunPoint& /*point*/) {}
  /// With --repeat, instead of on_run: one repetition (0-based) of a run or
  /// of a sweep point finished, completely or not.
  virtual void on_repetition(const RunResult& /*result*/, const RunPoint& /*point*/,
                             std::size_t /*repetition*/) {}
  /// With --repeat: every repetition of the single run, or of one sweep
  /// point, once no more will come (in point order, after the last round).
  virtual void on_repeated(const RepeatedRun& /*run*/, const RunPoint& /*point*/) {}
  /// A run that could not happen, and why (one line). `spec` is the spec it
  /// was given, or null when the command failed before it had one (bad
  /// flags): then only a document reporter acts, writing a document that
  /// holds the error.
  virtual void on_error(const std::string& /*error*/, const TestSpec* /*spec*/,
                        const RunPoint& /*point*/) {}
  /// The command is over. `error` says why it ended early (a sweep
  /// interrupted by a signal); empty when it did not.
  virtual void finalize(const std::string& /*error*/) {}
};

/// Hooks for run_paired(), run_remote() and run_plain_echo() that report the
/// run's start (with `spec`) and each interval to `reporter`; both must
/// outlive the run.
[[nodiscard]] RunHooks run_hooks(Reporter& reporter, const TestSpec& spec);

}  // namespace netbench::app
