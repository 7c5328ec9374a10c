#include "measure/socket_drop_counter.hpp"

#include <algorithm>

#include "measure/saturating.hpp"

namespace netbench {

void SocketDropCounter::on_counter(std::uint64_t cumulative_skbs) noexcept {
  if (cumulative_skbs <= seen_skbs_) {
    return;
  }
  const std::uint64_t fresh = cumulative_skbs - seen_skbs_;
  seen_skbs_ = cumulative_skbs;
  if (coalesced_) {
    pending_skbs_ = add_saturating(pending_skbs_, fresh);
  } else {
    datagrams_ = add_saturating(datagrams_, fresh);  // one skb, one datagram
  }
}

std::uint64_t SocketDropCounter::match(std::uint64_t gap, std::uint64_t skbs) const noexcept {
  // Each dropped skb held at least one datagram and at most the largest
  // batch seen; within that, the gap in sequence numbers is what was lost.
  return std::clamp(gap, skbs, mul_saturating(skbs, max_segments_));
}

void SocketDropCounter::on_batch(std::uint64_t first_seq, std::uint64_t next_expected,
                                 std::uint64_t segments) noexcept {
  max_segments_ = std::max(max_segments_, segments);
  if (pending_skbs_ == 0) {
    return;
  }
  const std::uint64_t gap = first_seq > next_expected ? first_seq - next_expected : 0;
  datagrams_ = add_saturating(datagrams_, match(gap, pending_skbs_));
  pending_skbs_ = 0;
}

std::uint64_t SocketDropCounter::datagrams() const noexcept {
  return add_saturating(datagrams_, pending_skbs_);
}

std::uint64_t SocketDropCounter::finalize(std::uint64_t sent,
                                          std::uint64_t next_expected) const noexcept {
  if (pending_skbs_ == 0) {
    return datagrams_;
  }
  const std::uint64_t gap = sent > next_expected ? sent - next_expected : 0;
  return add_saturating(datagrams_, match(gap, pending_skbs_));
}

}  // namespace netbench
