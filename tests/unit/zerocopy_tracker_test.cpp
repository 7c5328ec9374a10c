// The books of MSG_ZEROCOPY sends: the range arithmetic of the kernel's
// completion notifications (ee_info..ee_data, 32-bit, wrapping) and the
// header ring that keeps a header unwritten until its send completed.
#include "sender/zerocopy_tracker.hpp"

#include <cstdint>

#include <gtest/gtest.h>

namespace netbench::sender {
namespace {

void issue(ZeroCopyTracker& t, int n) {
  for (int i = 0; i < n; ++i) {
    t.issue();
  }
}

TEST(ZeroCopyTrackerTest, InOrderRangesMoveTheWatermark) {
  ZeroCopyTracker t;
  issue(t, 10);
  EXPECT_EQ(t.outstanding(), 10U);
  t.complete(0, 3, false);
  EXPECT_EQ(t.done_below(), 4U);
  t.complete(4, 9, true);
  EXPECT_EQ(t.done_below(), 10U);
  EXPECT_EQ(t.outstanding(), 0U);
  const ZeroCopyStats& s = t.stats();
  EXPECT_EQ(s.sends, 10U);
  EXPECT_EQ(s.notifications, 2U);
  EXPECT_EQ(s.completions, 10U);
  EXPECT_EQ(s.zerocopy, 4U);
  EXPECT_EQ(s.copied, 6U);
  EXPECT_EQ(s.unexpected, 0U);
}

TEST(ZeroCopyTrackerTest, ALaterRangeWaitsForTheOlderOne) {
  ZeroCopyTracker t;
  issue(t, 10);
  t.complete(5, 7, false);
  EXPECT_EQ(t.done_below(), 0U);  // ids 0-4 may still be read by the kernel
  EXPECT_EQ(t.outstanding(), 7U);
  t.complete(8, 9, false);
  EXPECT_EQ(t.done_below(), 0U);
  t.complete(0, 4, false);
  EXPECT_EQ(t.done_below(), 10U);
  EXPECT_EQ(t.outstanding(), 0U);
  EXPECT_EQ(t.stats().completions, 10U);
}

TEST(ZeroCopyTrackerTest, ARangeWrappingPast32BitsIsOneRange) {
  // The kernel's counter is 32 bits: ids 0xFFFFFFF0 .. 0x1'0000'000F arrive
  // as ee_info = 0xFFFFFFF0, ee_data = 0x0000000F.
  const std::uint64_t first = 0xFFFF'FFF0ULL;
  ZeroCopyTracker t(first);
  issue(t, 32);
  t.complete(0xFFFF'FFF0U, 0x0000'000FU, true);
  EXPECT_EQ(t.done_below(), first + 32);
  EXPECT_EQ(t.stats().completions, 32U);
  EXPECT_EQ(t.stats().copied, 32U);
  EXPECT_EQ(t.outstanding(), 0U);
}

TEST(ZeroCopyTrackerTest, AfterTheWrapIdsAreUnwrappedAgainstTheWatermark) {
  ZeroCopyTracker t(0xFFFF'FFFEULL);
  issue(t, 4);              // 0xFFFFFFFE, 0xFFFFFFFF, 0x1'00000000, 0x1'00000001
  t.complete(0, 1, false);  // the two after the wrap, first
  EXPECT_EQ(t.done_below(), 0xFFFF'FFFEULL);
  t.complete(0xFFFF'FFFEU, 0xFFFF'FFFFU, false);
  EXPECT_EQ(t.done_below(), 0x1'0000'0002ULL);
  EXPECT_EQ(t.stats().unexpected, 0U);
}

TEST(ZeroCopyTrackerTest, IdsNeverIssuedOrCompletedTwiceAreUnexpected) {
  ZeroCopyTracker t;
  issue(t, 4);
  t.complete(2, 5, false);  // 4 and 5 were never issued
  EXPECT_EQ(t.stats().unexpected, 4U);
  EXPECT_EQ(t.stats().completions, 0U);
  t.complete(0, 3, false);
  t.complete(1, 1, false);  // again
  EXPECT_EQ(t.stats().completions, 4U);
  EXPECT_EQ(t.stats().unexpected, 5U);
  EXPECT_EQ(t.done_below(), 4U);
}

TEST(HeaderRingTest, AHeaderIsReleasedOnlyOnceClosedAndCompleted) {
  HeaderRing r(3);
  const std::size_t a = r.acquire();
  const std::size_t b = r.acquire();
  r.stamp(a, 0);
  r.stamp(b, 1);
  r.close(a);
  EXPECT_EQ(r.release(0), 0U);  // id 0 not complete yet
  EXPECT_EQ(r.release(1), 1U);  // a released; b is still open
  EXPECT_EQ(r.release(2), 0U);
  r.close(b);
  EXPECT_EQ(r.release(2), 1U);
  EXPECT_EQ(r.used(), 0U);
}

TEST(HeaderRingTest, AnOpenMessageKeepsItsHeaderWhateverCompleted) {
  // A TCP message sent in parts: each part's id is stamped on the same
  // header; until the message is closed, it may be read again.
  HeaderRing r(2);
  const std::size_t a = r.acquire();
  r.stamp(a, 0);
  EXPECT_EQ(r.release(100), 0U);
  r.stamp(a, 5);
  r.close(a);
  EXPECT_EQ(r.release(5), 0U);
  EXPECT_EQ(r.release(6), 1U);
}

TEST(HeaderRingTest, OldestFirstAndFullAtCapacity) {
  HeaderRing r(2);
  const std::size_t a = r.acquire();
  const std::size_t b = r.acquire();
  EXPECT_NE(a, b);
  EXPECT_EQ(r.free(), 0U);
  r.stamp(a, 1);
  r.stamp(b, 0);  // completed first, but behind a
  r.close(a);
  r.close(b);
  EXPECT_EQ(r.release(1), 0U);  // a (id 1) is the oldest and not done
  EXPECT_EQ(r.release(2), 2U);
  EXPECT_EQ(r.acquire(), a);  // the ring goes round
}

TEST(HeaderRingTest, UnsentHeadersGoBackAndUnstampedOnesNeedNoCompletion) {
  HeaderRing r(4);
  const std::size_t a = r.acquire();
  r.acquire();
  r.acquire();
  r.unacquire(2);  // a batch of three of which one went
  EXPECT_EQ(r.used(), 1U);
  r.close(a);  // sent without MSG_ZEROCOPY: no id
  EXPECT_EQ(r.release(0), 1U);
  EXPECT_EQ(r.used(), 0U);
}

}  // namespace
}  // namespace netbench::sender
