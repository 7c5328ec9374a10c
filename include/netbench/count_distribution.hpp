#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>

namespace netbench {

/// Small constant-memory distribution of positive integers (reorder extents,
/// loss-burst lengths) in power-of-two buckets: bucket 0 holds the value 0,
/// bucket k >= 1 holds values in [2^(k-1), 2^k). Exact count, max and sum.
/// Not thread-safe.
class CountDistribution {
 public:
  /// Bucket 0 for the value 0, buckets 1..64 for each possible bit width.
  static constexpr std::size_t kBuckets = 65;

  /// Rebuilds a distribution from its parts (as read back from buckets(),
  /// count(), max() and sum(), e.g. after crossing a wire), exactly equal to
  /// the one they came from. nullopt when the parts could not come from any
  /// sequence of record() calls: count differs from the buckets' total, max
  /// is not in the highest non-empty bucket (or not 0 when empty), or sum is
  /// outside what those buckets and that max allow (saturation included).
  /// Allocates nothing.
  [[nodiscard]] static std::optional<CountDistribution> from_parts(
      const std::array<std::uint64_t, kBuckets>& buckets, std::uint64_t count, std::uint64_t max,
      std::uint64_t sum) noexcept;

  /// Adds one sample of `value` (unit of the caller: messages). O(1).
  void record(std::uint64_t value) noexcept;
  /// Adds every sample of `other` (exact: same fixed buckets).
  void merge(const CountDistribution& other) noexcept;

  /// Number of samples recorded.
  [[nodiscard]] std::uint64_t count() const noexcept { return count_; }
  /// Largest sample recorded; 0 when empty.
  [[nodiscard]] std::uint64_t max() const noexcept { return max_; }
  /// Sum of all samples (saturates at 2^64 − 1, never wraps).
  [[nodiscard]] std::uint64_t sum() const noexcept { return sum_; }
  /// Samples in bucket `k` (see class comment for its bounds).
  [[nodiscard]] const std::array<std::uint64_t, kBuckets>& buckets() const noexcept {
    return buckets_;
  }
  /// Inclusive lower bound of bucket k: 0, 1, 2, 4, 8, ...; k >= kBuckets
  /// gives UINT64_MAX (no such bucket).
  [[nodiscard]] static std::uint64_t bucket_low(std::size_t k) noexcept;
  /// Bucket that holds `value`: std::bit_width(value), in [0, kBuckets).
  [[nodiscard]] static std::size_t bucket_of(std::uint64_t value) noexcept;

  friend bool operator==(const CountDistribution&, const CountDistribution&) = default;

 private:
  std::array<std::uint64_t, kBuckets> buckets_{};
  std::uint64_t count_ = 0;
  std::uint64_t max_ = 0;
  std::uint64_t sum_ = 0;
};

}  // namespace netbench
