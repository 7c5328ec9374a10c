#pragma once

#include <cstddef>
#include <span>
#include <string_view>
#include <vector>

namespace netbench::stats {

/// How a Mann–Whitney p-value was obtained.
enum class UTestMethod {
  kNone,        ///< a sample was empty: no test, p = 1
  kExact,       ///< exact null distribution of U (no ties, both n ≤ kExactMaxSampleSize)
  kAsymptotic,  ///< normal approximation with tie and continuity corrections
};

/// "none", "exact", "asymptotic".
[[nodiscard]] std::string_view to_string(UTestMethod m) noexcept;

/// Largest sample size for which the exact distribution is used (when there
/// are no ties). Its table costs ~(n1·n2)²/4 additions (1.6 M at 50 × 50)
/// and ~n1·n2·min(n1,n2)/2 doubles of memory (62 k at 50 × 50).
inline constexpr std::size_t kExactMaxSampleSize = 50;

/// Result of a two-sided Mann–Whitney U (Wilcoxon rank-sum) test.
struct MannWhitneyResult {
  std::size_t n1 = 0;  ///< size of the first sample (a)
  std::size_t n2 = 0;  ///< size of the second sample (b)
  /// U of a: pairs (a_i, b_j) with a_i > b_j, plus half the pairs with
  /// a_i == b_j; in [0, n1·n2]. U of b is n1·n2 − u.
  double u = 0;
  /// Two-sided p-value, in [0, 1].
  double p_value = 1;
  UTestMethod method = UTestMethod::kNone;
  bool ties = false;  ///< some value occurs more than once in a ∪ b
  /// Asymptotic only: (max(U, n1·n2 − U) − n1·n2/2 − 1/2) / σ, σ with the
  /// tie correction; 0 otherwise.
  double z = 0;
};

/// Two-sided Mann–Whitney U test of a against b (do they come from the same
/// distribution, against a shift of either sign).
///
/// Exact when there are no ties and n1, n2 ≤ kExactMaxSampleSize:
/// p = min(1, 2·min(P(U ≤ u), P(U ≥ u))) under the null distribution
/// (scipy.stats.mannwhitneyu(method="exact") gives the same). Otherwise the
/// normal approximation of scipy.stats.mannwhitneyu(method="asymptotic",
/// use_continuity=True): z = (max(U, n1·n2 − U) − n1·n2/2 − 1/2) / σ,
/// σ² = n1·n2/12 · ((N + 1) − Σ(t³ − t)/(N(N − 1))), p = min(1, 2(1 − Φ(z))),
/// and p = 1 when every value is tied (σ = 0).
/// Values must not be NaN. Pure and deterministic.
[[nodiscard]] MannWhitneyResult mann_whitney_u(std::span<const double> a,
                                               std::span<const double> b);

/// The null distribution of U for samples of sizes m and n without ties:
/// element u is P(U = u), u = 0 … m·n (a single 1 if m or n is 0). By the
/// recurrence P_{m,n}(u) = m/(m+n)·P_{m−1,n}(u − n) + n/(m+n)·P_{m,n−1}(u)
/// (Mann & Whitney 1947), whose terms are all non-negative: no cancellation.
/// Meant for m, n ≤ kExactMaxSampleSize (cost: see there).
[[nodiscard]] std::vector<double> mann_whitney_null_pmf(std::size_t m, std::size_t n);

}  // namespace netbench::stats
