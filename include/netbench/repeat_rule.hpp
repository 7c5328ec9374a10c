#pragma once

#include <cstddef>
#include <optional>
#include <span>

namespace netbench {

/// How many times `--repeat` runs a test (or each point of a sweep).
struct RepeatPolicy {
  /// `--repeat auto`: repeat until the primary figure's 95% interval is
  /// narrow enough; otherwise exactly `min_runs` (= `max_runs`) times.
  bool until_precise = false;
  std::size_t min_runs = 1;
  std::size_t max_runs = 1;
  /// `--ci-width`: largest relative half-width of the interval, 0.05 = ±5%.
  double ci_width = 0.05;
};

/// `--repeat N`: N runs, no stopping rule.
[[nodiscard]] RepeatPolicy fixed_repeat(std::size_t runs) noexcept;
/// `--repeat auto --ci-width W`: 3 to 30 runs (netperf's -i 30,3 -I 95,W).
[[nodiscard]] RepeatPolicy auto_repeat(double ci_width) noexcept;

/// Where a repeated figure stands after the runs made so far.
struct RepeatStatus {
  bool more = false;  ///< run again
  /// Relative half-width of the 95% Student t interval of the mean of the
  /// figure (max distance from the mean over |mean|); nullopt with < 2 runs
  /// or a mean of 0.
  std::optional<double> width;
  /// width ≤ ci_width (always false for a fixed count: no target).
  bool reached = false;
};

/// The stopping rule of `--repeat`, pure: a fixed count runs until
/// `values.size()` = max_runs; `auto` runs at least min_runs, then stops as
/// soon as the mean's t interval is within ci_width of the mean, or at
/// max_runs. The mean's interval, not the median's: a 95% order-statistic
/// interval for the median needs 6 runs, the t interval exists from 2, so
/// a quiet figure can stop at 3 (both intervals are reported).
[[nodiscard]] RepeatStatus repeat_status(std::span<const double> values,
                                         const RepeatPolicy& policy);

}  // namespace netbench
