#include "measure/socket_drop_counter.hpp"

#include <gtest/gtest.h>

namespace netbench {
namespace {

// Batches of 8 datagrams (a GRO socket); seq 0..7 arrive, 8..23 (two skbs)
// are dropped by the socket, 24..31 arrive carrying the counter 2.
TEST(SocketDropCounterTest, GroDropCountsTheDatagramsOfEachDroppedBatch) {
  SocketDropCounter c(true);
  c.on_counter(0);
  c.on_batch(0, 0, 8);
  c.on_counter(2);
  c.on_batch(24, 8, 8);
  EXPECT_EQ(c.skbs(), 2u);
  EXPECT_EQ(c.datagrams(), 16u);
  EXPECT_EQ(c.finalize(32, 32), 16u);
}

TEST(SocketDropCounterTest, WithoutGroOneDropIsOneDatagram) {
  SocketDropCounter c(false);
  c.on_counter(3);
  c.on_batch(10, 4, 1);
  EXPECT_EQ(c.datagrams(), 3u);  // the other 3 of the gap were lost before the socket
  EXPECT_EQ(c.finalize(20, 11), 3u);
}

TEST(SocketDropCounterTest, DropsAfterTheLastBatchAreMatchedToTheTail) {
  SocketDropCounter c(true);
  c.on_batch(0, 0, 16);
  c.on_counter(1);  // read from the socket at the end: the last batch was dropped
  EXPECT_EQ(c.datagrams(), 1u);
  EXPECT_EQ(c.finalize(30, 16), 14u);
}

TEST(SocketDropCounterTest, AGapLargerThanTheDroppedBatchesCanHoldIsPartlyNetworkLoss) {
  SocketDropCounter c(true);
  c.on_batch(0, 0, 4);
  c.on_counter(1);
  c.on_batch(100, 4, 4);  // 96 missing, one dropped skb of at most 4
  EXPECT_EQ(c.datagrams(), 4u);
}

TEST(SocketDropCounterTest, ADroppedBatchIsAtLeastOneDatagramEvenWithoutAGap) {
  SocketDropCounter c(true);
  c.on_counter(2);
  c.on_batch(5, 5, 4);  // e.g. warm-up datagrams, outside the sequence
  EXPECT_EQ(c.datagrams(), 2u);
}

TEST(SocketDropCounterTest, AnOlderReadingOfTheCounterIsIgnored) {
  SocketDropCounter c(false);
  c.on_counter(5);
  c.on_counter(3);
  EXPECT_EQ(c.skbs(), 5u);
  EXPECT_EQ(c.datagrams(), 5u);
}

}  // namespace
}  // namespace netbench
