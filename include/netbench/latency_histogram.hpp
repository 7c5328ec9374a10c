#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <vector>

namespace netbench {

/// Log-linear latency histogram in the manner of HdrHistogram: values from
/// 1 ns to kHighestTrackableNs (2^42 ns, about 73 minutes) with 3 significant
/// decimal digits: every recorded value lands in a bucket whose width is at
/// most value / 1024, so any percentile is within kRelativeError of the true
/// sample at that rank.
///
/// Memory follows use: the 33,793 counters are kept in 34 rows of up to 1024
/// (one power-of-two bucket each; bucket 0 spans two), and a row is allocated
/// (8 KiB, zeroed) the first time a sample lands in it. An empty histogram
/// holds no heap memory, one whose samples span a decade of latencies about
/// 32 KiB. Values spread over every power of two fill all 34 rows (264 KiB),
/// so a histogram fed by an untrusted peer takes a row budget (see the
/// constructor): then it never holds more than memory_bound() bytes.
/// record is O(1) and allocates only on a row's first sample, at most 34
/// times in the histogram's life; reset() keeps the rows. A failed allocation
/// throws std::bad_alloc and leaves the histogram unchanged.
///
/// Values above the trackable maximum, and values whose row the budget
/// cannot hold, are recorded as the maximum and counted in saturated().
/// min(), max() and the sum are exact for the others. Not thread-safe: each
/// thread records into its own histogram and they are merged afterwards.
/// Copies are deep; a moved-from histogram is empty.
class LatencyHistogram {
 public:
  static constexpr std::uint64_t kHighestTrackableNs = 1ULL << 42;
  /// Upper bound of |reported − true| / true for any percentile.
  static constexpr double kRelativeError = 1.0 / 1024.0;

  /// Sub-buckets per power-of-two bucket (2^11): 3 significant digits.
  static constexpr std::uint64_t kSubBucketCount = 2048;

  /// Rows of a histogram without a budget: every row may be allocated.
  static constexpr std::size_t kMaxRows = 34;
  /// Heap bytes of one full row.
  static constexpr std::size_t kRowBytes = 1024 * sizeof(std::uint64_t);

  /// An empty histogram; allocates nothing until the first record().
  LatencyHistogram() noexcept = default;
  /// An empty histogram whose record() allocates at most `max_rows` rows of
  /// kRowBytes besides the 8-byte row of the top value, which is allocated
  /// now (throws std::bad_alloc): a sample that would need one more row is
  /// counted in saturated() instead. Exact for every sample as long as its
  /// row fits, e.g. for all values below 2^(max_rows + 9) ns when
  /// max_rows >= 2. merge() is not bound by the budget.
  explicit LatencyHistogram(std::size_t max_rows);
  /// Deep copy (only the rows that hold samples are allocated).
  LatencyHistogram(const LatencyHistogram& other);
  LatencyHistogram& operator=(const LatencyHistogram& other);
  /// Takes the rows; `other` is left empty and usable.
  LatencyHistogram(LatencyHistogram&& other) noexcept;
  LatencyHistogram& operator=(LatencyHistogram&& other) noexcept;
  ~LatencyHistogram() = default;

  /// Records `count` samples of `value_ns`. 0 is recorded as 0 exactly.
  /// Throws std::bad_alloc only if a row's first allocation fails; the
  /// histogram is then unchanged.
  void record(std::uint64_t value_ns, std::uint64_t count = 1);
  /// Adds every sample of `other` (same fixed layout, so exact). Throws
  /// std::bad_alloc if a row cannot be allocated; nothing is added then.
  void merge(const LatencyHistogram& other);
  /// Forgets every sample; keeps the rows already allocated (zeroed).
  void reset() noexcept;

  /// Number of samples recorded.
  [[nodiscard]] std::uint64_t count() const noexcept { return total_; }
  /// Smallest recorded (clamped) value, ns, exact; 0 when empty.
  [[nodiscard]] std::uint64_t min() const noexcept;
  /// Largest recorded (clamped) value, ns, exact; 0 when empty.
  [[nodiscard]] std::uint64_t max() const noexcept { return max_; }
  /// Exact arithmetic mean of the recorded (clamped) values; 0 when empty.
  [[nodiscard]] double mean() const noexcept;
  /// Samples that were above kHighestTrackableNs, or in a row beyond the
  /// budget, and were recorded as kHighestTrackableNs.
  [[nodiscard]] std::uint64_t saturated() const noexcept { return saturated_; }
  /// Value at percentile `p` in [0, 100]: the smallest bucket value such that
  /// at least p% of samples are <= it (nearest-rank), clamped to [min, max].
  /// 0 when empty.
  [[nodiscard]] std::uint64_t percentile(double p) const noexcept;

  /// Heap bytes held by the counter rows (sizeof(LatencyHistogram) aside):
  /// 0 when nothing was ever recorded, at most 33,793 * 8 (264 KiB).
  [[nodiscard]] std::size_t allocated_bytes() const noexcept;
  /// The most allocated_bytes() can reach through record():
  /// max_rows * kRowBytes + 8 with a budget, 33,793 * 8 without.
  [[nodiscard]] std::size_t memory_bound() const noexcept;

  /// Compact binary form that deserialize() turns back into an equal
  /// histogram, on any host (byte order fixed):
  ///   4 bytes tag "NBLH", 1 byte version (1);
  ///   unsigned LEB128 varints: count, min, max, sum (ns), saturated, and the
  ///   bucket-array length (fixed by the version, checked on reading);
  ///   then the buckets from index 0 up to the last non-zero one, as LEB128
  ///   zigzag tokens in the manner of HdrHistogram V2: a count c >= 1 is 2c,
  ///   a run of r >= 1 empty buckets is 2r − 1 (up to 65 bits, 10 bytes).
  /// An empty histogram is about 12 bytes; allocates the returned buffer.
  [[nodiscard]] std::vector<std::byte> serialize() const;
  /// Parses serialize()'s output; nullopt on any malformed input (never
  /// throws on bad bytes, never reads out of bounds).
  [[nodiscard]] static std::optional<LatencyHistogram> deserialize(std::span<const std::byte> in);

  /// Same samples: every bucket, count, min, max, sum and saturated equal
  /// (a row never allocated equals one of zeros).
  friend bool operator==(const LatencyHistogram& a, const LatencyHistogram& b) noexcept;

 private:
  /// Counter rows: slot i lives at rows_[i >> kRowBits][i & (kRowSize - 1)];
  /// a null row reads as all zero. The last row holds the one top slot.
  static constexpr unsigned kRowBits = 10;
  static constexpr std::size_t kRowSize = std::size_t{1} << kRowBits;
  static constexpr std::size_t kRows = kMaxRows;  // ceil(33,793 / 1024); checked in the .cpp
  using Row = std::unique_ptr<std::uint64_t[]>;

  /// Allocates row `r` zeroed (it must be null) and returns it.
  std::uint64_t* add_row(std::size_t r);
  /// record() of the first sample in a row not yet allocated.
  void record_in_new_row(std::uint64_t value_ns, std::uint64_t count);
  /// Records `count` samples as kHighestTrackableNs, counted saturated.
  void record_saturated(std::uint64_t count);
  /// Count of slot `i`, 0 when its row is not allocated.
  [[nodiscard]] std::uint64_t slot(std::size_t i) const noexcept;

  std::array<Row, kRows> rows_{};
  std::uint64_t total_ = 0;
  std::uint64_t min_ = UINT64_MAX;
  std::uint64_t max_ = 0;
  std::uint64_t sum_ = 0;  // saturating; exact below 2^64 ns in total
  std::uint64_t saturated_ = 0;
  std::size_t max_rows_ = kRows;  // rows record() may allocate, top row aside
  std::size_t rows_used_ = 0;     // rows allocated, top row aside
};

}  // namespace netbench
