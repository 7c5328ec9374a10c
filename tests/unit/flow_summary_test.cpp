// summarize_flows(), distribution_of() and jain_fairness(): the per-flow
// summary of a run, checked against figures worked out by hand.
#include "netbench/flow_summary.hpp"

#include <algorithm>
#include <cstdint>
#include <random>
#include <vector>

#include <gtest/gtest.h>

#include "netbench/results.hpp"

namespace netbench {
namespace {

using Ids = std::vector<std::uint32_t>;

constexpr std::uint64_t kSecond = 1'000'000'000;

/// A stream run over `measured_ns` with no flows yet.
RunResult stream_run(std::uint64_t measured_ns) {
  RunResult r;
  r.spec.mode = Mode::kStream;
  r.spec.proto = Proto::kUdp;
  r.measured_ns = measured_ns;
  return r;
}

/// Adds flow `id` to a stream run: the sender sent `sent` messages, the
/// receiver got `bytes`, `lost` of the messages never came, with `jitter_ns`.
void add_stream_flow(RunResult& r, std::uint32_t id, std::uint64_t bytes, std::uint64_t sent,
                     std::uint64_t lost, double jitter_ns) {
  FlowSendStats s;
  s.flow_id = id;
  s.messages = sent;
  r.sender_flows.push_back(s);
  FlowRecvStats f;
  f.flow_id = id;
  f.bytes = bytes;
  f.messages = sent - lost;
  f.loss.sent = sent;
  f.loss.unique = sent - lost;
  f.loss.lost = lost;
  f.jitter_ns = jitter_ns;
  r.receiver_flows.push_back(f);
}

/// Adds flow `id` to an echo run: `requests` sent, `reply_bytes` back,
/// `lost` requests without a reply.
void add_echo_flow(RunResult& r, std::uint32_t id, std::uint64_t reply_bytes,
                   std::uint64_t requests, std::uint64_t lost) {
  FlowSendStats s;
  s.flow_id = id;
  s.messages = requests;
  s.replies = requests - lost;
  s.reply_bytes = reply_bytes;
  s.reply_loss.sent = requests;
  s.reply_loss.unique = requests - lost;
  s.reply_loss.lost = lost;
  r.sender_flows.push_back(s);
}

void expect_distribution(const FlowDistribution& d, double min, double p5, double median,
                         double p95, double max, double mean) {
  EXPECT_DOUBLE_EQ(d.min, min);
  EXPECT_DOUBLE_EQ(d.p5, p5);
  EXPECT_DOUBLE_EQ(d.median, median);
  EXPECT_DOUBLE_EQ(d.p95, p95);
  EXPECT_DOUBLE_EQ(d.max, max);
  EXPECT_DOUBLE_EQ(d.mean, mean);
}

TEST(FlowSummaryTest, JainIndexOfKnownVectors) {
  EXPECT_DOUBLE_EQ(jain_fairness(std::vector<double>{1, 1, 1, 1}), 1.0);
  EXPECT_DOUBLE_EQ(jain_fairness(std::vector<double>{1, 0, 0, 0}), 0.25);
  // (1+2+3+4)² / (4 · (1+4+9+16)) = 100 / 120.
  EXPECT_DOUBLE_EQ(jain_fairness(std::vector<double>{1, 2, 3, 4}), 100.0 / 120.0);
  EXPECT_DOUBLE_EQ(jain_fairness(std::vector<double>{5e9, 5e9}), 1.0);
  // Σx² = 0: nothing was shared unfairly.
  EXPECT_DOUBLE_EQ(jain_fairness(std::vector<double>{}), 1.0);
  EXPECT_DOUBLE_EQ(jain_fairness(std::vector<double>{0, 0, 0}), 1.0);
}

TEST(FlowSummaryTest, OneValueIsEveryFigure) {
  expect_distribution(distribution_of(std::vector<double>{7}), 7, 7, 7, 7, 7, 7);
}

TEST(FlowSummaryTest, TwoValuesMedianIsTheirMeanPercentilesTheNearestRank) {
  // p5: rank ceil(0.1) = 1; p95: rank ceil(1.9) = 2.
  expect_distribution(distribution_of(std::vector<double>{3, 1}), 1, 1, 2, 3, 3, 2);
}

TEST(FlowSummaryTest, TwentyValuesInAnyOrder) {
  std::vector<double> v;
  for (int i = 1; i <= 20; ++i) {
    v.push_back(i);
  }
  std::shuffle(v.begin(), v.end(), std::mt19937_64(20));
  // p5: rank ceil(1.0) = 1 (the 1st value); p95: rank ceil(19.0) = 19;
  // median (10 + 11) / 2.
  expect_distribution(distribution_of(v), 1, 1, 10.5, 19, 20, 10.5);
}

TEST(FlowSummaryTest, OddCountMedianIsTheMiddleValue) {
  // 21 values 0..20: p5 rank ceil(1.05) = 2 (value 1); p95 rank ceil(19.95)
  // = 20 (value 19); median the 11th (value 10).
  std::vector<double> v;
  for (int i = 20; i >= 0; --i) {
    v.push_back(i);
  }
  expect_distribution(distribution_of(v), 0, 1, 10, 19, 20, 10);
}

TEST(FlowSummaryTest, NoValuesIsAllZero) {
  expect_distribution(distribution_of(std::vector<double>{}), 0, 0, 0, 0, 0, 0);
}

TEST(FlowSummaryTest, StreamFlowsFromTheReceiver) {
  // 1 s measured; flows 10..13 received 125, 250, 375, 500 bytes: 1000,
  // 2000, 3000, 4000 bit/s. Listed out of order on both sides.
  RunResult r = stream_run(kSecond);
  add_stream_flow(r, 12, 375, 100, 0, 30);
  add_stream_flow(r, 10, 125, 100, 0, 10);
  add_stream_flow(r, 13, 500, 100, 50, 40);
  add_stream_flow(r, 11, 250, 100, 5, 20);
  const FlowSummary s = summarize_flows(r);
  EXPECT_EQ(s.flows, 4U);
  // p5: rank 1; p95: rank ceil(3.8) = 4.
  expect_distribution(s.throughput_bps, 1000, 1000, 2500, 4000, 4000, 2500);
  EXPECT_DOUBLE_EQ(s.jain_fairness, 100.0 / 120.0);
  ASSERT_TRUE(s.loss_ratio.has_value());
  // Sorted 0, 0, 0.05, 0.5.
  expect_distribution(*s.loss_ratio, 0, 0, 0.025, 0.5, 0.5, 0.1375);
  EXPECT_EQ(s.flows_with_loss, 2U);
  ASSERT_TRUE(s.jitter_ns.has_value());
  expect_distribution(*s.jitter_ns, 10, 10, 25, 40, 40, 25);
  EXPECT_EQ(s.slowest_flows, (Ids{10, 11, 12, 13}));
  EXPECT_EQ(s.lossiest_flows, (Ids{13, 11}));
}

TEST(FlowSummaryTest, AFlowTheReceiverNeverHeardFromIsTheSlowestAndLostEverything) {
  RunResult r = stream_run(kSecond);
  add_stream_flow(r, 0, 125, 100, 0, 10);
  add_stream_flow(r, 1, 125, 100, 0, 10);
  FlowSendStats silent;
  silent.flow_id = 2;
  silent.messages = 100;
  r.sender_flows.push_back(silent);
  const FlowSummary s = summarize_flows(r);
  EXPECT_EQ(s.flows, 3U);
  expect_distribution(s.throughput_bps, 0, 0, 1000, 1000, 1000, 2000.0 / 3.0);
  // (2000)² / (3 · 2 · 1000²) = 2/3.
  EXPECT_DOUBLE_EQ(s.jain_fairness, 2.0 / 3.0);
  expect_distribution(*s.loss_ratio, 0, 0, 0, 1, 1, 1.0 / 3.0);
  EXPECT_EQ(s.slowest_flows, (Ids{2, 0, 1}));
  EXPECT_EQ(s.lossiest_flows, (Ids{2}));
  // Jitter only over the flows the receiver measured.
  expect_distribution(*s.jitter_ns, 10, 10, 10, 10, 10, 10);
}

TEST(FlowSummaryTest, WorstFlowsAreAtMostFiveEqualOnesByAscendingId) {
  // Eight flows, all equal but flow 6 (faster) and all lossy alike but 3.
  RunResult r = stream_run(kSecond);
  for (std::uint32_t k = 0; k < 8; ++k) {
    const std::uint32_t id = 7 - k;
    add_stream_flow(r, id, id == 6 ? 250 : 125, 100, id == 3 ? 20 : 10, 0);
  }
  const FlowSummary s = summarize_flows(r);
  EXPECT_EQ(s.slowest_flows, (Ids{0, 1, 2, 3, 4}));
  EXPECT_EQ(s.lossiest_flows, (Ids{3, 0, 1, 2, 4}));
  EXPECT_EQ(s.flows_with_loss, 8U);
}

TEST(FlowSummaryTest, EchoFlowsFromTheRepliesAtTheClient) {
  // Echo: the sender's flows, no receiver flows (a plain echo run); 2 s
  // measured, reply bytes 250, 500, 1000: 1000, 2000, 4000 bit/s.
  RunResult r;
  r.spec.mode = Mode::kEcho;
  r.spec.proto = Proto::kUdp;
  r.measured_ns = 2 * kSecond;
  add_echo_flow(r, 0, 1000, 10, 0);
  add_echo_flow(r, 1, 250, 10, 5);
  add_echo_flow(r, 2, 500, 10, 1);
  const FlowSummary s = summarize_flows(r);
  EXPECT_EQ(s.flows, 3U);
  // n = 3: p5 rank 1, p95 rank ceil(2.85) = 3, median the 2nd.
  expect_distribution(s.throughput_bps, 1000, 1000, 2000, 4000, 4000, 7000.0 / 3.0);
  // 7000² / (3 · (1 + 4 + 16) · 1000²) = 49 / 63.
  EXPECT_DOUBLE_EQ(s.jain_fairness, 49.0 / 63.0);
  ASSERT_TRUE(s.loss_ratio.has_value());
  expect_distribution(*s.loss_ratio, 0, 0, 0.1, 0.5, 0.5, 0.2);
  EXPECT_FALSE(s.jitter_ns.has_value());  // no per-flow jitter in echo mode
  EXPECT_EQ(s.slowest_flows, (Ids{1, 2, 0}));
  EXPECT_EQ(s.lossiest_flows, (Ids{1, 2}));
}

TEST(FlowSummaryTest, EchoIgnoresTheEchoingSidesFlows) {
  RunResult r;
  r.spec.mode = Mode::kEcho;
  r.measured_ns = kSecond;
  add_echo_flow(r, 0, 125, 10, 0);
  FlowRecvStats echoing;  // what the server echoed: not what came back
  echoing.bytes = 999'999;
  r.receiver_flows.push_back(echoing);
  const FlowSummary s = summarize_flows(r);
  EXPECT_EQ(s.flows, 1U);
  EXPECT_DOUBLE_EQ(s.throughput_bps.max, 1000);
}

TEST(FlowSummaryTest, CountsOnlyRunHasThroughputButNoLossOrJitter) {
  RunResult r = stream_run(kSecond);
  r.spec.stats = StatsLevel::kCounts;
  add_stream_flow(r, 0, 125, 100, 0, 0);
  add_stream_flow(r, 1, 375, 100, 0, 0);
  const FlowSummary s = summarize_flows(r);
  EXPECT_EQ(s.flows, 2U);
  expect_distribution(s.throughput_bps, 1000, 1000, 2000, 3000, 3000, 2000);
  // 4000² / (2 · (1 + 9) · 1000²) = 0.8.
  EXPECT_DOUBLE_EQ(s.jain_fairness, 0.8);
  EXPECT_FALSE(s.loss_ratio.has_value());
  EXPECT_FALSE(s.jitter_ns.has_value());
  EXPECT_EQ(s.flows_with_loss, 0U);
  EXPECT_TRUE(s.lossiest_flows.empty());
  EXPECT_EQ(s.slowest_flows, (Ids{0, 1}));

  RunResult echo;
  echo.spec.mode = Mode::kEcho;
  echo.spec.stats = StatsLevel::kCounts;
  echo.measured_ns = kSecond;
  add_echo_flow(echo, 0, 125, 10, 0);
  EXPECT_FALSE(summarize_flows(echo).loss_ratio.has_value());
}

TEST(FlowSummaryTest, EmptyRunIsZeroAndFair) {
  const FlowSummary s = summarize_flows(stream_run(0));
  EXPECT_EQ(s.flows, 0U);
  expect_distribution(s.throughput_bps, 0, 0, 0, 0, 0, 0);
  EXPECT_DOUBLE_EQ(s.jain_fairness, 1.0);
  ASSERT_TRUE(s.loss_ratio.has_value());
  expect_distribution(*s.loss_ratio, 0, 0, 0, 0, 0, 0);
  EXPECT_TRUE(s.slowest_flows.empty());
  EXPECT_TRUE(s.lossiest_flows.empty());
}

TEST(FlowSummaryTest, NoMeasuredPeriodMeansZeroThroughputNotInfinity) {
  RunResult r = stream_run(0);
  add_stream_flow(r, 0, 125, 1, 0, 0);
  const FlowSummary s = summarize_flows(r);
  expect_distribution(s.throughput_bps, 0, 0, 0, 0, 0, 0);
  EXPECT_DOUBLE_EQ(s.jain_fairness, 1.0);
}

TEST(FlowSummaryTest, FourThousandNinetySixFlows) {
  // Flow i received i bytes over 8 s: exactly i bit/s, i = 0..4095.
  RunResult r = stream_run(8 * kSecond);
  for (std::uint32_t i = 0; i < 4096; ++i) {
    add_stream_flow(r, i, i, 10, i % 1024 == 0 ? 1 : 0, i);
  }
  const FlowSummary s = summarize_flows(r);
  EXPECT_EQ(s.flows, 4096U);
  // p5: rank ceil(204.8) = 205 (value 204); p95: rank ceil(3891.2) = 3892
  // (value 3891); median (2047 + 2048) / 2; mean 4095 / 2.
  expect_distribution(s.throughput_bps, 0, 204, 2047.5, 3891, 4095, 2047.5);
  // (Σi)² / (n · Σi²) = (4095·4096/2)² / (4096 · 4095·4096·8191/6)
  //                   = 3 · 4095 / (2 · 8191) = 12285 / 16382.
  EXPECT_DOUBLE_EQ(s.jain_fairness, 12285.0 / 16382.0);
  expect_distribution(*s.jitter_ns, 0, 204, 2047.5, 3891, 4095, 2047.5);
  EXPECT_EQ(s.slowest_flows, (Ids{0, 1, 2, 3, 4}));
  // Flows 0, 1024, 2048, 3072 lost 1 of 10 each.
  EXPECT_EQ(s.flows_with_loss, 4U);
  EXPECT_EQ(s.lossiest_flows, (Ids{0, 1024, 2048, 3072}));
  expect_distribution(*s.loss_ratio, 0, 0, 0, 0, 0.1, 0.4 / 4096);
}

}  // namespace
}  // namespace netbench
