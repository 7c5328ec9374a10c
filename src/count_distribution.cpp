#include "netbench/count_distribution.hpp"

#include <algorithm>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <limits>

namespace netbench {
namespace {

// Sum that sticks at UINT64_MAX instead of wrapping (see sum()).
std::uint64_t add_saturating(std::uint64_t a, std::uint64_t b) noexcept {
  std::uint64_t r = 0;
  return __builtin_add_overflow(a, b, &r) ? UINT64_MAX : r;
}

}  // namespace

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
