// The Mann–Whitney U test (mann_whitney.hpp): the exact path against brute
// force enumeration of every rank assignment, both paths against scipy
// reference values pasted as constants, and the false-positive rate of A/A
// comparisons by seeded simulation (no timing, no scipy at run time).
#include "netbench/mann_whitney.hpp"

#include <algorithm>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "sampler.hpp"

namespace netbench::stats {
namespace {

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

}  // namespace
}  // namespace netbench::stats
