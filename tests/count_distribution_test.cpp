#include "netbench/count_distribution.hpp"

#include <cstddef>
#include <cstdint>

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

}  // namespace
}  // namespace netbench
