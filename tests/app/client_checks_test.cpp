// What the remote client takes from a server (app/remote/client_checks.hpp):
// each message bounded by what the test asked for can need, a "ready" and a
// result that belong to another test refused, live totals that cannot
// follow each other refused, every wait bounded.
#include "app/remote/client_checks.hpp"

#include <cstdint>
#include <string>

#include <gtest/gtest.h>

#include "app/control/base64.hpp"
#include "app/control/control_channel.hpp"
#include "app/control/control_frame_reader.hpp"
#include "run/drain.hpp"

namespace netbench::app {
namespace {

TestSpec spec_of(Proto proto, std::uint32_t flows) {
  TestSpec s;
  s.proto = proto;
  s.flows = flows;
  return s;
}

TEST(ClientChecksTest, MessagesAreBoundedByWhatTheTestNeeds) {
  const TestSpec one = spec_of(Proto::kTcp, 1);
  EXPECT_LE(max_setup_message_bytes(one), 8U << 10);
  EXPECT_LE(max_live_message_bytes(), 1U << 20);
  EXPECT_LE(max_result_message_bytes(one), 2U << 20);
  // Grows with the flows, never past the channel's own limit.
  const TestSpec many = spec_of(Proto::kUdp, 65'536);
  EXPECT_GE(max_setup_message_bytes(many), 65'536U * 6);
  EXPECT_GT(max_result_message_bytes(many), max_result_message_bytes(one));
  EXPECT_LE(max_result_message_bytes(many), kMaxControlBytes);
}

TEST(ClientChecksTest, AFullHistogramFitsItsWireBound) {
  LatencyHistogram h;
  // One sample group in every bucket up to the top, counts of 7 varint bytes.
  for (std::uint64_t v = 1; v < LatencyHistogram::kHighestTrackableNs; v += 1 + (v >> 11)) {
    h.record(v, std::uint64_t{1} << 44);
  }
  EXPECT_LT(base64(h.serialize()).size(), kMaxHistogramWireBytes);
}

TEST(ClientChecksTest, ReadyMustHaveOnePortForTcpAndOnePerFlowForUdp) {
  Ready r;
  r.ports = {5001};
  EXPECT_EQ(check_ready(spec_of(Proto::kTcp, 4), r), "");
  r.ports = {5001, 5002};
  EXPECT_NE(check_ready(spec_of(Proto::kTcp, 2), r), "");
  r.token = RegistrationToken{};
  EXPECT_EQ(check_ready(spec_of(Proto::kUdp, 2), r), "");
  EXPECT_NE(check_ready(spec_of(Proto::kUdp, 3), r), "");
  r.ports = {5001, 0};
  EXPECT_NE(check_ready(spec_of(Proto::kUdp, 2), r), "");
  r.ports = {5001, 5002};
  r.token.reset();
  EXPECT_NE(check_ready(spec_of(Proto::kUdp, 2), r), "");
}

TEST(ClientChecksTest, LiveTotalsMayOnlyGrowWithinTheTestsFlows) {
  const TestSpec spec = spec_of(Proto::kTcp, 2);
  ReceiverLive a{10, 1000, 0, 0, 2, 1};
  ReceiverLive b = a;
  EXPECT_EQ(check_live(spec, a, b), "");
  b.messages = 11;
  EXPECT_EQ(check_live(spec, a, b), "");
  EXPECT_NE(check_live(spec, b, a), "");  // went down
  b = a;
  b.flows = 3;
  EXPECT_NE(check_live(spec, a, b), "");
  b = a;
  b.finished_flows = 3;
  EXPECT_NE(check_live(spec, a, b), "");
}

TEST(ClientChecksTest, ResultMustHoldExactlyTheTestsFlows) {
  const TestSpec spec = spec_of(Proto::kUdp, 2);
  RunResult part;
  part.receiver_flows.resize(2);
  part.receiver_flows[0].flow_id = 1;
  part.receiver_flows[1].flow_id = 0;
  EXPECT_EQ(check_result(spec, part), "");
  part.receiver_flows[0].flow_id = 0;
  EXPECT_NE(check_result(spec, part), "");  // flow 0 twice
  part.receiver_flows[0].flow_id = 2;
  EXPECT_NE(check_result(spec, part), "");  // out of range
  part.receiver_flows.resize(65'536);
  EXPECT_NE(check_result(spec, part), "");
  part.receiver_flows.resize(1);
  EXPECT_NE(check_result(spec, part), "");  // UDP: one record per flow
  part.receiver_flows[0].flow_id = 1;
  EXPECT_EQ(check_result(spec_of(Proto::kTcp, 2), part), "");  // TCP: flow 0 sent nothing
}

TEST(ClientChecksTest, EveryWaitHasADeadlineTiedToTheInterval) {
  TestSpec spec;
  spec.interval_ns = 100'000'000;
  EXPECT_EQ(reply_deadline(spec).count(), 2'000);
  EXPECT_EQ(run::drain_limit_ns(spec), 2'000'000'000U);
  spec.interval_ns = 5'000'000'000;
  EXPECT_EQ(reply_deadline(spec).count(), 10'000);
  EXPECT_EQ(run::drain_limit_ns(spec), 10'000'000'000U);
  spec.interval_ns = UINT64_MAX;
  EXPECT_EQ(reply_deadline(spec).count(), 3'600'000);
  EXPECT_EQ(run::drain_limit_ns(spec), UINT64_MAX);
}

TEST(ClientChecksTest, DrainEndsAtItsLimitWhileTotalsKeepChanging) {
  TestSpec spec;
  spec.proto = Proto::kTcp;
  spec.interval_ns = 100'000'000;  // limit: 2 s
  std::uint64_t calls = 0;
  const auto start = std::chrono::steady_clock::now();
  run::wait_drained(
      spec, 100,
      [&] {
        ++calls;
        return ReceiverLive{calls, calls * 100, 0, 0, 1, 0};
      },
      {}, std::chrono::milliseconds(5));
  const auto took = std::chrono::steady_clock::now() - start;
  EXPECT_GE(took, std::chrono::milliseconds(1'900));
  EXPECT_LT(took, std::chrono::milliseconds(3'000));
}

TEST(ClientChecksTest, DeeplyNestedMessagesAreRefusedBeforeParsing) {
  EXPECT_TRUE(nesting_within(R"({"a":[[1],{"b":[]}]})", 4));
  EXPECT_FALSE(nesting_within(R"({"a":[[1],{"b":[]}]})", 3));
  EXPECT_TRUE(nesting_within(R"({"a":"[[[[[[\"[[["})", 1));  // inside a string
  std::string error;
  EXPECT_FALSE(parse_control_body(std::string(1 << 20, '['), error));
  EXPECT_NE(error.find("nested deeper"), std::string::npos);
}

}  // namespace
}  // namespace netbench::app
