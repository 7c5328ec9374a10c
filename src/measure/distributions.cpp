#include "netbench/distributions.hpp"

#include <cmath>
#include <numbers>
#include <stdexcept>
#include <string>

namespace netbench::stats {
namespace {

/// P(|T| ≤ t) for t ≥ 0: Abramowitz & Stegun 26.7.3 (odd df), 26.7.4 (even).
/// All terms are positive, so the sum loses nothing to cancellation.
double t_central_probability(double t, std::size_t df) {
  const double nu = static_cast<double>(df);
  const double r = std::sqrt(nu + t * t);
  const double sin_theta = t / r;
  const double cos_theta = std::sqrt(nu) / r;
  const double cos2 = cos_theta * cos_theta;
  if (df % 2 == 1) {
    const double theta = std::atan2(t, std::sqrt(nu));
    double sum = 0;
    double term = cos_theta;
    // Powers cos^1, cos^3, ..., cos^(df-2); the factor of cos^(2j+1) is
    // (2·4···2j) / (3·5···(2j+1)).
    for (std::size_t j = 1; 2 * j + 1 <= df; ++j) {
      sum += term;
      term *= cos2 * static_cast<double>(2 * j) / static_cast<double>(2 * j + 1);
    }
    return 2 / std::numbers::pi * (theta + sin_theta * sum);
  }
  double sum = 0;
  double term = 1;
  // Powers cos^0, cos^2, ..., cos^(df-2); the factor of cos^(2j) is
  // (1·3···(2j-1)) / (2·4···2j).
  for (std::size_t j = 1; 2 * j <= df; ++j) {
    sum += term;
    term *= cos2 * static_cast<double>(2 * j - 1) / static_cast<double>(2 * j);
  }
  return sin_theta * sum;
}

/// Cornish–Fisher expansion of the t quantile around the normal one
/// (A&S 26.7.5), for large df.
double t_quantile_expansion(double z, double nu) {
  const double z2 = z * z;
  const double g1 = (z2 + 1) * z / 4;
  const double g2 = ((5 * z2 + 16) * z2 + 3) * z / 96;
  const double g3 = (((3 * z2 + 19) * z2 + 17) * z2 - 15) * z / 384;
  const double g4 = ((((79 * z2 + 776) * z2 + 1482) * z2 - 1920) * z2 - 945) * z / 92160;
  return z + (g1 + (g2 + (g3 + g4 / nu) / nu) / nu) / nu;
}

void require_probability(double p, const char* what) {
  if (!(p > 0 && p < 1)) throw std::invalid_argument(std::string(what) + ": p outside (0, 1)");
}

}  // namespace

double normal_cdf(double x) noexcept { return 0.5 * std::erfc(-x / std::numbers::sqrt2); }

double normal_sf(double x) noexcept { return 0.5 * std::erfc(x / std::numbers::sqrt2); }

double normal_quantile(double p) {
  require_probability(p, "normal_quantile");
  if (p == 0.5) return 0;
  // 1 − p is exact for p ≥ 1/2 (Sterbenz): solve in the lower tail, where
  // normal_cdf keeps its relative precision.
  if (p > 0.5) return -normal_quantile(1 - p);
  // Φ(−40) is far below the smallest double: the root is inside.
  double lo = -40;
  double hi = 0;
  for (int i = 0; i < 2000; ++i) {
    const double mid = lo + (hi - lo) / 2;
    if (mid == lo || mid == hi) break;
    (normal_cdf(mid) < p ? lo : hi) = mid;
  }
  return lo + (hi - lo) / 2;
}

double student_t_cdf(double t, std::size_t df) {
  if (df == 0) throw std::invalid_argument("student_t_cdf: df must be at least 1");
  const double a = t_central_probability(std::fabs(t), df);
  return t >= 0 ? 0.5 + 0.5 * a : 0.5 - 0.5 * a;
}

double student_t_quantile(double p, std::size_t df) {
  require_probability(p, "student_t_quantile");
  if (df == 0) throw std::invalid_argument("student_t_quantile: df must be at least 1");
  if (p == 0.5) return 0;
  if (p < 0.5) return -student_t_quantile(1 - p, df);
  if (df > 1000) return t_quantile_expansion(normal_quantile(p), static_cast<double>(df));
  // Solve P(|T| ≤ t) = 2p − 1 for t ≥ 0: bracket by doubling, then bisect.
  const double target = 2 * p - 1;
  double lo = 0;
  double hi = 1;
  while (t_central_probability(hi, df) < target && hi < 1e300) {
    lo = hi;
    hi *= 2;
  }
  for (int i = 0; i < 2000; ++i) {
    const double mid = lo + (hi - lo) / 2;
    if (mid == lo || mid == hi) break;
    (t_central_probability(mid, df) < target ? lo : hi) = mid;
  }
  return lo + (hi - lo) / 2;
}

std::vector<double> binomial_half_cdf_table(std::size_t n, std::size_t k_max) {
  const std::size_t last = k_max < n ? k_max : n;
  std::vector<double> table(last + 1);
  // log C(n, i) − n log 2 by the recurrence C(n, i+1) = C(n, i)(n − i)/(i + 1):
  // 2^−n alone underflows past n = 1074.
  double log_pmf = -static_cast<double>(n) * std::numbers::ln2;
  double sum = std::exp(log_pmf);
  table[0] = sum;
  for (std::size_t i = 0; i < last; ++i) {
    log_pmf += std::log(static_cast<double>(n - i) / static_cast<double>(i + 1));
    sum += std::exp(log_pmf);
    table[i + 1] = sum < 1 ? sum : 1;
  }
  if (last == n) table[n] = 1;  // exactly, whatever the rounding
  return table;
}

double binomial_half_cdf(std::size_t k, std::size_t n) {
  if (k >= n) return 1;
  return binomial_half_cdf_table(n, k)[k];
}

}  // namespace netbench::stats
