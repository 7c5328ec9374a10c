// Distribution functions (distributions.hpp): t and normal quantiles
// against 40-digit reference values and printed tables, closed forms of the
// t CDF, the exact binomial CDF.
#include "netbench/distributions.hpp"

#include <cmath>
#include <cstddef>
#include <limits>
#include <stdexcept>

#include <gtest/gtest.h>

namespace netbench::stats {
namespace {

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

}  // namespace
}  // namespace netbench::stats
