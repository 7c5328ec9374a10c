// The shuffled order of repeated sweep points (interleave.hpp) and the
// generator behind it (split_mix64.hpp).
#include "netbench/interleave.hpp"

#include <cstddef>
#include <cstdint>
#include <limits>
#include <map>
#include <set>
#include <stdexcept>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "netbench/split_mix64.hpp"

namespace netbench {
namespace {

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
}  // namespace netbench
