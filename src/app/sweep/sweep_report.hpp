#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "app/report/reporter.hpp"
#include "netbench/results.hpp"
#include "netbench/test_spec.hpp"

namespace netbench::app {

/// One point's headline figures, for the progress line and the table.
struct PointOutcome {
  std::size_t point = 0;  ///< 0-based position in the matrix
  std::string label;
  TestSpec spec;
  PointStatus status = PointStatus::kCompleted;
  std::string error;  ///< why it failed or ended early; empty when completed
  // The rest is zero when status is kFailed.
  double msgs_per_s = 0;  ///< received (stream) or replies (echo) per second
  double bits_per_s = 0;  ///< received application bits per second
  std::uint64_t p50_ns = 0;
  std::uint64_t p99_ns = 0;  ///< one-way delay (stream) or RTT (echo), from intended send
  std::uint64_t lost = 0;
  double loss_ratio = 0;
  double receiver_cpu_per_msg_ns = 0;
  /// --repeat: "±2.1% n=5" (95% CI of the mean msg/s); the figures above are
  /// then medians over the repetitions. Empty for a single run.
  std::string spread;
};

/// The outcome of a point that ran (completely or not).
[[nodiscard]] PointOutcome outcome_of(std::size_t point, std::string label, const RunResult& r,
                                      PointStatus status);
/// The outcome of a repeated point: medians over its repetitions.
[[nodiscard]] PointOutcome repeated_outcome(std::size_t point, std::string label,
                                            const RepeatedRun& r, PointStatus status);
/// The outcome of a point that could not be set up (kFailed), with why.
[[nodiscard]] PointOutcome failed_outcome(std::size_t point, std::string label,
                                          const TestSpec& spec, std::string error);

/// The sweep document (docs/schema.md, "Sweep documents"), kept current as
/// points finish so that it can be written after each one.
class SweepDocument {
 public:
  /// `matrix` is the "sweep.matrix" object; `points` the number of points.
  SweepDocument(nlohmann::json matrix, std::size_t points, nlohmann::json repeat = nullptr);

  /// Records a point that ran; kCompleted counts as completed, kIncomplete
  /// as failed, kInterrupted as neither.
  void add_run(std::size_t point, const RunResult& r, PointStatus status);
  /// Records every repetition of a point (--repeat), as a "repeated"
  /// entry; counted as add_run() counts.
  void add_repeated(std::size_t point, const RepeatedRun& r, PointStatus status);
  /// Records a point that could not be set up, with the spec it was given.
  void add_failure(std::size_t point, const TestSpec& spec, const std::string& error);
  /// Marks the sweep interrupted, with why ("interrupted by SIGINT").
  void set_interrupted(const std::string& why);

  [[nodiscard]] const nlohmann::json& as_json() const noexcept { return doc_; }

 private:
  /// Appends a point's entry and counts it as completed or failed (an
  /// interrupted point is neither).
  void append(nlohmann::json entry, PointStatus status);

  nlohmann::json doc_;
};

/// "45s", "1m12s", "2h03m": a time left, rounded to whole seconds.
[[nodiscard]] std::string format_eta(std::uint64_t ns);

/// "[3/8] udp epoll echo flows=16 size=64: 412 k msg/s, p99 83.0 us — ETA
/// 1m12s" (no ETA after the last point; `total` is the number of points).
[[nodiscard]] std::string progress_line(const PointOutcome& o, std::size_t total,
                                        std::optional<std::uint64_t> eta_ns);

/// The table printed at the end: one row per point that ran or failed,
/// then the error of each point that did not complete.
void print_sweep_table(std::FILE* out, const std::vector<PointOutcome>& rows);

}  // namespace netbench::app
