#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>

#include <array>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <future>
#include <limits>
#include <ostream>
#include <random>
#include <span>
#include <string>
#include <string_view>
#include <thread>
#include <type_traits>
#include <vector>

#include <gtest/gtest.h>

#include "allocation_probe.hpp"
#include "netbench/clock.hpp"
#include "netbench/endpoint.hpp"
#include "netbench/error.hpp"
#include "netbench/fd.hpp"
#include "netbench/latency_histogram.hpp"
#include "netbench/model_info.hpp"
#include "netbench/receiver.hpp"
#include "netbench/registration.hpp"
#include "netbench/results.hpp"
#include "netbench/test_spec.hpp"
#include "netbench/wire_header.hpp"
#include "receiver/receiver_state.hpp"
#include "receiver/server_model.hpp"
#include "sys/open_fds.hpp"
#include "sys/socket_ops.hpp"
#include "uring_fallback.hpp"

namespace netbench {

// Parameter values by name in test listings (found by argument lookup).
void PrintTo(ModelKind m, std::ostream* os) { *os << to_string(m); }

namespace {

constexpr std::uint32_t kSize = 64;
/// Upper bound of any wait in these tests (never a timing assertion).
constexpr auto kGuard = std::chrono::seconds(10);

TestSpec make_spec(Proto proto, ModelKind model, std::uint32_t flows) {
  TestSpec s;
  s.proto = proto;
  s.model = model;
  s.mode = Mode::kStream;
  s.flows = flows;
  s.size_bytes = kSize;
  s.bind_address = "127.0.0.1";
  return s;
}

std::vector<std::byte> message(std::uint32_t flow, std::uint64_t seq) {
  std::vector<std::byte> out(kSize, std::byte{0x5A});
  WireHeader h;
  h.flow_id = flow;
  h.seq = seq;
  h.send_ns = now_ns();
  h.intended_ns = h.send_ns;
  h.length = kSize;
  EXPECT_TRUE(encode_header(h, out));
  return out;
}

/// A blocking client socket whose every call gives up after kGuard.
Fd client_socket(int type) {
  Fd fd(::socket(AF_INET, type | SOCK_CLOEXEC, 0));
  EXPECT_TRUE(fd.valid()) << std::strerror(errno);
  const timeval tv{std::chrono::seconds(kGuard).count(), 0};
  ::setsockopt(fd.get(), SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  ::setsockopt(fd.get(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  return fd;
}

Fd tcp_client(const Receiver& rx) {
  Fd fd = client_socket(SOCK_STREAM);
  const Endpoint& to = rx.local();
  EXPECT_EQ(::connect(fd.get(), to.sa(), to.len), 0) << std::strerror(errno);
  return fd;
}

/// A UDP client connected to flow `flow`'s socket and registered with it.
Fd udp_client(Receiver& rx, std::uint32_t flow) {
  Fd fd = client_socket(SOCK_DGRAM);
  Endpoint to = rx.local();
  to.set_port(rx.ports().at(flow));
  EXPECT_EQ(::connect(fd.get(), to.sa(), to.len), 0) << std::strerror(errno);
  rx.register_udp_peer(flow, sys::local_endpoint(fd.get()));
  return fd;
}

void send_bytes(int fd, std::span<const std::byte> bytes) {
  const ssize_t n = ::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
  EXPECT_EQ(n, static_cast<ssize_t>(bytes.size())) << std::strerror(errno);
}

/// Polls `done` until it holds or kGuard passes; returns its last value.
template <typename Pred>
bool wait_until(Pred done) {
  const auto deadline = std::chrono::steady_clock::now() + kGuard;
  while (!done()) {
    if (std::chrono::steady_clock::now() > deadline) {
      return false;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  return true;
}

/// Stops `rx` with a guard: a stop() that hangs fails the test, and since a
/// hung thread cannot be joined, ends the process rather than block it.
void stop_within_guard(Receiver& rx) {
  auto stopped = std::async(std::launch::async, [&rx] { rx.stop(); });
  if (stopped.wait_for(kGuard) != std::future_status::ready) {
    ADD_FAILURE() << "Receiver::stop() did not return within " << kGuard.count() << " s";
    std::fflush(nullptr);
    std::_Exit(EXIT_FAILURE);
  }
}

/// "epoll" → "Epoll", for parameterized test names.
std::string model_name(const ::testing::TestParamInfo<ModelKind>& p) {
  std::string name(to_string(p.param));
  name[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(name[0])));
  return name;
}

RunResult stop_and_collect(Receiver& rx, std::span<const std::uint64_t> sent_by_flow) {
  stop_within_guard(rx);
  RunResult r;
  rx.collect(r, sent_by_flow);
  return r;
}

// ---------------------------------------------------------------------------
// Every server model: a model added to kModels is tested here.

class ServerModelTest : public ::testing::TestWithParam<ModelKind> {};

TEST_P(ServerModelTest, StopReturnsPromptlyWithIdleClientsConnected) {
  for (const Proto proto : {Proto::kTcp, Proto::kUdp}) {
    SCOPED_TRACE(std::string(to_string(proto)));
    constexpr std::uint32_t kClients = 3;
    Receiver rx(make_spec(proto, GetParam(), kClients));
    std::vector<Fd> clients;
    if (proto == Proto::kTcp) {
      rx.start();
      for (std::uint32_t i = 0; i < kClients; ++i) {
        clients.push_back(tcp_client(rx));
      }
    } else {
      for (std::uint32_t i = 0; i < kClients; ++i) {
        clients.push_back(udp_client(rx, i));
      }
      rx.start();
    }
    for (std::uint32_t i = 0; i < kClients; ++i) {
      send_bytes(clients[i].get(), message(i, 0));
    }
    ASSERT_TRUE(wait_until([&] { return rx.live().messages == kClients; }));
    // The clients stay connected and silent while the receiver stops.
    const std::vector<std::uint64_t> sent(kClients, 1);
    const RunResult r = stop_and_collect(rx, sent);
    ASSERT_EQ(r.receiver_flows.size(), kClients);
    for (std::uint32_t i = 0; i < kClients; ++i) {
      const FlowRecvStats& f = r.receiver_flows[i];
      EXPECT_EQ(f.flow_id, i);
      EXPECT_EQ(f.messages, 1U);
      EXPECT_FALSE(f.peer_closed) << "flow " << i
                                  << ": the receiver stopped, the peer did not close";
      EXPECT_FALSE(f.stream_error);
    }
    EXPECT_TRUE(rx.error().empty()) << rx.error();
  }
}

TEST_P(ServerModelTest, PeerThatClosesMidMessageIsRecordedAndOthersAreStillServed) {
  Receiver rx(make_spec(Proto::kTcp, GetParam(), 3));
  rx.start();
  Fd stayer = tcp_client(rx);
  for (std::uint64_t seq = 0; seq < 5; ++seq) {
    send_bytes(stayer.get(), message(2, seq));
  }
  const std::vector<std::byte> m = message(1, 0);
  const auto half = std::span(m).first(kSize / 2);
  {
    // Flow 0 says only half of its first message; flow 1 one message and a half.
    Fd quitter = tcp_client(rx);
    send_bytes(quitter.get(), half);
    Fd quitter_later = tcp_client(rx);
    send_bytes(quitter_later.get(), m);
    const std::vector<std::byte> next = message(1, 1);
    send_bytes(quitter_later.get(), std::span(next).first(kSize / 2));
  }  // both close here
  ASSERT_TRUE(wait_until([&] { return rx.live().finished_flows == 2; }));
  for (std::uint64_t seq = 5; seq < 10; ++seq) {
    send_bytes(stayer.get(), message(2, seq));
  }
  ASSERT_TRUE(wait_until([&] { return rx.live().messages == 11; }));
  const std::vector<std::uint64_t> sent{0, 1, 10};
  const RunResult r = stop_and_collect(rx, sent);
  ASSERT_EQ(r.receiver_flows.size(), 3U) << "the flow that never finished a message is recorded";
  const FlowRecvStats& truncated = r.receiver_flows[0];
  EXPECT_EQ(truncated.messages, 0U);
  EXPECT_TRUE(truncated.peer_closed);
  EXPECT_EQ(truncated.malformed, 1U) << "the truncated message";
  const FlowRecvStats& closed = r.receiver_flows[1];
  EXPECT_EQ(closed.flow_id, 1U);
  EXPECT_EQ(closed.messages, 1U);
  EXPECT_TRUE(closed.peer_closed);
  EXPECT_EQ(closed.malformed, 1U);
  const FlowRecvStats& served = r.receiver_flows[2];
  EXPECT_EQ(served.flow_id, 2U);
  EXPECT_EQ(served.messages, 10U);
  EXPECT_EQ(served.unique, 10U);
  EXPECT_EQ(served.loss.lost, 0U);
  EXPECT_FALSE(served.peer_closed);
}

TEST_P(ServerModelTest, GarbageOnATcpConnectionFailsOnlyThatFlow) {
  Receiver rx(make_spec(Proto::kTcp, GetParam(), 2));
  rx.start();
  Fd good = tcp_client(rx);
  send_bytes(good.get(), message(7, 0));
  ASSERT_TRUE(wait_until([&] { return rx.live().messages == 1; }));

  std::mt19937 rng(12345);
  std::vector<std::byte> garbage(200);
  for (std::byte& b : garbage) {
    b = static_cast<std::byte>(rng() & 0xFFU);
  }
  garbage[0] = std::byte{0xFF};  // never the magic
  Fd bad = tcp_client(rx);
  send_bytes(bad.get(), garbage);
  // The receiver drops the connection: the client reads EOF or a reset.
  std::array<std::byte, 16> buf{};
  const ssize_t n = ::recv(bad.get(), buf.data(), buf.size(), 0);
  EXPECT_TRUE(n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK))
      << "recv returned " << n << ": " << std::strerror(errno);

  send_bytes(good.get(), message(7, 1));
  ASSERT_TRUE(wait_until([&] { return rx.live().messages == 2; }));
  std::vector<std::uint64_t> sent(8, 0);
  sent[7] = 2;
  const RunResult r = stop_and_collect(rx, sent);
  ASSERT_EQ(r.receiver_flows.size(), 2U);
  const FlowRecvStats& failed = r.receiver_flows[0];  // flow id unknown: 0
  EXPECT_TRUE(failed.stream_error);
  EXPECT_EQ(failed.malformed, 1U);
  EXPECT_EQ(failed.messages, 0U);
  const FlowRecvStats& fine = r.receiver_flows[1];
  EXPECT_EQ(fine.flow_id, 7U);
  EXPECT_EQ(fine.messages, 2U);
  EXPECT_EQ(fine.malformed, 0U);
  EXPECT_FALSE(fine.stream_error);
  EXPECT_EQ(fine.loss.lost, 0U);
}

// Issue 16 item 2: an allocation failure while measuring (here every
// histogram row, injected) used to end the process with SIGABRT from a
// noexcept path. Now the test ends failed with an error, and the server
// goes on serving (a later test on the same process works).
TEST_P(ServerModelTest, AllocationFailureWhileMeasuringFailsTheTestNotTheProcess) {
  {
    Receiver rx(make_spec(Proto::kTcp, GetParam(), 1));
    rx.start();
    Fd c = tcp_client(rx);
    {
      const test::FailAllocationsOf fail(LatencyHistogram::kRowBytes);
      send_bytes(c.get(), message(3, 0));
      EXPECT_TRUE(wait_until([&] { return !rx.error().empty(); }));
    }
    EXPECT_NE(rx.error().find("out of memory"), std::string::npos) << rx.error();
    // The connection that could not be measured is closed.
    std::array<std::byte, 16> buf{};
    const ssize_t n = ::recv(c.get(), buf.data(), buf.size(), 0);
    EXPECT_TRUE(n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK))
        << "recv returned " << n << ": " << std::strerror(errno);
    stop_within_guard(rx);
  }
  Receiver next(make_spec(Proto::kTcp, GetParam(), 1));
  next.start();
  Fd c = tcp_client(next);
  send_bytes(c.get(), message(0, 0));
  EXPECT_TRUE(wait_until([&] { return next.live().messages == 1; }));
  EXPECT_TRUE(next.error().empty()) << next.error();
  stop_within_guard(next);
}

TEST_P(ServerModelTest, GarbageDatagramIsCountedMalformed) {
  Receiver rx(make_spec(Proto::kUdp, GetParam(), 2));
  Fd a = udp_client(rx, 0);
  Fd b = udp_client(rx, 1);
  rx.start();
  // An empty datagram, one of garbage and one whose length field lies.
  send_bytes(a.get(), {});
  const std::vector<std::byte> garbage(100, std::byte{0xEE});
  send_bytes(a.get(), garbage);
  std::vector<std::byte> wrong_length = message(0, 0);
  wrong_length.resize(kSize - 1);  // header says 64 bytes, datagram has 63
  send_bytes(a.get(), wrong_length);
  send_bytes(a.get(), message(0, 0));
  send_bytes(b.get(), message(1, 0));
  send_bytes(b.get(), message(1, 1));
  // Datagrams of one socket pair arrive in order: once the valid ones are
  // counted, the bad ones before them have been seen.
  ASSERT_TRUE(wait_until([&] { return rx.live().messages == 3; }));
  const std::vector<std::uint64_t> sent{1, 2};
  const RunResult r = stop_and_collect(rx, sent);
  ASSERT_EQ(r.receiver_flows.size(), 2U);
  EXPECT_EQ(r.receiver_flows[0].malformed, 3U);
  EXPECT_EQ(r.receiver_flows[0].messages, 1U);
  EXPECT_EQ(r.receiver_flows[0].loss.lost, 0U);
  EXPECT_EQ(r.receiver_flows[1].malformed, 0U);
  EXPECT_EQ(r.receiver_flows[1].messages, 2U);
}

TEST_P(ServerModelTest, DatagramsFromAnUnregisteredPeerAreNeitherCountedNorEchoed) {
  TestSpec spec = make_spec(Proto::kUdp, GetParam(), 1);
  spec.mode = Mode::kEcho;
  Receiver rx(spec);
  Endpoint to = rx.local();
  to.set_port(rx.ports().at(0));
  Fd stranger = client_socket(SOCK_DGRAM);
  Fd client = client_socket(SOCK_DGRAM);
  for (Fd* fd : {&stranger, &client}) {
    ASSERT_EQ(::connect(fd->get(), to.sa(), to.len), 0) << std::strerror(errno);
  }
  // Valid-looking messages from a stranger queue up before and after the
  // client's registration (those after it are still in the queue when the
  // flow's socket connects); then, once it is connected, more of them.
  const RegistrationToken token = random_token();
  for (std::uint64_t seq = 0; seq < 20; ++seq) {
    if (seq == 10) {
      send_bytes(client.get(), registration_datagram(token));
    }
    send_bytes(stranger.get(), message(0, seq));
  }
  ASSERT_EQ(rx.register_udp_by_token(token, 10'000), 1U);
  EXPECT_EQ(rx.unregistered_datagrams(), 20U);
  rx.start();
  for (std::uint64_t seq = 100; seq < 120; ++seq) {
    // The kernel drops these (the flow's socket is connected to the client)
    // and may answer ICMP port unreachable: a refused send is fine.
    ::send(stranger.get(), message(0, seq).data(), kSize, MSG_NOSIGNAL);
  }
  for (std::uint64_t seq = 0; seq < 10; ++seq) {
    send_bytes(client.get(), message(0, seq));
  }
  std::array<std::byte, 2 * kSize> buf{};
  for (int i = 0; i < 10; ++i) {
    ASSERT_EQ(::recv(client.get(), buf.data(), buf.size(), 0), static_cast<ssize_t>(kSize)) << i;
  }
  // Anything echoed to the stranger would have been sent before the
  // client's echoes, all of which are in: a look without waiting suffices.
  const ssize_t echoed = ::recv(stranger.get(), buf.data(), buf.size(), MSG_DONTWAIT);
  EXPECT_TRUE(echoed < 0 && (errno == EAGAIN || errno == ECONNREFUSED)) << echoed;
  const std::vector<std::uint64_t> sent{10};
  const RunResult r = stop_and_collect(rx, sent);
  ASSERT_EQ(r.receiver_flows.size(), 1U);
  EXPECT_EQ(r.receiver_flows[0].messages, 10U);
  EXPECT_EQ(r.receiver_flows[0].duplicates, 0U);
  EXPECT_EQ(r.receiver_flows[0].malformed, 0U);
  EXPECT_EQ(r.receiver_flows[0].loss.lost, 0U);
}

TEST_P(ServerModelTest, ConnectModeUdpAnswersOnlyTheClientsHost) {
  // Remote connect mode: a fresh socket per transaction cannot register, so
  // the answering socket serves the control client's address alone; a
  // stranger's request (127.0.0.2, a valid message) is neither counted nor
  // answered, so nothing is reflected to a third party.
  TestSpec spec = make_spec(Proto::kUdp, GetParam(), 1);
  spec.mode = Mode::kConnect;
  Receiver rx(spec);
  rx.restrict_peers(loopback(Family::kV4, 0));
  rx.start();
  const Endpoint& to = rx.local();
  Fd stranger = client_socket(SOCK_DGRAM);
  sockaddr_in other{};
  other.sin_family = AF_INET;
  other.sin_addr.s_addr = htonl(0x7F000002);
  ASSERT_EQ(::bind(stranger.get(), reinterpret_cast<sockaddr*>(&other), sizeof other), 0)  // NOLINT
      << std::strerror(errno);
  ASSERT_EQ(::connect(stranger.get(), to.sa(), to.len), 0) << std::strerror(errno);
  send_bytes(stranger.get(), message(0, 0));
  ASSERT_TRUE(wait_until([&] { return rx.refused_udp_datagrams() == 1; }));
  Fd client = client_socket(SOCK_DGRAM);
  ASSERT_EQ(::connect(client.get(), to.sa(), to.len), 0) << std::strerror(errno);
  for (std::uint64_t seq = 0; seq < 3; ++seq) {
    send_bytes(client.get(), message(0, seq));
    std::array<std::byte, 2 * kSize> buf{};
    ASSERT_EQ(::recv(client.get(), buf.data(), buf.size(), 0), static_cast<ssize_t>(kSize)) << seq;
  }
  std::array<std::byte, 2 * kSize> buf{};
  const ssize_t echoed = ::recv(stranger.get(), buf.data(), buf.size(), MSG_DONTWAIT);
  EXPECT_TRUE(echoed < 0 && errno == EAGAIN) << echoed;
  EXPECT_EQ(rx.refused_udp_datagrams(), 1U);
  const std::vector<std::uint64_t> sent{3};
  const RunResult r = stop_and_collect(rx, sent);
  std::uint64_t messages = 0;
  for (const auto& f : r.receiver_flows) {
    messages += f.messages;
    EXPECT_EQ(f.malformed, 0U);
  }
  EXPECT_EQ(messages, 3U);
}

TEST_P(ServerModelTest, TcpDataConnectionsFromAnotherHostOrBeyondTheFlowsAreRefused) {
  Receiver rx(make_spec(Proto::kTcp, GetParam(), 2));
  Endpoint client_host = loopback(Family::kV4, 0);
  rx.restrict_peers(client_host);  // the control client is on 127.0.0.1
  rx.start();
  // A stranger on another address (127.0.0.2 is loopback too).
  Fd stranger = client_socket(SOCK_STREAM);
  sockaddr_in other{};
  other.sin_family = AF_INET;
  other.sin_addr.s_addr = htonl(0x7F000002);
  ASSERT_EQ(::bind(stranger.get(), reinterpret_cast<sockaddr*>(&other), sizeof other), 0)  // NOLINT
      << std::strerror(errno);
  const Endpoint& to = rx.local();
  ASSERT_EQ(::connect(stranger.get(), to.sa(), to.len), 0) << std::strerror(errno);
  Fd a = tcp_client(rx);
  Fd b = tcp_client(rx);
  for (std::uint64_t seq = 0; seq < 5; ++seq) {
    send_bytes(a.get(), message(0, seq));
    send_bytes(b.get(), message(1, seq));
  }
  ASSERT_TRUE(wait_until([&] { return rx.live().messages == 10; }));
  Fd third = tcp_client(rx);  // one more than the test's flows, from the right host
  std::array<std::byte, 16> buf{};
  for (Fd* fd : {&stranger, &third}) {
    // Closed by the server at accept: EOF, or a reset if it raced our data.
    const ssize_t n = ::recv(fd->get(), buf.data(), buf.size(), 0);
    EXPECT_TRUE(n == 0 || (n < 0 && errno == ECONNRESET)) << n << " " << std::strerror(errno);
  }
  EXPECT_EQ(rx.refused_tcp_connections(), 2U);
  a.reset();
  b.reset();
  ASSERT_TRUE(wait_until([&] { return rx.live().finished_flows == 2; }));
  const std::vector<std::uint64_t> sent{5, 5};
  const RunResult r = stop_and_collect(rx, sent);
  ASSERT_EQ(r.receiver_flows.size(), 2U);
  for (const auto& f : r.receiver_flows) {
    EXPECT_EQ(f.messages, 5U);
    EXPECT_EQ(f.loss.lost, 0U);
    EXPECT_EQ(f.malformed, 0U);
  }
}

INSTANTIATE_TEST_SUITE_P(AllModels, ServerModelTest, ::testing::ValuesIn(kModelKinds), model_name);

// ---------------------------------------------------------------------------
// The factory builds exactly the listed models.

TEST(ModelFactoryTest, BuildsEveryListedModelAndNothingElse) {
  // Every value of the enum's underlying type: the factory's switch has no
  // default, so a value it builds is an enumerator, which must be listed.
  TestSpec spec = make_spec(Proto::kTcp, ModelKind::kEpoll, 1);
  receiver::ReceiverState state(spec);
  for (unsigned v = 0; v <= std::numeric_limits<std::underlying_type_t<ModelKind>>::max(); ++v) {
    const auto kind = static_cast<ModelKind>(v);
    const bool listed = find_model(kind) != nullptr;
    EXPECT_EQ(receiver::make_server_model(kind, state) != nullptr, listed) << v;
  }
}

// ---------------------------------------------------------------------------
// Many connections: the multiplexing models beyond FD_SETSIZE.

class ManyConnectionsTest : public ::testing::TestWithParam<ModelKind> {};

/// A thousand TCP connections at once to `model`, one message each, then
/// every client closes: each flow counted exactly.
void serve_a_thousand_connections(ModelKind model) {
  constexpr std::uint32_t kConnections = 1000;
  rlimit lim{};
  ASSERT_EQ(::getrlimit(RLIMIT_NOFILE, &lim), 0);
  if (lim.rlim_max < 2100) {
    GTEST_SKIP() << "RLIMIT_NOFILE hard limit " << lim.rlim_max << " < 2100";
  }
  lim.rlim_cur = lim.rlim_max;
  ASSERT_EQ(::setrlimit(RLIMIT_NOFILE, &lim), 0);

  Receiver rx(make_spec(Proto::kTcp, model, kConnections));
  rx.start();
  std::vector<Fd> clients;
  clients.reserve(kConnections);
  for (std::uint32_t i = 0; i < kConnections; ++i) {
    clients.push_back(tcp_client(rx));
    ASSERT_TRUE(clients.back().valid());
  }
  for (std::uint32_t i = 0; i < kConnections; ++i) {
    send_bytes(clients[i].get(), message(i, 0));
  }
  clients.clear();  // every client closes
  ASSERT_TRUE(wait_until([&] { return rx.live().finished_flows == kConnections; }))
      << rx.live().finished_flows << " of " << kConnections << " connections finished";
  const std::vector<std::uint64_t> sent(kConnections, 1);
  const RunResult r = stop_and_collect(rx, sent);
  ASSERT_EQ(r.receiver_flows.size(), kConnections);
  for (std::uint32_t i = 0; i < kConnections; ++i) {
    const FlowRecvStats& f = r.receiver_flows[i];
    ASSERT_EQ(f.flow_id, i);
    ASSERT_EQ(f.messages, 1U) << "flow " << i;
    ASSERT_EQ(f.loss.lost, 0U) << "flow " << i;
    ASSERT_TRUE(f.peer_closed) << "flow " << i;
  }
  EXPECT_TRUE(rx.error().empty()) << rx.error();
}

TEST_P(ManyConnectionsTest, ServesAThousandConcurrentConnections) {
  serve_a_thousand_connections(GetParam());
}

TEST(UringFallbackModelTest, ServesAThousandConcurrentConnectionsOneAcceptAtATime) {
  // The single-shot path: one accept and one receive per socket at a time.
  const test::ScopedUringFallback fallback;
  serve_a_thousand_connections(ModelKind::kUring);
}

/// The event-loop models that are not bound by FD_SETSIZE (every one but
/// select, whose refusal is tested below): readiness and completion alike.
std::vector<ModelKind> unbounded_multiplexers() {
  std::vector<ModelKind> out;
  for (const ModelInfo& m : kModels) {
    if (m.family != ModelFamily::kThreadPerConnection && m.kind != ModelKind::kSelect) {
      out.push_back(m.kind);
    }
  }
  return out;
}

INSTANTIATE_TEST_SUITE_P(Multiplexers, ManyConnectionsTest,
                         ::testing::ValuesIn(unbounded_multiplexers()), model_name);

// ---------------------------------------------------------------------------
// select() and FD_SETSIZE.

void expect_select_refusal(const ConfigError& e) {
  const std::string_view text = e.what();
  EXPECT_NE(text.find("FD_SETSIZE"), std::string_view::npos) << text;
  EXPECT_NE(text.find("--model poll"), std::string_view::npos) << text;
  EXPECT_NE(text.find("--model epoll"), std::string_view::npos) << text;
}

TEST(SelectModelTest, RefusesUdpFlowsBeyondFdSetsizeWhenConstructed) {
  sys::raise_fd_limit();
  const std::size_t before = sys::open_fd_count();
  try {
    const Receiver rx(make_spec(Proto::kUdp, ModelKind::kSelect, 2000));
    FAIL() << "a select receiver for 2000 UDP flows was built";
  } catch (const ConfigError& e) {
    expect_select_refusal(e);
  }
  EXPECT_EQ(sys::open_fd_count(), before) << "refused before opening sockets";
}

TEST(SelectModelTest, RefusesTcpFlowsBeyondFdSetsizeWhenStarted) {
  Receiver rx(make_spec(Proto::kTcp, ModelKind::kSelect, 2000));
  try {
    rx.start();
    FAIL() << "a select receiver for 2000 TCP flows started";
  } catch (const ConfigError& e) {
    expect_select_refusal(e);
  }
  stop_within_guard(rx);
}

TEST(SelectModelTest, AcceptsAFewFlows) {
  for (const Proto proto : {Proto::kTcp, Proto::kUdp}) {
    Receiver rx(make_spec(proto, ModelKind::kSelect, 16));
    EXPECT_NO_THROW(rx.start());
    stop_within_guard(rx);
  }
}

}  // namespace
}  // namespace netbench
