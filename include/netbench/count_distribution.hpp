#pragma once

#include <array>
#include <cstdint>

namespace netbench {

/// Small constant-memory distribution of positive integers (reorder extents,
/// loss-burst lengths) in power-of-two buckets: bucket 0 holds the value 0,
/// bucket k >= 1 holds values in [2^(k-1), 2^k). Exact count, max and sum.
/// Not thread-safe.
class CountDistribution {
 public:
  static constexpr std::size_t kBuckets = 65;

  void record(std::uint64_t value) noexcept;
  void merge(const CountDistribution& other) noexcept;

  [[nodiscard]] std::uint64_t count() const noexcept { return count_; }
  [[nodiscard]] std::uint64_t max() const noexcept { return max_; }
  [[nodiscard]] std::uint64_t sum() const noexcept { return sum_; }
  /// Samples in bucket `k` (see class comment for its bounds).
  [[nodiscard]] const std::array<std::uint64_t, kBuckets>& buckets() const noexcept {
    return buckets_;
  }
  /// Inclusive lower bound of bucket k: 0, 1, 2, 4, 8, ...
  [[nodiscard]] static std::uint64_t bucket_low(std::size_t k) noexcept;

  friend bool operator==(const CountDistribution&, const CountDistribution&) = default;

 private:
  std::array<std::uint64_t, kBuckets> buckets_{};
  std::uint64_t count_ = 0;
  std::uint64_t max_ = 0;
  std::uint64_t sum_ = 0;
};

}  // namespace netbench
