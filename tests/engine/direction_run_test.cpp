// --reverse and --bidir in paired runs: the client still opens every data
// connection, the server sends over them (reverse), or both directions run
// at once on connections of their own (bidir). Exact counts on both sides,
// over every protocol × receiver model × mode.
#include <poll.h>
#include <sys/socket.h>

#include <cctype>
#include <ostream>
#include <set>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

#include <gtest/gtest.h>

#include "exact_counts.hpp"
#include "netbench/endpoint.hpp"
#include "netbench/error.hpp"
#include "netbench/fd.hpp"
#include "netbench/paired_run.hpp"
#include "netbench/results.hpp"
#include "netbench/test_spec.hpp"
#include "run/reverse_sockets.hpp"
#include "sys/socket_ops.hpp"

namespace netbench {

namespace {

using test_support::expect_exact;
using test_support::make_spec;
using test_support::run;

using DirectionParams = std::tuple<Proto, ModelKind, Mode>;

class DirectionRunTest : public ::testing::TestWithParam<DirectionParams> {
 protected:
  [[nodiscard]] TestSpec spec(Direction d) const {
    const auto [proto, model, mode] = GetParam();
    TestSpec s = make_spec(proto, model, mode);
    s.direction = d;
    return s;
  }
};

TEST_P(DirectionRunTest, ReverseMovesExactlyKMessagesFromServerToClient) {
  const TestSpec s = spec(Direction::kReverse);
  const RunResult r = run(s);
  expect_exact(r, s);
  EXPECT_EQ(r.spec.direction, Direction::kReverse);
  EXPECT_TRUE(r.reverse.empty());
  // --model is the receiving engine's: the client's, under --reverse.
  EXPECT_EQ(r.receiver.uring.has_value(), s.model == ModelKind::kUring);
}

TEST_P(DirectionRunTest, BidirMovesExactlyKMessagesEachWay) {
  const TestSpec s = spec(Direction::kBidir);
  const RunResult r = run(s);
  EXPECT_EQ(r.spec.direction, Direction::kBidir);
  TestSpec forward = s;
  forward.direction = Direction::kForward;
  expect_exact(r, forward);
  ASSERT_EQ(r.reverse.size(), 1U);
  const RunResult& back = r.reverse.front();
  EXPECT_EQ(back.spec.direction, Direction::kReverse);
  EXPECT_TRUE(back.reverse.empty());
  TestSpec reverse = s;
  reverse.direction = Direction::kReverse;
  expect_exact(back, reverse);
}

std::string title_case(std::string_view name) {
  std::string out(name);
  if (!out.empty()) {
    out[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(out[0])));
  }
  return out;
}

INSTANTIATE_TEST_SUITE_P(AllModels, DirectionRunTest,
                         ::testing::Combine(::testing::Values(Proto::kTcp, Proto::kUdp),
                                            ::testing::ValuesIn(kModelKinds),
                                            ::testing::Values(Mode::kStream, Mode::kEcho)),
                         [](const ::testing::TestParamInfo<DirectionParams>& p) {
                           return title_case(to_string(std::get<0>(p.param))) + "_" +
                                  title_case(to_string(std::get<1>(p.param))) + "_" +
                                  title_case(to_string(std::get<2>(p.param)));
                         });

/// The address at the other end of connected socket `fd`.
std::string peer_of(int fd) {
  Endpoint ep;
  ep.len = sizeof ep.addr;
  EXPECT_EQ(::getpeername(fd, reinterpret_cast<sockaddr*>(&ep.addr), &ep.len), 0);  // NOLINT
  return ep.to_string();
}

class ReverseSocketsTest : public ::testing::TestWithParam<Proto> {};

// The rule of --reverse: the client opens every data connection, and the
// server sends over what it accepted (TCP) or over its flow sockets
// connected back to the client's (UDP) — never a connection of its own.
TEST_P(ReverseSocketsTest, TheClientOpensEveryConnectionAndTheServerSendsOnIt) {
  TestSpec spec;
  spec.proto = GetParam();
  spec.flows = 3;
  spec.bind_address = "127.0.0.1";
  spec.direction = Direction::kReverse;
  run::ReverseServerSockets server(spec);
  const std::vector<Endpoint> targets = server.targets();
  ASSERT_EQ(targets.size(), spec.proto == Proto::kTcp ? 1U : 3U);
  const std::vector<Fd> client = run::open_client_flows(spec, targets);
  const std::vector<Endpoint> client_at = run::local_endpoints(client);
  const std::vector<Fd> served = server.take(client_at, 5'000);
  ASSERT_EQ(served.size(), 3U);
  std::set<std::string> clients;
  for (std::size_t i = 0; i < 3; ++i) {
    // Each client socket is connected to a server port it was given.
    EXPECT_EQ(peer_of(client[i].get()), targets[spec.proto == Proto::kTcp ? 0 : i].to_string());
    clients.insert(client_at[i].to_string());
  }
  std::set<std::string> peers;
  for (std::size_t i = 0; i < 3; ++i) {
    // The server's sockets sit on the ports the client connected to, and
    // their peers are the client's sockets, one each.
    EXPECT_EQ(sys::local_endpoint(served[i].get()).to_string(),
              targets[spec.proto == Proto::kTcp ? 0 : i].to_string());
    peers.insert(peer_of(served[i].get()));
  }
  EXPECT_EQ(peers, clients);
  if (spec.proto == Proto::kUdp) {
    // Flow i's server socket sends to flow i's client socket.
    for (std::size_t i = 0; i < 3; ++i) {
      const char byte = static_cast<char>('a' + i);
      ASSERT_EQ(::send(served[i].get(), &byte, 1, 0), 1);
      char got = 0;
      pollfd p{client[i].get(), POLLIN, 0};
      ASSERT_EQ(::poll(&p, 1, 5'000), 1);
      ASSERT_EQ(::recv(client[i].get(), &got, 1, 0), 1);
      EXPECT_EQ(got, byte) << "flow " << i;
    }
  }
}

INSTANTIATE_TEST_SUITE_P(BothProtocols, ReverseSocketsTest,
                         ::testing::Values(Proto::kTcp, Proto::kUdp),
                         [](const ::testing::TestParamInfo<Proto>& p) {
                           return title_case(to_string(p.param));
                         });

TEST(DirectionSpecTest, ReverseRefusesConnectModeByName) {
  TestSpec s;
  s.mode = Mode::kConnect;
  s.direction = Direction::kReverse;
  try {
    validate(s);
    FAIL() << "validate() accepted --reverse --mode connect";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("--reverse"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("--mode connect"), std::string::npos) << e.what();
  }
}

TEST(DirectionSpecTest, DirectionNamesRoundTrip) {
  for (const Direction d : {Direction::kForward, Direction::kReverse, Direction::kBidir}) {
    Direction back = Direction::kForward;
    ASSERT_TRUE(parse(to_string(d), back)) << to_string(d);
    EXPECT_EQ(back, d);
  }
  Direction unused = Direction::kForward;
  EXPECT_FALSE(parse("backward", unused));
}

}  // namespace
}  // namespace netbench
