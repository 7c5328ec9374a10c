#include "netbench/count_distribution.hpp"

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

#include <gtest/gtest.h>

namespace netbench {
namespace {

TEST(CountDistributionTest, EmptyDistributionIsAllZero) {
  const CountDistribution d;
  EXPECT_EQ(d.count(), 0U);
  EXPECT_EQ(d.max(), 0U);
  EXPECT_EQ(d.sum(), 0U);
  for (const std::uint64_t b : d.buckets()) {
    EXPECT_EQ(b, 0U);
  }
}

TEST(CountDistributionTest, ZeroHasItsOwnBucket) {
  CountDistribution d;
  d.record(0);
  EXPECT_EQ(d.buckets()[0], 1U);
  EXPECT_EQ(d.count(), 1U);
  EXPECT_EQ(d.max(), 0U);
}

TEST(CountDistributionTest, BucketKHoldsPowersOfTwoFromTwoToTheKMinusOne) {
  EXPECT_EQ(CountDistribution::bucket_of(0), 0U);
  EXPECT_EQ(CountDistribution::bucket_of(1), 1U);
  EXPECT_EQ(CountDistribution::bucket_of(2), 2U);
  EXPECT_EQ(CountDistribution::bucket_of(3), 2U);
  EXPECT_EQ(CountDistribution::bucket_of(4), 3U);
  EXPECT_EQ(CountDistribution::bucket_of(7), 3U);
  EXPECT_EQ(CountDistribution::bucket_of(8), 4U);
  EXPECT_EQ(CountDistribution::bucket_of(UINT64_MAX), 64U);
  EXPECT_EQ(CountDistribution::bucket_low(0), 0U);
  for (std::size_t k = 1; k < CountDistribution::kBuckets; ++k) {
    const std::uint64_t low = CountDistribution::bucket_low(k);
    EXPECT_EQ(low, std::uint64_t{1} << (k - 1));
    EXPECT_EQ(CountDistribution::bucket_of(low), k);
    EXPECT_EQ(CountDistribution::bucket_of(low - 1), k - 1);  // the previous bucket's top
  }
  EXPECT_EQ(CountDistribution::bucket_low(CountDistribution::kBuckets), UINT64_MAX);
}

TEST(CountDistributionTest, CountMaxAndSumAreExact) {
  CountDistribution d;
  for (const std::uint64_t v : {1U, 2U, 3U, 4U, 100U, 1U}) {
    d.record(v);
  }
  EXPECT_EQ(d.count(), 6U);
  EXPECT_EQ(d.max(), 100U);
  EXPECT_EQ(d.sum(), 111U);
  EXPECT_EQ(d.buckets()[1], 2U);  // 1, 1
  EXPECT_EQ(d.buckets()[2], 2U);  // 2, 3
  EXPECT_EQ(d.buckets()[3], 1U);  // 4
  EXPECT_EQ(d.buckets()[7], 1U);  // 100 in [64, 128)
}

TEST(CountDistributionTest, SumSaturatesInsteadOfWrapping) {
  CountDistribution d;
  d.record(UINT64_MAX);
  d.record(5);
  EXPECT_EQ(d.sum(), UINT64_MAX);
  EXPECT_EQ(d.max(), UINT64_MAX);
  EXPECT_EQ(d.buckets()[64], 1U);
}

TEST(CountDistributionTest, MergeEqualsRecordingBothIntoOne) {
  CountDistribution a;
  CountDistribution b;
  CountDistribution both;
  for (std::uint64_t v = 0; v < 1000; v += 7) {
    a.record(v);
    both.record(v);
  }
  for (std::uint64_t v = 1; v < 1'000'000; v *= 3) {
    b.record(v);
    both.record(v);
  }
  a.merge(b);
  EXPECT_EQ(a, both);
  CountDistribution empty;
  empty.merge(both);
  EXPECT_EQ(empty, both);
}

/// from_parts() of a distribution's own parts.
std::optional<CountDistribution> rebuilt(const CountDistribution& d) {
  return CountDistribution::from_parts(d.buckets(), d.count(), d.max(), d.sum());
}

TEST(CountDistributionTest, FromPartsRebuildsEveryRecordedDistributionExactly) {
  std::vector<CountDistribution> cases(6);
  cases[1].record(0);
  cases[2].record(1);
  cases[2].record(1);
  for (std::uint64_t v = 0; v < 5000; v += 3) {
    cases[3].record(v * v);
  }
  cases[4].record(UINT64_MAX);
  cases[4].record(UINT64_MAX - 1);  // sum saturated
  for (std::uint64_t v = 1; v != 0; v <<= 1) {
    cases[5].record(v);
    cases[5].record(v + (v - 1));  // both ends of every bucket
  }
  for (const CountDistribution& d : cases) {
    const auto r = rebuilt(d);
    ASSERT_TRUE(r.has_value());
    EXPECT_EQ(*r, d);
  }
}

TEST(CountDistributionTest, FromPartsRejectsPartsNoRecordingCouldGive) {
  CountDistribution d;
  d.record(5);  // bucket 3: [4, 8)
  d.record(6);
  d.record(20);  // bucket 5: [16, 32)
  auto b = d.buckets();
  using CD = CountDistribution;
  EXPECT_TRUE(CD::from_parts(b, 3, 20, 31));
  EXPECT_TRUE(CD::from_parts(b, 3, 20, 8 + 20));   // least possible sum
  EXPECT_TRUE(CD::from_parts(b, 3, 20, 14 + 20));  // greatest possible sum
  EXPECT_FALSE(CD::from_parts(b, 4, 20, 31));      // count is not the buckets' total
  EXPECT_FALSE(CD::from_parts(b, 3, 7, 31));       // max below the top bucket
  EXPECT_FALSE(CD::from_parts(b, 3, 40, 31));      // max above it
  EXPECT_FALSE(CD::from_parts(b, 3, 20, 27));      // sum too small
  EXPECT_FALSE(CD::from_parts(b, 3, 20, 35));      // sum too large
  EXPECT_FALSE(CD::from_parts({}, 0, 1, 0));       // empty but a max
  EXPECT_FALSE(CD::from_parts({}, 0, 0, 1));       // empty but a sum
  EXPECT_TRUE(CD::from_parts({}, 0, 0, 0));
  // Bucket totals that wrap around 2^64 are no count at all.
  b = {};
  b[1] = UINT64_MAX;
  b[2] = 2;
  EXPECT_FALSE(CD::from_parts(b, 1, 3, UINT64_MAX));
  // A single sample's sum is the sample.
  b = {};
  b[4] = 1;
  EXPECT_TRUE(CD::from_parts(b, 1, 9, 9));
  EXPECT_FALSE(CD::from_parts(b, 1, 9, 10));
}

}  // namespace
}  // namespace netbench
