#pragma once

#include <cstddef>
#include <cstdint>
#include <map>

#include "netbench/count_distribution.hpp"

namespace netbench {

/// How one arrival was classified (RFC 4737 §3 terms).
enum class Arrival : std::uint8_t {
  kInOrder,      ///< seq == next expected
  kAhead,        ///< seq > next expected: opens a gap of missing numbers
  kReordered,    ///< seq < next expected and fills a gap (late, not lost)
  kDuplicate,    ///< seq already received
  kBeyondWindow  ///< seq below the end of a forgotten gap: late or duplicate, no
                 ///< longer decidable (see SequenceTracker)
};

/// Loss figures, computed once the sender's count is known.
struct LossReport {
  std::uint64_t sent = 0;           ///< messages the sender says it sent
  std::uint64_t unique = 0;         ///< distinct messages received (min(unique, sent))
  std::uint64_t lost = 0;           ///< sent − unique, never negative
  std::uint64_t bursts = 0;         ///< runs of consecutive missing numbers
  CountDistribution burst_lengths;  ///< length of each burst, messages
  /// lost / sent in [0, 1]; 0 when nothing was sent.
  [[nodiscard]] double loss_ratio() const noexcept {
    return sent == 0 ? 0.0 : static_cast<double>(lost) / static_cast<double>(sent);
  }
};

/// Per-flow loss, duplicate and reordering accounting over 64-bit sequence
/// numbers starting at 0 (RFC 4737, RFC 5236).
///
/// The tracker keeps NextExp (highest seen + 1) and the set of *open gaps*:
/// ranges of numbers below NextExp not yet received. An arrival below NextExp
/// is reordered if it falls in a gap (its reorder extent is NextExp − seq, in
/// messages), otherwise it is a duplicate. So duplicate detection is exact,
/// whatever the distance, as long as the gap is remembered: this set is the
/// sliding window. At most `max_open_gaps` gaps are kept; when a new gap would
/// exceed that, the oldest is closed: its numbers count as a loss burst
/// (gaps_evicted()), and a later arrival inside it is reported as
/// kBeyondWindow (counted, neither unique nor duplicate, so it stays counted
/// as lost). The sender chooses how many gaps open (0, 2, 4, ... opens one per
/// message), so the bound, not the traffic, decides the memory.
///
/// Memory: at most max_open_gaps + 1 tree nodes (one red-black-tree node per
/// gap, 48 bytes, 64 with the allocator's header, whatever the gap's length),
/// allocated the first time that many gaps are open at once and then reused
/// for the tracker's life: about 64 KiB at the default bound. Cost per
/// arrival: O(1) in order, O(log open gaps) otherwise, with no allocation once
/// the peak number of open gaps has been reached. The number 2^64 − 1 is
/// accepted: NextExp is then 2^64 internally and next_expected() reports
/// 2^64 − 1. Not thread-safe.
class SequenceTracker {
 public:
  /// Default bound on remembered gaps: 1,024 gaps, 64 KiB at most. Late
  /// arrivals are recognised for as long as fewer than that many newer gaps
  /// have opened since (e.g. ~100,000 messages at 1% random loss).
  static constexpr std::size_t kDefaultMaxOpenGaps = 1'024;
  /// Heap bytes of one remembered gap (tree node and allocator header), an
  /// upper bound used by memory_bound().
  static constexpr std::size_t kBytesPerGap = 64;

  /// `max_open_gaps` bounds the sliding window (0 closes every gap at once:
  /// no reordering is then recognised). Allocates nothing until a gap opens.
  explicit SequenceTracker(std::size_t max_open_gaps = kDefaultMaxOpenGaps);

  /// Classifies and records one arrival. Allocates only while the number of
  /// gaps open at once reaches a new peak (at most max_open_gaps + 1 times in
  /// the tracker's life). Throws std::bad_alloc if that allocation fails,
  /// with the tracker unchanged; nothing else throws.
  Arrival on_arrival(std::uint64_t seq);

  /// Arrivals of any kind, messages.
  [[nodiscard]] std::uint64_t received() const noexcept { return received_; }
  /// Distinct numbers received (in order, ahead or reordered), messages.
  [[nodiscard]] std::uint64_t unique() const noexcept { return unique_; }
  /// Arrivals of a number already received, messages.
  [[nodiscard]] std::uint64_t duplicates() const noexcept { return duplicates_; }
  /// Arrivals that filled a gap (late, not lost), messages.
  [[nodiscard]] std::uint64_t reordered() const noexcept { return reordered_; }
  /// Arrivals below a closed gap's end and not in an open gap, messages.
  [[nodiscard]] std::uint64_t beyond_window() const noexcept { return beyond_window_; }
  /// Reorder extents (NextExp − seq at arrival) of reordered messages.
  [[nodiscard]] const CountDistribution& reorder_extents() const noexcept { return extents_; }
  /// Highest seq seen + 1 (0 before any arrival).
  [[nodiscard]] std::uint64_t next_expected() const noexcept { return next_expected_; }
  /// Numbers currently missing below next_expected() in open gaps, messages.
  [[nodiscard]] std::uint64_t open_gap_messages() const noexcept { return open_missing_; }
  /// Gaps currently remembered (<= max_open_gaps).
  [[nodiscard]] std::size_t open_gaps() const noexcept { return gaps_.size(); }
  /// Gaps closed as loss because max_open_gaps were open (beyond tracking).
  [[nodiscard]] std::uint64_t gaps_evicted() const noexcept { return closed_bursts_.count(); }
  /// Heap bytes the tracker holds now (gap nodes, used and spare) and the
  /// most it can ever hold: (max_open_gaps + 1) * kBytesPerGap.
  [[nodiscard]] std::size_t allocated_bytes() const noexcept {
    return (gaps_.size() + spare_.size()) * kBytesPerGap;
  }
  [[nodiscard]] std::size_t memory_bound() const noexcept {
    return (max_open_gaps_ + 1) * kBytesPerGap;
  }

  /// Loss given that the sender sent numbers [0, sent). Messages above
  /// `sent` (should not happen) are ignored for loss. Pure: may be called
  /// more than once. Exact while `sent` >= the end of every closed gap; below
  /// that (the sender claims fewer than the receiver has already written off)
  /// closed gaps count as lost in full, still within [0, sent).
  /// O(open gaps).
  [[nodiscard]] LossReport finalize(std::uint64_t sent) const;

 private:
  // Open gaps, begin -> end (one past the last missing number): sorted,
  // disjoint. A map, so that finding, shrinking, splitting and closing a gap
  // are O(log n) wherever it lies.
  using GapMap = std::map<std::uint64_t, std::uint64_t>;

  // A node for a new gap [begin, end): a spare one if any (no allocation),
  // else a new one (may throw std::bad_alloc before anything changed).
  GapMap::node_type make_gap(std::uint64_t begin, std::uint64_t end);
  // Moves a gap's node to the spares (no allocation, no throw).
  void retire_gap(GapMap::iterator it) noexcept;
  // Closes the oldest gaps (as loss bursts) while more than max_open_gaps_;
  // their nodes become spares.
  void close_oldest_gaps() noexcept;

  GapMap gaps_;
  // Nodes of closed or filled gaps, kept for reuse so that the tree never
  // allocates past its peak size. A multimap: every spare has key 0.
  std::multimap<std::uint64_t, std::uint64_t> spare_;
  std::size_t max_open_gaps_;
  std::uint64_t next_expected_ = 0;  // saturates at 2^64 − 1, see past_end_
  bool past_end_ = false;            // 2^64 − 1 was seen: NextExp is 2^64
  std::uint64_t open_missing_ = 0;   // sum of the lengths of gaps_
  std::uint64_t received_ = 0;
  std::uint64_t unique_ = 0;
  std::uint64_t duplicates_ = 0;
  std::uint64_t reordered_ = 0;
  std::uint64_t beyond_window_ = 0;
  std::uint64_t forgotten_below_ = 0;  // gaps below this were closed as lost
  CountDistribution extents_;
  CountDistribution closed_bursts_;  // bursts of gaps closed early
};

}  // namespace netbench
