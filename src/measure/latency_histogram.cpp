#include "netbench/latency_histogram.hpp"

#include <algorithm>
#include <array>
#include <bit>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <utility>
#include <vector>

#include "measure/saturating.hpp"

namespace netbench {
namespace {

// Layout, in the manner of HdrHistogram with a unit of 1 ns: bucket 0 holds
// the values [0, 2048) one per slot; bucket b >= 1 holds [2^(10+b), 2^(11+b))
// in 1024 slots of width 2^b. Slot index = b * 1024 + (value >> b), which is
// contiguous across buckets. A slot's width is then at most value / 1024.
constexpr unsigned kSubBucketBits = 11;  // log2(kSubBucketCount)
constexpr unsigned kHalfBits = kSubBucketBits - 1;
constexpr std::uint64_t kSubBucketMask = LatencyHistogram::kSubBucketCount - 1;
static_assert(LatencyHistogram::kSubBucketCount == std::uint64_t{1} << kSubBucketBits);

// Bucket (power of two) of a value <= kHighestTrackableNs: 0 for [0, 2048).
constexpr unsigned bucket_of(std::uint64_t value) noexcept {
  return static_cast<unsigned>(std::bit_width(value | kSubBucketMask)) - kSubBucketBits;
}

constexpr std::size_t index_of(std::uint64_t value) noexcept {
  const unsigned b = bucket_of(value);
  return (std::size_t{b} << kHalfBits) + static_cast<std::size_t>(value >> b);
}

// Smallest value that lands in slot `i`.
constexpr std::uint64_t lowest_of(std::size_t i) noexcept {
  const std::size_t hi = i >> kHalfBits;
  if (hi <= 1) {
    return i;  // bucket 0: one value per slot
  }
  const auto b = static_cast<unsigned>(hi - 1);
  return static_cast<std::uint64_t>(i - (std::size_t{b} << kHalfBits)) << b;
}

// Largest value that lands in slot `i`.
constexpr std::uint64_t highest_of(std::size_t i) noexcept {
  const std::size_t hi = i >> kHalfBits;
  const unsigned b = hi <= 1 ? 0 : static_cast<unsigned>(hi - 1);
  return lowest_of(i) + ((std::uint64_t{1} << b) - 1);
}

// One slot per index up to that of the largest trackable value: 33,793 slots
// (264 KiB); nothing above it can ever be recorded.
constexpr std::size_t kSlots = index_of(LatencyHistogram::kHighestTrackableNs) + 1;
static_assert(kSlots == 33'793);
static_assert(index_of(2047) == 2047 && index_of(2048) == 2048 && index_of(4095) == 3071);
static_assert(index_of(4096) == 3072 && lowest_of(3072) == 4096 && highest_of(3072) == 4099);
static_assert(lowest_of(3071) == 4094 && highest_of(3071) == 4095);
static_assert(highest_of(kSlots - 1) >= LatencyHistogram::kHighestTrackableNs);
// The contract of the class comment: width <= value / 1024.
static_assert((highest_of(kSlots - 1) - lowest_of(kSlots - 1) + 1) * 1024 <= lowest_of(kSlots - 1));

// Rows of 1024 slots: rows 0 and 1 are bucket 0, row r >= 2 is bucket r − 1,
// and row 33 holds only the top slot (value 2^42), so it is one slot long.
constexpr unsigned kRowBits = 10;
constexpr std::size_t kRowSize = std::size_t{1} << kRowBits;
constexpr std::size_t kRowMask = kRowSize - 1;
constexpr std::size_t kRows = (kSlots + kRowSize - 1) / kRowSize;
static_assert(kRowBits == kHalfBits);
static_assert(kRows == 34 && (kSlots - 1) % kRowSize == 0);
static_assert(LatencyHistogram::kMaxRows == kRows &&
              LatencyHistogram::kRowBytes == kRowSize * sizeof(std::uint64_t));

// Slots in row `r`: 1024 but for the one-slot last row.
constexpr std::size_t row_size(std::size_t r) noexcept {
  return r + 1 < kRows ? kRowSize : kSlots - (kRows - 1) * kRowSize;
}

bool all_zero(const std::uint64_t* row, std::size_t n) noexcept {
  return std::all_of(row, row + n, [](std::uint64_t c) { return c == 0; });
}

// --- serialization ---------------------------------------------------------

constexpr std::array<std::byte, 4> kTag = {std::byte{'N'}, std::byte{'B'}, std::byte{'L'},
                                           std::byte{'H'}};
constexpr std::byte kFormatVersion{1};
constexpr unsigned kMaxVarintBytes = 10;  // ceil(65 / 7)

// A 65-bit token: a zigzag-encoded count can need one bit above 64.
struct Token {
  std::uint64_t low = 0;
  bool bit64 = false;
};

// Unsigned LEB128: 7 bits per byte, least significant first, high bit set on
// every byte but the last.
void put_varint(std::vector<std::byte>& out, Token t) {
  std::uint64_t v = t.low;
  bool carry = t.bit64;
  while (v >= 0x80 || carry) {
    out.push_back(static_cast<std::byte>((v & 0x7F) | 0x80));
    v = (v >> 7) | (carry ? std::uint64_t{1} << 57 : 0);
    carry = false;
  }
  out.push_back(static_cast<std::byte>(v));
}

void put_varint(std::vector<std::byte>& out, std::uint64_t v) { put_varint(out, Token{v, false}); }

// Bounds-checked reader over untrusted bytes: every read reports failure
// instead of going past the end.
class Reader {
 public:
  explicit Reader(std::span<const std::byte> in) noexcept : in_(in) {}

  [[nodiscard]] bool at_end() const noexcept { return pos_ == in_.size(); }

  bool bytes(std::span<const std::byte> expected) noexcept {
    if (in_.size() - pos_ < expected.size()) {
      return false;
    }
    const bool same = std::equal(expected.begin(), expected.end(),
                                 in_.begin() + static_cast<std::ptrdiff_t>(pos_));
    pos_ += expected.size();
    return same;
  }

  // Reads an unsigned LEB128 of at most `max_bits` (64 or 65) bits; rejects
  // a truncated varint, one longer than 10 bytes, and one with bits set at or
  // above `max_bits`.
  std::optional<Token> varint(unsigned max_bits) noexcept {
    Token t;
    for (unsigned n = 0; n < kMaxVarintBytes; ++n) {
      if (pos_ == in_.size()) {
        return std::nullopt;
      }
      const auto byte = std::to_integer<std::uint64_t>(in_[pos_++]);
      const std::uint64_t payload = byte & 0x7F;
      const unsigned shift = 7 * n;  // this byte holds bits shift..shift+6
      if (shift + 7 > max_bits && (payload >> (max_bits - shift)) != 0) {
        return std::nullopt;
      }
      t.low |= payload << shift;  // at shift 63 only payload bit 0 lands here
      if (shift == 63) {
        t.bit64 = ((payload >> 1) & 1) != 0;
      }
      if ((byte & 0x80) == 0) {
        return t;
      }
    }
    return std::nullopt;
  }

  std::optional<std::uint64_t> u64() noexcept {
    const auto t = varint(64);
    if (!t) {
      return std::nullopt;
    }
    return t->low;
  }

 private:
  std::span<const std::byte> in_;
  std::size_t pos_ = 0;
};

}  // namespace

LatencyHistogram::LatencyHistogram(const LatencyHistogram& other)
    : total_(other.total_),
      min_(other.min_),
      max_(other.max_),
      sum_(other.sum_),
      saturated_(other.saturated_),
      max_rows_(other.max_rows_) {
  for (std::size_t r = 0; r < kRows; ++r) {
    const std::uint64_t* src = other.rows_[r].get();
    if (src != nullptr && !all_zero(src, row_size(r))) {  // skip rows emptied by reset()
      std::copy_n(src, row_size(r), add_row(r));
    }
  }
}

LatencyHistogram::LatencyHistogram(std::size_t max_rows) : max_rows_(std::min(max_rows, kRows)) {
  add_row(kRows - 1);  // the top value's one slot: saturation never allocates
}

LatencyHistogram& LatencyHistogram::operator=(const LatencyHistogram& other) {
  if (this != &other) {
    *this = LatencyHistogram(other);  // all or nothing if an allocation throws
  }
  return *this;
}

LatencyHistogram::LatencyHistogram(LatencyHistogram&& other) noexcept
    : rows_(std::move(other.rows_)),
      total_(std::exchange(other.total_, 0)),
      min_(std::exchange(other.min_, UINT64_MAX)),
      max_(std::exchange(other.max_, 0)),
      sum_(std::exchange(other.sum_, 0)),
      saturated_(std::exchange(other.saturated_, 0)),
      max_rows_(other.max_rows_),
      rows_used_(std::exchange(other.rows_used_, 0)) {}

LatencyHistogram& LatencyHistogram::operator=(LatencyHistogram&& other) noexcept {
  if (this != &other) {
    rows_ = std::move(other.rows_);  // leaves other's rows null
    total_ = std::exchange(other.total_, 0);
    min_ = std::exchange(other.min_, UINT64_MAX);
    max_ = std::exchange(other.max_, 0);
    sum_ = std::exchange(other.sum_, 0);
    saturated_ = std::exchange(other.saturated_, 0);
    max_rows_ = other.max_rows_;
    rows_used_ = std::exchange(other.rows_used_, 0);
  }
  return *this;
}

// Out of line and cold: taken at most kRows times in a histogram's life, so
// record()'s fast path stays a load, a test and an add.
[[gnu::noinline, gnu::cold]] std::uint64_t* LatencyHistogram::add_row(std::size_t r) {
  static_assert(LatencyHistogram::kRowBits == ::netbench::kRowBits &&
                LatencyHistogram::kRows == ::netbench::kRows);
  rows_[r] = std::make_unique<std::uint64_t[]>(row_size(r));  // zeroed; may throw
  if (r != kRows - 1) {
    ++rows_used_;
  }
  return rows_[r].get();
}

std::uint64_t LatencyHistogram::slot(std::size_t i) const noexcept {
  const std::uint64_t* row = rows_[i >> kRowBits].get();
  return row == nullptr ? 0 : row[i & kRowMask];
}

void LatencyHistogram::record(std::uint64_t value_ns, std::uint64_t count) {
  if (count == 0) {
    return;
  }
  const std::uint64_t clamped = std::min(value_ns, kHighestTrackableNs);
  const std::size_t i = index_of(clamped);
  std::uint64_t* row = rows_[i >> kRowBits].get();
  if (row == nullptr) [[unlikely]] {
    // A tail call, so the fast path needs no stack frame around the allocation.
    record_in_new_row(value_ns, count);
    return;
  }
  if (value_ns > kHighestTrackableNs) {
    saturated_ += count;
  }
  row[i & kRowMask] += count;
  total_ += count;
  min_ = std::min(min_, clamped);
  max_ = std::max(max_, clamped);
  sum_ = add_saturating(sum_, mul_saturating(clamped, count));
}

// The first sample in its row: allocate the row (if the budget allows) and
// record as usual. add_row() throws before anything changed.
[[gnu::noinline, gnu::cold]] void LatencyHistogram::record_in_new_row(std::uint64_t value_ns,
                                                                      std::uint64_t count) {
  const std::size_t r = index_of(std::min(value_ns, kHighestTrackableNs)) >> kRowBits;
  if (r != kRows - 1 && rows_used_ >= max_rows_) {
    // Degrade by counting, never by growing: the peer chose values across
    // more powers of two than the budget holds.
    record_saturated(count);
    return;
  }
  add_row(r);
  record(value_ns, count);
}

void LatencyHistogram::record_saturated(std::uint64_t count) {
  std::uint64_t* top = rows_[kRows - 1].get();
  if (top == nullptr) {
    top = add_row(kRows - 1);  // only a moved-from budgeted histogram lacks it
  }
  top[0] += count;
  saturated_ += count;
  total_ += count;
  min_ = std::min(min_, kHighestTrackableNs);
  max_ = kHighestTrackableNs;
  sum_ = add_saturating(sum_, mul_saturating(kHighestTrackableNs, count));
}

void LatencyHistogram::merge(const LatencyHistogram& other) {
  if (other.total_ == 0) {
    return;
  }
  // Allocate first, add afterwards: a throw leaves this histogram unchanged
  // (rows allocated by then are zero, which reads as no samples).
  // Only the rows of `other`'s occupied slot range can hold counts; a row it
  // allocated before a reset() may still be all zero and is not copied.
  const std::size_t first = index_of(other.min_) >> kRowBits;
  const std::size_t last = index_of(other.max_) >> kRowBits;
  for (std::size_t r = first; r <= last; ++r) {
    const std::uint64_t* src = other.rows_[r].get();
    if (src != nullptr && rows_[r] == nullptr && !all_zero(src, row_size(r))) {
      add_row(r);
    }
  }
  for (std::size_t r = first; r <= last; ++r) {
    const std::uint64_t* src = other.rows_[r].get();
    std::uint64_t* dst = rows_[r].get();
    if (src == nullptr || dst == nullptr) {
      continue;  // nothing to add, or a row of zeros not copied
    }
    const std::size_t n = row_size(r);
    for (std::size_t k = 0; k < n; ++k) {
      dst[k] += src[k];
    }
  }
  total_ += other.total_;
  min_ = std::min(min_, other.min_);
  max_ = std::max(max_, other.max_);
  sum_ = add_saturating(sum_, other.sum_);
  saturated_ += other.saturated_;
}

void LatencyHistogram::reset() noexcept {
  for (std::size_t r = 0; r < kRows; ++r) {
    if (rows_[r] != nullptr) {
      std::fill_n(rows_[r].get(), row_size(r), 0);
    }
  }
  total_ = 0;
  min_ = UINT64_MAX;
  max_ = 0;
  sum_ = 0;
  saturated_ = 0;
}

std::size_t LatencyHistogram::allocated_bytes() const noexcept {
  std::size_t bytes = 0;
  for (std::size_t r = 0; r < kRows; ++r) {
    if (rows_[r] != nullptr) {
      bytes += row_size(r) * sizeof(std::uint64_t);
    }
  }
  return bytes;
}

std::size_t LatencyHistogram::memory_bound() const noexcept {
  if (max_rows_ >= kRows) {
    return kSlots * sizeof(std::uint64_t);
  }
  return max_rows_ * kRowBytes + row_size(kRows - 1) * sizeof(std::uint64_t);
}

std::uint64_t LatencyHistogram::min() const noexcept { return total_ == 0 ? 0 : min_; }

double LatencyHistogram::mean() const noexcept {
  return total_ == 0 ? 0.0 : static_cast<double>(sum_) / static_cast<double>(total_);
}

std::uint64_t LatencyHistogram::percentile(double p) const noexcept {
  if (total_ == 0) {
    return 0;
  }
  // `!(p > 0)` also sends NaN to the minimum.
  if (!(p > 0.0)) {
    return min_;
  }
  if (p >= 100.0) {
    return max_;
  }
  // Nearest rank: the smallest value with at least ceil(p/100 * N) samples at
  // or below it. p * N / 100 rather than p / 100 * N: 99.9 / 100 * 1000 rounds
  // to just above 999 and would pick rank 1000.
  const double exact = std::ceil(p * static_cast<double>(total_) / 100.0);
  std::uint64_t rank = 1;
  if (exact >= static_cast<double>(total_)) {
    rank = total_;
  } else if (exact > 1.0) {
    rank = static_cast<std::uint64_t>(exact);
  }
  const std::size_t lo = index_of(min_);
  const std::size_t hi = index_of(max_);
  std::uint64_t seen = 0;
  for (std::size_t r = lo >> kRowBits; r <= hi >> kRowBits; ++r) {
    const std::uint64_t* row = rows_[r].get();
    if (row == nullptr) {
      continue;  // no samples in this row
    }
    const std::size_t base = r << kRowBits;
    const std::size_t end = std::min(hi, base + row_size(r) - 1);
    for (std::size_t i = std::max(lo, base); i <= end; ++i) {
      seen += row[i - base];
      if (seen >= rank) {
        return std::clamp(highest_of(i), min_, max_);
      }
    }
  }
  return max_;  // unreachable while the slots sum to total_
}

std::vector<std::byte> LatencyHistogram::serialize() const {
  std::vector<std::byte> out;
  // Header (5 bytes + 6 varints of at most 10) and two bytes per occupied slot
  // as a first guess. push_back, not a range insert: GCC 12 misreports the
  // latter into an empty vector as an overflow (-Wstringop-overflow).
  out.reserve(5 + 6 * kMaxVarintBytes +
              2 * static_cast<std::size_t>(std::min<std::uint64_t>(total_, 1024)));
  for (const std::byte b : kTag) {
    out.push_back(b);
  }
  out.push_back(kFormatVersion);
  put_varint(out, total_);
  put_varint(out, min());
  put_varint(out, max_);
  put_varint(out, sum_);
  put_varint(out, saturated_);
  put_varint(out, std::uint64_t{kSlots});
  if (total_ == 0) {
    return out;
  }
  const std::size_t last = index_of(max_);
  std::uint64_t zeros = 0;
  for (std::size_t r = 0; r <= last >> kRowBits; ++r) {
    const std::size_t base = r << kRowBits;
    const std::size_t end = std::min(last + 1, base + row_size(r));
    const std::uint64_t* row = rows_[r].get();
    if (row == nullptr) {
      zeros += end - base;  // a row never touched: all empty slots
      continue;
    }
    for (std::size_t i = base; i < end; ++i) {
      const std::uint64_t c = row[i - base];
      if (c == 0) {
        ++zeros;
        continue;
      }
      if (zeros != 0) {
        put_varint(out, 2 * zeros - 1);  // zigzag of −zeros
        zeros = 0;
      }
      put_varint(out, Token{c << 1, (c >> 63) != 0});  // zigzag of +c, 65 bits
    }
  }
  return out;
}

std::optional<LatencyHistogram> LatencyHistogram::deserialize(std::span<const std::byte> in) {
  Reader r(in);
  if (!r.bytes(kTag) || !r.bytes(std::span(&kFormatVersion, 1))) {
    return std::nullopt;
  }
  const auto total = r.u64();
  const auto min = r.u64();
  const auto max = r.u64();
  const auto sum = r.u64();
  const auto saturated = r.u64();
  const auto slots = r.u64();
  if (!total || !min || !max || !sum || !saturated || !slots || *slots != kSlots) {
    return std::nullopt;
  }

  LatencyHistogram h;
  std::size_t i = 0;
  std::uint64_t counted = 0;
  while (!r.at_end()) {
    const auto t = r.varint(65);
    if (!t) {
      return std::nullopt;
    }
    // Undo the zigzag: even tokens are counts, odd ones runs of empty slots.
    const std::uint64_t half = (t->low >> 1) | (t->bit64 ? std::uint64_t{1} << 63 : 0);
    if ((t->low & 1) != 0) {
      // Run of half + 1 empty slots (half + 1 cannot overflow: low is odd).
      if (half >= kSlots - i) {
        return std::nullopt;
      }
      i += static_cast<std::size_t>(half) + 1;
      continue;
    }
    if (i >= kSlots || __builtin_add_overflow(counted, half, &counted)) {
      return std::nullopt;
    }
    if (half != 0) {  // a zero count leaves its row unallocated
      std::uint64_t* row = h.rows_[i >> kRowBits].get();
      if (row == nullptr) {
        row = h.add_row(i >> kRowBits);
      }
      row[i & kRowMask] = half;
    }
    ++i;
  }

  // The header must agree with the buckets: a truncated or spliced body fails
  // here (every suffix of a valid body holds at least one non-zero count).
  if (counted != *total) {
    return std::nullopt;
  }
  if (*total == 0) {
    if (*min != 0 || *max != 0 || *sum != 0 || *saturated != 0) {
      return std::nullopt;
    }
    return h;
  }
  if (*min > *max || *max > kHighestTrackableNs || h.slot(index_of(*min)) == 0 ||
      h.slot(index_of(*max)) == 0 || *saturated > h.slot(kSlots - 1) ||
      (*saturated != 0 && *max != kHighestTrackableNs)) {
    return std::nullopt;
  }
  // No count outside [min, max]'s slots, and the sum within what the slots
  // allow (both bounds saturate as sum_ does).
  const std::size_t min_index = index_of(*min);
  const std::size_t max_index = index_of(*max);
  std::uint64_t sum_low = 0;
  std::uint64_t sum_high = 0;
  for (std::size_t row_index = 0; row_index < kRows; ++row_index) {
    const std::uint64_t* row = h.rows_[row_index].get();
    if (row == nullptr) {
      continue;
    }
    const std::size_t base = row_index << kRowBits;
    for (std::size_t k = base; k < base + row_size(row_index); ++k) {
      const std::uint64_t c = row[k - base];
      if (c == 0) {
        continue;
      }
      if (k < min_index || k > max_index) {
        return std::nullopt;
      }
      const std::uint64_t low = std::max(lowest_of(k), *min);
      const std::uint64_t high = std::min(highest_of(k), *max);
      sum_low = add_saturating(sum_low, mul_saturating(low, c));
      sum_high = add_saturating(sum_high, mul_saturating(high, c));
    }
  }
  if (*sum < sum_low || *sum > sum_high) {
    return std::nullopt;
  }
  h.total_ = *total;
  h.min_ = *min;
  h.max_ = *max;
  h.sum_ = *sum;
  h.saturated_ = *saturated;
  return h;
}

bool operator==(const LatencyHistogram& a, const LatencyHistogram& b) noexcept {
  if (a.total_ != b.total_ || a.min_ != b.min_ || a.max_ != b.max_ || a.sum_ != b.sum_ ||
      a.saturated_ != b.saturated_) {
    return false;
  }
  // Compare counts, not allocations: a missing row equals a row of zeros.
  for (std::size_t r = 0; r < kRows; ++r) {
    const std::uint64_t* x = a.rows_[r].get();
    const std::uint64_t* y = b.rows_[r].get();
    const std::size_t n = row_size(r);
    if (x == nullptr && y == nullptr) {
      continue;
    }
    const bool same = x == nullptr   ? all_zero(y, n)
                      : y == nullptr ? all_zero(x, n)
                                     : std::equal(x, x + n, y);
    if (!same) {
      return false;
    }
  }
  return true;
}

}  // namespace netbench
