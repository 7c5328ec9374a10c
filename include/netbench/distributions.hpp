#pragma once

#include <cstddef>
#include <vector>

namespace netbench::stats {

// The few distribution functions the statistics need, written out so that
// results do not depend on a statistics library: pure, deterministic, and
// checked against published tables (tests/statistics_test.cpp).

/// Standard normal CDF Φ(x), from std::erfc (accurate in both tails).
[[nodiscard]] double normal_cdf(double x) noexcept;

/// Upper tail 1 − Φ(x), without the cancellation of 1 − normal_cdf(x).
[[nodiscard]] double normal_sf(double x) noexcept;

/// Φ⁻¹(p) by bisection on normal_cdf, to the last bit or so.
/// Throws std::invalid_argument unless 0 < p < 1.
[[nodiscard]] double normal_quantile(double p);

/// CDF of Student's t with `df` ≥ 1 degrees of freedom, from the finite
/// series of Abramowitz & Stegun 26.7.3 (odd df) and 26.7.4 (even df);
/// O(df) work. Throws std::invalid_argument if df is 0.
[[nodiscard]] double student_t_cdf(double t, std::size_t df);

/// Quantile of Student's t: bisection on student_t_cdf up to df = 1000,
/// above that the Cornish–Fisher expansion in 1/df (A&S 26.7.5, four terms,
/// error below 1e-12 there). Matches 40-digit values to 1e-13 relative (df = ∞ is
/// normal_quantile). Throws std::invalid_argument unless 0 < p < 1 and
/// df ≥ 1.
[[nodiscard]] double student_t_quantile(double p, std::size_t df);

/// P(K ≤ k) for K ~ Binomial(n, 1/2), summed in log space so that no n
/// underflows; 1 when k ≥ n.
[[nodiscard]] double binomial_half_cdf(std::size_t k, std::size_t n);

/// P(K ≤ k) for k = 0 … min(k_max, n), K ~ Binomial(n, 1/2): the whole
/// lower tail in O(k_max), for the median interval's search over ranks.
[[nodiscard]] std::vector<double> binomial_half_cdf_table(std::size_t n, std::size_t k_max);

}  // namespace netbench::stats
