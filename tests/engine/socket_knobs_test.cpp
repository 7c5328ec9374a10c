// The socket knobs (--congestion, --tos/--dscp, --mss, --fq-rate): the sys
// helper sets what it says on a socket, and a paired run applies them to both
// ends' data sockets and reports the congestion control in use.

#include <linux/tcp.h>  // TCP_CONGESTION, TCP_MAXSEG
#include <netinet/in.h>
#include <sys/socket.h>

#include <cstdint>
#include <string>

#include <gtest/gtest.h>

#include "netbench/endpoint.hpp"
#include "netbench/error.hpp"
#include "netbench/fd.hpp"
#include "netbench/paired_run.hpp"
#include "netbench/results.hpp"
#include "netbench/test_spec.hpp"
#include "sys/socket_ops.hpp"

namespace netbench {
namespace {

/// An int socket option of `fd`, read back.
int int_option(int fd, int level, int name) {
  int value = -1;
  socklen_t len = sizeof value;
  EXPECT_EQ(::getsockopt(fd, level, name, &value, &len), 0);
  return value;
}

/// A short TCP stream test over IPv4 loopback, two flows, no knobs set.
TestSpec tcp_spec() {
  TestSpec s;
  s.proto = Proto::kTcp;
  s.flows = 2;
  s.count = 200;
  s.size_bytes = 1024;
  s.interval_ns = 100'000'000;
  s.family = Family::kV4;
  return s;
}

TEST(SocketKnobs, HelperSetsEveryKnobOnATcpSocket) {
  TestSpec spec = tcp_spec();
  spec.congestion = "reno";
  spec.tos = 0x20;
  spec.mss_bytes = 1000;
  spec.fq_rate_bps = 8'000'000'000;
  const Fd fd = sys::make_socket(AF_INET, SOCK_STREAM);
  sys::apply_socket_knobs(fd.get(), AF_INET, true, spec);
  EXPECT_EQ(sys::congestion_of(fd.get()), "reno");
  EXPECT_EQ(int_option(fd.get(), IPPROTO_IP, IP_TOS), 0x20);
  // An unconnected socket reports the MSS it was asked for.
  EXPECT_EQ(int_option(fd.get(), IPPROTO_TCP, TCP_MAXSEG), 1000);
  unsigned long rate = 0;  // NOLINT(google-runtime-int): the kernel's type
  socklen_t len = sizeof rate;
  ASSERT_EQ(::getsockopt(fd.get(), SOL_SOCKET, SO_MAX_PACING_RATE, &rate, &len), 0);
  EXPECT_EQ(rate, 1'000'000'000UL);  // bits/s in the spec, bytes/s to the kernel
}

TEST(SocketKnobs, TosSetsTrafficClassOnIpv6Sockets) {
  TestSpec spec = tcp_spec();
  spec.proto = Proto::kUdp;
  spec.tos = 46 << 2;  // --dscp 46
  const Fd fd = sys::make_socket(AF_INET6, SOCK_DGRAM);
  sys::apply_socket_knobs(fd.get(), AF_INET6, false, spec);
  EXPECT_EQ(int_option(fd.get(), IPPROTO_IPV6, IPV6_TCLASS), 46 << 2);
  EXPECT_EQ(int_option(fd.get(), IPPROTO_IP, IP_TOS), 46 << 2);
}

TEST(SocketKnobs, UnsetKnobsLeaveTheSocketAlone) {
  const Fd fd = sys::make_socket(AF_INET, SOCK_STREAM);
  const std::string before = sys::congestion_of(fd.get());
  sys::apply_socket_knobs(fd.get(), AF_INET, true, tcp_spec());
  EXPECT_EQ(sys::congestion_of(fd.get()), before);
  EXPECT_EQ(int_option(fd.get(), IPPROTO_IP, IP_TOS), 0);
}

TEST(SocketKnobs, UnknownCongestionIsRefusedWithTheAvailableOnes) {
  const Fd fd = sys::make_socket(AF_INET, SOCK_STREAM);
  try {
    sys::set_congestion(fd.get(), "no_such_cc");
    FAIL() << "no_such_cc was accepted";
  } catch (const ConfigError& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("--congestion no_such_cc: not available on this host (available: "),
              std::string::npos)
        << what;
    EXPECT_NE(what.find("reno"), std::string::npos) << what;
    EXPECT_NE(what.find("modprobe tcp_no_such_cc"), std::string::npos) << what;
  }
}

TEST(SocketKnobs, PairedRunUsesTheCongestionControlOnBothEnds) {
  TestSpec spec = tcp_spec();
  spec.congestion = "reno";
  const RunResult r = run_paired(spec);
  ASSERT_TRUE(r.complete) << r.error;
  EXPECT_EQ(r.sender.tcp_congestion, "reno");
  EXPECT_EQ(r.receiver.tcp_congestion, "reno");
}

TEST(SocketKnobs, PairedRunWithoutCongestionReportsTheDefault) {
  const RunResult r = run_paired(tcp_spec());
  ASSERT_TRUE(r.complete) << r.error;
  EXPECT_FALSE(r.sender.tcp_congestion.empty());
  EXPECT_EQ(r.receiver.tcp_congestion, r.sender.tcp_congestion);
}

TEST(SocketKnobs, PairedRunWithTosAndMssCarriesAllMessages) {
  TestSpec spec = tcp_spec();
  spec.tos = 8 << 2;  // --dscp 8
  spec.mss_bytes = 1000;
  const RunResult r = run_paired(spec);
  ASSERT_TRUE(r.complete) << r.error;
  ASSERT_EQ(r.sender_flows.size(), 2U);
  for (const FlowSendStats& f : r.sender_flows) {
    // Both ends announced 1000: the segments carry at most that (less options).
    ASSERT_TRUE(f.tcp.valid);
    EXPECT_GT(f.tcp.mss_bytes, 0U);
    EXPECT_LE(f.tcp.mss_bytes, 1000U);
  }
  std::uint64_t received = 0;
  for (const FlowRecvStats& f : r.receiver_flows) {
    received += f.messages;
  }
  EXPECT_EQ(received, 200U);
}

TEST(SocketKnobs, UdpPairedRunWithTosAndFqRate) {
  TestSpec spec = tcp_spec();
  spec.proto = Proto::kUdp;
  spec.rate_msgs_per_s = 20'000;
  spec.tos = 0x20;
  spec.fq_rate_bps = 1'000'000'000;
  const RunResult r = run_paired(spec);
  ASSERT_TRUE(r.complete) << r.error;
  EXPECT_TRUE(r.sender.tcp_congestion.empty());
  EXPECT_TRUE(r.receiver.tcp_congestion.empty());
}

TEST(SocketKnobs, ValidateRefusesTcpOnlyKnobsForUdpAndBadRanges) {
  TestSpec spec = tcp_spec();
  spec.proto = Proto::kUdp;
  spec.rate_msgs_per_s = 1000;
  spec.congestion = "reno";
  EXPECT_THROW(validate(spec), ConfigError);
  spec.congestion.clear();
  spec.mss_bytes = 1000;
  EXPECT_THROW(validate(spec), ConfigError);
  spec = tcp_spec();
  spec.mss_bytes = 50;
  EXPECT_THROW(validate(spec), ConfigError);
  spec = tcp_spec();
  spec.tos = 256;
  EXPECT_THROW(validate(spec), ConfigError);
  spec = tcp_spec();
  spec.congestion = "Bad Name";
  EXPECT_THROW(validate(spec), ConfigError);
}

}  // namespace
}  // namespace netbench
