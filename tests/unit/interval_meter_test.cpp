#include "netbench/interval_meter.hpp"

#include <cmath>
#include <cstdint>
#include <limits>
#include <random>

#include <gtest/gtest.h>

namespace netbench {
namespace {

constexpr std::uint64_t kSecond = 1'000'000'000;
constexpr std::uint64_t kStart = 10'000;  // an arbitrary CLOCK_MONOTONIC origin, ns

TEST(PerSecondTest, ComputesExactRatesOnHandPickedNumbers) {
  EXPECT_DOUBLE_EQ(per_second(1000, kSecond / 2), 2000.0);
  EXPECT_DOUBLE_EQ(per_second(3, 3 * kSecond / 2), 2.0);
  EXPECT_DOUBLE_EQ(per_second(1, 1), 1e9);
  EXPECT_DOUBLE_EQ(per_second(125'000'000, kSecond), 125'000'000.0);
  EXPECT_DOUBLE_EQ(per_second(0, kSecond), 0.0);
}

TEST(PerSecondTest, ZeroDurationGivesZeroNotNanOrInfinity) {
  for (const std::uint64_t count :
       {std::uint64_t{0}, std::uint64_t{1}, std::numeric_limits<std::uint64_t>::max()}) {
    const double r = per_second(count, 0);
    EXPECT_TRUE(std::isfinite(r)) << count;
    EXPECT_EQ(r, 0.0) << count;
  }
}

TEST(PerSecondTest, HugeCountsStayFinite) {
  EXPECT_TRUE(std::isfinite(per_second(std::numeric_limits<std::uint64_t>::max(), 1)));
}

TEST(IntervalSampleTest, RatesUseTheSampleDuration) {
  IntervalSample s;
  s.start_ns = 5 * kSecond;
  s.end_ns = 5 * kSecond + 1'250'000'000;  // 1.25 s
  s.bytes = 1'500'000;
  s.messages = 1000;
  EXPECT_EQ(s.duration_ns(), 1'250'000'000U);
  EXPECT_DOUBLE_EQ(s.bytes_per_second(), 1'200'000.0);
  EXPECT_DOUBLE_EQ(s.bits_per_second(), 9'600'000.0);
  EXPECT_DOUBLE_EQ(s.messages_per_second(), 800.0);
}

TEST(IntervalSampleTest, EmptyOrBackwardsIntervalHasZeroRates) {
  IntervalSample s;
  s.start_ns = 7 * kSecond;
  s.end_ns = 7 * kSecond;
  s.bytes = 100;
  s.messages = 1;
  EXPECT_EQ(s.duration_ns(), 0U);
  EXPECT_EQ(s.bytes_per_second(), 0.0);
  EXPECT_EQ(s.bits_per_second(), 0.0);
  EXPECT_EQ(s.messages_per_second(), 0.0);
  s.end_ns = s.start_ns - 1;
  EXPECT_EQ(s.duration_ns(), 0U);
  EXPECT_EQ(s.bytes_per_second(), 0.0);
}

TEST(IntervalMeterTest, FirstDeadlineIsOneIntervalAfterStart) {
  const IntervalMeter m(kStart, kSecond);
  EXPECT_EQ(m.deadline_ns(), kStart + kSecond);
  EXPECT_FALSE(m.due(kStart));
  EXPECT_FALSE(m.due(kStart + kSecond - 1));
  EXPECT_TRUE(m.due(kStart + kSecond));
  EXPECT_TRUE(m.due(kStart + 5 * kSecond));
}

TEST(IntervalMeterTest, CloseUsesTheMeasuredLengthNotTheNominalOne) {
  IntervalMeter m(kStart, kSecond);
  m.add(1'000'000, 600);
  m.add(500'000, 400);
  // Closed a quarter-second late: the rate is over 1.25 s, not 1 s.
  const IntervalSample s = m.close(kStart + 1'250'000'000);
  EXPECT_EQ(s.start_ns, kStart);
  EXPECT_EQ(s.end_ns, kStart + 1'250'000'000);
  EXPECT_EQ(s.bytes, 1'500'000U);
  EXPECT_EQ(s.messages, 1000U);
  EXPECT_DOUBLE_EQ(s.bytes_per_second(), 1'200'000.0);
  EXPECT_DOUBLE_EQ(s.messages_per_second(), 800.0);
}

TEST(IntervalMeterTest, NextIntervalStartsWhereThePreviousEnded) {
  IntervalMeter m(kStart, kSecond);
  m.add(10);
  const IntervalSample first = m.close(kStart + 1'250'000'000);
  m.add(750'000);
  // The second interval is short (0.75 s) because the first ended late.
  const IntervalSample second = m.close(kStart + 2 * kSecond);
  EXPECT_EQ(second.start_ns, first.end_ns);
  EXPECT_EQ(second.duration_ns(), 750'000'000U);
  EXPECT_DOUBLE_EQ(second.bytes_per_second(), 1'000'000.0);
}

TEST(IntervalMeterTest, CloseResetsTheIntervalCounters) {
  IntervalMeter m(kStart, kSecond);
  m.add(100, 2);
  (void)m.close(kStart + kSecond);
  const IntervalSample s = m.close(kStart + 2 * kSecond);
  EXPECT_EQ(s.bytes, 0U);
  EXPECT_EQ(s.messages, 0U);
  EXPECT_EQ(s.bytes_per_second(), 0.0);
}

TEST(IntervalMeterTest, AddCountsOneMessageByDefault) {
  IntervalMeter m(kStart, kSecond);
  m.add(64);
  m.add(64);
  m.add(1000, 0);
  const IntervalSample s = m.close(kStart + kSecond);
  EXPECT_EQ(s.bytes, 1128U);
  EXPECT_EQ(s.messages, 2U);
}

TEST(IntervalMeterTest, LateClosesDoNotMakeDeadlinesDrift) {
  IntervalMeter m(kStart, kSecond);
  std::mt19937_64 rng(3);
  for (std::uint64_t k = 1; k <= 1000; ++k) {
    // Each close lands up to 0.9 s after its deadline.
    const std::uint64_t late = rng() % (9 * kSecond / 10);
    ASSERT_TRUE(m.due(m.deadline_ns() + late));
    (void)m.close(kStart + k * kSecond + late);
    ASSERT_EQ(m.deadline_ns(), kStart + (k + 1) * kSecond) << "interval " << k;
  }
}

TEST(IntervalMeterTest, CloseAtTheDeadlineMovesItOneStep) {
  IntervalMeter m(kStart, kSecond);
  (void)m.close(kStart + kSecond);
  EXPECT_EQ(m.deadline_ns(), kStart + 2 * kSecond);
  EXPECT_FALSE(m.due(kStart + kSecond));
}

TEST(IntervalMeterTest, CloseOneWholeIntervalLateMovesPastTheNextDeadlineToo) {
  IntervalMeter m(kStart, kSecond);
  // `now` equals deadline + interval: that deadline has passed as well.
  (void)m.close(kStart + 2 * kSecond);
  EXPECT_EQ(m.deadline_ns(), kStart + 3 * kSecond);
  EXPECT_FALSE(m.due(kStart + 2 * kSecond));
}

TEST(IntervalMeterTest, CloseSeveralDeadlinesLateSkipsPastNowInWholeSteps) {
  IntervalMeter m(kStart, kSecond);
  const IntervalSample s = m.close(kStart + 3'500'000'000);
  EXPECT_EQ(s.duration_ns(), 3'500'000'000U);
  EXPECT_EQ(m.deadline_ns(), kStart + 4 * kSecond);
  EXPECT_FALSE(m.due(kStart + 3'500'000'000));

  // Landing exactly on a later deadline moves past it, not onto it.
  (void)m.close(kStart + 6 * kSecond);
  EXPECT_EQ(m.deadline_ns(), kStart + 7 * kSecond);
  EXPECT_FALSE(m.due(kStart + 6 * kSecond));
}

TEST(IntervalMeterTest, EarlyCloseStillAdvancesTheDeadlineOneStep) {
  IntervalMeter m(kStart, kSecond);
  const IntervalSample s = m.close(kStart + kSecond / 2);
  EXPECT_EQ(s.duration_ns(), kSecond / 2);
  EXPECT_EQ(m.deadline_ns(), kStart + 2 * kSecond);
}

TEST(IntervalMeterTest, ZeroLengthIntervalGivesZeroRate) {
  IntervalMeter m(kStart, kSecond);
  (void)m.close(kStart + kSecond);
  m.add(4096, 4);
  const IntervalSample s = m.close(kStart + kSecond);
  EXPECT_EQ(s.duration_ns(), 0U);
  EXPECT_EQ(s.bytes, 4096U);
  EXPECT_TRUE(std::isfinite(s.bytes_per_second()));
  EXPECT_EQ(s.bytes_per_second(), 0.0);
  EXPECT_EQ(s.bits_per_second(), 0.0);
  EXPECT_EQ(s.messages_per_second(), 0.0);
}

TEST(IntervalMeterTest, CloseBeforeStartGivesAnEmptyIntervalAtStart) {
  IntervalMeter m(kStart, kSecond);
  const IntervalSample s = m.close(kStart - 1);
  EXPECT_EQ(s.start_ns, kStart);
  EXPECT_EQ(s.end_ns, kStart);
  EXPECT_EQ(s.duration_ns(), 0U);
}

TEST(IntervalMeterTest, TotalsCoverClosedAndOpenIntervals) {
  IntervalMeter m(kStart, kSecond);
  EXPECT_EQ(m.total_bytes(), 0U);
  EXPECT_EQ(m.total_messages(), 0U);
  m.add(100, 1);
  (void)m.close(kStart + kSecond);
  m.add(200, 2);
  (void)m.close(kStart + 2 * kSecond);
  m.add(300, 3);  // still open
  EXPECT_EQ(m.total_bytes(), 600U);
  EXPECT_EQ(m.total_messages(), 6U);
  (void)m.close(kStart + 3 * kSecond);
  EXPECT_EQ(m.total_bytes(), 600U);
  EXPECT_EQ(m.total_messages(), 6U);
}

TEST(IntervalMeterTest, ZeroIntervalStillMovesTheDeadlinePastNow) {
  IntervalMeter m(kStart, 0);
  EXPECT_GT(m.deadline_ns(), kStart);
  (void)m.close(kStart + kSecond);
  EXPECT_GT(m.deadline_ns(), kStart + kSecond);
}

}  // namespace
}  // namespace netbench
