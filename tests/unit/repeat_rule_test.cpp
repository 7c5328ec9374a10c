// The stopping rule of --repeat, on synthetic sequences: no runs, no timing.
#include "netbench/repeat_rule.hpp"

#include <cmath>
#include <vector>

#include <gtest/gtest.h>

namespace netbench {
namespace {

RepeatStatus after(const std::vector<double>& values, const RepeatPolicy& p) {
  return repeat_status(values, p);
}

TEST(RepeatRuleTest, FixedCountRunsExactlyThatManyTimes) {
  const RepeatPolicy p = fixed_repeat(4);
  EXPECT_TRUE(after({}, p).more);
  EXPECT_TRUE(after({1, 1, 1}, p).more);
  EXPECT_FALSE(after({1, 2, 3, 4}, p).more);
  EXPECT_FALSE(after({1, 1, 1, 1}, p).reached);  // no target for a fixed count
}

TEST(RepeatRuleTest, AutoNeverStopsBeforeThreeRuns) {
  const RepeatPolicy p = auto_repeat(0.05);
  EXPECT_TRUE(after({}, p).more);
  EXPECT_TRUE(after({100}, p).more);
  EXPECT_TRUE(after({100, 100}, p).more);  // already precise, but fewer than 3
}

TEST(RepeatRuleTest, AutoStopsAtThreeWhenTheMeansIntervalIsNarrow) {
  // mean 100, s = 0.5, t(0.975, 2) = 4.303: half-width 1.24 = 1.24% < 5%.
  const RepeatStatus s = after({99.5, 100, 100.5}, auto_repeat(0.05));
  EXPECT_FALSE(s.more);
  EXPECT_TRUE(s.reached);
  ASSERT_TRUE(s.width);
  EXPECT_NEAR(*s.width, 4.303 * 0.5 / std::sqrt(3.0) / 100, 1e-4);
}

TEST(RepeatRuleTest, AutoGoesOnWhileTheIntervalIsWide) {
  // mean 100, s = 20: half-width ≈ 50% at n = 3.
  const RepeatStatus s = after({80, 100, 120}, auto_repeat(0.05));
  EXPECT_TRUE(s.more);
  EXPECT_FALSE(s.reached);
}

TEST(RepeatRuleTest, AutoStopsAtThirtyAndSaysTheWidthWasNotReached) {
  std::vector<double> noisy;
  for (int i = 0; i < 30; ++i) {
    noisy.push_back(i % 2 == 0 ? 50 : 150);
  }
  const RepeatStatus s = after(noisy, auto_repeat(0.05));
  EXPECT_FALSE(s.more);
  EXPECT_FALSE(s.reached);
  ASSERT_TRUE(s.width);
  EXPECT_GT(*s.width, 0.05);
}

TEST(RepeatRuleTest, AutoNarrowsAsRunsAccumulate) {
  // A sequence that is wide at first and settles: the rule stops at the
  // first n where the t interval is within 5%.
  std::vector<double> values = {90, 110, 100};
  const RepeatPolicy p = auto_repeat(0.05);
  EXPECT_TRUE(after(values, p).more);
  std::size_t stopped_at = 0;
  for (int i = 0; i < 27 && stopped_at == 0; ++i) {
    values.push_back(100);
    if (!after(values, p).more) {
      stopped_at = values.size();
    }
  }
  EXPECT_GT(stopped_at, 3U);
  EXPECT_LT(stopped_at, 30U);
  EXPECT_TRUE(after(values, p).reached);
}

TEST(RepeatRuleTest, AZeroMeanIsNeverPrecise) {
  const RepeatStatus s = after({0, 0, 0}, auto_repeat(0.05));
  EXPECT_TRUE(s.more);
  EXPECT_FALSE(s.width);
}

}  // namespace
}  // namespace netbench
