#include "netbench/count_distribution.hpp"

#include <algorithm>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <optional>

#include "measure/saturating.hpp"

namespace netbench {
// bit_width is 0 for 0 and k for [2^(k-1), 2^k): exactly the bucket number.
static_assert(CountDistribution::kBuckets == std::numeric_limits<std::uint64_t>::digits + 1);

std::size_t CountDistribution::bucket_of(std::uint64_t value) noexcept {
  return static_cast<std::size_t>(std::bit_width(value));
}

void CountDistribution::record(std::uint64_t value) noexcept {
  ++buckets_[bucket_of(value)];
  ++count_;
  max_ = std::max(max_, value);
  sum_ = add_saturating(sum_, value);
}

void CountDistribution::merge(const CountDistribution& other) noexcept {
  for (std::size_t k = 0; k < kBuckets; ++k) {
    buckets_[k] += other.buckets_[k];
  }
  count_ += other.count_;
  max_ = std::max(max_, other.max_);
  sum_ = add_saturating(sum_, other.sum_);
}

std::optional<CountDistribution> CountDistribution::from_parts(
    const std::array<std::uint64_t, kBuckets>& buckets, std::uint64_t count, std::uint64_t max,
    std::uint64_t sum) noexcept {
  std::uint64_t total = 0;
  std::size_t top = 0;  // highest non-empty bucket
  for (std::size_t k = 0; k < kBuckets; ++k) {
    if (__builtin_add_overflow(total, buckets[k], &total)) {
      return std::nullopt;
    }
    if (buckets[k] != 0) {
      top = k;
    }
  }
  if (total != count) {
    return std::nullopt;
  }
  if (count == 0) {
    if (max != 0 || sum != 0) {
      return std::nullopt;
    }
    return CountDistribution{};
  }
  if (bucket_of(max) != top) {
    return std::nullopt;
  }
  // Bounds of the true sum: one sample is `max` itself, every other one lies
  // within its bucket, and those that share max's bucket are at most `max`.
  // record() saturates the sum, so the stored one is min(true sum, 2^64 − 1):
  // saturating the bounds the same way keeps the test exact.
  std::uint64_t lo = max;
  std::uint64_t hi = max;
  for (std::size_t k = 0; k <= top; ++k) {
    const std::uint64_t n = k == top ? buckets[k] - 1 : buckets[k];
    const std::uint64_t low = bucket_low(k);
    // Bucket k >= 1 ends at 2^k − 1 = low + (low − 1), which cannot wrap.
    const std::uint64_t high = k == top ? max : (k == 0 ? 0 : low + (low - 1));
    lo = add_saturating(lo, mul_saturating(n, low));
    hi = add_saturating(hi, mul_saturating(n, high));
  }
  if (sum < lo || sum > hi) {
    return std::nullopt;
  }
  CountDistribution d;
  d.buckets_ = buckets;
  d.count_ = count;
  d.max_ = max;
  d.sum_ = sum;
  return d;
}

std::uint64_t CountDistribution::bucket_low(std::size_t k) noexcept {
  if (k == 0) {
    return 0;
  }
  if (k >= kBuckets) {
    return UINT64_MAX;
  }
  return std::uint64_t{1} << (k - 1);
}

}  // namespace netbench
