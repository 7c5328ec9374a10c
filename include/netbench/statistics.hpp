#pragma once

#include <cstddef>
#include <optional>
#include <span>
#include <string_view>

#include "netbench/mann_whitney.hpp"

namespace netbench::stats {

// Statistics over repetitions of a run (`--repeat`, `netbench compare`):
// small pure functions over a vector of per-repetition figures, as Google
// Benchmark's src/statistics.cc and tools/gbench/report.py. Deterministic,
// no I/O; the app layer formats the structs. Inputs must be finite (no NaN,
// no infinity); then every output is finite too.

/// A confidence interval around a point estimate.
struct ConfidenceInterval {
  double estimate = 0;  ///< the median or the mean the interval is for
  double lower = 0;
  double upper = 0;
  double level = 0;  ///< the confidence level asked for, e.g. 0.95
  /// The coverage this interval actually has: the exact binomial (or
  /// Mann–Whitney) probability for order-statistic intervals, which jumps
  /// with n and is usually above `level`; `level` itself for the t interval;
  /// 0 when there is no interval (fewer than 2 values for the mean, or 1 for
  /// the median).
  double coverage = 0;
  /// coverage ≥ level. False with too few values: e.g. a 95% median interval
  /// needs n ≥ 6; with n ≤ 5 it is [min, max] at 1 − 2^(1−n) < 95%.
  bool attained = false;
  /// Order-statistic intervals: lower and upper are the lower_rank-th and
  /// upper_rank-th smallest values (1-based); 0 for the t interval.
  std::size_t lower_rank = 0;
  std::size_t upper_rank = 0;
};

/// The summary of one figure over its repetitions.
struct Aggregate {
  std::size_t n = 0;
  double median = 0;  ///< middle value; mean of the two middle ones for even n
  double mean = 0;
  double stddev = 0;  ///< sample standard deviation (n − 1); 0 for n < 2
  double cv = 0;      ///< stddev / |mean|; 0 when the mean is 0
  double min = 0;
  double max = 0;
  /// Distribution-free interval for the median (median_ci).
  ConfidenceInterval median_ci;
  /// Student's t interval for the mean (mean_ci).
  ConfidenceInterval mean_ci;
};

/// n, median, mean, stddev, cv, min, max and both intervals at `level`.
/// All zero for an empty span. Constant data gives exactly stddev 0, cv 0.
/// Throws std::invalid_argument unless 0 < level < 1.
[[nodiscard]] Aggregate summarize(std::span<const double> values, double level = 0.95);

/// Distribution-free interval for the median from order statistics:
/// [x(l), x(n+1−l)] covers the true median with probability
/// P(l ≤ K ≤ n − l), K ~ Binomial(n, 1/2), for any continuous distribution.
/// l is the largest rank whose exact binomial coverage is ≥ level; when even
/// l = 1 falls short the interval is [min, max] with attained = false.
/// Throws std::invalid_argument unless 0 < level < 1.
[[nodiscard]] ConfidenceInterval median_ci(std::span<const double> values, double level = 0.95);

/// Student's t interval for the mean: mean ± t(1 − (1−level)/2, n−1)·s/√n.
/// Its coverage is exact for normal data (`coverage` says level); with
/// n < 2 it is the single value with coverage 0, attained = false.
/// Throws std::invalid_argument unless 0 < level < 1.
[[nodiscard]] ConfidenceInterval mean_ci(std::span<const double> values, double level = 0.95);

/// How far the interval reaches from its estimate, relative to the
/// estimate: max(estimate − lower, upper − estimate) / |estimate| (the
/// larger side, since order-statistic intervals are not symmetric). The
/// criterion of `--repeat auto`: stop once this is ≤ `--ci-width` (0.05).
/// nullopt — "not yet precise", keep repeating — when the interval did not
/// attain its level or the estimate is 0.
[[nodiscard]] std::optional<double> relative_half_width(const ConfidenceInterval& ci) noexcept;

/// Geometric mean of positive values, e.g. the new/base ratios of every
/// point for the geomean row of `netbench compare`.
struct GeometricMean {
  double value = 0;         ///< exp(mean(log x)) over the values used; 0 if none
  std::size_t used = 0;     ///< positive finite values
  std::size_t skipped = 0;  ///< zero, negative or non-finite values left out
};

[[nodiscard]] GeometricMean geometric_mean(std::span<const double> values) noexcept;

/// On which scale change_ci worked.
enum class ChangeScale {
  kNone,        ///< no estimate: a sample was empty or the base median is 0
  kLogRatio,    ///< every value > 0: pairwise log(candidate / base)
  kDifference,  ///< some value ≤ 0: pairwise candidate − base, over |base median|
};

[[nodiscard]] std::string_view to_string(ChangeScale s) noexcept;

/// The relative change from base to candidate, with a confidence interval.
/// All fractions: 0.05 is +5%.
struct Change {
  ChangeScale scale = ChangeScale::kNone;
  /// median(candidate) / median(base) − 1: the figure the compare table
  /// prints next to the two medians. 0 when scale is kNone.
  double relative = 0;
  /// The Hodges–Lehmann estimate of the same change, the centre of `ci`:
  /// exp(median of the pairwise log-ratios) − 1 (kLogRatio), or median of the
  /// pairwise differences / |median(base)| (kDifference). Close to `relative`
  /// but not always equal; `relative` can even fall outside `ci` for very
  /// skewed small samples.
  double hodges_lehmann = 0;
  /// Interval for the change: estimate = hodges_lehmann; lower_rank and
  /// upper_rank index the n1·n2 sorted pairwise log-ratios (differences).
  ConfidenceInterval ci;
};

/// Distribution-free interval for the relative change (Hodges–Lehmann 1963,
/// Bauer 1972; Hollander & Wolfe ch. 4.3). Choice: with every value > 0 the
/// change is taken as a shift of log(value), so that it is a ratio and
/// symmetric (+100% and −50% are the same distance); the interval is
/// [D(k), D(n1·n2 + 1 − k)] over the sorted pairwise log-ratios
/// D = log(candidate_j / base_i), mapped back by exp(·) − 1, with k the
/// largest such that P(k ≤ U ≤ n1·n2 − k) ≥ level under the Mann–Whitney null
/// distribution: exact (mann_whitney_null_pmf) for n1, n2 ≤
/// kExactMaxSampleSize, normal with continuity correction above. Its
/// coverage is exact when candidate = base × a constant factor (continuous
/// data), the model the verdict tests, and it needs no random numbers (a
/// bootstrap would, and is poor at these n). When the level cannot be
/// attained (e.g. 3 vs 3 values: at most 90%) the interval spans every
/// pairwise change and attained is false. With values ≤ 0 (a loss ratio of
/// 0), the same on pairwise differences, divided by |median(base)|; a base
/// median of 0 gives kNone. Ties make the coverage approximate. Cost
/// O(n1·n2·log(n1·n2)) plus the null distribution.
/// Throws std::invalid_argument unless 0 < level < 1.
[[nodiscard]] Change change_ci(std::span<const double> base, std::span<const double> candidate,
                               double level = 0.95);

/// Google Benchmark's compare.py warns below 9 repetitions per side: with
/// fewer the U test has little power (and with ≤ 3 per side it can never
/// reach p < 0.05).
inline constexpr std::size_t kRecommendedRepetitions = 9;

/// One row of `netbench compare`: one figure at one sweep point.
struct Comparison {
  Aggregate base;
  Aggregate candidate;
  Change change;
  MannWhitneyResult test;  ///< U of the candidate against the base
  /// Both sides have ≥ kRecommendedRepetitions values; report a warning
  /// otherwise.
  bool enough_repetitions = false;
};

/// Summarizes both sides, the change and the U test, all at `level`.
/// Throws std::invalid_argument unless 0 < level < 1.
[[nodiscard]] Comparison compare(std::span<const double> base, std::span<const double> candidate,
                                 double level = 0.95);

/// Which way is good for a figure: throughput up, latency and loss down.
enum class Direction { kHigherIsBetter, kLowerIsBetter };

/// What `netbench compare` says about one row.
enum class Verdict {
  kBetter,          ///< significant and at least `threshold` in the good direction
  kWorse,           ///< significant and at least `threshold` in the bad direction
  kNotSignificant,  ///< p ≥ alpha: no significant difference
  kBelowThreshold,  ///< p < alpha, but |change| < threshold: too small to matter
};

/// "better", "worse", "no significant difference", "below threshold".
[[nodiscard]] std::string_view to_string(Verdict v) noexcept;

/// The verdict rule, in this order:
///   1. p ≥ alpha                      → kNotSignificant;
///   2. |change.relative| < threshold, or the medians are equal
///                                     → kBelowThreshold;
///   3. otherwise the sign of change.relative with `direction` gives kBetter
///      or kWorse.
/// `threshold` is a fraction (0.05 for `--threshold 5%`; 0 disables step 2),
/// compared with the change of the medians, the figure the table shows. When
/// the base median is 0 (scale kNone) the relative change is unbounded: any
/// difference of the medians passes the threshold and its sign decides;
/// equal medians give kBelowThreshold. Needs no particular sample size: the
/// U test's p-value already accounts for it.
[[nodiscard]] Verdict judge(const Comparison& c, Direction direction, double alpha,
                            double threshold) noexcept;

}  // namespace netbench::stats
