#include "netbench/sequence_tracker.hpp"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <iterator>
#include <map>
#include <utility>

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
// gaps_.size() + spare_.size() never exceeds max_open_gaps_ + 1: a node is
// made only when no spare is left, and at most one gap is added before the
// oldest are closed again.

SequenceTracker::SequenceTracker(std::size_t max_open_gaps) : max_open_gaps_(max_open_gaps) {}

SequenceTracker::GapMap::node_type SequenceTracker::make_gap(std::uint64_t begin,
                                                             std::uint64_t end) {
  GapMap::node_type node;
  if (spare_.empty()) {
    // The only allocation: the number of open gaps reached a new peak. A
    // throw here leaves the tracker as it was.
    GapMap one;
    one.emplace(begin, end);
    node = one.extract(one.begin());
  } else {
    node = spare_.extract(spare_.begin());
    node.key() = begin;
    node.mapped() = end;
  }
  return node;
}

Arrival SequenceTracker::on_arrival(std::uint64_t seq) {
  if (!past_end_ && seq >= next_expected_) {
    Arrival kind = Arrival::kInOrder;
    if (seq != next_expected_) {
      kind = Arrival::kAhead;
      // The newest gap is the highest: insert at the end in O(1).
      gaps_.insert(gaps_.end(), make_gap(next_expected_, seq));
      open_missing_ += seq - next_expected_;
      close_oldest_gaps();
    }
    ++received_;
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
  auto it = gaps_.upper_bound(seq);
  if (it != gaps_.begin() && seq < std::prev(it)->second) {
    --it;
    const std::uint64_t begin = it->first;
    const std::uint64_t end = it->second;
    if (begin != seq && end != seq + 1) {
      // Splitting creates one more gap, which may push the oldest out. The
      // upper part's node is made first: if that throws, nothing changed.
      auto upper = make_gap(seq + 1, end);
      it->second = seq;
      gaps_.insert(std::next(it), std::move(upper));
      close_oldest_gaps();
    } else if (begin == seq && end == seq + 1) {
      retire_gap(it);
    } else if (begin == seq) {
      // Shrink from below: the key changes, so move the node (no allocation).
      auto node = gaps_.extract(it);
      node.key() = seq + 1;
      gaps_.insert(std::move(node));
    } else {
      it->second = seq;
    }
    ++received_;
    ++unique_;
    ++reordered_;
    --open_missing_;
    // NextExp − seq, where NextExp may be 2^64: only seq == 0 overflows it.
    const std::uint64_t extent =
        past_end_ ? (seq == 0 ? UINT64_MAX : UINT64_MAX - seq + 1) : next_expected_ - seq;
    extents_.record(extent);
    return Arrival::kReordered;
  }
  ++received_;
  if (seq < forgotten_below_) {
    // Either in a gap already written off or a duplicate of a number next to
    // one: the gap is forgotten, so we cannot tell. It stays lost.
    ++beyond_window_;
    return Arrival::kBeyondWindow;
  }
  ++duplicates_;
  return Arrival::kDuplicate;
}

void SequenceTracker::retire_gap(GapMap::iterator it) noexcept {
  auto node = gaps_.extract(it);
  node.key() = 0;  // every spare has key 0: inserting at the end is O(1)
  spare_.insert(spare_.end(), std::move(node));
}

void SequenceTracker::close_oldest_gaps() noexcept {
  while (gaps_.size() > max_open_gaps_) {
    const auto oldest = gaps_.begin();
    const std::uint64_t len = oldest->second - oldest->first;
    closed_bursts_.record(len);
    open_missing_ -= len;
    forgotten_below_ = oldest->second;
    retire_gap(oldest);
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
  for (const auto& [begin, end] : gaps_) {
    if (begin >= limit) {
      break;  // sorted: the rest are above `sent` too
    }
    const std::uint64_t len = std::min(end, limit) - begin;
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
