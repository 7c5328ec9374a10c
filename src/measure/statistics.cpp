#include "netbench/statistics.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <vector>

#include "netbench/distributions.hpp"

namespace netbench::stats {
namespace {

void require_level(double level) {
  if (!(level > 0 && level < 1)) throw std::invalid_argument("confidence level outside (0, 1)");
}

std::vector<double> sorted(std::span<const double> values) {
  std::vector<double> v(values.begin(), values.end());
  std::sort(v.begin(), v.end());
  return v;
}

/// Median of sorted, non-empty values; a + (b − a)/2 cannot overflow.
double median_of_sorted(const std::vector<double>& v) {
  const std::size_t h = v.size() / 2;
  if (v.size() % 2 == 1) return v[h];
  return v[h - 1] + (v[h] - v[h - 1]) / 2;
}

/// The order-statistic interval [x(l), x(n+1−l)] over sorted values, given
/// the null CDF F of the statistic counting values below the true parameter
/// (binomial for the median, Mann–Whitney for a shift): the largest l with
/// coverage 1 − 2F(l − 1) ≥ level, or l = 1 if none.
template <typename Cdf>
ConfidenceInterval order_statistic_interval(const std::vector<double>& v, double estimate,
                                            double level, Cdf cdf) {
  ConfidenceInterval ci;
  ci.estimate = estimate;
  ci.level = level;
  const std::size_t n = v.size();
  const double tail = (1 - level) / 2;
  std::size_t l = 1;
  // F is increasing and F(k) ≥ 1/2 from the middle on, so this stops before
  // l passes (n + 1)/2.
  while (l < (n + 1) / 2 && cdf(l) <= tail) ++l;
  const double outside = cdf(l - 1);
  ci.coverage = std::max(0.0, 1 - 2 * outside);
  // Decided on the tail, as l was: 1 − 2F may round just below level.
  ci.attained = outside <= tail;
  ci.lower_rank = l;
  ci.upper_rank = n + 1 - l;
  ci.lower = v[ci.lower_rank - 1];
  ci.upper = v[ci.upper_rank - 1];
  return ci;
}

ConfidenceInterval median_ci_of_sorted(const std::vector<double>& v, double level) {
  ConfidenceInterval ci;
  ci.level = level;
  if (v.empty()) return ci;
  // x(l) ≤ median < x(n+1−l) exactly when l ≤ K ≤ n − l, K the number of
  // values below the true median: coverage 1 − 2·P(K ≤ l − 1). The search
  // asks for P(K ≤ k) with k < (n + 1)/2 only: tabulate that half once.
  const std::vector<double> cdf = binomial_half_cdf_table(v.size(), v.size() / 2);
  return order_statistic_interval(v, median_of_sorted(v), level,
                                  [&cdf](std::size_t k) { return cdf[k]; });
}

struct Moments {
  double mean = 0;
  double stddev = 0;
};

Moments moments_of_sorted(const std::vector<double>& v) {
  Moments m;
  if (v.empty()) return m;
  if (v.front() == v.back()) {
    // Constant data: the sum may round, the mean must not.
    m.mean = v.front();
    return m;
  }
  const auto n = static_cast<double>(v.size());
  double sum = 0;
  for (const double x : v) sum += x;
  // Rounding may not take the mean outside the data.
  m.mean = std::clamp(sum / n, v.front(), v.back());
  if (v.size() < 2) return m;
  // Two passes: the sum of squared deviations, not E[x²] − E[x]², which
  // cancels catastrophically when the spread is small against the mean.
  double ss = 0;
  for (const double x : v) ss += (x - m.mean) * (x - m.mean);
  m.stddev = std::sqrt(ss / (n - 1));
  return m;
}

ConfidenceInterval mean_ci_of(const Moments& m, std::size_t n, double level) {
  ConfidenceInterval ci;
  ci.level = level;
  ci.estimate = m.mean;
  ci.lower = m.mean;
  ci.upper = m.mean;
  if (n < 2) return ci;
  const double t = student_t_quantile(1 - (1 - level) / 2, n - 1);
  const double half = t * m.stddev / std::sqrt(static_cast<double>(n));
  ci.lower = m.mean - half;
  ci.upper = m.mean + half;
  ci.coverage = level;
  ci.attained = true;
  return ci;
}

/// P(U ≤ k) for the Mann–Whitney U of samples of sizes m and n: exact from
/// the null distribution when it is tabulated, else normal with continuity
/// correction.
class UCdf {
 public:
  UCdf(std::size_t m, std::size_t n) : m_(m), n_(n) {
    if (m <= kExactMaxSampleSize && n <= kExactMaxSampleSize) {
      cumulative_ = mann_whitney_null_pmf(m, n);
      for (std::size_t k = 1; k < cumulative_.size(); ++k) cumulative_[k] += cumulative_[k - 1];
    }
  }
  double operator()(std::size_t k) const {
    if (!cumulative_.empty()) return k < cumulative_.size() ? cumulative_[k] : 1.0;
    const double mn = static_cast<double>(m_) * static_cast<double>(n_);
    const double sigma = std::sqrt(mn * static_cast<double>(m_ + n_ + 1) / 12);
    return normal_cdf((static_cast<double>(k) + 0.5 - mn / 2) / sigma);
  }

 private:
  std::size_t m_;
  std::size_t n_;
  std::vector<double> cumulative_;
};

}  // namespace

ConfidenceInterval median_ci(std::span<const double> values, double level) {
  require_level(level);
  return median_ci_of_sorted(sorted(values), level);
}

ConfidenceInterval mean_ci(std::span<const double> values, double level) {
  require_level(level);
  return mean_ci_of(moments_of_sorted(sorted(values)), values.size(), level);
}

Aggregate summarize(std::span<const double> values, double level) {
  require_level(level);
  Aggregate a;
  a.median_ci.level = level;
  a.mean_ci.level = level;
  if (values.empty()) return a;
  const std::vector<double> v = sorted(values);
  const Moments m = moments_of_sorted(v);
  a.n = v.size();
  a.median = median_of_sorted(v);
  a.mean = m.mean;
  a.stddev = m.stddev;
  a.cv = m.mean == 0 ? 0 : m.stddev / std::fabs(m.mean);
  a.min = v.front();
  a.max = v.back();
  a.median_ci = median_ci_of_sorted(v, level);
  a.mean_ci = mean_ci_of(m, a.n, level);
  return a;
}

std::optional<double> relative_half_width(const ConfidenceInterval& ci) noexcept {
  if (!ci.attained || ci.estimate == 0) return std::nullopt;
  const double reach = std::max(ci.estimate - ci.lower, ci.upper - ci.estimate);
  return std::max(0.0, reach) / std::fabs(ci.estimate);
}

GeometricMean geometric_mean(std::span<const double> values) noexcept {
  GeometricMean g;
  double log_sum = 0;
  for (const double x : values) {
    if (x > 0 && std::isfinite(x)) {
      log_sum += std::log(x);
      ++g.used;
    } else {
      ++g.skipped;
    }
  }
  if (g.used > 0) g.value = std::exp(log_sum / static_cast<double>(g.used));
  return g;
}

std::string_view to_string(ChangeScale s) noexcept {
  switch (s) {
    case ChangeScale::kNone:
      return "none";
    case ChangeScale::kLogRatio:
      return "log-ratio";
    case ChangeScale::kDifference:
      return "difference";
  }
  return "none";
}

Change change_ci(std::span<const double> base, std::span<const double> candidate, double level) {
  require_level(level);
  Change c;
  c.ci.level = level;
  if (base.empty() || candidate.empty()) return c;
  const double base_median = median_of_sorted(sorted(base));
  const double candidate_median = median_of_sorted(sorted(candidate));
  const auto positive = [](double x) { return x > 0; };
  const bool logs = std::all_of(base.begin(), base.end(), positive) &&
                    std::all_of(candidate.begin(), candidate.end(), positive);
  if (!logs && base_median == 0) return c;

  // Every pairwise shift candidate_j − base_i, on the chosen scale.
  std::vector<double> d;
  d.reserve(base.size() * candidate.size());
  for (const double x : base) {
    for (const double y : candidate) d.push_back(logs ? std::log(y / x) : y - x);
  }
  std::sort(d.begin(), d.end());
  ConfidenceInterval on_scale =
      order_statistic_interval(d, median_of_sorted(d), level, UCdf(base.size(), candidate.size()));

  c.ci = on_scale;
  if (logs) {
    c.scale = ChangeScale::kLogRatio;
    c.relative = candidate_median / base_median - 1;
    // expm1: exact near 0, where most changes are.
    c.ci.estimate = std::expm1(on_scale.estimate);
    c.ci.lower = std::expm1(on_scale.lower);
    c.ci.upper = std::expm1(on_scale.upper);
  } else {
    c.scale = ChangeScale::kDifference;
    const double scale = std::fabs(base_median);
    c.relative = (candidate_median - base_median) / scale;
    c.ci.estimate = on_scale.estimate / scale;
    c.ci.lower = on_scale.lower / scale;
    c.ci.upper = on_scale.upper / scale;
  }
  c.hodges_lehmann = c.ci.estimate;
  return c;
}

Comparison compare(std::span<const double> base, std::span<const double> candidate, double level) {
  Comparison c;
  c.base = summarize(base, level);
  c.candidate = summarize(candidate, level);
  c.change = change_ci(base, candidate, level);
  c.test = mann_whitney_u(candidate, base);
  c.enough_repetitions =
      base.size() >= kRecommendedRepetitions && candidate.size() >= kRecommendedRepetitions;
  return c;
}

std::string_view to_string(Verdict v) noexcept {
  switch (v) {
    case Verdict::kBetter:
      return "better";
    case Verdict::kWorse:
      return "worse";
    case Verdict::kNotSignificant:
      return "no significant difference";
    case Verdict::kBelowThreshold:
      return "below threshold";
  }
  return "no significant difference";
}

Verdict judge(const Comparison& c, Direction direction, double alpha, double threshold) noexcept {
  if (!(c.test.p_value < alpha)) return Verdict::kNotSignificant;
  const double diff = c.candidate.median - c.base.median;
  if (diff == 0) return Verdict::kBelowThreshold;
  // With a base median of 0 the relative change is unbounded: past any
  // threshold.
  if (c.change.scale != ChangeScale::kNone && std::fabs(c.change.relative) < threshold) {
    return Verdict::kBelowThreshold;
  }
  const bool up = diff > 0;
  return up == (direction == Direction::kHigherIsBetter) ? Verdict::kBetter : Verdict::kWorse;
}

}  // namespace netbench::stats
