// LatencyHistogram's wire form: serialize() and deserialize(), a compact,
// versioned and exactly mergeable encoding (docs/schema.md).
#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "measure/histogram_layout.hpp"
#include "measure/saturating.hpp"
#include "netbench/latency_histogram.hpp"

namespace netbench {

using namespace histogram_layout;  // NOLINT(google-build-using-namespace)

namespace {

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

}  // namespace netbench
