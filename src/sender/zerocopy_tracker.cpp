#include "sender/zerocopy_tracker.hpp"

#include <algorithm>

namespace netbench::sender {

void ZeroCopyTracker::complete(std::uint32_t lo, std::uint32_t hi, bool copied) {
  ++stats_.notifications;
  // Unwrap against the watermark: the kernel's ids are ours modulo 2^32.
  const std::uint64_t first =
      done_ + static_cast<std::uint32_t>(lo - static_cast<std::uint32_t>(done_));
  const std::uint64_t count = std::uint64_t{static_cast<std::uint32_t>(hi - lo)} + 1;
  const std::uint64_t end = first + count;
  // Within what was issued, and not overlapping a range already completed.
  const bool overlaps = std::any_of(ranges_.begin(), ranges_.end(), [&](const auto& r) {
    return first < r.second && r.first < end;
  });
  if (end > next_ || overlaps) {
    stats_.unexpected += count;
    return;
  }
  stats_.completions += count;
  (copied ? stats_.copied : stats_.zerocopy) += count;
  if (first != done_) {
    ranges_.insert(std::lower_bound(ranges_.begin(), ranges_.end(), std::make_pair(first, end)),
                   {first, end});
    ahead_ += count;
    return;
  }
  done_ = end;
  // Older completions that were waiting for this one.
  while (!ranges_.empty() && ranges_.front().first == done_) {
    ahead_ -= ranges_.front().second - ranges_.front().first;
    done_ = ranges_.front().second;
    ranges_.erase(ranges_.begin());
  }
}

HeaderRing::HeaderRing(std::size_t capacity, std::size_t slot_bytes)
    : slot_bytes_(std::max(slot_bytes, kWireHeaderBytes)),
      ids_(std::max<std::size_t>(capacity, 1), kNoId),
      open_(ids_.size(), false) {
  constexpr std::size_t kPage = 4096;
  storage_.assign(ids_.size() * slot_bytes_ + kPage, std::byte{0});
  const auto at = reinterpret_cast<std::uintptr_t>(storage_.data());  // NOLINT
  base_ = (kPage - at % kPage) % kPage;
}

std::size_t HeaderRing::acquire() noexcept {
  const std::size_t i = (tail_ + used_) % ids_.size();
  ++used_;
  ids_[i] = kNoId;
  open_[i] = true;
  return i;
}

void HeaderRing::unacquire(std::size_t n) noexcept { used_ -= std::min(n, used_); }

std::size_t HeaderRing::release(std::uint64_t done_below) noexcept {
  std::size_t n = 0;
  while (used_ > 0 && !open_[tail_] && (ids_[tail_] == kNoId || ids_[tail_] < done_below)) {
    tail_ = (tail_ + 1) % ids_.size();
    --used_;
    ++n;
  }
  return n;
}

}  // namespace netbench::sender
