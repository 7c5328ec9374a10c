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

#include "measure/histogram_layout.hpp"
#include "measure/saturating.hpp"

namespace netbench {

using namespace histogram_layout;  // NOLINT(google-build-using-namespace)

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
