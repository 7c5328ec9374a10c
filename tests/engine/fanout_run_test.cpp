#include <cctype>
#include <cstdint>
#include <numeric>
#include <ostream>
#include <string>
#include <string_view>
#include <tuple>

#include <gtest/gtest.h>

#include "netbench/error.hpp"
#include "netbench/model_info.hpp"
#include "netbench/paired_run.hpp"
#include "netbench/results.hpp"
#include "netbench/summary.hpp"
#include "netbench/test_spec.hpp"
#include "uring_fallback.hpp"

namespace netbench {

void PrintTo(ModelKind m, std::ostream* os) { *os << to_string(m); }

namespace {

constexpr std::uint32_t kReceivers = 3;
constexpr std::uint32_t kFlows = 2;
constexpr std::uint64_t kCount = 3000;

enum class How : std::uint8_t { kMulticast, kBroadcast };

/// A fan-out run that cannot overflow a socket: every flow's whole test fits
/// in each receiving socket's 4 MiB buffer, however late a receiver reads.
TestSpec fanout_spec(ModelKind model, How how) {
  TestSpec s;
  s.proto = Proto::kUdp;
  s.model = model;
  s.flows = kFlows;
  s.size_bytes = 64;
  s.count = kCount;
  s.socket_buffer_bytes = 4U << 20;
  s.receivers = kReceivers;
  s.bind_address = "127.0.0.1";
  if (how == How::kMulticast) {
    s.multicast_group = "239.77.0.1";
  } else {
    s.broadcast = true;
  }
  return s;
}

/// Every receiver got every message of every flow exactly once, and the
/// aggregate counts each delivery.
void expect_every_receiver_got_all(const RunResult& r) {
  ASSERT_TRUE(r.complete) << r.error;
  ASSERT_EQ(r.fanout.size(), kReceivers);
  const RunTotals all = summarize(r);
  EXPECT_EQ(all.sent_messages, kCount);
  EXPECT_EQ(all.received_messages, kCount * kReceivers);
  EXPECT_EQ(all.unique, kCount * kReceivers);
  EXPECT_EQ(all.lost, 0U);
  EXPECT_EQ(all.loss_ratio, 0.0);
  for (std::size_t k = 0; k < r.fanout.size(); ++k) {
    const FanoutReceiver& rx = r.fanout[k];
    EXPECT_EQ(rx.index, k);
    EXPECT_TRUE(rx.error.empty()) << rx.error;
    ASSERT_EQ(rx.flows.size(), kFlows);
    std::uint64_t unique = 0;
    for (const FlowRecvStats& f : rx.flows) {
      EXPECT_EQ(f.messages, kCount / kFlows) << "receiver " << k << " flow " << f.flow_id;
      EXPECT_EQ(f.duplicates, 0U);
      EXPECT_EQ(f.reordered, 0U);
      EXPECT_EQ(f.loss.sent, kCount / kFlows);
      EXPECT_EQ(f.loss.lost, 0U);
      unique += f.unique;
    }
    EXPECT_EQ(unique, kCount);
    EXPECT_EQ(rx.latency.count(), kCount);  // one one-way delay per message
    const RunTotals own = summarize(fanout_receiver_view(r, k));
    EXPECT_EQ(own.received_messages, kCount);
    EXPECT_EQ(own.lost, 0U);
  }
  // The aggregate flow records sum the receivers' (loss against N copies).
  ASSERT_EQ(r.receiver_flows.size(), kFlows);
  for (const FlowRecvStats& f : r.receiver_flows) {
    EXPECT_EQ(f.messages, kCount / kFlows * kReceivers);
    EXPECT_EQ(f.loss.sent, kCount / kFlows * kReceivers);
  }
  EXPECT_EQ(r.latency.count(), kCount * kReceivers);
}

using Params = std::tuple<ModelKind, How>;

class FanoutRunTest : public ::testing::TestWithParam<Params> {};

TEST_P(FanoutRunTest, EveryReceiverGetsEveryMessageOnce) {
  const auto [model, how] = GetParam();
  expect_every_receiver_got_all(run_paired(fanout_spec(model, how)));
}

std::string name_of(const ::testing::TestParamInfo<Params>& p) {
  std::string m(to_string(std::get<0>(p.param)));
  m[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(m[0])));
  return m + (std::get<1>(p.param) == How::kMulticast ? "_Multicast" : "_Broadcast");
}

/// Every model serves a fan-out receiver's sockets: they are UDP flow
/// sockets like any other, bound to the group instead of a unicast address.
INSTANTIATE_TEST_SUITE_P(AllModels, FanoutRunTest,
                         ::testing::Combine(::testing::ValuesIn(kModelKinds),
                                            ::testing::Values(How::kMulticast, How::kBroadcast)),
                         name_of);

TEST(FanoutRunUringFallbackTest, SingleShotPathGetsEveryMessageToo) {
  const test::ScopedUringFallback fallback;
  expect_every_receiver_got_all(run_paired(fanout_spec(ModelKind::kUring, How::kMulticast)));
}

TEST(FanoutRunTest, SeveralEventLoopsAndSenderThreadsStillDeliverEveryMessage) {
  TestSpec s = fanout_spec(ModelKind::kEpoll, How::kMulticast);
  s.threads = 2;
  s.sender_threads = 2;
  expect_every_receiver_got_all(run_paired(s));
}

TEST(FanoutRunTest, OneReceiverIsAPlainMulticastRun) {
  TestSpec s = fanout_spec(ModelKind::kPoll, How::kMulticast);
  s.receivers = 1;
  const RunResult r = run_paired(s);
  ASSERT_TRUE(r.complete) << r.error;
  ASSERT_EQ(r.fanout.size(), 1U);
  EXPECT_EQ(summarize(r).unique, kCount);
}

TEST(FanoutRunTest, AnInterfaceAddressNoInterfaceHoldsIsRefusedForBroadcast) {
  TestSpec s = fanout_spec(ModelKind::kEpoll, How::kBroadcast);
  s.bind_address = "192.0.2.200";  // TEST-NET-1, on no interface here
  EXPECT_THROW(static_cast<void>(run_paired(s)), ConfigError);
}

}  // namespace
}  // namespace netbench
