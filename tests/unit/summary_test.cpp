// summarize(): whole-run totals from a RunResult, checked against figures
// worked out by hand.
#include "netbench/summary.hpp"

#include <cstdint>

#include <gtest/gtest.h>

#include "netbench/results.hpp"

namespace netbench {
namespace {

constexpr std::uint64_t kSecond = 1'000'000'000;

/// A stream run whose sender sent for `measured_ns` and whose receiver got
/// `bytes` in `messages` between `first` and `last` (receiver's clock).
RunResult stream_run(std::uint64_t measured_ns, std::uint64_t messages, std::uint64_t bytes,
                     std::uint64_t first, std::uint64_t last) {
  RunResult r;
  r.spec.mode = Mode::kStream;
  r.measured_ns = measured_ns;
  FlowSendStats s;
  s.messages = messages;
  s.bytes = bytes;
  r.sender_flows.push_back(s);
  FlowRecvStats f;
  f.messages = messages;
  f.bytes = bytes;
  f.first_arrival_ns = first;
  f.last_arrival_ns = last;
  r.receiver_flows.push_back(f);
  return r;
}

TEST(SummaryTest, BacklogDrainedAfterTheLastSendIsCountedOverTheReceiversPeriod) {
  // A sender that filled 1 s worth of socket buffer in front of a 10 MB/s
  // bottleneck: it "sent" 501 messages of 100 kB in 4 s, the receiver got
  // them 10 ms apart, the first at 7 s and the last at 12 s. 50.1 MB over the
  // sender's 4 s would be 12.5 MB/s, above the path's rate; the 500 gaps
  // after the first arrival plus the first message's own 10 ms are 5.01 s.
  const RunResult r = stream_run(4 * kSecond, 501, 50'100'000, 7 * kSecond, 12 * kSecond);
  const RunTotals t = summarize(r);
  EXPECT_EQ(t.receiver_active_ns, 5 * kSecond);
  EXPECT_DOUBLE_EQ(t.received_bytes_per_s, 10'000'000.0);
  EXPECT_DOUBLE_EQ(t.received_msgs_per_s, 100.0);
  EXPECT_DOUBLE_EQ(t.sent_bytes_per_s, 12'525'000.0);  // the sender's own figure stays
}

TEST(SummaryTest, ReceiverRatesUseTheMeasuredPeriodWhenArrivalsSpanLess) {
  // Paced and unimpeded: the arrivals span a little less than the sends.
  const RunResult r = stream_run(2 * kSecond, 200, 2'000'000, kSecond, 2 * kSecond + kSecond / 2);
  const RunTotals t = summarize(r);
  EXPECT_EQ(t.receiver_active_ns, 3 * kSecond / 2);  // × 200 / 199: still below 2 s
  EXPECT_DOUBLE_EQ(t.received_bytes_per_s, 1'000'000.0);
}

TEST(SummaryTest, ActivePeriodSpansEveryFlowOfTheReceiver) {
  RunResult r = stream_run(kSecond, 10, 1000, 5 * kSecond, 6 * kSecond);
  FlowRecvStats late;
  late.flow_id = 1;
  late.messages = 21;  // 31 arrivals in all: 30 gaps in 3 s, 3.1 s with the first's
  late.bytes = 2100;
  late.first_arrival_ns = 5 * kSecond + 10;
  late.last_arrival_ns = 8 * kSecond;
  r.receiver_flows.push_back(late);
  FlowRecvStats silent;  // nothing measured arrived: no times
  silent.flow_id = 2;
  r.receiver_flows.push_back(silent);
  const RunTotals t = summarize(r);
  EXPECT_EQ(t.receiver_active_ns, 3 * kSecond);
  EXPECT_DOUBLE_EQ(t.received_bytes_per_s, 3100.0 / 3.1);
}

TEST(SummaryTest, EchoRatesStayOverTheMeasuredPeriod) {
  RunResult r = stream_run(kSecond, 10, 1000, kSecond, 9 * kSecond);
  r.spec.mode = Mode::kEcho;
  r.sender_flows[0].replies = 10;
  r.sender_flows[0].reply_bytes = 1000;
  const RunTotals t = summarize(r);
  EXPECT_EQ(t.receiver_active_ns, 0U);
  EXPECT_DOUBLE_EQ(t.received_bytes_per_s, 1000.0);
}

TEST(SummaryTest, EchoMaxReorderExtentComesFromTheReplies) {
  // 201 reordered replies used to be reported with a max extent of 0.
  RunResult r = stream_run(kSecond, 10, 1000, 0, 0);
  r.spec.mode = Mode::kEcho;
  r.sender_flows[0].reply_reordered = 2;
  r.sender_flows[0].reply_reorder_extents.record(3);
  r.sender_flows[0].reply_reorder_extents.record(1001);
  FlowSendStats other;
  other.flow_id = 1;
  other.reply_reordered = 1;
  other.reply_reorder_extents.record(40);
  r.sender_flows.push_back(other);
  const RunTotals t = summarize(r);
  EXPECT_EQ(t.reordered, 3U);
  EXPECT_EQ(t.max_reorder_extent, 1001U);
}

TEST(SummaryTest, NoArrivalsGiveZeroRatesNotNaN) {
  const RunTotals t = summarize(stream_run(0, 0, 0, 0, 0));
  EXPECT_EQ(t.receiver_active_ns, 0U);
  EXPECT_EQ(t.received_bytes_per_s, 0.0);
}

}  // namespace
}  // namespace netbench

namespace netbench {
namespace {

// A remote server chooses the receiver's figures: 10 + (2^64 − 1) must not
// wrap to 9.
TEST(SummaryTest, ReceiverSumsSaturateInsteadOfWrapping) {
  RunResult r;
  r.spec.mode = Mode::kStream;
  r.receiver_flows.resize(2);
  r.receiver_flows[0].messages = 10;
  r.receiver_flows[1].messages = UINT64_MAX;
  r.receiver_flows[0].bytes = UINT64_MAX;
  r.receiver_flows[1].bytes = 1;
  r.receiver_flows[0].loss.lost = UINT64_MAX;
  r.receiver_flows[1].loss.lost = UINT64_MAX;
  const RunTotals t = summarize(r);
  EXPECT_EQ(t.received_messages, UINT64_MAX);
  EXPECT_EQ(t.received_bytes, UINT64_MAX);
  EXPECT_EQ(t.lost, UINT64_MAX);
}

}  // namespace
}  // namespace netbench
