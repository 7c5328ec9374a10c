#include "netbench/test_spec.hpp"

#include <sched.h>

#include <cmath>
#include <functional>
#include <limits>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include <gtest/gtest.h>

#include "netbench/error.hpp"
#include "netbench/wire_header.hpp"

namespace netbench {
namespace {

TEST(TestSpecTest, ValidateAcceptsTheDefaults) {
  EXPECT_NO_THROW(validate(TestSpec{}));
  for (const Proto proto : {Proto::kTcp, Proto::kUdp}) {
    for (const Mode mode : {Mode::kStream, Mode::kEcho}) {
      TestSpec s;
      s.proto = proto;
      s.mode = mode;
      EXPECT_NO_THROW(validate(s)) << to_string(proto) << " " << to_string(mode);
    }
  }
}

TEST(TestSpecTest, ValidateAcceptsTheLimits) {
  TestSpec s;
  s.proto = Proto::kUdp;
  s.size_bytes = kMaxUdpPayloadBytes;
  EXPECT_NO_THROW(validate(s));
  s.size_bytes = static_cast<std::uint32_t>(kWireHeaderBytes);
  EXPECT_NO_THROW(validate(s));
  s.proto = Proto::kTcp;
  s.size_bytes = kMaxMessageBytes;
  s.threads = 256;
  s.flows = 4;
  s.count = 4;
  EXPECT_NO_THROW(validate(s));
}

/// A valid fan-out: UDP multicast to three receivers.
void fan_out(TestSpec& s) {
  s.proto = Proto::kUdp;
  s.multicast_group = "239.1.2.3";
  s.receivers = 3;
}

TEST(TestSpecTest, ValidateAcceptsAFanout) {
  TestSpec s;
  fan_out(s);
  EXPECT_TRUE(s.fanout());
  EXPECT_NO_THROW(validate(s));
  s.multicast_group.clear();
  s.broadcast = true;
  s.receiver_devices = {"a", "b", "c"};
  EXPECT_TRUE(s.fanout());
  EXPECT_NO_THROW(validate(s));
}

/// One way to break a spec and the flag its error message must name.
struct BadSpec {
  std::string name;
  std::function<void(TestSpec&)> spoil;
  std::string flag;
};

void PrintTo(const BadSpec& bad, std::ostream* os) { *os << bad.name; }

class TestSpecRejectionTest : public ::testing::TestWithParam<BadSpec> {};

TEST_P(TestSpecRejectionTest, ValidateThrowsConfigErrorNamingTheFlag) {
  TestSpec s;
  GetParam().spoil(s);
  try {
    validate(s);
    FAIL() << "validate() accepted " << GetParam().name;
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string_view(e.what()).find(GetParam().flag), std::string_view::npos)
        << "message: " << e.what();
  }
}

const std::vector<BadSpec> kBadSpecs = {
    {"SizeBelowHeader", [](TestSpec& s) { s.size_bytes = 39; }, "--size"},
    {"SizeOfOneByte", [](TestSpec& s) { s.size_bytes = 1; }, "--size"},
    {"UdpSizeAboveLargestPayload",
     [](TestSpec& s) {
       s.proto = Proto::kUdp;
       s.size_bytes = kMaxUdpPayloadBytes + 1;
     },
     "--size"},
    {"UdpSizeErrorNamesThePayloadLimit",
     [](TestSpec& s) {
       s.proto = Proto::kUdp;
       s.size_bytes = 70'000;
     },
     "65507"},
    {"TcpSizeAboveLargestMessage", [](TestSpec& s) { s.size_bytes = kMaxMessageBytes + 1; },
     "--size"},
    {"ZeroFlows", [](TestSpec& s) { s.flows = 0; }, "--flows"},
    {"TooManyFlows", [](TestSpec& s) { s.flows = 1'000'000; }, "--flows"},
    {"NegativeRate", [](TestSpec& s) { s.rate_msgs_per_s = -1; }, "--rate"},
    {"NaNRate", [](TestSpec& s) { s.rate_msgs_per_s = std::nan(""); }, "--rate"},
    {"InfiniteRate",
     [](TestSpec& s) { s.rate_msgs_per_s = std::numeric_limits<double>::infinity(); }, "--rate"},
    {"ZeroDurationWithoutCount", [](TestSpec& s) { s.duration_ns = 0; }, "--duration"},
    {"ZeroOutstandingInEcho",
     [](TestSpec& s) {
       s.mode = Mode::kEcho;
       s.outstanding = 0;
     },
     "--outstanding"},
    {"TooManyOutstandingInEcho",
     [](TestSpec& s) {
       s.mode = Mode::kEcho;
       s.outstanding = 65'537;
     },
     "--outstanding"},
    {"ZeroThreads", [](TestSpec& s) { s.threads = 0; }, "--threads"},
    {"TooManyThreads", [](TestSpec& s) { s.threads = 257; }, "--threads"},
    {"TinyInterval", [](TestSpec& s) { s.interval_ns = 1'000'000; }, "--interval"},
    {"CountBelowFlows",
     [](TestSpec& s) {
       s.flows = 8;
       s.count = 7;
     },
     "--count"},
    {"ReceiversWithoutGroupOrBroadcast", [](TestSpec& s) { s.receivers = 3; }, "--receivers 3"},
    {"ZeroReceivers",
     [](TestSpec& s) {
       fan_out(s);
       s.receivers = 0;
     },
     "--receivers"},
    {"TooManyReceivers",
     [](TestSpec& s) {
       fan_out(s);
       s.receivers = kMaxReceivers + 1;
     },
     "--receivers"},
    {"MulticastOverTcp",
     [](TestSpec& s) {
       fan_out(s);
       s.proto = Proto::kTcp;
     },
     "TCP cannot fan out"},
    {"BroadcastOverTcp",
     [](TestSpec& s) {
       s.broadcast = true;
       s.receivers = 2;
     },
     "--broadcast: TCP"},
    {"FanoutInEchoMode",
     [](TestSpec& s) {
       fan_out(s);
       s.mode = Mode::kEcho;
     },
     "--mode stream"},
    {"FanoutInConnectMode",
     [](TestSpec& s) {
       fan_out(s);
       s.mode = Mode::kConnect;
     },
     "--mode connect"},
    {"MulticastAndBroadcast",
     [](TestSpec& s) {
       fan_out(s);
       s.broadcast = true;
     },
     "give one of them"},
    {"UnicastGroup",
     [](TestSpec& s) {
       fan_out(s);
       s.multicast_group = "10.0.0.1";
     },
     "not an IPv4 multicast"},
    {"GroupThatIsNoAddress",
     [](TestSpec& s) {
       fan_out(s);
       s.multicast_group = "239.1.2";
     },
     "not an IPv4 multicast"},
    {"FanoutOverIpv6",
     [](TestSpec& s) {
       fan_out(s);
       s.family = Family::kV6;
     },
     "drop -6"},
    {"FanoutWithCountsOnly",
     [](TestSpec& s) {
       fan_out(s);
       s.stats = StatsLevel::kCounts;
     },
     "--stats counts"},
    {"FanoutWithProbe",
     [](TestSpec& s) {
       fan_out(s);
       s.probe_rate_msgs_per_s = 10;
     },
     "--probe"},
    {"ReceiverDevicesOfWrongCount",
     [](TestSpec& s) {
       fan_out(s);
       s.receiver_devices = {"lo"};
     },
     "--receiver-dev"},
    {"ReceiverDevicesWithoutFanout", [](TestSpec& s) { s.receiver_devices = {"lo"}; },
     "--receiver-dev"},
};

INSTANTIATE_TEST_SUITE_P(BadFields, TestSpecRejectionTest, ::testing::ValuesIn(kBadSpecs),
                         [](const ::testing::TestParamInfo<BadSpec>& bad) {
                           return bad.param.name;
                         });

TEST(TestSpecTest, ZeroDurationIsFineWhenACountIsGiven) {
  TestSpec s;
  s.duration_ns = 0;
  s.count = 10;
  EXPECT_NO_THROW(validate(s));
}

TEST(TestSpecTest, OutstandingIsIgnoredInStreamMode) {
  TestSpec s;
  s.mode = Mode::kStream;
  s.outstanding = 0;
  EXPECT_NO_THROW(validate(s));
}

template <typename E>
void expect_round_trip(std::initializer_list<E> values,
                       std::initializer_list<std::string_view> names) {
  ASSERT_EQ(values.size(), names.size());
  auto name = names.begin();
  for (const E v : values) {
    EXPECT_EQ(to_string(v), *name);
    E parsed{};
    ASSERT_TRUE(parse(to_string(v), parsed)) << *name;
    EXPECT_EQ(parsed, v) << *name;
    ++name;
  }
  E untouched = *values.begin();
  for (const std::string_view bad : {"", "TCP", "Epoll", "kqueue", "stream ", "io_uring"}) {
    EXPECT_FALSE(parse(bad, untouched)) << "'" << bad << "'";
  }
  EXPECT_EQ(untouched, *values.begin()) << "a failed parse must leave the output alone";
}

TEST(TestSpecTest, EveryProtoRoundTripsThroughItsName) {
  expect_round_trip({Proto::kTcp, Proto::kUdp}, {"tcp", "udp"});
}

// Every model round-trips through its name: model_info_test.cpp, over kModels.

TEST(TestSpecTest, EveryModeRoundTripsThroughItsName) {
  expect_round_trip({Mode::kStream, Mode::kEcho}, {"stream", "echo"});
}

TEST(TestSpecTest, EveryPatternRoundTripsThroughItsName) {
  expect_round_trip({Pattern::kConstant, Pattern::kPoisson}, {"constant", "poisson"});
}

TEST(TestSpecTest, EveryFamilyHasAName) {
  EXPECT_EQ(to_string(Family::kAny), "any");
  EXPECT_EQ(to_string(Family::kV4), "ipv4");
  EXPECT_EQ(to_string(Family::kV6), "ipv6");
}

TEST(TestSpecTest, MessageBytesDefaultsDependOnProtoAndMode) {
  TestSpec s;
  s.proto = Proto::kTcp;
  s.mode = Mode::kStream;
  EXPECT_EQ(s.message_bytes(), 128U * 1024U);
  s.proto = Proto::kUdp;
  EXPECT_EQ(s.message_bytes(), 1400U);
  s.mode = Mode::kEcho;
  EXPECT_EQ(s.message_bytes(), 64U);
  s.proto = Proto::kTcp;
  EXPECT_EQ(s.message_bytes(), 64U);
}

TEST(TestSpecTest, ExplicitSizeOverridesTheDefault) {
  TestSpec s;
  for (const Proto proto : {Proto::kTcp, Proto::kUdp}) {
    for (const Mode mode : {Mode::kStream, Mode::kEcho}) {
      s.proto = proto;
      s.mode = mode;
      s.size_bytes = 1000;
      EXPECT_EQ(s.message_bytes(), 1000U);
    }
  }
}

TEST(TestSpecTest, OpenLoopMeansARateIsSet) {
  TestSpec s;
  EXPECT_FALSE(s.open_loop());
  s.rate_msgs_per_s = 10;
  EXPECT_TRUE(s.open_loop());
}

TEST(TestSpecTest, EveryStatsLevelRoundTripsThroughItsName) {
  expect_round_trip({StatsLevel::kFull, StatsLevel::kCounts}, {"full", "counts"});
}

TEST(TestSpecTest, EveryPerFlowOutputRoundTripsThroughItsName) {
  expect_round_trip(
      {PerFlowOutput::kAuto, PerFlowOutput::kFull, PerFlowOutput::kSummary, PerFlowOutput::kNone},
      {"auto", "full", "summary", "none"});
}

TEST(TestSpecTest, PerFlowAutoListsUpTo64FlowsAndSummarizesAbove) {
  TestSpec s;
  EXPECT_EQ(s.per_flow, PerFlowOutput::kAuto);
  s.flows = 64;
  EXPECT_EQ(s.per_flow_output(), PerFlowOutput::kFull);
  s.flows = 65;
  EXPECT_EQ(s.per_flow_output(), PerFlowOutput::kSummary);
  for (const PerFlowOutput p :
       {PerFlowOutput::kFull, PerFlowOutput::kSummary, PerFlowOutput::kNone}) {
    s.per_flow = p;
    s.flows = 1;
    EXPECT_EQ(s.per_flow_output(), p);
    s.flows = 4096;
    EXPECT_EQ(s.per_flow_output(), p);
  }
}

TEST(TestSpecTest, NodelayDefaultsToOnForEchoAndOffForStream) {
  TestSpec s;
  EXPECT_FALSE(s.tcp_nodelay());
  s.mode = Mode::kEcho;
  EXPECT_TRUE(s.tcp_nodelay());
  s.nodelay = Toggle::kOff;
  EXPECT_FALSE(s.tcp_nodelay());
  s.mode = Mode::kStream;
  s.nodelay = Toggle::kOn;
  EXPECT_TRUE(s.tcp_nodelay());
}

TEST(TestSpecTest, CpusThisProcessMayUseAreAcceptedOthersNamed) {
  EXPECT_NO_THROW(check_cpus_available({}, "--cpu"));
  cpu_set_t set;
  CPU_ZERO(&set);
  ASSERT_EQ(::sched_getaffinity(0, sizeof set, &set), 0);
  std::uint32_t first = 0;
  while (!CPU_ISSET(std::size_t{first}, &set)) {
    ++first;
  }
  EXPECT_NO_THROW(check_cpus_available({first}, "--cpu"));
  try {
    check_cpus_available({first, 1023}, "--cpu");
    FAIL() << "CPU 1023 was accepted";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("CPU 1023 is not available"), std::string::npos)
        << e.what();
  }
}

TEST(TestSpecTest, ValidateRejectsCpuNumbersBeyondTheCpuSet) {
  TestSpec s;
  s.receiver_cpus = {CPU_SETSIZE};
  EXPECT_THROW(validate(s), ConfigError);
}

}  // namespace
}  // namespace netbench
