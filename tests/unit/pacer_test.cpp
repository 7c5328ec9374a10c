#include "sender/pacer.hpp"

#include <cmath>
#include <cstdint>

#include <gtest/gtest.h>

#include "netbench/test_spec.hpp"

namespace netbench::sender {
namespace {

constexpr std::uint64_t kStartNs = 5'000'000'000;
constexpr std::uint64_t kOffsetNs = 123;
constexpr std::uint64_t kSeed = 0x9E3779B97F4A7C15ULL;

TEST(PacerTest, ConstantScheduleIsStartPlusOffsetPlusKGaps) {
  // 1000 msg/s: a gap of exactly 1 ms, representable without rounding.
  Pacer p(Pattern::kConstant, 1000.0, kStartNs, kOffsetNs, kSeed);
  EXPECT_FALSE(p.unlimited());
  for (std::uint64_t k = 0; k < 10'000; ++k) {
    ASSERT_EQ(p.next_ns(), kStartNs + kOffsetNs + k * 1'000'000) << "k=" << k;
    p.advance();
  }
}

TEST(PacerTest, ConstantScheduleWithFractionalGapIsComputedFromTheStart) {
  // 3 msg/s: a gap of 333,333,333.33 ns. Times are k × gap from the start,
  // so the fraction never accumulates into drift.
  Pacer p(Pattern::kConstant, 3.0, kStartNs, 0, kSeed);
  const double gap = 1e9 / 3.0;
  for (std::uint64_t k = 0; k < 3'000; ++k) {
    ASSERT_EQ(p.next_ns(), kStartNs + static_cast<std::uint64_t>(static_cast<double>(k) * gap));
    p.advance();
  }
  // After 3,000 gaps exactly 1,000 s have passed (to within one ns).
  EXPECT_NEAR(static_cast<double>(p.next_ns() - kStartNs), 1e12, 1.0);
}

TEST(PacerTest, ZeroRateIsUnlimitedAndAlwaysDue) {
  for (const Pattern pattern : {Pattern::kConstant, Pattern::kPoisson}) {
    Pacer p(pattern, 0.0, kStartNs, kOffsetNs, kSeed);
    EXPECT_TRUE(p.unlimited());
    for (int k = 0; k < 100; ++k) {
      ASSERT_EQ(p.next_ns(), 0U);
      p.advance();
    }
  }
}

TEST(PacerTest, DefaultConstructedPacerIsUnlimited) {
  const Pacer p;
  EXPECT_TRUE(p.unlimited());
  EXPECT_EQ(p.next_ns(), 0U);
}

TEST(PacerTest, PoissonMeanGapMatchesTheRate) {
  // Statistical, with a fixed seed: deterministic, not a timing assertion.
  // The mean of n Exp(1) draws has standard deviation 1/sqrt(n) ≈ 0.32% at
  // n = 100k; 2% is more than six standard deviations.
  constexpr double kRate = 10'000.0;
  constexpr std::uint64_t kDraws = 100'000;
  const double gap = 1e9 / kRate;
  Pacer p(Pattern::kPoisson, kRate, kStartNs, 0, kSeed);
  std::uint64_t prev = kStartNs;
  double sum_sq = 0;
  for (std::uint64_t k = 0; k < kDraws; ++k) {
    const std::uint64_t t = p.next_ns();
    const double d = static_cast<double>(t - prev);
    sum_sq += d * d;
    prev = t;
    p.advance();
  }
  const double mean = static_cast<double>(prev - kStartNs) / static_cast<double>(kDraws);
  EXPECT_NEAR(mean / gap, 1.0, 0.02);
  // Exponential gaps: the standard deviation equals the mean (constant gaps
  // would give 0), so E[d²] = 2·gap².
  EXPECT_NEAR(sum_sq / static_cast<double>(kDraws) / (gap * gap), 2.0, 0.1);
}

TEST(PacerTest, PoissonScheduleDependsOnlyOnTheSeed) {
  Pacer a(Pattern::kPoisson, 1000.0, kStartNs, 0, 42);
  Pacer b(Pattern::kPoisson, 1000.0, kStartNs, 0, 42);
  Pacer c(Pattern::kPoisson, 1000.0, kStartNs, 0, 1042);
  bool differs = false;
  for (int k = 0; k < 1'000; ++k) {
    ASSERT_EQ(a.next_ns(), b.next_ns());
    differs = differs || a.next_ns() != c.next_ns();
    a.advance();
    b.advance();
    c.advance();
  }
  EXPECT_TRUE(differs);
}

TEST(PacerTest, TimesNeverDecrease) {
  for (const Pattern pattern : {Pattern::kConstant, Pattern::kPoisson}) {
    for (const double rate : {1.0, 3.0, 1e3, 1e6, 1e9, 5e9}) {
      Pacer p(pattern, rate, kStartNs, kOffsetNs, kSeed);
      std::uint64_t prev = p.next_ns();
      EXPECT_GE(prev, kStartNs + kOffsetNs);
      for (int k = 0; k < 20'000; ++k) {
        p.advance();
        const std::uint64_t t = p.next_ns();
        ASSERT_GE(t, prev) << "pattern " << to_string(pattern) << " rate " << rate << " k " << k;
        prev = t;
      }
    }
  }
}

TEST(PacerTest, FirstPoissonSendIsOneGapAfterTheStartOnAverage) {
  // The first send of a Poisson process is itself an exponential gap away,
  // so flows started together do not all fire at once.
  constexpr double kRate = 1000.0;
  double sum = 0;
  constexpr int kPacers = 20'000;
  for (int i = 0; i < kPacers; ++i) {
    const Pacer p(Pattern::kPoisson, kRate, kStartNs, 0, kSeed * static_cast<std::uint64_t>(i + 1));
    sum += static_cast<double>(p.next_ns() - kStartNs);
  }
  EXPECT_NEAR(sum / kPacers / (1e9 / kRate), 1.0, 0.05);
}

}  // namespace
}  // namespace netbench::sender
