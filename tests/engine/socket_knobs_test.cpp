// The socket knobs (--congestion, --tos/--dscp, --mss, --fq-rate): the sys
// helper sets what it says on a socket, and a paired run applies them to both
// ends' data sockets and reports the congestion control in use.

#include <linux/tcp.h>  // TCP_CONGESTION, TCP_MAXSEG
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <cstdint>
#include <cstdio>
#include <string>

#include <gtest/gtest.h>

#include "netbench/endpoint.hpp"
#include "netbench/error.hpp"
#include "netbench/fd.hpp"
#include "netbench/paired_run.hpp"
#include "netbench/results.hpp"
#include "netbench/sender.hpp"
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

/// A port P such that P and P + 1 are free for TCP and UDP now (each bound
/// and released), for --cport with two flows. Taken above the kernel's
/// ephemeral range (ip_local_port_range), where no connect() or bind(0) of
/// a test running in parallel lands, from `offset` on: each test its own.
std::uint16_t free_port_pair(std::uint16_t offset) {
  unsigned lo = 32'768;
  unsigned hi = 60'999;
  if (std::FILE* f = std::fopen("/proc/sys/net/ipv4/ip_local_port_range", "r")) {
    if (std::fscanf(f, "%u %u", &lo, &hi) != 2) {
      hi = 60'999;
    }
    std::fclose(f);
  }
  const unsigned base = hi + 1 + offset + 200 <= 65'535 ? hi + 1 + offset : 1'024 + offset;
  const auto bindable = [](int type, unsigned port) {
    const Fd fd = sys::make_socket(AF_INET, type);
    const Endpoint ep = resolve("", static_cast<std::uint16_t>(port), Family::kV4, true);
    return ::bind(fd.get(), ep.sa(), ep.len) == 0;
  };
  for (unsigned p = base; p < base + 200; p += 2) {
    if (bindable(SOCK_STREAM, p) && bindable(SOCK_STREAM, p + 1) && bindable(SOCK_DGRAM, p) &&
        bindable(SOCK_DGRAM, p + 1)) {
      return static_cast<std::uint16_t>(p);
    }
  }
  ADD_FAILURE() << "no two free ports in a row from " << base;
  return 0;
}

TEST(SocketKnobs, CportGivesFlowIItsSourcePortPPlusI) {
  const Fd listener = sys::listen_tcp(resolve("127.0.0.1", 0, Family::kV4, true), false, 16);
  TestSpec spec = tcp_spec();
  spec.client_port = free_port_pair(0);
  const Sender sender(spec, {sys::local_endpoint(listener.get())}, false);
  for (std::uint32_t i = 0; i < spec.flows; ++i) {
    Endpoint peer;
    peer.len = sizeof peer.addr;
    const Fd conn(::accept(listener.get(), reinterpret_cast<sockaddr*>(&peer.addr),  // NOLINT
                           &peer.len));
    ASSERT_TRUE(conn);
    // Flows connect in order: the i-th accepted is flow i.
    EXPECT_EQ(peer.port(), spec.client_port + i);
  }
}

TEST(SocketKnobs, CportBindsUdpAndNamesAPortInUse) {
  const std::uint16_t port = free_port_pair(1'000);
  const Fd first = sys::make_socket(AF_INET, SOCK_DGRAM);
  sys::bind_source_port(first.get(), AF_INET, false, port, 0);
  EXPECT_EQ(sys::local_endpoint(first.get()).port(), port);
  const Fd second = sys::make_socket(AF_INET, SOCK_DGRAM);
  try {
    sys::bind_source_port(second.get(), AF_INET, false, port, 3);
    FAIL() << "a second socket bound a port in use";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("of flow 3 (udp) is in use; pick another --cport"),
              std::string::npos)
        << e.what();
  }
}

TEST(SocketKnobs, PairedRunsWithCportBackToBackBothComplete) {
  // The third run's TCP source ports were the first's: SO_REUSEADDR binds
  // them although the first run's connections linger in TIME_WAIT.
  const std::uint16_t port = free_port_pair(2'000);
  for (const Proto proto : {Proto::kTcp, Proto::kUdp, Proto::kTcp}) {
    TestSpec spec = tcp_spec();
    spec.proto = proto;
    // Paced, with room to spare: no UDP loss even on a loaded host.
    spec.rate_msgs_per_s = proto == Proto::kUdp ? 5'000 : 0;
    spec.socket_buffer_bytes = 1U << 20;
    spec.client_port = port;
    const RunResult r = run_paired(spec);
    ASSERT_TRUE(r.complete) << r.error;
    std::uint64_t received = 0;
    for (const FlowRecvStats& f : r.receiver_flows) {
      received += f.messages;
    }
    EXPECT_EQ(received, 200U);
  }
}

TEST(SocketKnobs, BindDevSetsTheDeviceAndRefusesAnUnknownOne) {
  if (::geteuid() != 0) {
    GTEST_SKIP() << "SO_BINDTODEVICE needs CAP_NET_RAW";
  }
  TestSpec spec = tcp_spec();
  spec.bind_device = "lo";
  const Fd fd = sys::make_socket(AF_INET, SOCK_STREAM);
  sys::apply_socket_knobs(fd.get(), AF_INET, true, spec);
  std::array<char, 16> dev{};
  socklen_t len = dev.size();
  ASSERT_EQ(::getsockopt(fd.get(), SOL_SOCKET, SO_BINDTODEVICE, dev.data(), &len), 0);
  EXPECT_STREQ(dev.data(), "lo");
  const RunResult r = run_paired(spec);
  ASSERT_TRUE(r.complete) << r.error;
  spec.bind_device = "nosuchif0";
  const Fd other = sys::make_socket(AF_INET, SOCK_STREAM);
  try {
    sys::apply_socket_knobs(other.get(), AF_INET, true, spec);
    FAIL() << "an unknown interface was accepted";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("--bind-dev nosuchif0: no such interface"),
              std::string::npos)
        << e.what();
  }
}

TEST(SocketKnobs, ValidateRefusesCportRangesBeyond65535) {
  TestSpec spec = tcp_spec();
  spec.client_port = 65'535;
  EXPECT_THROW(validate(spec), ConfigError);  // flow 1 would need port 65536
  spec.flows = 1;
  EXPECT_NO_THROW(validate(spec));
}

}  // namespace
}  // namespace netbench
