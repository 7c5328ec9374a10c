// --zerocopy (MSG_ZEROCOPY sends, completions from the error queue) and
// --skip-rx-copy (headers read, payloads discarded with MSG_TRUNC): every
// message arrives exactly once, in order, with its own header. A header
// rewritten while the kernel still sent from it would arrive as another
// message's sequence number: a duplicate, a gap or a reordering, all of
// which these tests require to be zero.
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <stop_token>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include <gtest/gtest.h>

#include "netbench/error.hpp"
#include "netbench/model_info.hpp"
#include "netbench/paired_run.hpp"
#include "netbench/results.hpp"
#include "netbench/test_spec.hpp"
#include "watchdog.hpp"

namespace netbench {
namespace {

TestSpec base(Proto proto, std::uint32_t size, std::uint64_t count) {
  TestSpec s;
  s.proto = proto;
  s.flows = 2;
  s.size_bytes = size;
  s.count = count;
  s.interval_ns = 100'000'000;
  if (proto == Proto::kUdp) {
    s.rate_msgs_per_s = 20'000;  // what the receiver keeps up with, as elsewhere
    s.socket_buffer_bytes = 4U << 20;
  }
  return s;
}

/// run_paired() stopped by a watchdog after test_support::kRunTimeout (then incomplete).
RunResult run(const TestSpec& spec) {
  return test_support::with_watchdog(
      [&](std::stop_token stop) { return run_paired(spec, {}, stop); });
}

/// Every message sent arrived once, in order (sequence numbers exactly
/// 0..n-1 per flow), with the bytes it was sent with.
void expect_exact(const RunResult& r, const TestSpec& spec) {
  ASSERT_TRUE(r.complete) << r.error;
  ASSERT_EQ(r.sender_flows.size(), spec.flows);
  ASSERT_EQ(r.receiver_flows.size(), spec.flows);
  const std::uint64_t share = spec.count / spec.flows;
  for (std::uint32_t i = 0; i < spec.flows; ++i) {
    const FlowSendStats& tx = r.sender_flows[i];
    const FlowRecvStats& rx = r.receiver_flows[i];
    EXPECT_EQ(tx.messages, share) << "flow " << i;
    EXPECT_EQ(tx.bytes, share * spec.message_bytes()) << "flow " << i;
    EXPECT_EQ(tx.send_failures, 0U) << "flow " << i;
    EXPECT_EQ(rx.malformed, 0U) << "flow " << i;
    EXPECT_FALSE(rx.stream_error) << "flow " << i;
    if (spec.mode == Mode::kEcho) {
      EXPECT_EQ(tx.replies, share) << "flow " << i;
      EXPECT_EQ(tx.reply_bytes, share * spec.message_bytes()) << "flow " << i;
      EXPECT_EQ(tx.reply_loss.lost, 0U) << "flow " << i;
      EXPECT_EQ(tx.reply_reordered, 0U) << "flow " << i;
      EXPECT_EQ(tx.reply_duplicates, 0U) << "flow " << i;
      EXPECT_EQ(tx.replies_malformed, 0U) << "flow " << i;
      EXPECT_EQ(rx.echoed_messages, share) << "flow " << i;
      continue;
    }
    EXPECT_EQ(rx.messages, share) << "flow " << i;
    EXPECT_EQ(rx.bytes, share * spec.message_bytes()) << "flow " << i;
    EXPECT_EQ(rx.unique, share) << "flow " << i;
    EXPECT_EQ(rx.duplicates, 0U) << "flow " << i;
    EXPECT_EQ(rx.reordered, 0U) << "flow " << i;
    EXPECT_EQ(rx.loss.lost, 0U) << "flow " << i;
    EXPECT_EQ(rx.loss.bursts, 0U) << "flow " << i;
  }
  EXPECT_EQ(r.latency.count(), spec.count);  // a one-way delay or RTT per message
}

/// The zero-copy books close: every send completed, zero-copy or copied.
void expect_completions(const RunResult& r) {
  ASSERT_TRUE(r.zerocopy.has_value());
  const ZeroCopyStats& z = *r.zerocopy;
  EXPECT_GT(z.sends, 0U);
  EXPECT_EQ(z.completions, z.sends);
  EXPECT_EQ(z.zerocopy + z.copied, z.completions);
  EXPECT_GT(z.notifications, 0U);
  EXPECT_LE(z.notifications, z.completions);
  EXPECT_EQ(z.unexpected, 0U);
  EXPECT_EQ(z.outstanding_at_end, 0U);
  EXPECT_EQ(z.copy_fallbacks, 0U);
}

struct ZeroCopyCase {
  const char* name;
  Proto proto;
  Mode mode;
  std::uint32_t size;
  std::uint64_t count;
  std::uint32_t batch = 1;
  bool gso = false;
  double rate = -1;  // -1: base()'s
};

class ZeroCopyTest : public ::testing::TestWithParam<ZeroCopyCase> {};

TEST_P(ZeroCopyTest, EveryMessageArrivesOnceInOrderAndEverySendCompletes) {
  const ZeroCopyCase& c = GetParam();
  TestSpec spec = base(c.proto, c.size, c.count);
  spec.mode = c.mode;
  spec.batch = c.batch;
  spec.gso = c.gso;
  if (c.rate >= 0) {
    spec.rate_msgs_per_s = c.rate;
  }
  spec.zerocopy = true;
  const RunResult r = run(spec);
  expect_exact(r, spec);
  expect_completions(r);
}

INSTANTIATE_TEST_SUITE_P(
    Senders, ZeroCopyTest,
    ::testing::Values(
        // Unpaced 256-byte TCP messages: far more sends than the 2048
        // headers of a flow's ring, so headers are reused many times.
        ZeroCopyCase{"TcpStreamSmall", Proto::kTcp, Mode::kStream, 256, 40'000},
        ZeroCopyCase{"TcpStream64KiB", Proto::kTcp, Mode::kStream, 64 << 10, 400},
        ZeroCopyCase{"TcpStream1MiB", Proto::kTcp, Mode::kStream, 1 << 20, 40},
        ZeroCopyCase{"TcpEcho", Proto::kTcp, Mode::kEcho, 256, 2000},
        ZeroCopyCase{"UdpStream", Proto::kUdp, Mode::kStream, 1400, 4000},
        ZeroCopyCase{"UdpStreamBatch", Proto::kUdp, Mode::kStream, 1400, 4000, 8},
        ZeroCopyCase{"UdpStreamGso", Proto::kUdp, Mode::kStream, 1400, 4000, 1, true},
        ZeroCopyCase{"UdpStreamGsoUnpaced", Proto::kUdp, Mode::kStream, 64, 1024, 1, true, 0},
        ZeroCopyCase{"UdpEcho", Proto::kUdp, Mode::kEcho, 256, 2000},
        ZeroCopyCase{"UdpEchoGso", Proto::kUdp, Mode::kEcho, 256, 800, 1, true, 0}),
    [](const ::testing::TestParamInfo<ZeroCopyCase>& p) { return std::string(p.param.name); });

TEST(ZeroCopyOffTest, NoFiguresWithoutTheFlag) {
  const TestSpec spec = base(Proto::kTcp, 256, 200);
  const RunResult r = run(spec);
  expect_exact(r, spec);
  EXPECT_FALSE(r.zerocopy.has_value());
}

// --skip-rx-copy over every model that can apply it (uring is refused).

using SkipParams = std::tuple<ModelKind, Proto>;

/// Every model but uring, which refuses --skip-rx-copy (SkipRxCopySpecTest);
/// a model added to kModelKinds joins these tests by itself.
std::vector<ModelKind> models_that_skip_copies() {
  std::vector<ModelKind> out;
  for (const ModelKind m : kModelKinds) {
    if (m != ModelKind::kUring) {
      out.push_back(m);
    }
  }
  return out;
}

class SkipRxCopyTest : public ::testing::TestWithParam<SkipParams> {};

TEST_P(SkipRxCopyTest, HeadersAloneCountEveryMessageExactly) {
  const auto [model, proto] = GetParam();
  for (const std::uint32_t size : {256U, 1400U, 60'000U}) {
    TestSpec spec = base(proto, size, size > 10'000 ? 400 : 2000);
    spec.model = model;
    spec.skip_rx_copy = true;
    if (proto == Proto::kUdp && size > 10'000) {
      spec.rate_msgs_per_s = 5'000;
    }
    SCOPED_TRACE(size);
    expect_exact(run(spec), spec);
  }
}

TEST_P(SkipRxCopyTest, OneMebibyteTcpMessagesAndGsoDatagramsAndZeroCopyBeside) {
  const auto [model, proto] = GetParam();
  TestSpec spec =
      base(proto, proto == Proto::kTcp ? 1U << 20 : 1400, proto == Proto::kTcp ? 40 : 2000);
  spec.model = model;
  spec.skip_rx_copy = true;
  spec.zerocopy = true;
  spec.gso = proto == Proto::kUdp;  // the receiver leaves GRO off: one header per datagram
  const RunResult r = run(spec);
  expect_exact(r, spec);
  expect_completions(r);
}

INSTANTIATE_TEST_SUITE_P(AllModels, SkipRxCopyTest,
                         ::testing::Combine(::testing::ValuesIn(models_that_skip_copies()),
                                            ::testing::Values(Proto::kTcp, Proto::kUdp)),
                         [](const ::testing::TestParamInfo<SkipParams>& p) {
                           return std::string(to_string(std::get<0>(p.param))) + "_" +
                                  std::string(to_string(std::get<1>(p.param)));
                         });

TEST(SkipRxCopySpecTest, RefusedWhereThePayloadIsNeededOrTheModelCannot) {
  TestSpec spec;
  spec.skip_rx_copy = true;
  EXPECT_NO_THROW(validate(spec));
  spec.mode = Mode::kEcho;
  EXPECT_THROW(validate(spec), ConfigError);
  spec.mode = Mode::kStream;
  spec.model = ModelKind::kUring;
  EXPECT_THROW(validate(spec), ConfigError);
  TestSpec zc;
  zc.zerocopy = true;
  zc.mode = Mode::kConnect;
  EXPECT_THROW(validate(zc), ConfigError);
}

}  // namespace
}  // namespace netbench
