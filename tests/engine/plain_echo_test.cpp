#include "netbench/plain_echo.hpp"

#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <future>
#include <mutex>
#include <random>
#include <stop_token>
#include <string>
#include <string_view>
#include <thread>
#include <type_traits>
#include <vector>

#include <gtest/gtest.h>

#include "netbench/endpoint.hpp"
#include "netbench/error.hpp"
#include "netbench/fd.hpp"
#include "netbench/paired_run.hpp"
#include "netbench/plain_echo_server.hpp"
#include "netbench/results.hpp"
#include "netbench/test_spec.hpp"
#include "watchdog.hpp"

namespace netbench {
namespace {

constexpr std::uint64_t kMessages = 2000;
constexpr std::uint32_t kFlows = 4;
constexpr std::uint32_t kSize = 256;
/// Upper bound of any wait here (never a timing assertion).
constexpr auto kGuard = std::chrono::seconds(10);
TestSpec make_spec(Proto proto) {
  TestSpec s;
  s.proto = proto;
  s.mode = Mode::kEcho;
  s.flows = kFlows;
  s.count = kMessages;
  s.size_bytes = kSize;
  s.interval_ns = 100'000'000;
  return s;
}

/// run_plain_echo() with a watchdog: past test_support::kRunTimeout the run is stopped,
/// which leaves it incomplete, so a hang fails the test instead of blocking.
RunResult run(const TestSpec& spec, const Endpoint& server, const RunHooks& hooks = {}) {
  return test_support::with_watchdog(
      [&](std::stop_token stop) { return run_plain_echo(spec, server, hooks, stop); });
}

/// Every client-side figure of an echo run that moved spec.count messages.
void expect_exact(const RunResult& r, const TestSpec& spec) {
  const std::uint64_t k = spec.count;
  const std::uint64_t share = k / spec.flows;
  EXPECT_TRUE(r.complete) << r.error;
  EXPECT_EQ(r.message_bytes, spec.message_bytes());
  EXPECT_TRUE(r.receiver_flows.empty());
  EXPECT_EQ(r.clock, "client only (plain echo)");
  EXPECT_EQ(r.latency.count(), k);
  EXPECT_EQ(r.latency_from_actual.count(), k);
  ASSERT_EQ(r.sender_flows.size(), spec.flows);
  for (std::uint32_t i = 0; i < spec.flows; ++i) {
    const FlowSendStats& f = r.sender_flows[i];
    EXPECT_EQ(f.flow_id, i);
    EXPECT_EQ(f.messages, share) << "flow " << i;
    EXPECT_EQ(f.bytes, share * spec.message_bytes()) << "flow " << i;
    EXPECT_EQ(f.replies, share) << "flow " << i;
    EXPECT_EQ(f.reply_bytes, share * spec.message_bytes()) << "flow " << i;
    EXPECT_EQ(f.replies_malformed, 0U) << "flow " << i;
    EXPECT_EQ(f.reply_loss.lost, 0U) << "flow " << i;
    EXPECT_EQ(f.reply_reordered, 0U) << "flow " << i;
    EXPECT_EQ(f.reply_duplicates, 0U) << "flow " << i;
    EXPECT_EQ(f.send_failures, 0U) << "flow " << i;
    EXPECT_FALSE(f.closed_by_peer) << "flow " << i;
  }
}

// ---------------------------------------------------------------------------
// Raw clients, to talk to the server without netbench's framing.

/// A blocking client socket whose every call gives up after kGuard.
Fd client_socket(int family, int type) {
  Fd fd(::socket(family, type | SOCK_CLOEXEC, 0));
  EXPECT_TRUE(fd.valid()) << std::strerror(errno);
  const timeval tv{std::chrono::seconds(kGuard).count(), 0};
  ::setsockopt(fd.get(), SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  ::setsockopt(fd.get(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  return fd;
}

Fd connected(const Endpoint& to, int type, int rcvbuf = 0) {
  Fd fd = client_socket(to.family(), type);
  if (rcvbuf > 0) {
    ::setsockopt(fd.get(), SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
  }
  EXPECT_EQ(::connect(fd.get(), to.sa(), to.len), 0) << std::strerror(errno);
  return fd;
}

/// The server's address as a client reaches it (a wildcard becomes loopback).
Endpoint reach(const PlainEchoServer& server, Family family = Family::kV4) {
  return loopback(family, server.local().port());
}

std::vector<std::byte> random_bytes(std::size_t n, std::uint32_t seed) {
  std::mt19937 gen(seed);
  std::uniform_int_distribution<int> byte(0, 255);
  std::vector<std::byte> out(n);
  for (std::byte& b : out) {
    b = static_cast<std::byte>(byte(gen));
  }
  return out;
}

/// Sends `text` on a TCP connection and reads back as many bytes; true if
/// they came back verbatim.
bool round_trip(int fd, std::string_view text) {
  if (::send(fd, text.data(), text.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(text.size())) {
    return false;
  }
  std::string got(text.size(), '\0');
  std::size_t have = 0;
  while (have < got.size()) {  // each pass progresses or returns
    const ssize_t n = ::recv(fd, got.data() + have, got.size() - have, 0);
    if (n <= 0) {
      return false;
    }
    have += static_cast<std::size_t>(n);
  }
  return got == text;
}

/// True once the peer has closed `fd` (EOF or reset), false on timeout.
bool closed_by_peer(int fd) {
  std::array<char, 16> buf{};
  const ssize_t n = ::recv(fd, buf.data(), buf.size(), 0);
  return n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK);
}

/// Waits (at most kGuard) until `done()`; returns its last value.
template <typename Pred>
bool eventually(Pred done) {
  const auto deadline = std::chrono::steady_clock::now() + kGuard;
  while (!done()) {
    if (std::chrono::steady_clock::now() >= deadline) {
      return false;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return true;
}

bool ipv6_loopback_available() {
  const Fd fd(::socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  if (!fd) {
    return false;
  }
  sockaddr_in6 a{};
  a.sin6_family = AF_INET6;
  a.sin6_addr = in6addr_loopback;
  return ::bind(fd.get(), reinterpret_cast<const sockaddr*>(&a), sizeof a) == 0;  // NOLINT
}

// ---------------------------------------------------------------------------
// run_plain_echo against PlainEchoServer.

TEST(PlainEchoRunTest, TcpEchoMeasuresEveryMessageExactly) {
  PlainEchoServer server(loopback(Family::kV4, 0));
  server.start();
  const TestSpec spec = make_spec(Proto::kTcp);
  const RunResult r = run(spec, reach(server));
  expect_exact(r, spec);
  EXPECT_EQ(r.spec.mode, Mode::kEcho);
  server.stop();
  const PlainEchoCounters c = server.counters();
  EXPECT_EQ(c.connections, kFlows);
  EXPECT_EQ(c.connections_rejected, 0U);
  EXPECT_EQ(c.open_connections, 0U);
  EXPECT_EQ(c.bytes_received, kMessages * kSize);
  EXPECT_EQ(c.bytes_echoed, kMessages * kSize);
  EXPECT_EQ(c.datagrams_echoed, 0U);
  EXPECT_TRUE(server.error().empty()) << server.error();
}

TEST(PlainEchoRunTest, UdpEchoMeasuresEveryMessageExactly) {
  PlainEchoServer server(loopback(Family::kV4, 0));
  server.start();
  TestSpec spec = make_spec(Proto::kUdp);
  spec.outstanding = 4;  // closed loop: at most 16 datagrams in flight, none dropped
  const RunResult r = run(spec, reach(server));
  expect_exact(r, spec);
  server.stop();
  const PlainEchoCounters c = server.counters();
  // One more: the probe that checked the server answers at all.
  EXPECT_EQ(c.datagrams_echoed, kMessages + 1);
  EXPECT_EQ(c.datagrams_dropped, 0U);
  EXPECT_EQ(c.connections, 0U);
}

TEST(PlainEchoRunTest, OpenLoopTcpEchoAtAModestRateIsExact) {
  PlainEchoServer server(loopback(Family::kV4, 0));
  server.start();
  TestSpec spec = make_spec(Proto::kTcp);
  spec.count = 800;
  spec.rate_msgs_per_s = 20'000;
  const RunResult r = run(spec, reach(server));
  expect_exact(r, spec);
  EXPECT_EQ(r.pacing.sends, spec.count);
}

TEST(PlainEchoRunTest, OpenLoopUdpEchoAccountsForEveryDatagram) {
  PlainEchoServer server(loopback(Family::kV4, 0));
  server.start();
  TestSpec spec = make_spec(Proto::kUdp);
  spec.count = 800;
  spec.rate_msgs_per_s = 20'000;
  const RunResult r = run(spec, reach(server));
  // Open loop, a busy host may drop a datagram in a socket buffer: no exact
  // reply count, but every request is answered or lost, never both.
  EXPECT_TRUE(r.complete) << r.error;
  EXPECT_EQ(r.pacing.sends, spec.count);
  std::uint64_t replies = 0;
  for (const FlowSendStats& f : r.sender_flows) {
    EXPECT_EQ(f.messages, spec.count / spec.flows);
    EXPECT_EQ(f.replies + f.reply_loss.lost, f.messages) << "flow " << f.flow_id;
    EXPECT_EQ(f.reply_duplicates, 0U);
    EXPECT_EQ(f.replies_malformed, 0U);
    replies += f.replies;
  }
  EXPECT_EQ(r.latency.count(), replies);
  server.stop();
  EXPECT_GE(server.counters().datagrams_echoed, replies);
}

TEST(PlainEchoRunTest, TcpEchoThroughAServerBufferSmallerThanAMessage) {
  PlainEchoOptions options;
  options.tcp_buffer_bytes = 100;  // every 256-byte message is read and echoed in pieces
  PlainEchoServer server(loopback(Family::kV4, 0), options);
  server.start();
  TestSpec spec = make_spec(Proto::kTcp);
  spec.outstanding = 8;
  expect_exact(run(spec, reach(server)), spec);
  server.stop();
  EXPECT_EQ(server.counters().bytes_echoed, kMessages * kSize);
}

TEST(PlainEchoRunTest, LargeTcpMessagesComeBackWhole) {
  PlainEchoServer server(loopback(Family::kV4, 0));
  server.start();
  TestSpec spec = make_spec(Proto::kTcp);
  spec.flows = 2;
  spec.count = 8;
  spec.size_bytes = 1U << 20;  // sixteen times the server's read size
  expect_exact(run(spec, reach(server)), spec);
}

TEST(PlainEchoRunTest, FlowsBeyondTheServerLimitEndTheRunIncomplete) {
  PlainEchoOptions options;
  options.max_connections = 2;
  options.udp = false;
  PlainEchoServer server(loopback(Family::kV4, 0), options);
  server.start();
  const TestSpec spec = make_spec(Proto::kTcp);  // four flows
  const RunResult r = run(spec, reach(server));
  EXPECT_FALSE(r.complete);
  EXPECT_FALSE(r.error.empty());
  std::uint32_t closed = 0;
  for (const FlowSendStats& f : r.sender_flows) {
    closed += f.closed_by_peer ? 1U : 0U;
  }
  EXPECT_EQ(closed, 2U);
  server.stop();
  EXPECT_EQ(server.counters().connections_rejected, 2U);
}

TEST(PlainEchoRunTest, HooksSeeStartOnceBeforeAnyInterval) {
  PlainEchoServer server(loopback(Family::kV4, 0));
  server.start();
  const TestSpec spec = make_spec(Proto::kTcp);
  int starts = 0;
  std::size_t intervals = 0;
  bool interval_before_start = false;
  RunHooks hooks;
  hooks.on_start = [&] { ++starts; };
  hooks.on_interval = [&](const IntervalRecord& rec) {
    interval_before_start = interval_before_start || starts == 0;
    ++intervals;
    EXPECT_LE(rec.start_ns, rec.end_ns);
    EXPECT_EQ(rec.reordered, 0U);  // no receiver in this process
  };
  const RunResult r = run(spec, reach(server), hooks);
  expect_exact(r, spec);
  EXPECT_EQ(starts, 1);
  EXPECT_FALSE(interval_before_start);
  EXPECT_GE(intervals, 1U) << "at least the last (partial) interval";
  EXPECT_EQ(r.intervals.size(), intervals);
  std::uint64_t sent = 0;
  std::uint64_t received = 0;
  for (const IntervalRecord& rec : r.intervals) {
    sent += rec.sent_messages;
    received += rec.received_messages;
  }
  EXPECT_LE(sent, kMessages);
  EXPECT_LE(received, kMessages);
}

TEST(PlainEchoRunTest, RunsOverIpv6Loopback) {
  if (!ipv6_loopback_available()) {
    GTEST_SKIP() << "::1 is not available on this host";
  }
  PlainEchoServer server(loopback(Family::kV6, 0));
  server.start();
  for (const Proto proto : {Proto::kTcp, Proto::kUdp}) {
    SCOPED_TRACE(std::string(to_string(proto)));
    TestSpec spec = make_spec(proto);
    spec.count = 400;
    expect_exact(run(spec, reach(server, Family::kV6)), spec);
  }
}

// ---------------------------------------------------------------------------
// Setup errors: thrown, promptly.

/// Runs `spec` against `server` on another thread; the exception it threw,
/// or a failure if none came within kGuard.
template <typename Error>
void expect_throws(const TestSpec& spec, const Endpoint& server, int expected_errno) {
  auto result = std::async(std::launch::async, [&] { return run_plain_echo(spec, server); });
  ASSERT_EQ(result.wait_for(kGuard), std::future_status::ready) << "run_plain_echo hung";
  try {
    static_cast<void>(result.get());
    ADD_FAILURE() << "no exception";
  } catch (const Error& e) {
    if constexpr (std::is_same_v<Error, SystemError>) {
      EXPECT_EQ(e.error_code(), expected_errno) << e.what();
    }
  } catch (const std::exception& e) {
    ADD_FAILURE() << "unexpected exception: " << e.what();
  }
}

TEST(PlainEchoRunTest, ClosedTcpPortThrowsConnectionRefused) {
  // Bound but not listening: the port stays ours and refuses connections.
  const Fd holder(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  const Endpoint any = loopback(Family::kV4, 0);
  ASSERT_EQ(::bind(holder.get(), any.sa(), any.len), 0) << std::strerror(errno);
  Endpoint bound;
  bound.len = sizeof bound.addr;
  ASSERT_EQ(::getsockname(holder.get(), reinterpret_cast<sockaddr*>(&bound.addr),  // NOLINT
                          &bound.len),
            0);
  expect_throws<SystemError>(make_spec(Proto::kTcp), bound, ECONNREFUSED);
}

TEST(PlainEchoRunTest, ClosedUdpPortThrowsConnectionRefused) {
  Endpoint closed;
  {
    // A port that was free a moment ago and is closed again.
    const Fd probe(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
    const Endpoint any = loopback(Family::kV4, 0);
    ASSERT_EQ(::bind(probe.get(), any.sa(), any.len), 0) << std::strerror(errno);
    closed.len = sizeof closed.addr;
    ASSERT_EQ(::getsockname(probe.get(), reinterpret_cast<sockaddr*>(&closed.addr),  // NOLINT
                            &closed.len),
              0);
  }
  expect_throws<SystemError>(make_spec(Proto::kUdp), closed, ECONNREFUSED);
}

TEST(PlainEchoRunTest, SilentUdpPeerThrowsTimedOut) {
  // Bound and never answering: every probe goes unanswered.
  const Fd silent(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  const Endpoint any = loopback(Family::kV4, 0);
  ASSERT_EQ(::bind(silent.get(), any.sa(), any.len), 0) << std::strerror(errno);
  Endpoint at;
  at.len = sizeof at.addr;
  ASSERT_EQ(::getsockname(silent.get(), reinterpret_cast<sockaddr*>(&at.addr), &at.len),  // NOLINT
            0);
  expect_throws<SystemError>(make_spec(Proto::kUdp), at, ETIMEDOUT);
}

TEST(PlainEchoRunTest, StreamModeIsAConfigError) {
  TestSpec spec = make_spec(Proto::kTcp);
  spec.mode = Mode::kStream;
  expect_throws<ConfigError>(spec, loopback(Family::kV4, 9), 0);
}

TEST(PlainEchoRunTest, ServerWithoutPortIsAConfigError) {
  expect_throws<ConfigError>(make_spec(Proto::kTcp), loopback(Family::kV4, 0), 0);
  expect_throws<ConfigError>(make_spec(Proto::kTcp), Endpoint{}, 0);
}

// ---------------------------------------------------------------------------
// PlainEchoServer with raw clients.

TEST(PlainEchoServerTest, EchoesArbitraryTcpBytesVerbatimAndClosesAfterThePeer) {
  PlainEchoServer server(loopback(Family::kV4, 0));
  server.start();
  const std::vector<std::byte> data = random_bytes(1U << 20, 42);
  // A small receive buffer on the client: the server's sends come out short
  // and its backpressure path runs.
  const Fd fd = connected(reach(server), SOCK_STREAM, 4096);
  std::jthread writer([&] {
    std::mt19937 gen(7);
    std::uniform_int_distribution<std::size_t> chunk(1, 20'000);
    std::size_t off = 0;
    while (off < data.size()) {  // each pass progresses or ends the loop
      const std::size_t n = std::min(chunk(gen), data.size() - off);
      const ssize_t s = ::send(fd.get(), data.data() + off, n, MSG_NOSIGNAL);
      if (s <= 0) {
        break;
      }
      off += static_cast<std::size_t>(s);
    }
    ::shutdown(fd.get(), SHUT_WR);
  });
  std::vector<std::byte> got(data.size() + 1);
  std::size_t have = 0;
  bool eof = false;
  while (have < got.size()) {  // each pass progresses or ends the loop
    const ssize_t n = ::recv(fd.get(), got.data() + have, got.size() - have, 0);
    if (n <= 0) {
      eof = n == 0;
      break;
    }
    have += static_cast<std::size_t>(n);
  }
  writer.join();
  EXPECT_TRUE(eof) << "the server closes once the client is done and all is echoed";
  ASSERT_EQ(have, data.size());
  got.resize(have);
  EXPECT_TRUE(got == data) << "echo differs from what was sent";
  server.stop();
  const PlainEchoCounters c = server.counters();
  EXPECT_EQ(c.connections, 1U);
  EXPECT_EQ(c.bytes_received, data.size());
  EXPECT_EQ(c.bytes_echoed, data.size());
}

TEST(PlainEchoServerTest, EchoesArbitraryDatagramsVerbatimToTheirSource) {
  PlainEchoServer server(loopback(Family::kV4, 0));
  server.start();
  const Fd fd = connected(reach(server), SOCK_DGRAM);
  std::uint64_t bytes = 0;
  std::vector<std::byte> got(70'000);
  const std::array<std::size_t, 7> sizes{0, 1, 2, 100, 1472, 9000, 65'507};
  for (const std::size_t size : sizes) {
    SCOPED_TRACE(size);
    const std::vector<std::byte> data = random_bytes(size, static_cast<std::uint32_t>(size));
    ASSERT_EQ(::send(fd.get(), data.data(), data.size(), 0), static_cast<ssize_t>(size))
        << std::strerror(errno);
    const ssize_t n = ::recv(fd.get(), got.data(), got.size(), 0);
    ASSERT_EQ(n, static_cast<ssize_t>(size)) << std::strerror(errno);
    EXPECT_TRUE(std::equal(data.begin(), data.end(), got.begin()));
    bytes += size;
  }
  server.stop();
  const PlainEchoCounters c = server.counters();
  EXPECT_EQ(c.datagrams_echoed, sizes.size());
  EXPECT_EQ(c.datagram_bytes_echoed, bytes);
  EXPECT_EQ(c.datagrams_dropped, 0U);
}

TEST(PlainEchoServerTest, TcpAndUdpShareThePortThatWasPicked) {
  PlainEchoServer server(loopback(Family::kV4, 0));
  EXPECT_NE(server.local().port(), 0);
  server.start();
  const Fd tcp = connected(reach(server), SOCK_STREAM);
  EXPECT_TRUE(round_trip(tcp.get(), "tcp"));
  const Fd udp = connected(reach(server), SOCK_DGRAM);
  EXPECT_TRUE(round_trip(udp.get(), "udp"));
}

TEST(PlainEchoServerTest, UdpOffLeavesThePortUnanswered) {
  PlainEchoOptions options;
  options.udp = false;
  PlainEchoServer server(loopback(Family::kV4, 0), options);
  server.start();
  const Fd tcp = connected(reach(server), SOCK_STREAM);
  EXPECT_TRUE(round_trip(tcp.get(), "still tcp"));
  server.stop();
  EXPECT_EQ(server.counters().datagrams_echoed, 0U);
}

TEST(PlainEchoServerTest, IPv6WildcardServesIpv4AndIpv6Clients) {
  if (!ipv6_loopback_available()) {
    GTEST_SKIP() << "::1 is not available on this host";
  }
  PlainEchoOptions options;
  options.udp = false;  // no UDP echo on every interface, even briefly
  PlainEchoServer server(resolve("::", 0, Family::kV6, true), options);
  server.start();
  const Fd v4 = connected(reach(server, Family::kV4), SOCK_STREAM);
  const Fd v6 = connected(reach(server, Family::kV6), SOCK_STREAM);
  EXPECT_TRUE(round_trip(v4.get(), "over IPv4"));
  EXPECT_TRUE(round_trip(v6.get(), "over IPv6"));
  server.stop();
  EXPECT_EQ(server.counters().connections, 2U);
}

TEST(PlainEchoServerTest, ClosesConnectionsBeyondTheLimitAndServesTheRest) {
  PlainEchoOptions options;
  options.max_connections = 2;
  options.udp = false;
  PlainEchoServer server(loopback(Family::kV4, 0), options);
  server.start();
  Fd a = connected(reach(server), SOCK_STREAM);
  const Fd b = connected(reach(server), SOCK_STREAM);
  ASSERT_TRUE(round_trip(a.get(), "first"));  // served, so accepted
  ASSERT_TRUE(round_trip(b.get(), "second"));
  const Fd over = connected(reach(server), SOCK_STREAM);  // the kernel completes the handshake
  EXPECT_TRUE(closed_by_peer(over.get())) << "the third connection is closed at once";
  EXPECT_EQ(server.counters().connections_rejected, 1U);
  EXPECT_TRUE(round_trip(b.get(), "still served"));

  a.reset();  // a slot frees up
  EXPECT_TRUE(eventually([&] { return server.counters().open_connections == 1; }));
  const Fd next = connected(reach(server), SOCK_STREAM);
  EXPECT_TRUE(round_trip(next.get(), "room again"));
  server.stop();
  const PlainEchoCounters c = server.counters();
  EXPECT_EQ(c.connections, 3U);
  EXPECT_EQ(c.connections_rejected, 1U);
}

TEST(PlainEchoServerTest, StopReturnsWithIdleAndNonReadingClients) {
  PlainEchoOptions options;
  options.tcp_buffer_bytes = 4096;
  PlainEchoServer server(loopback(Family::kV4, 0), options);
  server.start();
  std::vector<Fd> idle;
  for (int i = 0; i < 8; ++i) {
    idle.push_back(connected(reach(server), SOCK_STREAM));
  }
  // A client that sends and never reads: its echo backs up, the server
  // stops reading it, and its own sends stall.
  const Fd flood = connected(reach(server), SOCK_STREAM, 4096);
  const std::vector<std::byte> chunk(64 * 1024, std::byte{0xA5});
  for (int i = 0; i < 4096; ++i) {  // bounded: stalls long before 256 MiB
    const ssize_t s = ::send(flood.get(), chunk.data(), chunk.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
    if (s < 0) {
      ASSERT_TRUE(errno == EAGAIN || errno == EWOULDBLOCK) << std::strerror(errno);
      pollfd p{flood.get(), POLLOUT, 0};
      if (::poll(&p, 1, 50) == 0) {
        break;  // no room for a while: stuck
      }
    }
  }
  // Stuck means the server holds unsent echo for this client; never more
  // than one read's worth.
  EXPECT_TRUE(eventually([&] {
    const PlainEchoCounters c = server.counters();
    return c.bytes_received > c.bytes_echoed;
  }));
  const PlainEchoCounters held = server.counters();
  EXPECT_LE(held.bytes_received - held.bytes_echoed, options.tcp_buffer_bytes);
  EXPECT_EQ(held.open_connections, 9U);

  auto stopped = std::async(std::launch::async, [&] { server.stop(); });
  ASSERT_EQ(stopped.wait_for(kGuard), std::future_status::ready) << "stop() hung";
  EXPECT_EQ(server.counters().open_connections, 0U);
  EXPECT_TRUE(closed_by_peer(idle.front().get())) << "stop() closes every connection";
  server.stop();  // idempotent
}

TEST(PlainEchoServerTest, StopWithoutStartAndDestructionWhileRunningAreSafe) {
  {
    PlainEchoServer never_started(loopback(Family::kV4, 0));
    never_started.stop();
  }
  auto done = std::async(std::launch::async, [] {
    PlainEchoServer server(loopback(Family::kV4, 0));
    server.start();
    const Fd idle = connected(reach(server), SOCK_STREAM);
    // The destructor stops the loop.
  });
  EXPECT_EQ(done.wait_for(kGuard), std::future_status::ready);
}

TEST(PlainEchoServerTest, BadOptionsAreConfigErrors) {
  PlainEchoOptions none;
  none.max_connections = 0;
  EXPECT_THROW(PlainEchoServer(loopback(Family::kV4, 0), none), ConfigError);
  PlainEchoOptions no_buffer;
  no_buffer.tcp_buffer_bytes = 0;
  EXPECT_THROW(PlainEchoServer(loopback(Family::kV4, 0), no_buffer), ConfigError);
  EXPECT_THROW(PlainEchoServer(Endpoint{}), ConfigError);
}

TEST(PlainEchoServerTest, PortInUseIsASystemError) {
  PlainEchoServer first(loopback(Family::kV4, 0));
  try {
    const PlainEchoServer second(first.local());
    ADD_FAILURE() << "bound the same port twice";
  } catch (const SystemError& e) {
    EXPECT_EQ(e.error_code(), EADDRINUSE) << e.what();
  }
}

}  // namespace
}  // namespace netbench
