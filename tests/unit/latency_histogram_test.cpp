#include "netbench/latency_histogram.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <new>
#include <optional>
#include <random>
#include <span>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "allocation_probe.hpp"

namespace netbench {
namespace {

constexpr std::array<double, 8> kPercentiles = {0, 1, 50, 90, 99, 99.9, 99.99, 100};
constexpr std::uint64_t kTop = LatencyHistogram::kHighestTrackableNs;

// Ground truth: nearest rank over the sorted samples, rank = ceil(p/100 * N)
// computed as p * N / 100 (the histogram's definition), p = 0 → the minimum.
std::uint64_t reference_percentile(const std::vector<std::uint64_t>& sorted, double p) {
  const auto n = static_cast<double>(sorted.size());
  auto rank = static_cast<std::size_t>(std::ceil(p * n / 100.0));
  rank = std::clamp<std::size_t>(rank, 1, sorted.size());
  return sorted[rank - 1];
}

LatencyHistogram histogram_of(const std::vector<std::uint64_t>& values) {
  LatencyHistogram h;
  for (const std::uint64_t v : values) {
    h.record(v);
  }
  return h;
}

// Checks every required percentile against the sorted samples: the reported
// value is the top of the true sample's bucket, so never below it and at most
// kRelativeError above it.
void expect_percentiles_match(std::vector<std::uint64_t> values) {
  const LatencyHistogram h = histogram_of(values);
  std::sort(values.begin(), values.end());
  for (const double p : kPercentiles) {
    const std::uint64_t truth = reference_percentile(values, p);
    const std::uint64_t got = h.percentile(p);
    EXPECT_GE(got, truth) << "p" << p;
    EXPECT_LE(static_cast<double>(got - truth),
              static_cast<double>(truth) * LatencyHistogram::kRelativeError)
        << "p" << p << " truth " << truth << " got " << got;
  }
  EXPECT_EQ(h.percentile(0), values.front());
  EXPECT_EQ(h.percentile(100), values.back());
}

std::vector<std::uint64_t> uniform_values(std::mt19937_64& rng, std::size_t n, std::uint64_t lo,
                                          std::uint64_t hi) {
  std::uniform_int_distribution<std::uint64_t> dist(lo, hi);
  std::vector<std::uint64_t> v(n);
  for (auto& x : v) {
    x = dist(rng);
  }
  return v;
}

std::vector<std::uint64_t> lognormal_values(std::mt19937_64& rng, std::size_t n, double mu,
                                            double sigma) {
  std::lognormal_distribution<double> dist(mu, sigma);
  std::vector<std::uint64_t> v(n);
  for (auto& x : v) {
    x = static_cast<std::uint64_t>(std::min(dist(rng), 1e12));
  }
  return v;
}

// 1 .. 1e12 spread evenly over the orders of magnitude (log-uniform).
std::vector<std::uint64_t> log_uniform_values(std::mt19937_64& rng, std::size_t n) {
  std::uniform_real_distribution<double> exponent(0.0, 12.0);
  std::vector<std::uint64_t> v(n);
  for (auto& x : v) {
    x = static_cast<std::uint64_t>(std::pow(10.0, exponent(rng)));
  }
  return v;
}

std::span<const std::byte> prefix(const std::vector<std::byte>& bytes, std::size_t n) {
  return std::span<const std::byte>(bytes.data(), n);
}

// Minimal LEB128 writer to build malformed inputs by hand.
void put(std::vector<std::byte>& out, std::uint64_t v) {
  while (v >= 0x80) {
    out.push_back(static_cast<std::byte>((v & 0x7F) | 0x80));
    v >>= 7;
  }
  out.push_back(static_cast<std::byte>(v));
}

// Header of the version-1 format with the given fields.
std::vector<std::byte> header(std::uint64_t total, std::uint64_t min, std::uint64_t max,
                              std::uint64_t sum, std::uint64_t saturated,
                              std::uint64_t slots = 33'793) {
  std::vector<std::byte> out = {std::byte{'N'}, std::byte{'B'}, std::byte{'L'}, std::byte{'H'},
                                std::byte{1}};
  for (const std::uint64_t v : {total, min, max, sum, saturated, slots}) {
    put(out, v);
  }
  return out;
}

TEST(LatencyHistogramTest, EmptyHistogramReportsZeros) {
  const LatencyHistogram h;
  EXPECT_EQ(h.count(), 0U);
  EXPECT_EQ(h.min(), 0U);
  EXPECT_EQ(h.max(), 0U);
  EXPECT_EQ(h.mean(), 0.0);
  EXPECT_EQ(h.saturated(), 0U);
  for (const double p : kPercentiles) {
    EXPECT_EQ(h.percentile(p), 0U);
  }
}

TEST(LatencyHistogramTest, PercentileIsNearestRank) {
  std::vector<std::uint64_t> values;
  for (std::uint64_t v = 1; v <= 1000; ++v) {
    values.push_back(v);
  }
  const LatencyHistogram h = histogram_of(values);
  EXPECT_EQ(h.percentile(0), 1U);
  EXPECT_EQ(h.percentile(0.05), 1U);  // ceil(0.5) = rank 1
  EXPECT_EQ(h.percentile(0.1), 1U);
  EXPECT_EQ(h.percentile(0.11), 2U);
  EXPECT_EQ(h.percentile(50), 500U);
  EXPECT_EQ(h.percentile(90), 900U);
  EXPECT_EQ(h.percentile(99), 990U);
  EXPECT_EQ(h.percentile(99.9), 999U);  // not 1000: 99.9 / 100 * 1000 > 999 in double
  EXPECT_EQ(h.percentile(99.99), 1000U);
  EXPECT_EQ(h.percentile(100), 1000U);
}

TEST(LatencyHistogramTest, PercentileOutsideZeroToHundredIsClamped) {
  const LatencyHistogram h = histogram_of({7, 8, 9});
  EXPECT_EQ(h.percentile(-5), 7U);
  EXPECT_EQ(h.percentile(std::numeric_limits<double>::quiet_NaN()), 7U);
  EXPECT_EQ(h.percentile(250), 9U);
  EXPECT_EQ(h.percentile(std::numeric_limits<double>::infinity()), 9U);
}

TEST(LatencyHistogramTest, SmallValuesAreExact) {
  std::mt19937_64 rng(1);
  std::vector<std::uint64_t> values = uniform_values(rng, 50'000, 0, 2047);
  const LatencyHistogram h = histogram_of(values);
  std::sort(values.begin(), values.end());
  for (double p = 0; p <= 100; p += 0.25) {
    EXPECT_EQ(h.percentile(p), reference_percentile(values, p)) << "p" << p;
  }
  for (const double p : kPercentiles) {
    EXPECT_EQ(h.percentile(p), reference_percentile(values, p)) << "p" << p;
  }
}

TEST(LatencyHistogramTest, ZeroIsRecordedAsZero) {
  const LatencyHistogram h = histogram_of({0, 0, 5});
  EXPECT_EQ(h.min(), 0U);
  EXPECT_EQ(h.percentile(50), 0U);
  EXPECT_EQ(h.percentile(100), 5U);
}

TEST(LatencyHistogramTest, PercentilesOfUniformWideRangeAreWithinRelativeError) {
  std::mt19937_64 rng(2);
  expect_percentiles_match(uniform_values(rng, 200'000, 1, 1'000'000'000'000));
  expect_percentiles_match(uniform_values(rng, 200'000, 1'000, 2'000'000));
  expect_percentiles_match(uniform_values(rng, 1'000, 1, kTop));
}

TEST(LatencyHistogramTest, PercentilesOfLognormalAreWithinRelativeError) {
  std::mt19937_64 rng(3);
  expect_percentiles_match(lognormal_values(rng, 200'000, 10.0, 1.0));  // ~22 µs median
  expect_percentiles_match(lognormal_values(rng, 200'000, 13.0, 3.0));  // heavy tail
}

TEST(LatencyHistogramTest, PercentilesOfValuesFromOneToTenToTheTwelveAreWithinRelativeError) {
  std::mt19937_64 rng(4);
  expect_percentiles_match(log_uniform_values(rng, 200'000));
  for (int seed = 0; seed < 20; ++seed) {
    expect_percentiles_match(log_uniform_values(rng, 37 + static_cast<std::size_t>(seed) * 11));
  }
}

TEST(LatencyHistogramTest, BucketBoundariesAreWithinRelativeError) {
  // Every power of two from 2^11 to 2^41 and its neighbours, and the top.
  std::vector<std::uint64_t> values = {kTop - 1, kTop};
  for (unsigned k = 11; k <= 41; ++k) {
    const std::uint64_t v = std::uint64_t{1} << k;
    values.insert(values.end(), {v - 1, v, v + 1});
  }
  for (const std::uint64_t v : values) {
    const LatencyHistogram h = histogram_of({v});
    for (const double p : kPercentiles) {
      EXPECT_EQ(h.percentile(p), v);  // clamped to [min, max]
    }
    const LatencyHistogram two = histogram_of({v, v + v / 1024 + 1});
    EXPECT_GE(two.percentile(50), v);
    EXPECT_LE(static_cast<double>(two.percentile(50) - v),
              static_cast<double>(v) * LatencyHistogram::kRelativeError);
  }
}

TEST(LatencyHistogramTest, MinMaxAndMeanAreExact) {
  std::mt19937_64 rng(5);
  const std::vector<std::uint64_t> values = uniform_values(rng, 100'000, 3, 1'000'000'000'000);
  const LatencyHistogram h = histogram_of(values);
  std::uint64_t sum = 0;  // < 1e17: exact in 64 bits
  for (const std::uint64_t v : values) {
    sum += v;
  }
  EXPECT_EQ(h.count(), values.size());
  EXPECT_EQ(h.min(), *std::min_element(values.begin(), values.end()));
  EXPECT_EQ(h.max(), *std::max_element(values.begin(), values.end()));
  EXPECT_DOUBLE_EQ(h.mean(), static_cast<double>(sum) / static_cast<double>(values.size()));
  EXPECT_DOUBLE_EQ(histogram_of({1, 2}).mean(), 1.5);
}

TEST(LatencyHistogramTest, RecordWithCountEqualsRepeatedRecords) {
  LatencyHistogram once;
  once.record(123'456, 1000);
  once.record(7, 3);
  LatencyHistogram repeated;
  for (int i = 0; i < 1000; ++i) {
    repeated.record(123'456);
  }
  for (int i = 0; i < 3; ++i) {
    repeated.record(7);
  }
  EXPECT_EQ(once, repeated);
  EXPECT_EQ(once.count(), 1003U);
}

TEST(LatencyHistogramTest, RecordWithZeroCountChangesNothing) {
  LatencyHistogram h;
  h.record(5, 0);
  h.record(kTop + 1, 0);
  EXPECT_EQ(h, LatencyHistogram());
  EXPECT_EQ(h.min(), 0U);
  EXPECT_EQ(h.saturated(), 0U);
}

TEST(LatencyHistogramTest, ValuesAboveHighestTrackableSaturateAndAreCounted) {
  LatencyHistogram h;
  h.record(5);
  h.record(kTop);  // trackable: not saturated
  h.record(kTop + 1);
  h.record(UINT64_MAX, 2);
  EXPECT_EQ(h.count(), 5U);
  EXPECT_EQ(h.saturated(), 3U);
  EXPECT_EQ(h.max(), kTop);
  EXPECT_EQ(h.min(), 5U);
  EXPECT_EQ(h.percentile(100), kTop);
  EXPECT_EQ(h.percentile(50), kTop);
  EXPECT_EQ(h.percentile(20), 5U);
  EXPECT_DOUBLE_EQ(h.mean(), static_cast<double>(4 * kTop + 5) / 5.0);
}

TEST(LatencyHistogramTest, MergeEqualsRecordingBothIntoOne) {
  std::mt19937_64 rng(6);
  const std::vector<std::uint64_t> a = log_uniform_values(rng, 50'000);
  const std::vector<std::uint64_t> b = lognormal_values(rng, 30'000, 12.0, 2.0);
  LatencyHistogram merged = histogram_of(a);
  merged.merge(histogram_of(b));
  merged.merge(LatencyHistogram());  // merging nothing is a no-op

  LatencyHistogram both = histogram_of(a);
  for (const std::uint64_t v : b) {
    both.record(v);
  }
  both.record(kTop * 2);
  LatencyHistogram saturated;
  saturated.record(kTop * 2);
  merged.merge(saturated);

  EXPECT_EQ(merged, both);
  EXPECT_EQ(merged.saturated(), 1U);
  for (const double p : kPercentiles) {
    EXPECT_EQ(merged.percentile(p), both.percentile(p));
  }
  LatencyHistogram into_empty;
  into_empty.merge(both);
  EXPECT_EQ(into_empty, both);
}

TEST(LatencyHistogramTest, ResetForgetsEverything) {
  LatencyHistogram h = histogram_of({1, 10'000, kTop + 5});
  h.reset();
  EXPECT_EQ(h, LatencyHistogram());
  h.record(42);
  EXPECT_EQ(h, histogram_of({42}));
}

TEST(LatencyHistogramTest, EqualityComparesEveryField) {
  EXPECT_EQ(LatencyHistogram(), LatencyHistogram());
  EXPECT_NE(histogram_of({1}), LatencyHistogram());
  EXPECT_NE(histogram_of({4096}), histogram_of({4097}));  // same bucket, other min/max/sum
  LatencyHistogram top;
  top.record(kTop);
  LatencyHistogram saturated;
  saturated.record(kTop + 1);
  EXPECT_NE(top, saturated);  // differ only in saturated()
}

// One row of counters: 1024 slots of 8 bytes, one power-of-two bucket.
constexpr std::size_t kRowBytes = 1024 * sizeof(std::uint64_t);
constexpr std::size_t kFullBytes = 33'793 * sizeof(std::uint64_t);  // 264 KiB

// Issue 16: delays from 1 ns to 2^42 ns, one per power of two, fill every
// row of an unbudgeted histogram (264 KiB). With a row budget the memory
// stays within memory_bound() and the samples beyond it count as saturated;
// count, and min for the rest, stay exact.
TEST(LatencyHistogramTest, AdversarialValuesStayWithinTheRowBudgetAndCountAsSaturated) {
  constexpr std::size_t kRows = 4;
  LatencyHistogram h(kRows);
  EXPECT_EQ(h.memory_bound(), kRows * LatencyHistogram::kRowBytes + 8);
  std::uint64_t recorded = 0;
  for (unsigned bit = 0; bit <= 42; ++bit) {
    h.record(std::uint64_t{1} << bit);
    h.record((std::uint64_t{1} << bit) + 1);
    recorded += 2;
  }
  EXPECT_LE(h.allocated_bytes(), h.memory_bound());
  EXPECT_EQ(h.count(), recorded);
  // Rows 0 and 1 ([0, 2048)) and rows 2 and 3 ([2048, 8192)) were taken
  // first; the 58 values 2^13 .. 2^41 + 1 land beyond them, and 2^42 + 1 is
  // above the trackable maximum (2^42 itself is the top slot's own value).
  EXPECT_EQ(h.saturated(), 58U + 1U);
  EXPECT_EQ(h.min(), 1U);
  EXPECT_EQ(h.max(), LatencyHistogram::kHighestTrackableNs);
  // Serialized and read back, it is the same histogram (a valid one).
  const auto back = LatencyHistogram::deserialize(h.serialize());
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(*back, h);
}

TEST(LatencyHistogramTest, ValuesWithinTheBudgetAreExactlyAsWithoutOne) {
  std::mt19937_64 rng(7);
  std::lognormal_distribution<double> delay(11.0, 2.0);  // ~60 µs, wide tail
  LatencyHistogram budgeted(24);
  LatencyHistogram plain;
  for (int i = 0; i < 200'000; ++i) {
    const auto v = std::min<std::uint64_t>(static_cast<std::uint64_t>(delay(rng)),
                                           (std::uint64_t{1} << 33) - 1);
    budgeted.record(v);
    plain.record(v);
  }
  EXPECT_EQ(budgeted.saturated(), 0U);
  EXPECT_EQ(budgeted, plain);
  EXPECT_LE(budgeted.allocated_bytes(), budgeted.memory_bound());
  EXPECT_EQ(budgeted.memory_bound(), 196'616U);
}

// A row that cannot be allocated no longer ends the process (record() was
// noexcept and terminated): the caller gets std::bad_alloc and the histogram
// is unchanged.
TEST(LatencyHistogramTest, FailedRowAllocationThrowsAndChangesNothing) {
  LatencyHistogram h;
  h.record(100);
  const LatencyHistogram before = h;
  LatencyHistogram wide;
  wide.record(100);
  wide.record(5'000'000);
  {
    const test::FailAllocationsOf fail(LatencyHistogram::kRowBytes);
    EXPECT_THROW(h.record(1'000'000), std::bad_alloc);
    EXPECT_THROW(h.merge(wide), std::bad_alloc);
  }
  EXPECT_EQ(h, before);
  h.record(1'000'000);
  EXPECT_EQ(h.count(), 2U);
}

TEST(LatencyHistogramTest, MemoryFollowsTheRangeOfRecordedValues) {
  const LatencyHistogram empty;
  EXPECT_EQ(empty.allocated_bytes(), 0U);
  EXPECT_LT(sizeof(LatencyHistogram), 512U);  // the row index, held inline
  EXPECT_EQ(empty.serialize(), LatencyHistogram().serialize());

  // 50..60 µs all lie in [2^15, 2^16): one bucket, one row.
  std::mt19937_64 rng(11);
  const LatencyHistogram narrow = histogram_of(uniform_values(rng, 100'000, 50'000, 60'000));
  EXPECT_EQ(narrow.allocated_bytes(), kRowBytes);

  // A decade, 10..100 µs: the buckets of 2^13 .. 2^16, four rows.
  const LatencyHistogram decade = histogram_of(uniform_values(rng, 100'000, 10'000, 100'000));
  EXPECT_EQ(decade.allocated_bytes(), 4 * kRowBytes);

  // Every row touched: the whole array and not a byte more, also saturated.
  LatencyHistogram full;
  full.record(0);
  full.record(1'024);
  for (unsigned k = 11; k <= 42; ++k) {
    full.record(std::uint64_t{1} << k);
  }
  full.record(UINT64_MAX);
  EXPECT_EQ(full.allocated_bytes(), kFullBytes);
  full.merge(histogram_of(log_uniform_values(rng, 10'000)));
  EXPECT_EQ(full.allocated_bytes(), kFullBytes);

  // A deserialized histogram allocates only the rows it has counts in.
  const std::optional<LatencyHistogram> back = LatencyHistogram::deserialize(narrow.serialize());
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(back->allocated_bytes(), kRowBytes);
  EXPECT_EQ(*back, narrow);
}

TEST(LatencyHistogramTest, ResetKeepsRowsAndStillEqualsAFreshHistogram) {
  LatencyHistogram h = histogram_of({1'000'000, 5});  // rows 0 and 10
  const std::size_t before = h.allocated_bytes();
  EXPECT_EQ(before, 2 * kRowBytes);
  h.reset();
  EXPECT_EQ(h.allocated_bytes(), before);  // kept, zeroed
  const LatencyHistogram fresh;
  EXPECT_EQ(h, fresh);
  EXPECT_EQ(fresh, h);
  EXPECT_EQ(h.serialize(), fresh.serialize());
  for (const double p : kPercentiles) {
    EXPECT_EQ(h.percentile(p), 0U);
  }

  // Recording again, into a kept row and into a new one, matches a fresh
  // histogram with the same samples, whichever rows each allocated.
  h.record(5);
  h.record(70'000'000);
  const LatencyHistogram same = histogram_of({5, 70'000'000});
  EXPECT_EQ(h, same);
  EXPECT_EQ(same, h);
  EXPECT_NE(h, histogram_of({5, 70'000'001}));  // other sum
  EXPECT_GT(h.allocated_bytes(), same.allocated_bytes());
  EXPECT_EQ(h.serialize(), same.serialize());
  for (const double p : kPercentiles) {
    EXPECT_EQ(h.percentile(p), same.percentile(p));
  }

  // Merging it (stale zero row for 1 ms included) adds no row the samples
  // do not need, and a copy does not carry the stale row either.
  LatencyHistogram total;
  total.merge(h);
  EXPECT_EQ(total, same);
  EXPECT_EQ(total.allocated_bytes(), same.allocated_bytes());
  const LatencyHistogram copy = h;  // NOLINT(performance-unnecessary-copy-initialization)
  EXPECT_EQ(copy, h);
  EXPECT_EQ(copy.allocated_bytes(), same.allocated_bytes());

  // Only a different count makes two histograms with the same rows differ.
  LatencyHistogram a = histogram_of({4'096});
  LatencyHistogram b = histogram_of({4'096});
  b.record(4'100, 0);
  EXPECT_EQ(a, b);
  a.record(4'096);
  b.record(4'097);
  EXPECT_NE(a, b);  // 4'096 and 4'097 share a slot but differ in max and sum
  LatencyHistogram c = histogram_of({4'096, 4'100});
  LatencyHistogram d = histogram_of({4'096, 4'100});
  c.record(10, 0);
  EXPECT_EQ(c, d);
}

TEST(LatencyHistogramTest, CopiesAreDeepAndMovesLeaveAnEmptyHistogram) {
  std::mt19937_64 rng(12);
  LatencyHistogram original = histogram_of(log_uniform_values(rng, 10'000));
  LatencyHistogram copy = original;
  EXPECT_EQ(copy, original);
  original.record(123);
  original.record(kTop);
  EXPECT_NE(copy, original);
  EXPECT_EQ(copy.count() + 2, original.count());

  LatencyHistogram assigned = histogram_of({77});
  assigned = original;
  EXPECT_EQ(assigned, original);
  assigned.reset();
  EXPECT_EQ(original.count(), copy.count() + 2);  // untouched by the copy's reset
  const LatencyHistogram& self = assigned;
  assigned = self;  // self-assignment is harmless
  EXPECT_EQ(assigned, LatencyHistogram());

  const LatencyHistogram expected = original;
  LatencyHistogram moved = std::move(original);
  EXPECT_EQ(moved, expected);
  // NOLINTBEGIN(bugprone-use-after-move,clang-analyzer-cplusplus.Move): a
  // moved-from histogram is specified to be empty and usable.
  EXPECT_EQ(original, LatencyHistogram());
  EXPECT_EQ(original.allocated_bytes(), 0U);
  original.record(9);
  EXPECT_EQ(original, histogram_of({9}));
  LatencyHistogram target = histogram_of({1, 2, 3});
  target = std::move(moved);
  EXPECT_EQ(target, expected);
  EXPECT_EQ(moved, LatencyHistogram());
  moved.merge(target);
  EXPECT_EQ(moved, expected);
  // NOLINTEND(bugprone-use-after-move,clang-analyzer-cplusplus.Move)
}

TEST(LatencyHistogramTest, SerializeRoundTripsToAnEqualHistogram) {
  std::mt19937_64 rng(7);
  std::vector<LatencyHistogram> cases;
  cases.emplace_back();
  cases.push_back(histogram_of({0}));
  cases.push_back(histogram_of({1}));
  cases.push_back(histogram_of({123'456'789}));
  cases.push_back(histogram_of({kTop + 1, UINT64_MAX, 3}));
  cases.push_back(histogram_of(log_uniform_values(rng, 100'000)));
  cases.push_back(histogram_of(uniform_values(rng, 10'000, 0, 2047)));
  LatencyHistogram huge;  // a count needing the 65th token bit
  huge.record(1'000, (std::uint64_t{1} << 63) + 5);
  huge.record(2'000, 7);
  cases.push_back(huge);
  LatencyHistogram big_sum;  // a saturated sum
  big_sum.record(kTop, std::uint64_t{1} << 30);
  cases.push_back(big_sum);

  for (const LatencyHistogram& h : cases) {
    const std::vector<std::byte> bytes = h.serialize();
    const std::optional<LatencyHistogram> back = LatencyHistogram::deserialize(bytes);
    ASSERT_TRUE(back.has_value()) << "count " << h.count();
    EXPECT_EQ(*back, h);
    EXPECT_EQ(back->serialize(), bytes);
    for (const double p : kPercentiles) {
      EXPECT_EQ(back->percentile(p), h.percentile(p));
    }
  }
  EXPECT_LE(LatencyHistogram().serialize().size(), 16U);
  EXPECT_LE(histogram_of({1'000'000}).serialize().size(), 32U);
}

TEST(LatencyHistogramTest, EveryTruncationOfASerializationIsRejected) {
  std::mt19937_64 rng(8);
  LatencyHistogram huge;
  huge.record(3, UINT64_MAX / 2 + 9);
  for (const LatencyHistogram& h :
       {LatencyHistogram(), histogram_of({0}), histogram_of({kTop + 1, 77}), huge,
        histogram_of(log_uniform_values(rng, 5'000))}) {
    const std::vector<std::byte> bytes = h.serialize();
    for (std::size_t n = 0; n < bytes.size(); ++n) {
      EXPECT_FALSE(LatencyHistogram::deserialize(prefix(bytes, n)).has_value()) << "length " << n;
    }
  }
}

// Whatever deserialize() accepts must be a histogram that behaves.
void expect_sane_if_accepted(std::span<const std::byte> bytes) {
  const std::optional<LatencyHistogram> h = LatencyHistogram::deserialize(bytes);
  if (!h) {
    return;
  }
  EXPECT_LE(h->min(), h->max());
  for (const double p : kPercentiles) {
    EXPECT_GE(h->percentile(p), h->min());
    EXPECT_LE(h->percentile(p), h->max());
  }
  const std::optional<LatencyHistogram> again = LatencyHistogram::deserialize(h->serialize());
  ASSERT_TRUE(again.has_value());
  EXPECT_EQ(*again, *h);
}

TEST(LatencyHistogramTest, RandomGarbageIsRejectedOrValidNeverACrash) {
  std::mt19937_64 rng(9);
  std::uniform_int_distribution<int> byte(0, 255);
  for (int trial = 0; trial < 20'000; ++trial) {
    std::vector<std::byte> bytes(static_cast<std::size_t>(trial % 64));
    for (auto& b : bytes) {
      b = static_cast<std::byte>(byte(rng));
    }
    if (trial % 2 == 0) {  // half with a valid tag and version, to reach the body
      const std::vector<std::byte> head = header(0, 0, 0, 0, 0);
      std::copy_n(head.begin(), std::min<std::size_t>(5, bytes.size()), bytes.begin());
    }
    expect_sane_if_accepted(bytes);
  }
}

TEST(LatencyHistogramTest, CorruptedSerializationsAreRejectedOrValidNeverACrash) {
  std::mt19937_64 rng(10);
  const std::vector<std::byte> valid = histogram_of(log_uniform_values(rng, 2'000)).serialize();
  std::uniform_int_distribution<std::size_t> where(0, valid.size() - 1);
  std::uniform_int_distribution<int> byte(0, 255);
  for (int trial = 0; trial < 3'000; ++trial) {
    std::vector<std::byte> bytes = valid;
    for (int flips = 0; flips <= trial % 4; ++flips) {
      bytes[where(rng)] = static_cast<std::byte>(byte(rng));
    }
    expect_sane_if_accepted(bytes);
  }
}

TEST(LatencyHistogramTest, MalformedInputsAreRejected) {
  using H = LatencyHistogram;
  // Sanity: the hand-built form of {5, 5} parses (slots 0..4 empty, then 2).
  std::vector<std::byte> ok = header(2, 5, 5, 10, 0);
  put(ok, 2 * 5 - 1);
  put(ok, 2 * 2);
  ASSERT_TRUE(H::deserialize(ok).has_value());
  EXPECT_EQ(*H::deserialize(ok), histogram_of({5, 5}));

  std::vector<std::byte> bad_tag = ok;
  bad_tag[0] = std::byte{'X'};
  EXPECT_FALSE(H::deserialize(bad_tag));
  std::vector<std::byte> bad_version = ok;
  bad_version[4] = std::byte{2};
  EXPECT_FALSE(H::deserialize(bad_version));

  auto with_body = [](std::vector<std::byte> head, std::initializer_list<std::uint64_t> tokens) {
    for (const std::uint64_t t : tokens) {
      put(head, t);
    }
    return head;
  };
  // Another layout (bucket-array length).
  EXPECT_FALSE(H::deserialize(with_body(header(2, 5, 5, 10, 0, 34'816), {9, 4})));
  // Index overflow: a run of empty slots past the end, or a count after it.
  EXPECT_FALSE(H::deserialize(with_body(header(2, 5, 5, 10, 0), {2 * 40'000 - 1, 4})));
  EXPECT_FALSE(H::deserialize(with_body(header(1, 5, 5, 5, 0), {2 * 33'793 - 1, 2})));
  EXPECT_FALSE(H::deserialize(with_body(header(1, 5, 5, 5, 0), {UINT64_MAX, 2})));
  // Totals inconsistent with the buckets.
  EXPECT_FALSE(H::deserialize(with_body(header(3, 5, 5, 15, 0), {9, 4})));
  EXPECT_FALSE(H::deserialize(with_body(header(2, 5, 5, 10, 0), {9, 4, 2})));
  // min / max not in the occupied slots, min > max, sum out of range.
  EXPECT_FALSE(H::deserialize(with_body(header(2, 4, 5, 10, 0), {9, 4})));
  EXPECT_FALSE(H::deserialize(with_body(header(2, 5, 6, 10, 0), {9, 4})));
  EXPECT_FALSE(H::deserialize(with_body(header(2, 6, 5, 10, 0), {9, 4})));
  EXPECT_FALSE(H::deserialize(with_body(header(2, 5, 5, 11, 0), {9, 4})));
  // Saturated samples without a sample at the top, or more than there are.
  EXPECT_FALSE(H::deserialize(with_body(header(2, 5, 5, 10, 1), {9, 4})));
  // An empty histogram with non-zero fields.
  EXPECT_FALSE(H::deserialize(header(0, 1, 0, 0, 0)));
  EXPECT_FALSE(H::deserialize(header(0, 0, 0, 3, 0)));
  // A varint longer than 10 bytes, or with bits above 64 in a header field.
  std::vector<std::byte> long_varint = header(0, 0, 0, 0, 0);
  long_varint.resize(5);
  for (int i = 0; i < 11; ++i) {
    long_varint.push_back(std::byte{0x80});
  }
  long_varint.push_back(std::byte{0});
  EXPECT_FALSE(H::deserialize(long_varint));
  std::vector<std::byte> wide = header(0, 0, 0, 0, 0);
  wide.resize(5);
  for (int i = 0; i < 9; ++i) {
    wide.push_back(std::byte{0xFF});
  }
  wide.push_back(std::byte{0x02});  // bit 64 of the count field
  EXPECT_FALSE(H::deserialize(wide));
  EXPECT_FALSE(H::deserialize(std::span<const std::byte>()));
}

}  // namespace
}  // namespace netbench
