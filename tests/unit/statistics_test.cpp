// Repetition statistics (statistics.hpp): aggregates against exact values
// worked out by hand, the coverage of the median, mean and change intervals
// by seeded simulation, the geometric mean and the verdict rule. No timing
// and no run-time dependence on anything: every random number comes from a
// fixed-seed SplitMix64 (sampler.hpp).
#include "netbench/statistics.hpp"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <numbers>
#include <stdexcept>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "netbench/mann_whitney.hpp"
#include "sampler.hpp"

namespace netbench::stats {
namespace {

bool covers(const ConfidenceInterval& ci, double truth) {
  return ci.lower <= truth && truth <= ci.upper;
}

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

TEST(SummarizeTest, LargeSamplesGetTheExactBinomialRankWithoutUnderflow) {
  // n = 5001: 2^−5001 underflows, the sum in log space does not. Reference:
  // 1 − 2·scipy.stats.binom.cdf(l − 1, 5001, 0.5) is 0.95227… at l = 2431
  // and 0.94900… at l = 2432 (scipy 1.10.1).
  std::vector<double> v(5001);
  for (std::size_t i = 0; i < v.size(); ++i) v[i] = static_cast<double>(i);
  const ConfidenceInterval ci = median_ci(v);
  EXPECT_TRUE(ci.attained);
  EXPECT_EQ(ci.lower_rank, 2431u);
  EXPECT_EQ(ci.upper_rank, 5001u + 1 - 2431u);
  EXPECT_NEAR(ci.coverage, 0.9522736955323166, 1e-12);
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

TEST(ChangeCiTest, SamplesPastTheExactTableUseTheNormalApproximationOfU) {
  // 60 vs 60: k from Φ; 3,600 pairwise ratios, coverage just above 95%.
  std::vector<double> b(60);
  std::vector<double> c(60);
  for (std::size_t i = 0; i < b.size(); ++i) {
    b[i] = 100 + static_cast<double>(i);
    c[i] = 110 + static_cast<double>(i) * 1.01;
  }
  const Change ch = change_ci(b, c);
  EXPECT_EQ(ch.scale, ChangeScale::kLogRatio);
  EXPECT_TRUE(ch.ci.attained);
  EXPECT_GE(ch.ci.coverage, 0.95);
  EXPECT_LT(ch.ci.coverage, 0.952);
  EXPECT_EQ(ch.ci.lower_rank + ch.ci.upper_rank, 3601u);
  EXPECT_LT(ch.ci.lower, ch.hodges_lehmann);
  EXPECT_GT(ch.ci.upper, ch.hodges_lehmann);
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

}  // namespace
}  // namespace netbench::stats
