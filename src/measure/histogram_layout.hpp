#pragma once

// The slot layout of LatencyHistogram, shared by its recording code
// (latency_histogram.cpp) and its wire form (latency_histogram_codec.cpp).
// Private to src/measure.

#include <algorithm>
#include <cstddef>
#include <cstdint>

#include "netbench/latency_histogram.hpp"

namespace netbench::histogram_layout {

// Layout, in the manner of HdrHistogram with a unit of 1 ns: bucket 0 holds
// the values [0, 2048) one per slot; bucket b >= 1 holds [2^(10+b), 2^(11+b))
// in 1024 slots of width 2^b. Slot index = b * 1024 + (value >> b), which is
// contiguous across buckets. A slot's width is then at most value / 1024.
inline constexpr unsigned kSubBucketBits = 11;  // log2(kSubBucketCount)
inline constexpr unsigned kHalfBits = kSubBucketBits - 1;
inline constexpr std::uint64_t kSubBucketMask = LatencyHistogram::kSubBucketCount - 1;
static_assert(LatencyHistogram::kSubBucketCount == std::uint64_t{1} << kSubBucketBits);

// Bucket (power of two) of a value <= kHighestTrackableNs: 0 for [0, 2048).
inline constexpr unsigned bucket_of(std::uint64_t value) noexcept {
  return static_cast<unsigned>(std::bit_width(value | kSubBucketMask)) - kSubBucketBits;
}

inline constexpr std::size_t index_of(std::uint64_t value) noexcept {
  const unsigned b = bucket_of(value);
  return (std::size_t{b} << kHalfBits) + static_cast<std::size_t>(value >> b);
}

// Smallest value that lands in slot `i`.
inline constexpr std::uint64_t lowest_of(std::size_t i) noexcept {
  const std::size_t hi = i >> kHalfBits;
  if (hi <= 1) {
    return i;  // bucket 0: one value per slot
  }
  const auto b = static_cast<unsigned>(hi - 1);
  return static_cast<std::uint64_t>(i - (std::size_t{b} << kHalfBits)) << b;
}

// Largest value that lands in slot `i`.
inline constexpr std::uint64_t highest_of(std::size_t i) noexcept {
  const std::size_t hi = i >> kHalfBits;
  const unsigned b = hi <= 1 ? 0 : static_cast<unsigned>(hi - 1);
  return lowest_of(i) + ((std::uint64_t{1} << b) - 1);
}

// One slot per index up to that of the largest trackable value: 33,793 slots
// (264 KiB); nothing above it can ever be recorded.
inline constexpr std::size_t kSlots = index_of(LatencyHistogram::kHighestTrackableNs) + 1;
static_assert(kSlots == 33'793);
static_assert(index_of(2047) == 2047 && index_of(2048) == 2048 && index_of(4095) == 3071);
static_assert(index_of(4096) == 3072 && lowest_of(3072) == 4096 && highest_of(3072) == 4099);
static_assert(lowest_of(3071) == 4094 && highest_of(3071) == 4095);
static_assert(highest_of(kSlots - 1) >= LatencyHistogram::kHighestTrackableNs);
// The contract of the class comment: width <= value / 1024.
static_assert((highest_of(kSlots - 1) - lowest_of(kSlots - 1) + 1) * 1024 <= lowest_of(kSlots - 1));

// Rows of 1024 slots: rows 0 and 1 are bucket 0, row r >= 2 is bucket r − 1,
// and row 33 holds only the top slot (value 2^42), so it is one slot long.
inline constexpr unsigned kRowBits = 10;
inline constexpr std::size_t kRowSize = std::size_t{1} << kRowBits;
inline constexpr std::size_t kRowMask = kRowSize - 1;
inline constexpr std::size_t kRows = (kSlots + kRowSize - 1) / kRowSize;
static_assert(kRowBits == kHalfBits);
static_assert(kRows == 34 && (kSlots - 1) % kRowSize == 0);
static_assert(LatencyHistogram::kMaxRows == kRows &&
              LatencyHistogram::kRowBytes == kRowSize * sizeof(std::uint64_t));

// Slots in row `r`: 1024 but for the one-slot last row.
inline constexpr std::size_t row_size(std::size_t r) noexcept {
  return r + 1 < kRows ? kRowSize : kSlots - (kRows - 1) * kRowSize;
}

inline bool all_zero(const std::uint64_t* row, std::size_t n) noexcept {
  return std::all_of(row, row + n, [](std::uint64_t c) { return c == 0; });
}

}  // namespace netbench::histogram_layout
