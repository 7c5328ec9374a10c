#include <cstdint>

#include <gtest/gtest.h>

#include "netbench/results.hpp"
#include "netbench/summary.hpp"

namespace netbench {
namespace {

/// Receiver `index`'s record of `flow`: `unique` of `sent` messages, all
/// measured, with the given jitter and arrival span.
FlowRecvStats flow(std::uint32_t id, std::uint64_t sent, std::uint64_t unique, double jitter,
                   std::uint64_t first, std::uint64_t last) {
  FlowRecvStats f;
  f.flow_id = id;
  f.messages = unique;
  f.unique = unique;
  f.bytes = unique * 100;
  f.loss.sent = sent;
  f.loss.unique = unique;
  f.loss.lost = sent - unique;
  f.loss.bursts = sent == unique ? 0 : 1;
  f.jitter_ns = jitter;
  f.first_arrival_ns = first;
  f.last_arrival_ns = last;
  return f;
}

/// Three receivers of two flows of 1000 messages each; receiver 1 lost 50
/// of flow 0 and 30 of flow 1.
RunResult three_receivers() {
  RunResult r;
  r.spec.proto = Proto::kUdp;
  r.spec.flows = 2;
  r.spec.multicast_group = "239.1.2.3";
  r.spec.receivers = 3;
  r.measured_ns = 1'000'000'000;
  for (std::uint32_t id = 0; id < 2; ++id) {
    FlowSendStats s;
    s.flow_id = id;
    s.messages = 1000;
    s.bytes = 100'000;
    r.sender_flows.push_back(s);
  }
  for (std::uint32_t k = 0; k < 3; ++k) {
    FanoutReceiver rx;
    rx.index = k;
    const std::uint64_t lost0 = k == 1 ? 50 : 0;
    const std::uint64_t lost1 = k == 1 ? 30 : 0;
    // Listed flow 1 first: the aggregate sorts by flow id.
    rx.flows = {flow(1, 1000, 1000 - lost1, 10.0 * (k + 1), 200 + k, 900),
                flow(0, 1000, 1000 - lost0, 5.0, 100 + k, 800 + k)};
    rx.side.cpu.user_s = 0.25;
    rx.side.loop.wakeups = 10;
    for (std::uint64_t i = 0; i < 1000 - lost0; ++i) {
      rx.latency.record(1000 + k);
    }
    add_fanout_receiver(r, rx);
    r.fanout.push_back(rx);
  }
  return r;
}

TEST(FanoutTest, TheAggregateSumsEachFlowOverTheReceivers) {
  const RunResult r = three_receivers();
  ASSERT_EQ(r.receiver_flows.size(), 2U);
  const FlowRecvStats& f0 = r.receiver_flows[0];
  const FlowRecvStats& f1 = r.receiver_flows[1];
  EXPECT_EQ(f0.flow_id, 0U);
  EXPECT_EQ(f1.flow_id, 1U);
  EXPECT_EQ(f0.messages, 2950U);
  EXPECT_EQ(f0.loss.sent, 3000U);
  EXPECT_EQ(f0.loss.lost, 50U);
  EXPECT_EQ(f0.loss.bursts, 1U);
  EXPECT_EQ(f1.loss.lost, 30U);
  EXPECT_EQ(f0.first_arrival_ns, 100U);
  EXPECT_EQ(f0.last_arrival_ns, 802U);
  EXPECT_EQ(f1.jitter_ns, 30.0);  // the highest receiver's, never an average
  EXPECT_DOUBLE_EQ(r.receiver.cpu.user_s, 0.75);
  EXPECT_EQ(r.receiver.loop.wakeups, 30U);
  EXPECT_EQ(r.latency.count(), 1000U + 950U + 1000U);
}

TEST(FanoutTest, AggregateLossIsOverEveryCopyDue) {
  const RunTotals t = summarize(three_receivers());
  EXPECT_EQ(t.sent_messages, 2000U);
  EXPECT_EQ(t.received_messages, 6000U - 80U);
  EXPECT_EQ(t.lost, 80U);
  EXPECT_DOUBLE_EQ(t.loss_ratio, 80.0 / 6000.0);
  EXPECT_EQ(t.lost_in_network, 80U);
}

TEST(FanoutTest, EachReceiverViewShowsThatReceiverAlone) {
  const RunResult r = three_receivers();
  const RunTotals lossy = summarize(fanout_receiver_view(r, 1));
  EXPECT_EQ(lossy.received_messages, 1920U);
  EXPECT_EQ(lossy.lost, 80U);
  EXPECT_DOUBLE_EQ(lossy.loss_ratio, 80.0 / 2000.0);
  for (const std::size_t k : {0U, 2U}) {
    const RunResult view = fanout_receiver_view(r, k);
    const RunTotals t = summarize(view);
    EXPECT_EQ(t.received_messages, 2000U);
    EXPECT_EQ(t.lost, 0U);
    EXPECT_TRUE(view.fanout.empty());
    EXPECT_EQ(view.latency.count(), 1000U);
    EXPECT_DOUBLE_EQ(view.receiver.cpu.user_s, 0.25);
  }
}

TEST(FanoutTest, ASendFailureIsLostAtEveryReceiver) {
  RunResult r = three_receivers();
  r.sender_flows[0].send_failures = 10;
  const RunTotals t = summarize(r);
  EXPECT_EQ(t.lost_at_sender, 30U);
  EXPECT_EQ(t.lost_in_network, 50U);
}

}  // namespace
}  // namespace netbench
