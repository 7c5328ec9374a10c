#include "netbench/sequence_tracker.hpp"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <new>
#include <random>
#include <set>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "allocation_probe.hpp"
#include "netbench/count_distribution.hpp"

namespace netbench {
namespace {

constexpr std::uint64_t kTwoTo40 = std::uint64_t{1} << 40;

std::vector<Arrival> feed(SequenceTracker& t, std::initializer_list<std::uint64_t> seqs) {
  std::vector<Arrival> kinds;
  for (const std::uint64_t s : seqs) {
    kinds.push_back(t.on_arrival(s));
  }
  return kinds;
}

CountDistribution distribution_of(std::initializer_list<std::uint64_t> values) {
  CountDistribution d;
  for (const std::uint64_t v : values) {
    d.record(v);
  }
  return d;
}

void expect_same_report(const LossReport& a, const LossReport& b) {
  EXPECT_EQ(a.sent, b.sent);
  EXPECT_EQ(a.unique, b.unique);
  EXPECT_EQ(a.lost, b.lost);
  EXPECT_EQ(a.bursts, b.bursts);
  EXPECT_EQ(a.burst_lengths, b.burst_lengths);
}

using A = Arrival;

TEST(SequenceTrackerTest, InOrderArrivalsAreUniqueAndNothingIsLost) {
  SequenceTracker t;
  for (std::uint64_t s = 0; s < 10; ++s) {
    EXPECT_EQ(t.on_arrival(s), A::kInOrder);
  }
  EXPECT_EQ(t.received(), 10U);
  EXPECT_EQ(t.unique(), 10U);
  EXPECT_EQ(t.duplicates(), 0U);
  EXPECT_EQ(t.reordered(), 0U);
  EXPECT_EQ(t.beyond_window(), 0U);
  EXPECT_EQ(t.next_expected(), 10U);
  EXPECT_EQ(t.open_gaps(), 0U);
  EXPECT_EQ(t.open_gap_messages(), 0U);
  EXPECT_EQ(t.reorder_extents().count(), 0U);
  const LossReport r = t.finalize(10);
  EXPECT_EQ(r.sent, 10U);
  EXPECT_EQ(r.unique, 10U);
  EXPECT_EQ(r.lost, 0U);
  EXPECT_EQ(r.bursts, 0U);
  EXPECT_EQ(r.burst_lengths, CountDistribution());
  EXPECT_EQ(r.loss_ratio(), 0.0);
}

TEST(SequenceTrackerTest, EmptyTrackerExpectsZero) {
  const SequenceTracker t;
  EXPECT_EQ(t.next_expected(), 0U);
  const LossReport r = t.finalize(0);
  EXPECT_EQ(r.lost, 0U);
  EXPECT_EQ(r.bursts, 0U);
  EXPECT_EQ(r.loss_ratio(), 0.0);
}

TEST(SequenceTrackerTest, ArrivalAheadOpensAGapOfMissingNumbers) {
  SequenceTracker t;
  EXPECT_EQ(feed(t, {0, 1, 5, 6, 9}),
            (std::vector<A>{A::kInOrder, A::kInOrder, A::kAhead, A::kInOrder, A::kAhead}));
  EXPECT_EQ(t.next_expected(), 10U);
  EXPECT_EQ(t.open_gaps(), 2U);  // [2, 5) and [7, 9)
  EXPECT_EQ(t.open_gap_messages(), 5U);
  EXPECT_EQ(t.unique(), 5U);
  EXPECT_EQ(t.reordered(), 0U);
  const LossReport r = t.finalize(10);
  EXPECT_EQ(r.unique, 5U);
  EXPECT_EQ(r.lost, 5U);
  EXPECT_EQ(r.bursts, 2U);
  EXPECT_EQ(r.burst_lengths, distribution_of({3, 2}));
  EXPECT_DOUBLE_EQ(r.loss_ratio(), 0.5);
}

TEST(SequenceTrackerTest, LateArrivalFillingAGapIsReorderedNotLost) {
  SequenceTracker t;
  // NextExp is 6 after 5 arrives: 3 lands 6 − 3 = 3 below it, 4 lands 2 below.
  EXPECT_EQ(feed(t, {0, 1, 2, 5, 3, 4}), (std::vector<A>{A::kInOrder, A::kInOrder, A::kInOrder,
                                                         A::kAhead, A::kReordered, A::kReordered}));
  EXPECT_EQ(t.reordered(), 2U);
  EXPECT_EQ(t.unique(), 6U);
  EXPECT_EQ(t.duplicates(), 0U);
  EXPECT_EQ(t.open_gaps(), 0U);
  EXPECT_EQ(t.reorder_extents(), distribution_of({3, 2}));
  EXPECT_EQ(t.reorder_extents().sum(), 5U);
  EXPECT_EQ(t.reorder_extents().max(), 3U);
  const LossReport r = t.finalize(6);
  EXPECT_EQ(r.lost, 0U);
  EXPECT_EQ(r.bursts, 0U);
}

TEST(SequenceTrackerTest, LateArrivalInsideAGapSplitsIt) {
  SequenceTracker t;
  feed(t, {0, 10});                           // gap [1, 10), NextExp 11
  EXPECT_EQ(t.on_arrival(5), A::kReordered);  // extent 6; gaps [1, 5) and [6, 10)
  EXPECT_EQ(t.open_gaps(), 2U);
  EXPECT_EQ(t.open_gap_messages(), 8U);
  EXPECT_EQ(t.on_arrival(1), A::kReordered);  // extent 10; [2, 5)
  EXPECT_EQ(t.on_arrival(9), A::kReordered);  // extent 2; [6, 9)
  EXPECT_EQ(t.open_gaps(), 2U);
  EXPECT_EQ(t.open_gap_messages(), 6U);
  EXPECT_EQ(t.reorder_extents(), distribution_of({6, 10, 2}));
  EXPECT_EQ(t.reorder_extents().sum(), 18U);
  // Every number of both halves is still recognised as late, none as duplicate.
  for (const std::uint64_t s : {2U, 4U, 3U, 6U, 8U, 7U}) {
    EXPECT_EQ(t.on_arrival(s), A::kReordered) << s;
  }
  EXPECT_EQ(t.open_gaps(), 0U);
  EXPECT_EQ(t.unique(), 11U);
  EXPECT_EQ(t.duplicates(), 0U);
  EXPECT_EQ(t.finalize(11).lost, 0U);
}

TEST(SequenceTrackerTest, SplitGapLeavesTwoBurstsAtFinalize) {
  SequenceTracker t;
  feed(t, {0, 10, 5, 1, 9});  // missing [2, 5) and [6, 9)
  const LossReport r = t.finalize(11);
  EXPECT_EQ(r.unique, 5U);
  EXPECT_EQ(r.lost, 6U);
  EXPECT_EQ(r.bursts, 2U);
  EXPECT_EQ(r.burst_lengths, distribution_of({3, 3}));
}

TEST(SequenceTrackerTest, DuplicateIsNotCountedAsReorder) {
  SequenceTracker t;
  EXPECT_EQ(feed(t, {0, 3, 1, 1, 0}),
            (std::vector<A>{A::kInOrder, A::kAhead, A::kReordered, A::kDuplicate, A::kDuplicate}));
  EXPECT_EQ(t.received(), 5U);
  EXPECT_EQ(t.unique(), 3U);
  EXPECT_EQ(t.reordered(), 1U);
  EXPECT_EQ(t.duplicates(), 2U);
  EXPECT_EQ(t.reorder_extents().count(), 1U);
  const LossReport r = t.finalize(4);
  EXPECT_EQ(r.unique, 3U);
  EXPECT_EQ(r.lost, 1U);  // 2
}

TEST(SequenceTrackerTest, DuplicateOfTheNewestMessageIsADuplicate) {
  SequenceTracker t;
  EXPECT_EQ(feed(t, {0, 1, 2, 2}),
            (std::vector<A>{A::kInOrder, A::kInOrder, A::kInOrder, A::kDuplicate}));
  EXPECT_EQ(feed(t, {7, 7}), (std::vector<A>{A::kAhead, A::kDuplicate}));
  EXPECT_EQ(t.duplicates(), 2U);
  EXPECT_EQ(t.unique(), 4U);
  EXPECT_EQ(t.reordered(), 0U);
  EXPECT_EQ(t.next_expected(), 8U);
  EXPECT_EQ(t.open_gap_messages(), 4U);  // [3, 7) untouched by the duplicate
}

TEST(SequenceTrackerTest, DuplicateOfAnOldMessageIsFoundWhateverTheDistance) {
  SequenceTracker t;
  for (std::uint64_t s = 0; s < 100'000; ++s) {
    t.on_arrival(s);
  }
  EXPECT_EQ(t.on_arrival(3), A::kDuplicate);
  EXPECT_EQ(t.on_arrival(0), A::kDuplicate);
  EXPECT_EQ(t.on_arrival(99'999), A::kDuplicate);
  EXPECT_EQ(t.duplicates(), 3U);
  EXPECT_EQ(t.unique(), 100'000U);
  EXPECT_EQ(t.finalize(100'000).lost, 0U);
}

TEST(SequenceTrackerTest, TrailingLossIsRevealedOnlyByTheSendersCount) {
  SequenceTracker t;
  for (std::uint64_t s = 0; s < 7; ++s) {
    t.on_arrival(s);
  }
  EXPECT_EQ(t.open_gap_messages(), 0U);
  const LossReport r = t.finalize(10);
  EXPECT_EQ(r.unique, 7U);
  EXPECT_EQ(r.lost, 3U);
  EXPECT_EQ(r.bursts, 1U);
  EXPECT_EQ(r.burst_lengths, distribution_of({3}));
  EXPECT_DOUBLE_EQ(r.loss_ratio(), 0.3);
  EXPECT_EQ(t.finalize(7).lost, 0U);

  const SequenceTracker nothing;
  const LossReport all = nothing.finalize(5);
  EXPECT_EQ(all.lost, 5U);
  EXPECT_EQ(all.bursts, 1U);
  EXPECT_EQ(all.burst_lengths, distribution_of({5}));
  EXPECT_DOUBLE_EQ(all.loss_ratio(), 1.0);
}

TEST(SequenceTrackerTest, TrailingRunIsABurstApartFromTheLastGap) {
  SequenceTracker t;
  feed(t, {0, 3});  // [1, 3) missing, then 4.. never seen
  const LossReport r = t.finalize(6);
  EXPECT_EQ(r.lost, 4U);
  EXPECT_EQ(r.bursts, 2U);
  EXPECT_EQ(r.burst_lengths, distribution_of({2, 2}));
}

TEST(SequenceTrackerTest, LossIsNeverNegativeWithDuplicatesOrASmallSentCount) {
  SequenceTracker t;
  feed(t, {0, 1, 2, 2, 2, 3, 4, 4});
  EXPECT_EQ(t.received(), 8U);
  EXPECT_EQ(t.duplicates(), 3U);
  const LossReport r = t.finalize(5);
  EXPECT_EQ(r.unique, 5U);
  EXPECT_EQ(r.lost, 0U);
  const LossReport fewer = t.finalize(3);  // received more than the sender sent
  EXPECT_EQ(fewer.unique, 3U);
  EXPECT_EQ(fewer.lost, 0U);
  EXPECT_EQ(fewer.bursts, 0U);
  const LossReport none = t.finalize(0);
  EXPECT_EQ(none.unique, 0U);
  EXPECT_EQ(none.lost, 0U);
  EXPECT_EQ(none.loss_ratio(), 0.0);
}

TEST(SequenceTrackerTest, GapsAboveTheSentCountAreClippedOrIgnored) {
  SequenceTracker t;
  feed(t, {0, 1, 5, 9});  // gaps [2, 5) and [6, 9)
  const LossReport r = t.finalize(3);
  EXPECT_EQ(r.unique, 2U);
  EXPECT_EQ(r.lost, 1U);  // only 2 is below 3
  EXPECT_EQ(r.bursts, 1U);
  EXPECT_EQ(r.burst_lengths, distribution_of({1}));
}

TEST(SequenceTrackerTest, LossIsNeverAboveOneHundredPercent) {
  SequenceTracker t;
  t.on_arrival(500);  // only numbers the sender says it never sent
  t.on_arrival(500);
  const LossReport r = t.finalize(100);
  EXPECT_EQ(r.unique, 0U);
  EXPECT_EQ(r.lost, 100U);
  EXPECT_EQ(r.bursts, 1U);
  EXPECT_EQ(r.burst_lengths, distribution_of({100}));
  EXPECT_DOUBLE_EQ(r.loss_ratio(), 1.0);
}

TEST(SequenceTrackerTest, HugeGapCostsNoMemoryAndLossIsExact) {
  SequenceTracker t;
  EXPECT_EQ(feed(t, {0, kTwoTo40 - 3, kTwoTo40 - 2, kTwoTo40 - 1, kTwoTo40}),
            (std::vector<A>{A::kInOrder, A::kAhead, A::kInOrder, A::kInOrder, A::kInOrder}));
  EXPECT_EQ(t.open_gaps(), 1U);  // one 16-byte entry for 2^40 − 4 numbers
  EXPECT_EQ(t.open_gap_messages(), kTwoTo40 - 4);
  EXPECT_EQ(t.next_expected(), kTwoTo40 + 1);
  const LossReport r = t.finalize(kTwoTo40 + 1);
  EXPECT_EQ(r.unique, 5U);
  EXPECT_EQ(r.lost, kTwoTo40 - 4);
  EXPECT_EQ(r.bursts, 1U);
  EXPECT_EQ(r.burst_lengths.max(), kTwoTo40 - 4);
  const LossReport trailing = t.finalize(kTwoTo40 + 10);
  EXPECT_EQ(trailing.lost, kTwoTo40 - 4 + 9);
  EXPECT_EQ(trailing.bursts, 2U);

  const std::uint64_t half = kTwoTo40 / 2;
  EXPECT_EQ(t.on_arrival(half), A::kReordered);
  EXPECT_EQ(t.reorder_extents().max(), kTwoTo40 + 1 - half);
  EXPECT_EQ(t.open_gaps(), 2U);
  EXPECT_EQ(t.finalize(kTwoTo40 + 1).lost, kTwoTo40 - 5);
}

TEST(SequenceTrackerTest, NumbersNearTwoToTheSixtyFourDoNotOverflow) {
  constexpr std::uint64_t kMax = UINT64_MAX;
  SequenceTracker t;
  EXPECT_EQ(feed(t, {0, kMax - 2, kMax - 1, kMax}),
            (std::vector<A>{A::kInOrder, A::kAhead, A::kInOrder, A::kInOrder}));
  EXPECT_EQ(t.next_expected(), kMax);  // 2^64, reported saturated
  EXPECT_EQ(t.on_arrival(kMax), A::kDuplicate);
  EXPECT_EQ(t.on_arrival(kMax - 1), A::kDuplicate);
  EXPECT_EQ(t.on_arrival(0), A::kDuplicate);
  EXPECT_EQ(t.on_arrival(7), A::kReordered);
  EXPECT_EQ(t.reorder_extents().max(), kMax - 6);  // 2^64 − 7
  EXPECT_EQ(t.unique(), 5U);
  EXPECT_EQ(t.duplicates(), 3U);
  EXPECT_EQ(t.open_gap_messages(), kMax - 4);  // [1, 7) and [8, 2^64 − 3)
  // sent = 2^64 − 1: numbers [0, 2^64 − 1), so 2^64 − 1 itself is not counted.
  const LossReport r = t.finalize(kMax);
  EXPECT_EQ(r.unique, 4U);
  EXPECT_EQ(r.lost, kMax - 4);
  EXPECT_EQ(r.bursts, 2U);
  EXPECT_EQ(r.burst_lengths, distribution_of({6, kMax - 10}));
  EXPECT_LE(r.loss_ratio(), 1.0);

  SequenceTracker top_first;  // the whole range below the top is one gap
  EXPECT_EQ(top_first.on_arrival(kMax), A::kAhead);
  EXPECT_EQ(top_first.on_arrival(0), A::kReordered);  // extent 2^64, saturated
  EXPECT_EQ(top_first.reorder_extents().max(), kMax);
  EXPECT_EQ(top_first.on_arrival(kMax - 1), A::kReordered);  // extent 2
  EXPECT_EQ(top_first.reorder_extents().sum(), kMax);        // saturated, not wrapped
  EXPECT_EQ(top_first.finalize(kMax).lost, kMax - 2);
}

TEST(SequenceTrackerTest, MaxOpenGapsClosesTheOldestGapAsALossBurst) {
  SequenceTracker t(2);
  EXPECT_EQ(feed(t, {0, 2, 4, 7}),  // gaps [1,2), [3,4), [5,7): the first is closed
            (std::vector<A>{A::kInOrder, A::kAhead, A::kAhead, A::kAhead}));
  EXPECT_EQ(t.open_gaps(), 2U);
  EXPECT_EQ(t.open_gap_messages(), 3U);
  EXPECT_EQ(t.on_arrival(1), A::kBeyondWindow);  // late, but written off: stays lost
  EXPECT_EQ(t.on_arrival(0), A::kBeyondWindow);  // below the closed gap: can't tell
  EXPECT_EQ(t.on_arrival(3), A::kReordered);     // extent 8 − 3 = 5
  EXPECT_EQ(t.on_arrival(3), A::kDuplicate);
  EXPECT_EQ(t.on_arrival(2), A::kDuplicate);  // the closed gap's end, still known
  EXPECT_EQ(t.received(), 9U);
  EXPECT_EQ(t.unique(), 5U);
  EXPECT_EQ(t.beyond_window(), 2U);
  EXPECT_EQ(t.duplicates(), 2U);
  EXPECT_EQ(t.reordered(), 1U);
  EXPECT_EQ(t.reorder_extents(), distribution_of({5}));
  const LossReport r = t.finalize(8);
  EXPECT_EQ(r.unique, 5U);
  EXPECT_EQ(r.lost, 3U);  // 1 (closed), 5 and 6 (open)
  EXPECT_EQ(r.bursts, 2U);
  EXPECT_EQ(r.burst_lengths, distribution_of({1, 2}));
}

TEST(SequenceTrackerTest, SplittingAGapCanCloseTheOldest) {
  SequenceTracker t(1);
  feed(t, {0, 10});
  EXPECT_EQ(t.on_arrival(5), A::kReordered);  // [1,5) [6,10): [1,5) is closed
  EXPECT_EQ(t.open_gaps(), 1U);
  EXPECT_EQ(t.on_arrival(2), A::kBeyondWindow);
  EXPECT_EQ(t.on_arrival(7), A::kReordered);  // extent 4; [6,7) [8,10): [6,7) closed
  EXPECT_EQ(t.on_arrival(6), A::kBeyondWindow);
  const LossReport r = t.finalize(11);
  EXPECT_EQ(r.unique, 4U);  // 0, 10, 5, 7
  EXPECT_EQ(r.lost, 7U);
  EXPECT_EQ(r.bursts, 3U);
  EXPECT_EQ(r.burst_lengths, distribution_of({4, 1, 2}));
}

TEST(SequenceTrackerTest, ZeroMaxOpenGapsWritesEveryGapOffAtOnce) {
  SequenceTracker t(0);
  EXPECT_EQ(feed(t, {0, 3, 1, 4}),
            (std::vector<A>{A::kInOrder, A::kAhead, A::kBeyondWindow, A::kInOrder}));
  EXPECT_EQ(t.open_gaps(), 0U);
  const LossReport r = t.finalize(5);
  EXPECT_EQ(r.unique, 3U);
  EXPECT_EQ(r.lost, 2U);
  EXPECT_EQ(r.burst_lengths, distribution_of({2}));
}

TEST(SequenceTrackerTest, FinalizeIsCallableTwiceWithTheSameResult) {
  SequenceTracker t(3);
  feed(t, {0, 4, 2, 9, 12, 15, 20, 1, 1, 30});
  const LossReport a = t.finalize(40);
  const LossReport b = t.finalize(40);
  expect_same_report(a, b);
  EXPECT_EQ(a.lost, 40U - t.unique());  // nothing above 40 was received
  t.on_arrival(31);
  expect_same_report(t.finalize(40), t.finalize(40));
}

// Issue 16: a hostile sender numbering 0, 2, 4, ... opens a gap per message.
// The tracker's memory stays within its bound (about 64 KiB at the default
// 1,024 gaps; 1 MiB of deque before), and the figures stay exact: the gaps
// closed early are counted as loss bursts, the late arrivals into them as
// beyond the window, the ones still tracked as reordered.
TEST(SequenceTrackerTest, AlternateNumbersKeepTrackedGapMemoryUnderItsBound) {
  constexpr std::uint64_t kMessages = 1'000'000;
  const std::int64_t before = test::live_bytes();
  std::int64_t peak = 0;
  SequenceTracker t;
  for (std::uint64_t i = 0; i < kMessages; ++i) {
    t.on_arrival(2 * i);
    if (i % 4096 == 0) {
      peak = std::max(peak, test::live_bytes() - before);
    }
  }
  peak = std::max(peak, test::live_bytes() - before);
  EXPECT_LE(peak, 80 * 1024) << "heap bytes held for the gaps of one flow";
  EXPECT_EQ(t.unique(), kMessages);
  const std::uint64_t sent = 2 * kMessages - 1;
  const LossReport r = t.finalize(sent);
  EXPECT_EQ(r.unique, kMessages);
  EXPECT_EQ(r.lost, kMessages - 1);  // every odd number, closed or open
  EXPECT_EQ(r.bursts, kMessages - 1);
  EXPECT_EQ(r.burst_lengths.max(), 1U);
  EXPECT_EQ(r.burst_lengths.sum(), kMessages - 1);

  // Late arrivals: the newest gap is still tracked, the oldest was closed.
  EXPECT_EQ(t.on_arrival(sent - 2), A::kReordered);
  EXPECT_EQ(t.on_arrival(1), A::kBeyondWindow);
  EXPECT_EQ(t.finalize(sent).lost, kMessages - 2);  // the reordered one arrived
  EXPECT_LE(t.finalize(sent).loss_ratio(), 1.0);
}

TEST(SequenceTrackerTest, EvictedGapsAreCountedAndBoundTheTrackersHeap) {
  SequenceTracker t(4);
  EXPECT_EQ(t.allocated_bytes(), 0U);
  for (std::uint64_t i = 0; i < 100; ++i) {
    t.on_arrival(2 * i);
  }
  EXPECT_EQ(t.open_gaps(), 4U);
  EXPECT_EQ(t.gaps_evicted(), 99U - 4U);
  EXPECT_LE(t.allocated_bytes(), t.memory_bound());
  EXPECT_EQ(t.memory_bound(), 5 * SequenceTracker::kBytesPerGap);
  EXPECT_EQ(t.on_arrival(3), A::kBeyondWindow);  // in an evicted gap
  EXPECT_EQ(t.beyond_window(), 1U);
  EXPECT_EQ(t.on_arrival(197), A::kReordered);  // in the newest gap
  EXPECT_EQ(t.finalize(199).lost, 98U);
}

// Once the gap set has reached its peak, no arrival allocates: splitting a
// gap midway through a full set reuses the nodes of closed ones.
TEST(SequenceTrackerTest, SplittingGapsMidwayAllocatesNothingOnceFull) {
  constexpr std::uint64_t kCap = 1'024;
  SequenceTracker t(kCap);
  std::uint64_t k = 0;
  const auto step = [&] {
    t.on_arrival(4 * k);  // opens [4k − 3, 4k)
    if (k > kCap / 2) {
      EXPECT_EQ(t.on_arrival(4 * (k - kCap / 2) - 2), A::kReordered);  // splits it
    }
    ++k;
  };
  while (k < 4 * kCap) {
    step();
  }
  const std::uint64_t allocations = test::g_allocations.load();
  while (k < 40 * kCap) {
    step();
  }
  EXPECT_EQ(test::g_allocations.load(), allocations);
  EXPECT_EQ(t.open_gaps(), kCap);
}

// An allocation that fails while a gap opens leaves the tracker as it was and
// reaches the caller as std::bad_alloc (the receiver ends the test with it).
TEST(SequenceTrackerTest, FailedAllocationThrowsAndLeavesTheTrackerUnchanged) {
  SequenceTracker t;
  t.on_arrival(0);
  {
    // The size of a gap's tree node: 32 bytes of links and 16 of numbers.
    const test::FailAllocationsOf fail(48);
    EXPECT_THROW(t.on_arrival(5), std::bad_alloc);
  }
  EXPECT_EQ(t.received(), 1U);
  EXPECT_EQ(t.next_expected(), 1U);
  EXPECT_EQ(t.open_gaps(), 0U);
  EXPECT_EQ(t.on_arrival(5), A::kAhead);
  EXPECT_EQ(t.finalize(6).lost, 4U);
}

// Brute-force model with unlimited memory: a set of received numbers.
struct Reference {
  std::set<std::uint64_t> seen;
  std::uint64_t next_expected = 0;
  std::uint64_t duplicates = 0;
  std::uint64_t reordered = 0;
  CountDistribution extents;

  void on_arrival(std::uint64_t s) {
    if (!seen.insert(s).second) {
      ++duplicates;
    } else if (s < next_expected) {
      ++reordered;
      extents.record(next_expected - s);
    } else {
      next_expected = s + 1;
    }
  }

  LossReport finalize(std::uint64_t sent) const {
    LossReport r;
    r.sent = sent;
    std::uint64_t run = 0;
    for (std::uint64_t s = 0; s < sent; ++s) {
      if (seen.count(s) != 0) {
        ++r.unique;
        if (run != 0) {
          r.burst_lengths.record(run);
        }
        run = 0;
      } else {
        ++run;
      }
    }
    if (run != 0) {
      r.burst_lengths.record(run);
    }
    r.lost = sent - r.unique;
    r.bursts = r.burst_lengths.count();
    return r;
  }
};

TEST(SequenceTrackerTest, RandomLossReorderAndDuplicationMatchABruteForceModel) {
  std::mt19937_64 rng(42);
  for (int trial = 0; trial < 50; ++trial) {
    const std::uint64_t sent = 500 + static_cast<std::uint64_t>(trial) * 37;
    std::bernoulli_distribution lose(0.02 * (trial % 5));
    std::bernoulli_distribution duplicate(0.01 * (trial % 3));
    std::vector<std::uint64_t> wire;
    for (std::uint64_t s = 0; s < sent; ++s) {
      if (lose(rng)) {
        continue;
      }
      wire.push_back(s);
      if (duplicate(rng)) {
        wire.push_back(s);
      }
    }
    // Reorder: move some messages later by up to 40 places.
    std::uniform_int_distribution<std::size_t> shift(1, 40);
    std::bernoulli_distribution move(0.05);
    for (std::size_t i = 0; i + 1 < wire.size(); ++i) {
      if (move(rng)) {
        const std::size_t to = std::min(wire.size() - 1, i + shift(rng));
        std::rotate(wire.begin() + static_cast<std::ptrdiff_t>(i),
                    wire.begin() + static_cast<std::ptrdiff_t>(i) + 1,
                    wire.begin() + static_cast<std::ptrdiff_t>(to) + 1);
      }
    }
    SequenceTracker t;
    Reference ref;
    for (const std::uint64_t s : wire) {
      t.on_arrival(s);
      ref.on_arrival(s);
    }
    EXPECT_EQ(t.received(), wire.size());
    EXPECT_EQ(t.unique(), ref.seen.size());
    EXPECT_EQ(t.duplicates(), ref.duplicates);
    EXPECT_EQ(t.reordered(), ref.reordered);
    EXPECT_EQ(t.beyond_window(), 0U);
    EXPECT_EQ(t.reorder_extents(), ref.extents);
    EXPECT_EQ(t.next_expected(), ref.next_expected);
    for (const std::uint64_t s : {sent, sent + 25, sent / 2, std::uint64_t{0}}) {
      expect_same_report(t.finalize(s), ref.finalize(s));
    }
  }
}

}  // namespace
}  // namespace netbench
