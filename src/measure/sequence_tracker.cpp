#include "netbench/sequence_tracker.hpp"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <iterator>

namespace netbench {

// Terms follow RFC 4737 (Packet Reordering Metrics): NextExp is the next
// expected sequence number, one above the highest received so far; an arrival
// below NextExp is reordered, and its reordering extent is how far below
// NextExp it lands. A number counts as reordered at most once:
// a second copy is a duplicate, kept out of the reordering figures, which the
// list of open gaps decides exactly. RFC 5236 (Improved Packet Reordering
// Metrics) bounds its state with a displacement threshold past which a late
// packet is treated as lost; max_open_gaps_ plays that part here
// (kBeyondWindow), bounding memory rather than distance.
//
// Invariants: gaps_ is sorted and disjoint, every gap lies in
// [forgotten_below_, NextExp), and the number at each gap's end has been
// received (it is the arrival that opened the gap, or one that shrank it from
// the top), so no two gaps touch and each is a maximal run of missing numbers.
// unique_ == NextExp − open_missing_ − closed_bursts_.sum().

SequenceTracker::SequenceTracker(std::size_t max_open_gaps) : max_open_gaps_(max_open_gaps) {}

Arrival SequenceTracker::on_arrival(std::uint64_t seq) {
  ++received_;
  if (!past_end_ && seq >= next_expected_) {
    Arrival kind = Arrival::kInOrder;
    if (seq != next_expected_) {
      kind = Arrival::kAhead;
      gaps_.push_back(Gap{next_expected_, seq});
      open_missing_ += seq - next_expected_;
      close_oldest_gaps();
    }
    ++unique_;
    if (seq == UINT64_MAX) {
      past_end_ = true;  // NextExp would be 2^64: keep the number, flag it
      next_expected_ = UINT64_MAX;
    } else {
      next_expected_ = seq + 1;
    }
    return kind;
  }

  // seq < NextExp: a late arrival if it falls in an open gap.
  // The first gap whose begin is above seq; the one before may contain seq.
  auto it = std::upper_bound(gaps_.begin(), gaps_.end(), seq,
                             [](std::uint64_t s, const Gap& g) { return s < g.begin; });
  if (it != gaps_.begin() && seq < std::prev(it)->end) {
    --it;
    ++unique_;
    ++reordered_;
    --open_missing_;
    // NextExp − seq, where NextExp may be 2^64: only seq == 0 overflows it.
    const std::uint64_t extent =
        past_end_ ? (seq == 0 ? UINT64_MAX : UINT64_MAX - seq + 1) : next_expected_ - seq;
    extents_.record(extent);
    if (it->begin == seq && it->end == seq + 1) {
      gaps_.erase(it);
    } else if (it->begin == seq) {
      ++it->begin;
    } else if (it->end == seq + 1) {
      --it->end;
    } else {
      // Splitting creates one more gap, which may push the oldest out.
      const Gap upper{seq + 1, it->end};
      it->end = seq;
      gaps_.insert(std::next(it), upper);
      close_oldest_gaps();
    }
    return Arrival::kReordered;
  }
  if (seq < forgotten_below_) {
    // Either in a gap already written off or a duplicate of a number next to
    // one: the gap is forgotten, so we cannot tell. It stays lost.
    ++beyond_window_;
    return Arrival::kBeyondWindow;
  }
  ++duplicates_;
  return Arrival::kDuplicate;
}

void SequenceTracker::close_oldest_gaps() {
  while (gaps_.size() > max_open_gaps_) {
    const Gap& oldest = gaps_.front();
    closed_bursts_.record(oldest.end - oldest.begin);
    open_missing_ -= oldest.end - oldest.begin;
    forgotten_below_ = oldest.end;
    gaps_.pop_front();
  }
}

LossReport SequenceTracker::finalize(std::uint64_t sent) const {
  LossReport r;
  r.sent = sent;
  // Numbers below `limit` were either received or lie in a gap (open or
  // closed); numbers in [limit, sent) were never seen: a trailing burst that
  // only the sender's count reveals.
  const std::uint64_t limit = past_end_ ? sent : std::min(next_expected_, sent);

  std::uint64_t missing = closed_bursts_.sum();
  r.burst_lengths = closed_bursts_;
  for (const Gap& g : gaps_) {
    if (g.begin >= limit) {
      break;  // sorted: the rest are above `sent` too
    }
    const std::uint64_t len = std::min(g.end, limit) - g.begin;
    r.burst_lengths.record(len);
    missing += len;
  }
  // Closed gaps lie below forgotten_below_; if `sent` is smaller, some of them
  // may be above it, so clip to keep unique within [0, limit].
  missing = std::min(missing, limit);
  r.unique = limit - missing;
  r.lost = sent - r.unique;
  if (sent > limit) {
    r.burst_lengths.record(sent - limit);
  }
  r.bursts = r.burst_lengths.count();
  return r;
}

}  // namespace netbench
