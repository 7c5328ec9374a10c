#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>

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
/// The tracker keeps NextExp (highest seen + 1) and the list of *open gaps*:
/// ranges of numbers below NextExp not yet received. An arrival below NextExp
/// is reordered if it falls in a gap (its reorder extent is NextExp − seq, in
/// messages), otherwise it is a duplicate. So duplicate detection is exact,
/// whatever the distance, as long as the gap is remembered: this list is the
/// sliding window. At most `max_open_gaps` gaps are kept; when a new gap would
/// exceed that, the oldest is closed: its numbers count as a loss burst, and a
/// later arrival inside it is reported as kBeyondWindow (counted, neither
/// unique nor duplicate, so it stays counted as lost).
///
/// Loss is only declared by finalize(). Memory grows with the number of open
/// gaps only (16 bytes each, whatever their length); in-order arrivals are
/// O(1), others O(log open gaps). The number 2^64 − 1 is accepted: NextExp is
/// then 2^64 internally and next_expected() reports 2^64 − 1. Not thread-safe.
class SequenceTracker {
 public:
  /// Default bound on remembered gaps: 65,536 gaps, 1 MiB at most.
  static constexpr std::size_t kDefaultMaxOpenGaps = 65'536;

  /// `max_open_gaps` bounds the sliding window (0 closes every gap at once:
  /// no reordering is then recognised). Allocates nothing until a gap opens.
  explicit SequenceTracker(std::size_t max_open_gaps = kDefaultMaxOpenGaps);

  /// Classifies and records one arrival. Allocates only when a gap opens or
  /// splits (amortised); never throws except std::bad_alloc from that.
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

  /// Loss given that the sender sent numbers [0, sent). Messages above
  /// `sent` (should not happen) are ignored for loss. Pure: may be called
  /// more than once. Exact while `sent` >= the end of every closed gap; below
  /// that (the sender claims fewer than the receiver has already written off)
  /// closed gaps count as lost in full, still within [0, sent).
  /// O(open gaps).
  [[nodiscard]] LossReport finalize(std::uint64_t sent) const;

 private:
  struct Gap {
    std::uint64_t begin;  // first missing number
    std::uint64_t end;    // one past the last missing number
  };

  // Closes the oldest gaps (as loss bursts) while more than max_open_gaps_.
  void close_oldest_gaps();

  // Sorted by begin, disjoint; a deque so that closing the oldest is O(1).
  std::deque<Gap> gaps_;
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
