#include "netbench/jitter_estimator.hpp"

#include <array>
#include <cstdint>
#include <utility>

#include <gtest/gtest.h>

namespace netbench {
namespace {

constexpr double kTolerance = 1e-9;

struct Step {
  std::uint64_t send_ns;
  std::uint64_t recv_ns;
  std::int64_t abs_d_ns;  // expected return value
  double jitter_ns;       // expected J after this arrival
};

// Worked by hand with RFC 3550 §6.4.1: transit = R − S, D = transit − previous
// transit, J += (|D| − J) / 16. Every J is a dyadic fraction, so exact in double.
//   S    R     transit  |D|  J
//   0    1000  1000     -    0                          (first: no D)
//   100  1150  1050     50   0 + 50/16                  = 3.125
//   200  1210  1010     40   3.125 + 36.875/16          = 5.4296875
//   300  1400  1100     90   5.4296875 + 84.5703125/16  = 10.71533203125
//   400  1400  1000     100  10.71533203125 + 89.28466796875/16
//                                                       = 16.295623779296875
//   500  1500  1000     0    16.295623779296875 * 15/16 = 15.2771472930908203125
constexpr std::array<Step, 6> kSteps = {{
    {0, 1000, -1, 0.0},
    {100, 1150, 50, 3.125},
    {200, 1210, 40, 5.4296875},
    {300, 1400, 90, 10.71533203125},
    {400, 1400, 100, 16.295623779296875},
    {500, 1500, 0, 15.2771472930908203125},
}};

// Feeds kSteps with both clocks shifted (modulo 2^64) and checks every step.
void expect_hand_computed_sequence(std::uint64_t send_offset, std::uint64_t recv_offset) {
  JitterEstimator j;
  std::uint64_t samples = 0;
  for (const Step& s : kSteps) {
    EXPECT_EQ(j.on_arrival(s.send_ns + send_offset, s.recv_ns + recv_offset), s.abs_d_ns);
    EXPECT_NEAR(j.jitter_ns(), s.jitter_ns, kTolerance);
    if (s.abs_d_ns >= 0) {
      ++samples;
    }
    EXPECT_EQ(j.samples(), samples);
  }
}

TEST(JitterEstimatorTest, StartsAtZeroWithNoSamples) {
  const JitterEstimator j;
  EXPECT_EQ(j.jitter_ns(), 0.0);
  EXPECT_EQ(j.samples(), 0U);
}

TEST(JitterEstimatorTest, FirstArrivalReturnsMinusOneAndLeavesJitterAtZero) {
  JitterEstimator j;
  EXPECT_EQ(j.on_arrival(12'345, 99'999), -1);
  EXPECT_EQ(j.jitter_ns(), 0.0);
  EXPECT_EQ(j.samples(), 0U);
}

TEST(JitterEstimatorTest, MatchesAHandComputedSequence) { expect_hand_computed_sequence(0, 0); }

TEST(JitterEstimatorTest, ConstantTransitGivesZeroJitter) {
  JitterEstimator j;
  for (std::uint64_t i = 0; i < 100; ++i) {
    j.on_arrival(i * 1'000, i * 1'000 + 50'000);
  }
  EXPECT_EQ(j.jitter_ns(), 0.0);
  EXPECT_EQ(j.samples(), 99U);
}

TEST(JitterEstimatorTest, ReceiveClockAheadByTenToTheTwelveGivesTheSameJitter) {
  expect_hand_computed_sequence(0, 1'000'000'000'000);
}

TEST(JitterEstimatorTest, ReceiveClockBehindTheSendClockGivesTheSameJitter) {
  // R < S for every message: the transit is "negative".
  expect_hand_computed_sequence(5'000'000'000'000, 0);
  // Receive clock near 0, so R − offset wraps below zero as unsigned.
  expect_hand_computed_sequence(0, 0 - std::uint64_t{1'000'000'000'000});
}

TEST(JitterEstimatorTest, ClocksWrappingAroundTwoToTheSixtyFourGiveTheSameJitter) {
  // Send timestamps cross 2^64 in the middle of the sequence.
  expect_hand_computed_sequence(UINT64_MAX - 250, 7);
  expect_hand_computed_sequence(UINT64_MAX - 1'250, UINT64_MAX - 1'250);
}

TEST(JitterEstimatorTest, NegativeTransitDifferenceUsesItsMagnitude) {
  JitterEstimator j;
  j.on_arrival(1'000, 500);                    // transit −500
  EXPECT_EQ(j.on_arrival(2'000, 1'600), 100);  // transit −400: D = +100
  EXPECT_EQ(j.on_arrival(3'000, 2'300), 300);  // transit −700: D = −300
  EXPECT_NEAR(j.jitter_ns(), 6.25 + (300.0 - 6.25) / 16.0, kTolerance);
}

TEST(JitterEstimatorTest, HugeDifferenceIsClampedNotOverflowed) {
  JitterEstimator j;
  j.on_arrival(0, 0);
  // Transit jumps by 2^63 ns: |D| does not fit int64 and is reported as INT64_MAX.
  EXPECT_EQ(j.on_arrival(0, std::uint64_t{1} << 63), INT64_MAX);
  EXPECT_NEAR(j.jitter_ns(), 9223372036854775808.0 / 16.0, 1.0);
}

}  // namespace
}  // namespace netbench
