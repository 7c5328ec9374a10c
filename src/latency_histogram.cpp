#include "netbench/latency_histogram.hpp"

#include <algorithm>
#include <array>
#include <bit>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

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

std::uint64_t add_saturating(std::uint64_t a, std::uint64_t b) noexcept {
  std::uint64_t r = 0;
  return __builtin_add_overflow(a, b, &r) ? UINT64_MAX : r;
}

std::uint64_t mul_saturating(std::uint64_t a, std::uint64_t b) noexcept {
  std::uint64_t r = 0;
  return __builtin_mul_overflow(a, b, &r) ? UINT64_MAX : r;
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

LatencyHistogram::LatencyHistogram() : counts_(kSlots, 0) {}

void LatencyHistogram::record(std::uint64_t value_ns, std::uint64_t count) noexcept {
  if (count == 0) {
    return;
  }
  if (value_ns > kHighestTrackableNs) {
    value_ns = kHighestTrackableNs;
    saturated_ += count;
  }
  counts_[index_of(value_ns)] += count;
  total_ += count;
  min_ = std::min(min_, value_ns);
  max_ = std::max(max_, value_ns);
  sum_ = add_saturating(sum_, mul_saturating(value_ns, count));
}

void LatencyHistogram::merge(const LatencyHistogram& other) noexcept {
  if (other.total_ == 0) {
    return;
  }
  // Only the occupied slot range of `other` can be non-zero.
  const std::size_t lo = index_of(other.min_);
  const std::size_t hi = index_of(other.max_);
  for (std::size_t i = lo; i <= hi; ++i) {
    counts_[i] += other.counts_[i];
  }
  total_ += other.total_;
  min_ = std::min(min_, other.min_);
  max_ = std::max(max_, other.max_);
  sum_ = add_saturating(sum_, other.sum_);
  saturated_ += other.saturated_;
}

void LatencyHistogram::reset() noexcept {
  std::fill(counts_.begin(), counts_.end(), 0);
  total_ = 0;
  min_ = UINT64_MAX;
  max_ = 0;
  sum_ = 0;
  saturated_ = 0;
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
  for (std::size_t i = lo; i <= hi; ++i) {
    seen += counts_[i];
    if (seen >= rank) {
      return std::clamp(highest_of(i), min_, max_);
    }
  }
  return max_;  // unreachable while counts_ sum to total_
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
  for (std::size_t i = 0; i <= last; ++i) {
    const std::uint64_t c = counts_[i];
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
    h.counts_[i++] = half;
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
  if (*min > *max || *max > kHighestTrackableNs || h.counts_[index_of(*min)] == 0 ||
      h.counts_[index_of(*max)] == 0 || *saturated > h.counts_[kSlots - 1] ||
      (*saturated != 0 && *max != kHighestTrackableNs)) {
    return std::nullopt;
  }
  // No count outside [min, max]'s slots, and the sum within what the slots
  // allow (both bounds saturate as sum_ does).
  const std::size_t min_index = index_of(*min);
  const std::size_t max_index = index_of(*max);
  std::uint64_t sum_low = 0;
  std::uint64_t sum_high = 0;
  for (std::size_t k = 0; k < kSlots; ++k) {
    const std::uint64_t c = h.counts_[k];
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
  return a.total_ == b.total_ && a.min_ == b.min_ && a.max_ == b.max_ && a.sum_ == b.sum_ &&
         a.saturated_ == b.saturated_ && a.counts_ == b.counts_;
}

}  // namespace netbench
