// The statistics of repetitions and comparisons (statistics.hpp,
// mann_whitney.hpp, distributions.hpp, interleave.hpp): exact values worked
// out by hand, t quantiles against tables, the exact U test against brute
// force enumeration, the asymptotic one against scipy, and the coverage of
// every interval and the false-positive rate of the test by simulation.
// No timing and no run-time dependence on anything: every random number
// comes from a fixed-seed SplitMix64.
#include "netbench/statistics.hpp"

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>
#include <map>
#include <numbers>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "netbench/distributions.hpp"
#include "netbench/interleave.hpp"
#include "netbench/mann_whitney.hpp"
#include "netbench/split_mix64.hpp"

namespace netbench::stats {
namespace {

// ---------------------------------------------------------------- helpers

/// Samples from a few distributions, all from one seeded SplitMix64.
class Sampler {
 public:
  explicit Sampler(std::uint64_t seed) : rng_(seed) {}
  /// Standard normal by Box–Muller (one of the pair; simplicity over speed).
  double normal() {
    const double u1 = 1 - rng_.uniform();  // (0, 1]: log is finite
    const double u2 = rng_.uniform();
    return std::sqrt(-2 * std::log(u1)) * std::cos(2 * std::numbers::pi * u2);
  }
  /// Exponential with mean 1: median ln 2.
  double exponential() { return -std::log(1 - rng_.uniform()); }
  /// Lognormal exp(N(0, σ²)): median 1, heavily skewed for σ = 1.
  double lognormal(double sigma) { return std::exp(sigma * normal()); }
  /// Integer in [0, k): data full of ties.
  double discrete(std::uint64_t k) { return static_cast<double>(rng_.below(k)); }

 private:
  SplitMix64 rng_;
};

template <typename Draw>
std::vector<double> draw(std::size_t n, Draw&& d) {
  std::vector<double> v(n);
  for (double& x : v) x = d();
  return v;
}

bool covers(const ConfidenceInterval& ci, double truth) {
  return ci.lower <= truth && truth <= ci.upper;
}

// ---------------------------------------------------------------- distributions

struct TRow {
  std::size_t df;
  double q975;
  double q995;
};

// t(0.975, df) and t(0.995, df) to 17 digits, computed once with mpmath at
// 40 digits (Debian's python3-mpmath): findroot of
// 1 − betainc(df/2, 1/2, 0, df/(df + t²), regularized=True)/2 = p. (scipy
// 1.10's t.ppf is off by up to 1e-8 here, e.g. df 3 at 0.995, so it is not
// the reference.) They agree with the printed tables to every digit shown.
constexpr TRow kTTable[] = {
    {1, 12.706204736174705, 63.656741162871581},    {2, 4.3026527297494639, 9.9248432009182931},
    {3, 3.1824463052837096, 5.8409093097333573},    {4, 2.7764451051977944, 4.6040948713499932},
    {5, 2.5705818356363155, 4.0321429835552281},    {6, 2.44691185114497, 3.7074280213247798},
    {7, 2.3646242515927853, 3.4994832973504939},    {8, 2.3060041352041667, 3.3553873313333955},
    {9, 2.2621571627982055, 3.2498355415921263},    {10, 2.2281388519862747, 3.1692726726169512},
    {11, 2.2009851600916399, 3.105806515539281},    {12, 2.1788128296672289, 3.0545395893929021},
    {13, 2.1603686564627925, 3.0122758387165784},   {14, 2.1447866879178038, 2.9768427343708347},
    {15, 2.1314495455597757, 2.9467128834752389},   {16, 2.1199052992212547, 2.9207816224251},
    {17, 2.1098155778333171, 2.8982305196774187},   {18, 2.1009220402410385, 2.8784404727386081},
    {19, 2.0930240544083098, 2.8609346064649792},   {20, 2.0859634472658648, 2.8453397097861085},
    {21, 2.0796138447276804, 2.83135955802305},     {22, 2.0738730679040262, 2.8187560606001435},
    {23, 2.0686576104190487, 2.807335683769999},    {24, 2.0638985616280258, 2.7969395047744563},
    {25, 2.0595385527532977, 2.7874358136769705},   {26, 2.0555294386428732, 2.7787145333296832},
    {27, 2.0518305164802856, 2.770682957122212},    {28, 2.0484071417952452, 2.7632624554614446},
    {29, 2.0452296421327043, 2.7563859036706055},   {30, 2.0422724563012383, 2.7499956535672253},
    {60, 2.0002978220142605, 2.6602830288550372},   {120, 1.9799304050824408, 2.617421145106866},
    {1000, 1.9623390808264085, 2.5807546980659511}, {5000, 1.9604385517065079, 2.5768129665562811},
};

TEST(DistributionsTest, TQuantilesMatchTheTableForEveryDegreeOfFreedom) {
  for (const TRow& row : kTTable) {
    SCOPED_TRACE(row.df);
    // Relative 1e-13: the last few bits of a double around 63.66.
    EXPECT_NEAR(student_t_quantile(0.975, row.df), row.q975, 1e-13 * row.q975);
    EXPECT_NEAR(student_t_quantile(0.995, row.df), row.q995, 1e-13 * row.q995);
    EXPECT_NEAR(student_t_quantile(0.025, row.df), -row.q975, 1e-13 * row.q975);
  }
}

TEST(DistributionsTest, TQuantilesMatchTheFourDigitTableValues) {
  // The rows a textbook prints (df 1, 2, 5, 10, 30, 120, ∞), to its 1e-4.
  EXPECT_NEAR(student_t_quantile(0.975, 1), 12.7062, 1e-4);
  EXPECT_NEAR(student_t_quantile(0.995, 1), 63.6567, 1e-4);
  EXPECT_NEAR(student_t_quantile(0.975, 2), 4.3027, 1e-4);
  EXPECT_NEAR(student_t_quantile(0.995, 2), 9.9248, 1e-4);
  EXPECT_NEAR(student_t_quantile(0.975, 5), 2.5706, 1e-4);
  EXPECT_NEAR(student_t_quantile(0.995, 5), 4.0321, 1e-4);
  EXPECT_NEAR(student_t_quantile(0.975, 10), 2.2281, 1e-4);
  EXPECT_NEAR(student_t_quantile(0.995, 10), 3.1693, 1e-4);
  EXPECT_NEAR(student_t_quantile(0.975, 30), 2.0423, 1e-4);
  EXPECT_NEAR(student_t_quantile(0.995, 30), 2.7500, 1e-4);
  EXPECT_NEAR(student_t_quantile(0.975, 120), 1.9799, 1e-4);
  EXPECT_NEAR(student_t_quantile(0.995, 120), 2.6174, 1e-4);
  EXPECT_NEAR(normal_quantile(0.975), 1.9600, 1e-4);
  EXPECT_NEAR(normal_quantile(0.995), 2.5758, 1e-4);
}

TEST(DistributionsTest, NormalQuantileIsExactToTheLastDigits) {
  // √2·erfinv(2p − 1) with mpmath, as above.
  EXPECT_NEAR(normal_quantile(0.975), 1.9599639845400542, 1e-14);
  EXPECT_NEAR(normal_quantile(0.995), 2.5758293035489008, 1e-14);
  EXPECT_DOUBLE_EQ(normal_quantile(0.5), 0.0);
  EXPECT_NEAR(normal_cdf(normal_quantile(1e-10)), 1e-10, 1e-22);
}

TEST(DistributionsTest, TCdfInvertsTheQuantileAndHasKnownClosedForms) {
  EXPECT_DOUBLE_EQ(student_t_cdf(0, 7), 0.5);
  EXPECT_NEAR(student_t_cdf(1, 1), 0.75, 1e-15);  // Cauchy: 1/2 + atan(1)/π
  // df 2: F(t) = 1/2 + t / (2 √(2 + t²)).
  EXPECT_NEAR(student_t_cdf(3, 2), 0.5 + 3 / (2 * std::sqrt(11.0)), 1e-15);
  for (const unsigned df : {1u, 2u, 3u, 9u, 30u, 200u}) {
    for (double p : {0.6, 0.9, 0.975, 0.999}) {
      EXPECT_NEAR(student_t_cdf(student_t_quantile(p, df), df), p, 1e-13);
    }
  }
}

TEST(DistributionsTest, QuantilesRejectProbabilitiesOutsideTheOpenInterval) {
  EXPECT_THROW((void)student_t_quantile(1.0, 5), std::invalid_argument);
  EXPECT_THROW((void)student_t_quantile(0.0, 5), std::invalid_argument);
  EXPECT_THROW((void)student_t_quantile(0.5, 0), std::invalid_argument);
  EXPECT_THROW((void)normal_quantile(std::numeric_limits<double>::quiet_NaN()),
               std::invalid_argument);
}

TEST(DistributionsTest, BinomialHalfCdfIsExactAndNeverUnderflowsToNaN) {
  EXPECT_NEAR(binomial_half_cdf(2, 10), 56.0 / 1024, 1e-15);
  EXPECT_NEAR(binomial_half_cdf(0, 5), 1.0 / 32, 1e-16);
  EXPECT_DOUBLE_EQ(binomial_half_cdf(10, 10), 1.0);
  // 2^-5000 underflows; the sum does not become NaN, and the middle is ~1/2.
  EXPECT_EQ(binomial_half_cdf(0, 5000), 0.0);
  EXPECT_NEAR(binomial_half_cdf(2500, 5000), 0.5 + 0.5 * 0.011282, 1e-5);
}

// ---------------------------------------------------------------- summarize

TEST(SummarizeTest, OddCountGivesTheMiddleValueAndTheSampleStandardDeviation) {
  const std::vector<double> v{5, 1, 4, 2, 3};
  const Aggregate a = summarize(v);
  EXPECT_EQ(a.n, 5u);
  EXPECT_DOUBLE_EQ(a.median, 3);
  EXPECT_DOUBLE_EQ(a.mean, 3);
  EXPECT_DOUBLE_EQ(a.stddev, std::sqrt(2.5));  // Σ(x − 3)² = 10, over n − 1 = 4
  EXPECT_DOUBLE_EQ(a.cv, std::sqrt(2.5) / 3);
  EXPECT_DOUBLE_EQ(a.min, 1);
  EXPECT_DOUBLE_EQ(a.max, 5);
  // t(0.975, 4) · s/√n, s/√n = √(2.5/5) = √0.5.
  const double half = 2.7764451051977987 * std::sqrt(0.5);
  EXPECT_NEAR(a.mean_ci.lower, 3 - half, 1e-12);
  EXPECT_NEAR(a.mean_ci.upper, 3 + half, 1e-12);
  EXPECT_DOUBLE_EQ(a.mean_ci.coverage, 0.95);
  EXPECT_TRUE(a.mean_ci.attained);
}

TEST(SummarizeTest, FiveValuesCannotGiveA95PercentMedianIntervalAndSaySo) {
  const Aggregate a = summarize(std::vector<double>{5, 1, 4, 2, 3});
  EXPECT_FALSE(a.median_ci.attained);
  EXPECT_DOUBLE_EQ(a.median_ci.lower, 1);
  EXPECT_DOUBLE_EQ(a.median_ci.upper, 5);
  EXPECT_DOUBLE_EQ(a.median_ci.coverage, 1 - 2.0 / 32);  // 93.75%
  EXPECT_EQ(a.median_ci.lower_rank, 1u);
  EXPECT_EQ(a.median_ci.upper_rank, 5u);
  EXPECT_FALSE(relative_half_width(a.median_ci).has_value());
}

TEST(SummarizeTest, SixValuesAreTheFewestForA95PercentMedianInterval) {
  const ConfidenceInterval ci = median_ci(std::vector<double>{6, 5, 4, 3, 2, 1});
  EXPECT_TRUE(ci.attained);
  EXPECT_DOUBLE_EQ(ci.coverage, 1 - 2.0 / 64);  // 96.875%
  EXPECT_DOUBLE_EQ(ci.lower, 1);
  EXPECT_DOUBLE_EQ(ci.upper, 6);
}

TEST(SummarizeTest, EvenCountAveragesTheTwoMiddleValues) {
  const std::vector<double> v{10, 3, 8, 1, 6, 5, 2, 9, 4, 7};
  const Aggregate a = summarize(v);
  EXPECT_DOUBLE_EQ(a.median, 5.5);
  EXPECT_DOUBLE_EQ(a.mean, 5.5);
  EXPECT_DOUBLE_EQ(a.stddev, std::sqrt(82.5 / 9));
  // n = 10: ranks 2 and 9, coverage 1 − 2·P(K ≤ 1) = 1 − 2·11/1024.
  EXPECT_EQ(a.median_ci.lower_rank, 2u);
  EXPECT_EQ(a.median_ci.upper_rank, 9u);
  EXPECT_DOUBLE_EQ(a.median_ci.lower, 2);
  EXPECT_DOUBLE_EQ(a.median_ci.upper, 9);
  EXPECT_DOUBLE_EQ(a.median_ci.coverage, 1 - 22.0 / 1024);
  EXPECT_TRUE(a.median_ci.attained);
}

TEST(SummarizeTest, MedianIntervalRanksFollowTheExactBinomialAt15And30) {
  // n = 15: P(K ≤ 3) = 576/32768 ≤ 2.5% < P(K ≤ 4): ranks 4 and 12.
  std::vector<double> v15(15);
  for (std::size_t i = 0; i < v15.size(); ++i) v15[i] = static_cast<double>(i + 1);
  const ConfidenceInterval c15 = median_ci(v15);
  EXPECT_EQ(c15.lower_rank, 4u);
  EXPECT_EQ(c15.upper_rank, 12u);
  EXPECT_DOUBLE_EQ(c15.coverage, 1 - 2 * 576.0 / 32768);
  // n = 30: ranks 10 and 21, coverage 1 − 2·P(K ≤ 9) = 0.957226… (scipy
  // 1 − 2·binom.cdf(9, 30, 0.5)).
  std::vector<double> v30(30);
  for (std::size_t i = 0; i < v30.size(); ++i) v30[i] = static_cast<double>(i + 1);
  const ConfidenceInterval c30 = median_ci(v30);
  EXPECT_EQ(c30.lower_rank, 10u);
  EXPECT_EQ(c30.upper_rank, 21u);
  EXPECT_NEAR(c30.coverage, 0.9572260547429323, 1e-14);
}

TEST(SummarizeTest, OneValueIsItsOwnIntervalWithNoCoverage) {
  const Aggregate a = summarize(std::vector<double>{7});
  EXPECT_EQ(a.n, 1u);
  EXPECT_DOUBLE_EQ(a.median, 7);
  EXPECT_DOUBLE_EQ(a.mean, 7);
  EXPECT_DOUBLE_EQ(a.stddev, 0);
  EXPECT_DOUBLE_EQ(a.cv, 0);
  for (const ConfidenceInterval& ci : {a.median_ci, a.mean_ci}) {
    EXPECT_DOUBLE_EQ(ci.lower, 7);
    EXPECT_DOUBLE_EQ(ci.upper, 7);
    EXPECT_DOUBLE_EQ(ci.coverage, 0);
    EXPECT_FALSE(ci.attained);
    EXPECT_FALSE(relative_half_width(ci).has_value());
  }
}

TEST(SummarizeTest, TwoValuesUseTheTQuantileWithOneDegreeOfFreedom) {
  const Aggregate a = summarize(std::vector<double>{3, 1});
  EXPECT_DOUBLE_EQ(a.median, 2);
  EXPECT_DOUBLE_EQ(a.stddev, std::sqrt(2.0));
  // s/√n = 1: the half-width is t(0.975, 1) itself.
  EXPECT_NEAR(a.mean_ci.upper - 2, 12.706204736432095, 1e-9);
  EXPECT_NEAR(2 - a.mean_ci.lower, 12.706204736432095, 1e-9);
  EXPECT_DOUBLE_EQ(a.median_ci.coverage, 0.5);
  EXPECT_FALSE(a.median_ci.attained);
}

TEST(SummarizeTest, ConstantDataHasZeroSpreadAndNoNaN) {
  // 0.1 + 0.1 + 0.1 is not 0.3 in binary: the mean must still be 0.1.
  const Aggregate a = summarize(std::vector<double>{0.1, 0.1, 0.1});
  EXPECT_EQ(a.mean, 0.1);
  EXPECT_EQ(a.stddev, 0);
  EXPECT_EQ(a.cv, 0);
  EXPECT_EQ(a.mean_ci.lower, 0.1);
  EXPECT_EQ(a.mean_ci.upper, 0.1);
  const Aggregate zero = summarize(std::vector<double>{0, 0, 0, 0, 0, 0, 0});
  EXPECT_EQ(zero.cv, 0);
  EXPECT_FALSE(std::isnan(zero.cv));
  EXPECT_TRUE(zero.median_ci.attained);
  EXPECT_FALSE(relative_half_width(zero.median_ci).has_value());  // centre 0
}

TEST(SummarizeTest, EmptyInputIsAllZeros) {
  const Aggregate a = summarize(std::span<const double>{});
  EXPECT_EQ(a.n, 0u);
  EXPECT_EQ(a.median, 0);
  EXPECT_EQ(a.cv, 0);
  EXPECT_FALSE(a.median_ci.attained);
  EXPECT_FALSE(a.mean_ci.attained);
}

TEST(SummarizeTest, ALevelOutsideTheOpenUnitIntervalIsRejected) {
  const std::vector<double> v{1, 2, 3};
  EXPECT_THROW((void)summarize(v, 1.0), std::invalid_argument);
  EXPECT_THROW((void)summarize(v, 0.0), std::invalid_argument);
  EXPECT_THROW((void)change_ci(v, v, 95), std::invalid_argument);
}

TEST(SummarizeTest, RelativeHalfWidthTakesTheLongerSideOfTheInterval) {
  // Median 5.5, 95% interval [x(2), x(9)] = [2, 15]: 9.5 above, 3.5 below.
  const std::vector<double> v{1, 2, 3, 4, 5, 6, 7, 8, 15, 20};
  const Aggregate a = summarize(v);
  ASSERT_TRUE(relative_half_width(a.median_ci).has_value());
  EXPECT_DOUBLE_EQ(*relative_half_width(a.median_ci), 9.5 / 5.5);
  // The t interval is symmetric: half-width / |mean|.
  const double half = a.mean_ci.upper - a.mean;
  EXPECT_NEAR(*relative_half_width(a.mean_ci), half / a.mean, 1e-12);
}

TEST(SummarizeTest, ALowerLevelGivesANarrowerMedianInterval) {
  std::vector<double> v(20);
  for (std::size_t i = 0; i < v.size(); ++i) v[i] = static_cast<double>(i);
  const ConfidenceInterval wide = median_ci(v, 0.99);
  const ConfidenceInterval narrow = median_ci(v, 0.80);
  EXPECT_LT(wide.lower_rank, narrow.lower_rank);
  EXPECT_GE(wide.coverage, 0.99);
  EXPECT_GE(narrow.coverage, 0.80);
}

// ---------------------------------------------------------------- coverage

/// Fraction of `trials` samples of size n whose interval covers `truth`.
template <typename Draw, typename Interval>
double simulated_coverage(std::size_t n, int trials, double truth, Draw&& d, Interval&& ci,
                          double* reported) {
  int hits = 0;
  for (int t = 0; t < trials; ++t) {
    const std::vector<double> v = draw(n, d);
    const ConfidenceInterval c = ci(v);
    *reported = c.coverage;
    if (covers(c, truth)) ++hits;
  }
  return hits / static_cast<double>(trials);
}

TEST(CoverageTest, MedianIntervalCoversTheTrueMedianAsOftenAsItReports) {
  // 10,000 samples: the observed coverage has a standard error of
  // √(0.96·0.04/10⁴) ≈ 0.002, so ±0.01 (5 standard errors) around the
  // coverage the interval reports (97.85%, 96.48%, 95.72% for n = 10, 15,
  // 30: the exact binomial, above 95% since ranks are whole) is a band a
  // correct interval never leaves and a wrong rank falls out of (the next
  // rank moves the coverage by 4–9 points).
  constexpr int kTrials = 10'000;
  std::uint64_t seed = 1;
  for (const unsigned n : {10u, 15u, 30u}) {
    Sampler s(seed++);
    double reported = 0;
    const auto mci = [](const std::vector<double>& v) { return median_ci(v); };
    const double normal = simulated_coverage(
        n, kTrials, 0.0, [&] { return s.normal(); }, mci, &reported);
    EXPECT_NEAR(normal, reported, 0.01) << "normal, n = " << n;
    const double expo = simulated_coverage(
        n, kTrials, std::numbers::ln2, [&] { return s.exponential(); }, mci, &reported);
    EXPECT_NEAR(expo, reported, 0.01) << "exponential, n = " << n;
    const double logn = simulated_coverage(
        n, kTrials, 1.0, [&] { return s.lognormal(1.0); }, mci, &reported);
    EXPECT_NEAR(logn, reported, 0.01) << "lognormal, n = " << n;
    EXPECT_GE(reported, 0.95);
    RecordProperty("median_ci_n" + std::to_string(n),
                   std::to_string(reported) + " reported; observed normal " +
                       std::to_string(normal) + " exponential " + std::to_string(expo) +
                       " lognormal " + std::to_string(logn));
  }
}

TEST(CoverageTest, TIntervalCoversTheMeanOfNormalData95PercentOfTheTime) {
  // Exact for normal data: 95% ± 0.01 (4.6 standard errors of 0.0022).
  constexpr int kTrials = 10'000;
  std::uint64_t seed = 100;
  for (const unsigned n : {3u, 10u, 30u}) {
    Sampler s(seed++);
    double reported = 0;
    const double observed = simulated_coverage(
        n, kTrials, 5.0, [&] { return 5.0 + 2.0 * s.normal(); },
        [](const std::vector<double>& v) { return mean_ci(v); }, &reported);
    EXPECT_DOUBLE_EQ(reported, 0.95);
    EXPECT_NEAR(observed, 0.95, 0.01) << "n = " << n;
    RecordProperty("mean_ci_n" + std::to_string(n), std::to_string(observed));
  }
}

TEST(CoverageTest, ChangeIntervalCoversATrueTenPercentChangeAsOftenAsItReports) {
  // Lognormal base; the candidate is 1.1 × another lognormal sample: the
  // true relative change of every quantile is +10%, a pure shift of log
  // values, the model under which the Hodges–Lehmann interval is exact.
  // 4,000 trials: standard error ≈ 0.003; band ±0.015 (5 of them).
  constexpr int kTrials = 4'000;
  Sampler s(7);
  struct Sizes {
    std::size_t base;
    std::size_t candidate;
  };
  for (const Sizes sz : {Sizes{10, 10}, Sizes{8, 12}, Sizes{30, 30}}) {
    int hits = 0;
    double reported = 0;
    for (int t = 0; t < kTrials; ++t) {
      const std::vector<double> b = draw(sz.base, [&] { return s.lognormal(0.5); });
      const std::vector<double> c = draw(sz.candidate, [&] { return 1.1 * s.lognormal(0.5); });
      const Change ch = change_ci(b, c);
      reported = ch.ci.coverage;
      ASSERT_EQ(ch.scale, ChangeScale::kLogRatio);
      if (covers(ch.ci, 0.1)) ++hits;
    }
    const double observed = hits / static_cast<double>(kTrials);
    EXPECT_GE(reported, 0.95);
    EXPECT_NEAR(observed, reported, 0.015) << sz.base << " vs " << sz.candidate;
    RecordProperty(
        "change_ci_" + std::to_string(sz.base) + "x" + std::to_string(sz.candidate),
        std::to_string(reported) + " reported, " + std::to_string(observed) + " observed");
  }
}

// ---------------------------------------------------------------- Mann–Whitney

/// U of a by definition: pairs a_i > b_j, plus half the ties.
double brute_force_u(std::span<const double> a, std::span<const double> b) {
  double u = 0;
  for (const double x : a) {
    for (const double y : b) u += x > y ? 1.0 : x == y ? 0.5 : 0.0;
  }
  return u;
}

TEST(MannWhitneyTest, ExactPValuesMatchBruteForceEnumerationOfEveryRankAssignment) {
  // For every n1, n2 ≤ 6 and every way of giving n1 of the ranks 1…N to the
  // first sample: U by counting pairs, its null distribution by counting
  // assignments, p = min(1, 2·min(P(U ≤ u), P(U ≥ u))).
  for (std::size_t n1 = 1; n1 <= 6; ++n1) {
    for (std::size_t n2 = 1; n2 <= 6; ++n2) {
      const std::size_t total = n1 + n2;
      std::vector<std::uint32_t> masks;
      for (std::uint32_t m = 0; m < (1u << total); ++m) {
        if (static_cast<std::size_t>(std::popcount(m)) == n1) masks.push_back(m);
      }
      std::vector<double> counts(n1 * n2 + 1, 0.0);
      std::vector<std::vector<double>> as;
      std::vector<std::vector<double>> bs;
      for (const std::uint32_t m : masks) {
        std::vector<double> a;
        std::vector<double> b;
        for (std::size_t r = 0; r < total; ++r) {
          ((m >> r) & 1u ? a : b).push_back(static_cast<double>(r + 1));
        }
        counts[static_cast<std::size_t>(brute_force_u(a, b))] += 1;
        as.push_back(std::move(a));
        bs.push_back(std::move(b));
      }
      const auto assignments = static_cast<double>(masks.size());
      const std::vector<double> pmf = mann_whitney_null_pmf(n1, n2);
      ASSERT_EQ(pmf.size(), counts.size());
      for (std::size_t u = 0; u < pmf.size(); ++u) {
        EXPECT_NEAR(pmf[u], counts[u] / assignments, 1e-15) << n1 << "x" << n2 << " U=" << u;
      }
      for (std::size_t i = 0; i < as.size(); ++i) {
        const double u = brute_force_u(as[i], bs[i]);
        double lower = 0;
        double upper = 0;
        for (std::size_t k = 0; k < counts.size(); ++k) {
          if (static_cast<double>(k) <= u) lower += counts[k];
          if (static_cast<double>(k) >= u) upper += counts[k];
        }
        const double p = std::min(1.0, 2 * std::min(lower, upper) / assignments);
        const MannWhitneyResult r = mann_whitney_u(as[i], bs[i]);
        ASSERT_EQ(r.method, UTestMethod::kExact);
        EXPECT_EQ(r.u, u);
        EXPECT_NEAR(r.p_value, p, 1e-13) << n1 << "x" << n2 << " U=" << u;
      }
    }
  }
}

TEST(MannWhitneyTest, UCountsHalfOfEveryTiedPair) {
  const std::vector<double> a{1, 2, 2, 3};
  const std::vector<double> b{2, 2, 4};
  const MannWhitneyResult r = mann_whitney_u(a, b);
  EXPECT_DOUBLE_EQ(r.u, 4.0);  // 0 + (½ + ½) + (½ + ½) + 2
  EXPECT_DOUBLE_EQ(r.u, brute_force_u(a, b));
  EXPECT_TRUE(r.ties);
  EXPECT_EQ(r.method, UTestMethod::kAsymptotic);
  EXPECT_DOUBLE_EQ(mann_whitney_u(b, a).u, 12.0 - 4.0);
}

// Reference p-values: scipy.stats.mannwhitneyu(a, b, alternative="two-sided",
// method=...) of scipy 1.10.1 (Debian python3-scipy), statistic = U of a,
// computed once and pasted here; the test does not need scipy.
TEST(MannWhitneyTest, ExactPValuesMatchScipyBeyondBruteForceSizes) {
  const std::vector<double> a5{1.1, 2.3, 0.7, 5.0, 3.2};
  const std::vector<double> b7{4.4, 6.1, 2.9, 7.0, 5.5, 8.2, 0.1};
  MannWhitneyResult r = mann_whitney_u(a5, b7);
  EXPECT_EQ(r.method, UTestMethod::kExact);
  EXPECT_DOUBLE_EQ(r.u, 8.0);
  EXPECT_NEAR(r.p_value, 0.148989898989899, 1e-12);

  // [(i*37) % 97 + 0.25 for i in 1..12], [(i*53) % 89 + 0.5 for i in 1..15]
  std::vector<double> a12;
  std::vector<double> b15;
  for (int i = 1; i <= 12; ++i) a12.push_back((i * 37) % 97 + 0.25);
  for (int i = 1; i <= 15; ++i) b15.push_back((i * 53) % 89 + 0.5);
  r = mann_whitney_u(a12, b15);
  EXPECT_EQ(r.method, UTestMethod::kExact);
  EXPECT_DOUBLE_EQ(r.u, 83.0);
  EXPECT_NEAR(r.p_value, 0.7551246961261768, 1e-12);

  // [(i*7919) % 10007 + 0.25 for i in 1..40],
  // [(i*104729) % 10007 + 2500.5 for i in 1..45]: no ties, exact at 40 × 45.
  std::vector<double> a40;
  std::vector<double> b45;
  for (long i = 1; i <= 40; ++i) a40.push_back(static_cast<double>((i * 7919) % 10007) + 0.25);
  for (long i = 1; i <= 45; ++i) {
    b45.push_back(static_cast<double>((i * 104729) % 10007) + 0.5 + 2500);
  }
  r = mann_whitney_u(a40, b45);
  EXPECT_EQ(r.method, UTestMethod::kExact);
  EXPECT_DOUBLE_EQ(r.u, 528.0);
  EXPECT_NEAR(r.p_value, 0.000902528442008322, 1e-12);
}

TEST(MannWhitneyTest, AsymptoticPValuesMatchScipyWithTieAndContinuityCorrections) {
  const std::vector<double> ta{1, 2, 2, 3, 3, 3, 4, 5};
  const std::vector<double> tb{2, 3, 4, 4, 5, 5, 6, 7, 7};
  MannWhitneyResult r = mann_whitney_u(ta, tb);
  EXPECT_EQ(r.method, UTestMethod::kAsymptotic);
  EXPECT_DOUBLE_EQ(r.u, 13.5);
  EXPECT_NEAR(r.p_value, 0.03175895714806371, 1e-12);

  // [(i*7919) % 1000 / 10 for i in 1..60], [(i*104729) % 1000 / 10 + 3.3
  // for i in 1..55]: ties, 60 × 55.
  std::vector<double> a60;
  std::vector<double> b55;
  for (int i = 1; i <= 60; ++i) a60.push_back((i * 7919) % 1000 / 10.0);
  for (int i = 1; i <= 55; ++i) b55.push_back((i * 104729) % 1000 / 10.0 + 3.3);
  r = mann_whitney_u(a60, b55);
  EXPECT_EQ(r.method, UTestMethod::kAsymptotic);
  EXPECT_DOUBLE_EQ(r.u, 1527.0);
  EXPECT_NEAR(r.p_value, 0.4927910255837692, 1e-12);

  // [i + 0.25 for i in 0..59], [i + 10.75 for i in 0..54]: no ties, but
  // past kExactMaxSampleSize.
  std::vector<double> c60;
  std::vector<double> d55;
  for (int i = 0; i < 60; ++i) c60.push_back(i + 0.25);
  for (int i = 0; i < 55; ++i) d55.push_back(i + 0.75 + 10);
  r = mann_whitney_u(c60, d55);
  EXPECT_EQ(r.method, UTestMethod::kAsymptotic);
  EXPECT_FALSE(r.ties);
  EXPECT_DOUBLE_EQ(r.u, 1225.0);
  EXPECT_NEAR(r.p_value, 0.017466219103968242, 1e-12);
}

TEST(MannWhitneyTest, DegenerateSamplesGiveAPValueOfOne) {
  const std::vector<double> same{3, 3, 3, 3};
  const MannWhitneyResult tied = mann_whitney_u(same, same);
  EXPECT_DOUBLE_EQ(tied.p_value, 1.0);
  EXPECT_DOUBLE_EQ(tied.u, 8.0);
  const MannWhitneyResult empty = mann_whitney_u(same, std::span<const double>{});
  EXPECT_EQ(empty.method, UTestMethod::kNone);
  EXPECT_DOUBLE_EQ(empty.p_value, 1.0);
  EXPECT_EQ(to_string(UTestMethod::kExact), "exact");
}

/// Fraction of `trials` A/A pairs the test calls different at alpha 0.05.
template <typename Draw>
double false_positive_rate(std::size_t n1, std::size_t n2, int trials, UTestMethod expected,
                           Draw&& d) {
  int rejections = 0;
  for (int t = 0; t < trials; ++t) {
    const std::vector<double> a = draw(n1, d);
    const std::vector<double> b = draw(n2, d);
    const MannWhitneyResult r = mann_whitney_u(a, b);
    EXPECT_EQ(r.method, expected);
    if (r.p_value < 0.05) ++rejections;
  }
  return rejections / static_cast<double>(trials);
}

TEST(MannWhitneyTest, AAComparisonsAreFlaggedAtMostAboutFivePercentOfTheTime) {
  constexpr int kTrials = 2'000;
  // Exact, 10 vs 10: p takes discrete values, and P(p < 0.05) under the
  // null is 0.04326 (sum of the null pmf over the rejecting U; by
  // enumerating all C(20,10) assignments): the test is conservative. The
  // observed rate has a standard error of √(0.043·0.957/2000) = 0.0045;
  // band 0.04326 ± 0.018 (4 standard errors).
  Sampler s(2024);
  const double exact =
      false_positive_rate(10, 10, kTrials, UTestMethod::kExact, [&] { return s.normal(); });
  EXPECT_NEAR(exact, 0.04326, 0.018);
  // Asymptotic, 60 vs 60 skewed data: nominal 5%, a little under with the
  // continuity correction; band 0.05 ± 0.02 (4 standard errors of 0.0049).
  const double asymptotic = false_positive_rate(60, 60, kTrials, UTestMethod::kAsymptotic,
                                                [&] { return s.exponential(); });
  EXPECT_NEAR(asymptotic, 0.05, 0.02);
  // Asymptotic with heavy ties (five distinct values), 20 vs 20: the tie
  // correction keeps the rate near 5%; same band.
  const double tied =
      false_positive_rate(20, 20, kTrials, UTestMethod::kAsymptotic, [&] { return s.discrete(5); });
  EXPECT_NEAR(tied, 0.05, 0.02);
  RecordProperty("aa_exact_10x10", std::to_string(exact));
  RecordProperty("aa_asymptotic_60x60", std::to_string(asymptotic));
  RecordProperty("aa_ties_20x20", std::to_string(tied));
}

// ---------------------------------------------------------------- change_ci

TEST(ChangeCiTest, TwoAgainstTwoGivesTheHodgesLehmannRatioAndTheFullRange) {
  // log-ratios log(c/b): log 2, log 4, log 1, log 2 → sorted {0, ln2, ln2,
  // ln4}; median ln 2: +100%. 2 vs 2 attains at most 1 − 2/6.
  const Change c = change_ci(std::vector<double>{1, 2}, std::vector<double>{2, 4});
  EXPECT_EQ(c.scale, ChangeScale::kLogRatio);
  EXPECT_DOUBLE_EQ(c.relative, 3.0 / 1.5 - 1);
  EXPECT_NEAR(c.hodges_lehmann, 1.0, 1e-15);
  EXPECT_NEAR(c.ci.lower, 0.0, 1e-15);
  EXPECT_NEAR(c.ci.upper, 3.0, 1e-15);
  EXPECT_NEAR(c.ci.coverage, 1 - 2.0 / 6, 1e-15);
  EXPECT_FALSE(c.ci.attained);
}

TEST(ChangeCiTest, FiveAgainstFiveUsesTheThirdPairwiseRatioFromEachEnd) {
  // P(U ≤ 2) = 4/252 ≤ 2.5% < P(U ≤ 3) = 7/252 (Hollander & Wolfe's table
  // gives C = 3 for 5, 5): ranks 3 and 23 of 25, coverage 1 − 8/252.
  const std::vector<double> b{1, 2, 3, 4, 5};
  const std::vector<double> c{2, 3, 5, 7, 11};
  const Change ch = change_ci(b, c);
  EXPECT_EQ(ch.ci.lower_rank, 3u);
  EXPECT_EQ(ch.ci.upper_rank, 23u);
  EXPECT_NEAR(ch.ci.coverage, 1 - 8.0 / 252, 1e-14);
  EXPECT_TRUE(ch.ci.attained);
  std::vector<double> ratios;
  for (double x : b) {
    for (double y : c) ratios.push_back(y / x);
  }
  std::sort(ratios.begin(), ratios.end());
  EXPECT_NEAR(ch.ci.lower, ratios[2] - 1, 1e-12);
  EXPECT_NEAR(ch.ci.upper, ratios[22] - 1, 1e-12);
  EXPECT_NEAR(ch.hodges_lehmann, ratios[12] - 1, 1e-12);
  EXPECT_DOUBLE_EQ(ch.relative, 5.0 / 3 - 1);
}

TEST(ChangeCiTest, ValuesOfZeroSwitchToDifferencesOverTheBaseMedian) {
  const Change c = change_ci(std::vector<double>{0, 1, 2}, std::vector<double>{1, 2, 3});
  EXPECT_EQ(c.scale, ChangeScale::kDifference);
  EXPECT_DOUBLE_EQ(c.relative, 1.0);
  EXPECT_DOUBLE_EQ(c.hodges_lehmann, 1.0);  // median of {−1,0,0,1,1,1,2,2,3}
  const Change none = change_ci(std::vector<double>{0, 0, 1}, std::vector<double>{1, 2, 3});
  EXPECT_EQ(none.scale, ChangeScale::kNone);
  EXPECT_EQ(none.relative, 0);
}

// ---------------------------------------------------------------- geometric mean

TEST(GeometricMeanTest, SkipsNonPositiveValuesAndCountsThem) {
  EXPECT_NEAR(geometric_mean(std::vector<double>{1, 4, 16}).value, 4.0, 1e-14);
  const GeometricMean g =
      geometric_mean(std::vector<double>{2, 0, 8, -1, std::numeric_limits<double>::quiet_NaN()});
  EXPECT_NEAR(g.value, 4.0, 1e-14);
  EXPECT_EQ(g.used, 2u);
  EXPECT_EQ(g.skipped, 3u);
  const GeometricMean none = geometric_mean(std::vector<double>{0, -2});
  EXPECT_EQ(none.value, 0);
  EXPECT_EQ(none.used, 0u);
}

// ---------------------------------------------------------------- verdicts

std::vector<double> ramp(double start, double step, std::size_t n) {
  std::vector<double> v(n);
  for (std::size_t i = 0; i < n; ++i) v[i] = start + step * static_cast<double>(i);
  return v;
}

TEST(JudgeTest, ASignificantChangePastTheThresholdIsBetterOrWorseByDirection) {
  // 9 vs 9, no overlap: exact p = 2/C(18,9); +20%.
  const std::vector<double> base = ramp(100, 1, 9);
  std::vector<double> faster = base;
  for (double& x : faster) x *= 1.2;
  const Comparison c = compare(base, faster);
  EXPECT_NEAR(c.test.p_value, 2.0 / 48620, 1e-15);
  EXPECT_TRUE(c.enough_repetitions);
  EXPECT_NEAR(c.change.relative, 0.2, 1e-12);
  EXPECT_EQ(judge(c, Direction::kHigherIsBetter, 0.05, 0.05), Verdict::kBetter);
  EXPECT_EQ(judge(c, Direction::kLowerIsBetter, 0.05, 0.05), Verdict::kWorse);
  EXPECT_EQ(to_string(Verdict::kBetter), "better");
}

TEST(JudgeTest, ASignificantChangeUnderTheThresholdIsBelowThreshold) {
  // +2%, no overlap: significant, but under a 5% threshold.
  const std::vector<double> base = ramp(100, 0.1, 9);
  const std::vector<double> cand = ramp(102, 0.1, 9);
  const Comparison c = compare(base, cand);
  EXPECT_LT(c.test.p_value, 0.001);
  EXPECT_EQ(judge(c, Direction::kLowerIsBetter, 0.05, 0.05), Verdict::kBelowThreshold);
  EXPECT_EQ(judge(c, Direction::kLowerIsBetter, 0.05, 0.01), Verdict::kWorse);
  EXPECT_EQ(judge(c, Direction::kLowerIsBetter, 0.05, 0.0), Verdict::kWorse);
}

TEST(JudgeTest, OverlappingSamplesAreNoSignificantDifferenceWhateverTheChange) {
  const std::vector<double> base{10, 30, 50, 70, 90};
  const std::vector<double> cand{20, 40, 60, 80, 100};
  const Comparison c = compare(base, cand);
  EXPECT_GE(c.test.p_value, 0.05);
  EXPECT_FALSE(c.enough_repetitions);
  EXPECT_EQ(judge(c, Direction::kHigherIsBetter, 0.05, 0.05), Verdict::kNotSignificant);
  EXPECT_EQ(to_string(Verdict::kNotSignificant), "no significant difference");
}

TEST(JudgeTest, ThreeAgainstThreeCanNeverBeSignificantAtFivePercent) {
  const Comparison c = compare(std::vector<double>{1, 2, 3}, std::vector<double>{10, 20, 30});
  EXPECT_DOUBLE_EQ(c.test.p_value, 0.1);  // 2 / C(6, 3)
  EXPECT_EQ(judge(c, Direction::kHigherIsBetter, 0.05, 0.05), Verdict::kNotSignificant);
}

TEST(JudgeTest, LossAppearingWhereThereWasNoneIsWorse) {
  // Base median 0: the relative change is unbounded, past any threshold.
  const std::vector<double> base(10, 0.0);
  const std::vector<double> cand = ramp(0.01, 0.001, 10);
  const Comparison c = compare(base, cand);
  EXPECT_EQ(c.change.scale, ChangeScale::kNone);
  EXPECT_LT(c.test.p_value, 0.05);
  EXPECT_EQ(judge(c, Direction::kLowerIsBetter, 0.05, 0.05), Verdict::kWorse);
}

// ---------------------------------------------------------------- interleave

TEST(SplitMix64Test, MatchesTheReferenceOutputForSeedZero) {
  // Vigna's splitmix64.c with x = 0.
  SplitMix64 rng(0);
  EXPECT_EQ(rng.next(), 0xe220a8397b1dcdafULL);
  EXPECT_EQ(rng.next(), 0x6e789e6aa1b965f4ULL);
  EXPECT_EQ(rng.next(), 0x06c45d188009454fULL);
}

TEST(InterleaveTest, EveryPointAndRepetitionComesExactlyOnceRoundByRound) {
  constexpr std::size_t kPoints = 7;
  constexpr std::size_t kReps = 5;
  const std::vector<Slot> order = interleave(kPoints, kReps, 42);
  ASSERT_EQ(order.size(), kPoints * kReps);
  std::set<std::pair<std::size_t, std::size_t>> seen;
  for (std::size_t i = 0; i < order.size(); ++i) {
    // Round k is slots k·points … (k+1)·points − 1 and holds repetition k.
    EXPECT_EQ(order[i].repetition, i / kPoints);
    ASSERT_LT(order[i].point, kPoints);
    EXPECT_TRUE(seen.emplace(order[i].point, order[i].repetition).second);
  }
  EXPECT_EQ(seen.size(), kPoints * kReps);
  // Rounds are shuffled independently, not one permutation repeated.
  std::set<std::vector<std::size_t>> rounds;
  for (std::size_t k = 0; k < kReps; ++k) {
    std::vector<std::size_t> round;
    for (std::size_t i = 0; i < kPoints; ++i) round.push_back(order[k * kPoints + i].point);
    rounds.insert(round);
  }
  EXPECT_GT(rounds.size(), 1u);
}

TEST(InterleaveTest, SameSeedGivesTheSameOrderAndDifferentSeedsDifferentOnes) {
  EXPECT_EQ(interleave(8, 4, 123), interleave(8, 4, 123));
  std::set<std::vector<std::pair<std::size_t, std::size_t>>> orders;
  for (std::uint64_t seed = 0; seed < 20; ++seed) {
    std::vector<std::pair<std::size_t, std::size_t>> o;
    for (const Slot& s : interleave(8, 4, seed)) o.emplace_back(s.point, s.repetition);
    orders.insert(o);
  }
  EXPECT_EQ(orders.size(), 20u);
}

TEST(InterleaveTest, EveryPermutationOfARoundIsEquallyLikely) {
  // 6,000 single rounds of 3 points: each of the 6 orders ~1,000 times
  // (standard deviation 29); a biased shuffle (e.g. j drawn from all of
  // 0…n−1) is off by ~150.
  std::map<std::vector<std::size_t>, int> counts;
  for (std::uint64_t seed = 0; seed < 6000; ++seed) {
    std::vector<std::size_t> round;
    for (const Slot& s : interleave(3, 1, seed)) round.push_back(s.point);
    ++counts[round];
  }
  ASSERT_EQ(counts.size(), 6u);
  for (const auto& [round, n] : counts) EXPECT_NEAR(n, 1000, 120);
}

TEST(InterleaveTest, EmptySweepsAndOverflowingSizesAreHandled) {
  EXPECT_TRUE(interleave(0, 5, 1).empty());
  EXPECT_TRUE(interleave(5, 0, 1).empty());
  EXPECT_THROW((void)interleave(std::numeric_limits<std::size_t>::max(), 2, 1), std::length_error);
}

}  // namespace
}  // namespace netbench::stats
