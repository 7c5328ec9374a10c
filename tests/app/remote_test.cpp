// Remote runs: a `netbench serve` process and client processes over
// loopback, and a control-protocol test that feeds a live server malformed,
// oversized, truncated and wrong-version messages before a good test.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "app/serve/serve.hpp"
#include "app/serve/serve_admission.hpp"
#include "netbench/model_info.hpp"
#include "serve_process.hpp"
#include "uring_fallback.hpp"

namespace {

/// A free TCP port on 127.0.0.1 nobody listens on (for "no server" tests).
int free_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);  // NOLINT
  socklen_t len = sizeof a;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);  // NOLINT
  ::close(fd);
  return ntohs(a.sin_port);
}

using netbench::test::Outcome;
using netbench::test::run_client;
using netbench::test::Server;

/// The sum of `key` over the run's intervals.
std::uint64_t interval_sum(const nlohmann::json& run, const char* key) {
  std::uint64_t sum = 0;
  for (const auto& i : run["intervals"]) {
    sum += i[key].get<std::uint64_t>();
  }
  return sum;
}

class RemoteRunTest
    : public ::testing::TestWithParam<std::tuple<const char*, std::string, const char*>> {};

/// Every model's name (kModels): a new model is run remotely too.
std::vector<std::string> model_names_listed() {
  std::vector<std::string> out;
  for (const netbench::ModelInfo& m : netbench::kModels) {
    out.emplace_back(m.name);
  }
  return out;
}

TEST_P(RemoteRunTest, MovesExactlyKMessagesBetweenProcesses) {
  const auto [proto, model, mode] = GetParam();
  const Server server;
  ASSERT_TRUE(server.listening());
  const int port = server.port();
  const Outcome o = run_client(std::string("--connect 127.0.0.1:") + std::to_string(port) +
                               " --proto " + proto + " --model " + model + " --mode " + mode +
                               " --flows 3 --count 3000 --rate 20k --buffer 4MiB --json");
  ASSERT_EQ(o.code, 0) << o.out;
  const auto doc = nlohmann::json::parse(o.out);
  const auto& run = doc["run"];
  EXPECT_TRUE(run["complete"].get<bool>());
  EXPECT_EQ(run["sender"]["messages"], 3000);
  EXPECT_EQ(run["receiver"]["messages"], 3000);
  EXPECT_EQ(run["receiver"]["loss"]["lost"], 0);
  EXPECT_EQ(run["receiver"]["reordered"], 0);
  EXPECT_EQ(run["receiver"]["duplicates"], 0);
  EXPECT_EQ(run["receiver"]["flows"].size(), 3U);
  EXPECT_EQ(interval_sum(run, "received_messages"), 3000U);
  EXPECT_TRUE(server.alive());
}

// Issue 14: against one server on this host, every point of a sweep (each a
// fresh control connection) reports the shared clock; the old comparison of
// a reading taken before the server's read loop flipped at random.
TEST(RemoteRunTest2, EveryRunAgainstAServerOnThisHostReportsTheSharedClock) {
  const Server server;
  ASSERT_TRUE(server.listening());
  const Outcome o = run_client("sweep --connect 127.0.0.1:" + std::to_string(server.port()) +
                               " --proto tcp,udp --model thread,select,poll,epoll --flows 1,2"
                               " --count 200 --json");
  ASSERT_EQ(o.code, 0) << o.out;
  const auto doc = nlohmann::json::parse(o.out);
  ASSERT_EQ(doc["runs"].size(), 16U);
  for (const auto& point : doc["runs"]) {
    EXPECT_EQ(point["run"]["latency"]["clock"], "shared CLOCK_MONOTONIC (same host)")
        << point["point"].dump();
  }
}

TEST(RemoteRunTest2, LastIntervalTakesInWhatArrivesAfterTheLastSend) {
  // Unpaced TCP: the sender is done while megabytes still sit in socket
  // buffers; the intervals must still add up to what the server received.
  const Server server;
  ASSERT_TRUE(server.listening());
  const Outcome o = run_client("--connect 127.0.0.1:" + std::to_string(server.port()) +
                               " --proto tcp --flows 2 --count 2000 --size 128KiB --json");
  ASSERT_EQ(o.code, 0) << o.out;
  const auto doc = nlohmann::json::parse(o.out);
  const auto& run = doc["run"];
  EXPECT_EQ(run["receiver"]["messages"], 2000);
  EXPECT_EQ(interval_sum(run, "received_messages"), 2000U);
  EXPECT_EQ(interval_sum(run, "received_bytes"), 2000U * 128U * 1024U);
}

INSTANTIATE_TEST_SUITE_P(ProtoModelMode, RemoteRunTest,
                         ::testing::Combine(::testing::Values("tcp", "udp"),
                                            ::testing::ValuesIn(model_names_listed()),
                                            ::testing::Values("stream", "echo")),
                         [](const ::testing::TestParamInfo<RemoteRunTest::ParamType>& p) {
                           return std::string(std::get<0>(p.param)) + "_" + std::get<1>(p.param) +
                                  "_" + std::get<2>(p.param);
                         });

class RemoteConnectTest : public ::testing::TestWithParam<std::tuple<const char*, std::string>> {};

// Connect mode against netbench serve: every transaction's fresh connection
// (TCP) or fresh socket (UDP) is served once, in every model, and the
// server's side (accepts, threads, listen queue, CPU) comes back.
TEST_P(RemoteConnectTest, EveryTransactionIsServedExactlyOnce) {
  const auto [proto, model] = GetParam();
  const Server server;
  ASSERT_TRUE(server.listening());
  const Outcome o = run_client("--connect 127.0.0.1:" + std::to_string(server.port()) +
                               " --mode connect --proto " + proto + " --model " + model +
                               " --flows 3 --outstanding 2 --count 300 --json");
  ASSERT_EQ(o.code, 0) << o.out;
  const auto run = nlohmann::json::parse(o.out)["run"];
  EXPECT_TRUE(run["complete"].get<bool>());
  const auto& c = run["connect"];
  EXPECT_EQ(c["transactions"], 300);
  EXPECT_EQ(c["connect_failures"], 0);
  EXPECT_EQ(c["transaction_failures"], 0);
  EXPECT_EQ(c["reply_timeouts"], 0);
  EXPECT_EQ(run["receiver"]["messages"], 300);
  EXPECT_EQ(run["receiver"]["malformed"], 0);
  EXPECT_GT(c["server_cpu_per_transaction_ns"].get<double>(), 0.0);
  if (std::string(proto) == "tcp") {
    EXPECT_EQ(c["server_accepts"], 300);
    EXPECT_EQ(c["kernel"]["scope"], "per_side");
    if (model == "thread") {
      EXPECT_EQ(c["server_threads_started"], 300);
    }
  } else {
    EXPECT_TRUE(c["server_accepts"].is_null());
    EXPECT_TRUE(c["kernel"].is_null());
  }
  EXPECT_TRUE(server.alive());
}

INSTANTIATE_TEST_SUITE_P(ProtoModel, RemoteConnectTest,
                         ::testing::Combine(::testing::Values("tcp", "udp"),
                                            ::testing::ValuesIn(model_names_listed())),
                         [](const ::testing::TestParamInfo<RemoteConnectTest::ParamType>& p) {
                           return std::string(std::get<0>(p.param)) + "_" + std::get<1>(p.param);
                         });

/// One direction's run object of an exact test: every one of `k` messages
/// sent once, received once, in order; echo: every reply back.
void expect_exact_run(const nlohmann::json& run, const std::string& mode, std::uint64_t k,
                      const char* what) {
  SCOPED_TRACE(what);
  EXPECT_TRUE(run["complete"].get<bool>()) << run["error"];
  EXPECT_EQ(run["sender"]["messages"], k);
  EXPECT_EQ(run["receiver"]["messages"], k);
  EXPECT_EQ(run["receiver"]["loss"]["lost"], 0);
  EXPECT_EQ(run["receiver"]["reordered"], 0);
  EXPECT_EQ(run["receiver"]["duplicates"], 0);
  EXPECT_EQ(run["receiver"]["flows"].size(), 3U);
  EXPECT_EQ(run["sender"]["flows"].size(), 3U);
  EXPECT_EQ(run["peer"]["kind"], "netbench_serve");
  if (mode == "echo") {
    std::uint64_t replies = 0;
    for (const auto& f : run["sender"]["flows"]) {
      replies += f["replies"].get<std::uint64_t>();
    }
    EXPECT_EQ(replies, k);
    EXPECT_EQ(run["latency"]["from_intended_send"]["count"], k);
  } else {
    EXPECT_EQ(interval_sum(run, "received_messages"), k);
  }
  EXPECT_EQ(interval_sum(run, "sent_messages"), k);
}

class RemoteDirectionTest
    : public ::testing::TestWithParam<std::tuple<const char*, std::string, const char*>> {
 protected:
  /// The run object of an exact test (3 flows, 3,000 messages) in the
  /// parameters' protocol, model and mode against `server`, with `direction`
  /// (--reverse or --bidir); null (and a failure) if the client failed.
  nlohmann::json run_direction(const Server& server, const char* direction) const {
    const auto [proto, model, mode] = GetParam();
    const Outcome o =
        run_client("--connect 127.0.0.1:" + std::to_string(server.port()) + " " + direction +
                   " --proto " + proto + " --model " + model + " --mode " + mode +
                   " --flows 3 --count 3000 --rate 20k --buffer 4MiB --json");
    EXPECT_EQ(o.code, 0) << o.out;
    return o.code == 0 ? nlohmann::json::parse(o.out)["run"] : nlohmann::json();
  }
};

// --reverse against netbench serve: the client opens every data connection
// (registers every UDP flow), the server's sender sends over them, and the
// client's receiver (the model asked for) takes them; the server's sender
// part and the intervals come back over the control connection.
TEST_P(RemoteDirectionTest, ReverseMovesExactlyKMessagesFromTheServer) {
  const std::string mode = std::get<2>(GetParam());
  const Server server;
  ASSERT_TRUE(server.listening());
  const nlohmann::json run = run_direction(server, "--reverse");
  ASSERT_FALSE(run.is_null());
  expect_exact_run(run, mode, 3000, "reverse");
  EXPECT_EQ(run["config"]["direction"], "reverse");
  EXPECT_TRUE(run["reverse"].is_null());
  EXPECT_TRUE(server.alive());
}

// --bidir against netbench serve (one test at a time): the reverse half runs
// beside the forward half in its slot, each direction exact on its own.
TEST_P(RemoteDirectionTest, BidirMovesExactlyKMessagesEachWay) {
  const std::string mode = std::get<2>(GetParam());
  const Server server;
  ASSERT_TRUE(server.listening());
  const nlohmann::json run = run_direction(server, "--bidir");
  ASSERT_FALSE(run.is_null());
  expect_exact_run(run, mode, 3000, "forward");
  EXPECT_EQ(run["config"]["direction"], "bidir");
  ASSERT_TRUE(run["reverse"].is_object());
  expect_exact_run(run["reverse"], mode, 3000, "reverse");
  EXPECT_EQ(run["reverse"]["config"]["direction"], "reverse");
  EXPECT_TRUE(server.alive());
}

INSTANTIATE_TEST_SUITE_P(ProtoModelMode, RemoteDirectionTest,
                         ::testing::Combine(::testing::Values("tcp", "udp"),
                                            ::testing::ValuesIn(model_names_listed()),
                                            ::testing::Values("stream", "echo")),
                         [](const ::testing::TestParamInfo<RemoteDirectionTest::ParamType>& p) {
                           return std::string(std::get<0>(p.param)) + "_" + std::get<1>(p.param) +
                                  "_" + std::get<2>(p.param);
                         });

/// Opens a raw control connection to the server.
int raw_connect(int port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons(static_cast<std::uint16_t>(port));
  ::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);  // NOLINT
  timeval tv{5, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  return fd;
}

void send_frame(int fd, const std::string& body, std::uint32_t claimed) {
  std::string frame(4, '\0');
  frame[0] = static_cast<char>(claimed >> 24);
  frame[1] = static_cast<char>((claimed >> 16) & 0xFF);
  frame[2] = static_cast<char>((claimed >> 8) & 0xFF);
  frame[3] = static_cast<char>(claimed & 0xFF);
  frame += body;
  ::send(fd, frame.data(), frame.size(), MSG_NOSIGNAL);
}

/// Reads one reply frame; "" if the server closed or said nothing.
std::string read_reply(int fd) {
  std::array<unsigned char, 4> p{};
  if (::recv(fd, p.data(), 4, MSG_WAITALL) != 4) {
    return "";
  }
  const std::uint32_t len = (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) |
                            (std::uint32_t{p[2]} << 8) | std::uint32_t{p[3]};
  std::string body(len, '\0');
  if (::recv(fd, body.data(), len, MSG_WAITALL) != static_cast<ssize_t>(len)) {
    return "";
  }
  return body;
}

// A paired token is the forward half's, for its host, once: a "test" that
// names a token no --bidir test gave is refused, and the server goes on.
TEST(RemoteDirectionTest2, AReverseTestNamingAnUnknownPairIsRefused) {
  const Server server;
  ASSERT_TRUE(server.listening());
  const int fd = raw_connect(server.port());
  const std::string hello = R"({"type":"hello","version":1})";
  send_frame(fd, hello, static_cast<std::uint32_t>(hello.size()));
  ASSERT_NE(read_reply(fd).find("hello"), std::string::npos);
  nlohmann::json test = {{"type", "test"},
                         {"pair", std::string(32, 'a')},
                         {"config",
                          {{"proto", "tcp"},
                           {"model", "epoll"},
                           {"mode", "stream"},
                           {"pattern", "constant"},
                           {"family", "ipv4"},
                           {"direction", "reverse"},
                           {"flows", 1},
                           {"size_bytes", 1000},
                           {"rate_msgs_per_s", 0},
                           {"duration_ns", 0},
                           {"count_messages", 10},
                           {"warmup_ns", 0},
                           {"interval_ns", 1000000000},
                           {"outstanding", 1},
                           {"threads", 1},
                           {"batch", 1},
                           {"socket_buffer_bytes", 0},
                           {"port", 0}}}};
  const std::string body = test.dump();
  send_frame(fd, body, static_cast<std::uint32_t>(body.size()));
  EXPECT_NE(read_reply(fd).find("no --bidir test of this client runs to pair with"),
            std::string::npos);
  ::close(fd);
  const Outcome o = run_client("--connect 127.0.0.1:" + std::to_string(server.port()) +
                               " --reverse --count 100 --json");
  EXPECT_EQ(o.code, 0) << o.out;
}

TEST(ControlProtocolTest, ServerAnswersBadInputAndGoesOnServing) {
  const Server server;
  ASSERT_TRUE(server.listening());
  const int port = server.port();
  struct Case {
    const char* name;
    std::string body;
    std::uint32_t claimed;
  };
  const std::string garbage = "this is not json";
  const std::string wrong_version = R"({"type":"hello","version":99})";
  const std::string not_hello = R"({"type":"test"})";
  const std::string hello = R"({"type":"hello","version":1})";
  const Case cases[] = {
      {"garbage", garbage, static_cast<std::uint32_t>(garbage.size())},
      {"4 GiB length", "", 0xFFFFFFFFU},
      {"wrong version", wrong_version, static_cast<std::uint32_t>(wrong_version.size())},
      {"not a hello", not_hello, static_cast<std::uint32_t>(not_hello.size())},
      {"truncated", hello.substr(0, 5), static_cast<std::uint32_t>(hello.size())},
  };
  for (const Case& c : cases) {
    const int fd = raw_connect(port);
    send_frame(fd, c.body, c.claimed);
    const std::string reply = read_reply(fd);
    ::close(fd);
    if (std::string(c.name) == "wrong version" || std::string(c.name) == "not a hello") {
      EXPECT_NE(reply.find("\"error\""), std::string::npos) << c.name << ": " << reply;
    }
    EXPECT_TRUE(server.alive()) << c.name;
  }
  // A bad test spec after a good hello gets a clear error.
  {
    const int fd = raw_connect(port);
    send_frame(fd, hello, static_cast<std::uint32_t>(hello.size()));
    EXPECT_NE(read_reply(fd).find("\"hello\""), std::string::npos);
    const std::string bad = R"({"type":"test","config":{"proto":"sctp"}})";
    send_frame(fd, bad, static_cast<std::uint32_t>(bad.size()));
    EXPECT_NE(read_reply(fd).find("config.proto"), std::string::npos);
    ::close(fd);
  }
  // And a good test still runs.
  const Outcome o = run_client("--connect 127.0.0.1:" + std::to_string(port) +
                               " --proto udp --count 1000 --rate 20k --buffer 4MiB --json");
  ASSERT_EQ(o.code, 0);
  EXPECT_EQ(nlohmann::json::parse(o.out)["run"]["receiver"]["messages"], 1000);
}

TEST(RemoteRunTest2, SecondClientDuringATestIsToldBusy) {
  const Server server;
  ASSERT_TRUE(server.listening());
  const std::string target = "--connect 127.0.0.1:" + std::to_string(server.port());
  std::FILE* first = ::popen((std::string("timeout 30 ") + NETBENCH_BINARY + " " + target +
                              " --duration 2s -q 2>/dev/null")
                                 .c_str(),
                             "r");
  ASSERT_NE(first, nullptr);
  std::this_thread::sleep_for(std::chrono::milliseconds(700));
  const Outcome second = run_client(target + " --count 10 --json");
  EXPECT_EQ(second.code, 3);
  EXPECT_NE(second.out.find("busy"), std::string::npos) << second.out;
  EXPECT_EQ(::pclose(first), 0);
  EXPECT_TRUE(server.alive());
}

TEST(RemoteRunTest2, MaxConcurrentRunsSeveralClientsTestsAtOnceEachExact) {
  const Server server(nullptr, {"--max-concurrent", "3"});
  ASSERT_TRUE(server.listening());
  const std::string target = "--connect 127.0.0.1:" + std::to_string(server.port());
  // Three 2-second tests started together: with one slot two of them would
  // be told busy (exit 3); with three every one runs and is exact.
  const std::array<std::string, 3> args = {" --proto tcp --model thread",
                                           " --proto udp --model poll --buffer 4MiB",
                                           " --proto udp --model epoll --mode echo --buffer 4MiB"};
  std::array<Outcome, 3> outcomes;
  {
    std::vector<std::jthread> clients;
    for (std::size_t i = 0; i < args.size(); ++i) {
      clients.emplace_back([&, i] {
        outcomes[i] = run_client(target + args[i] + " --rate 2k --duration 2s --json");
      });
    }
  }
  for (std::size_t i = 0; i < args.size(); ++i) {
    ASSERT_EQ(outcomes[i].code, 0) << args[i] << ": " << outcomes[i].out;
    const auto run = nlohmann::json::parse(outcomes[i].out)["run"];
    EXPECT_TRUE(run["complete"].get<bool>()) << args[i];
    EXPECT_GT(run["sender"]["messages"].get<std::uint64_t>(), 0U) << args[i];
    if (i == 0) {  // TCP: every message arrives
      EXPECT_EQ(run["receiver"]["messages"], run["sender"]["messages"]);
    }
  }
  EXPECT_TRUE(server.alive());
}

TEST(RemoteRunTest2, ClientKilledMidTestLeavesTheServerServing) {
  const Server server;
  ASSERT_TRUE(server.listening());
  const std::string target = "--connect 127.0.0.1:" + std::to_string(server.port());
  // A client that dies (SIGKILL) one second into a 10 s test.
  const std::string victim = std::string("sh -c '") + NETBENCH_BINARY + " " + target +
                             " --duration 10s -q & pid=$!; sleep 1; kill -9 $pid; wait $pid'";
  EXPECT_NE(std::system(victim.c_str()), 0);
  // The server notices (its session ends at the latest after its idle
  // timeout, 2 s here) and serves the next client.
  const Outcome o = run_client(target + " --count 500 --json");
  EXPECT_EQ(o.code, 0) << o.out;
  EXPECT_TRUE(server.alive());
}

TEST(RemoteRunTest2, ServerKilledMidTestGivesAnIncompleteResultNotAHang) {
  for (const char* proto : {"tcp", "udp"}) {
    auto server = std::make_unique<Server>();
    ASSERT_TRUE(server->listening());
    const std::string out = ::testing::TempDir() + "netbench_dead_server_" +
                            std::to_string(::getpid()) + "_" + proto + ".json";
    std::FILE* client =
        ::popen((std::string("timeout 60 ") + NETBENCH_BINARY +
                 " --connect 127.0.0.1:" + std::to_string(server->port()) + " --proto " + proto +
                 " --duration 3s -q -o " + out + " 2>/dev/null; echo $?")
                    .c_str(),
                "r");
    ASSERT_NE(client, nullptr);
    // Mid-test: once the server has taken the test (a sanitized client can
    // take longer than a fixed delay to get there), and traffic has flowed.
    EXPECT_TRUE(server->wait_log("test: ", 30'000)) << proto;
    std::this_thread::sleep_for(std::chrono::milliseconds(800));
    server->kill_now();  // the server dies mid-test
    std::array<char, 64> buf{};
    std::string code;
    while (const std::size_t n = std::fread(buf.data(), 1, buf.size(), client)) {
      code.append(buf.data(), n);
    }
    ::pclose(client);
    EXPECT_EQ(std::atoi(code.c_str()), 4) << proto;
    std::FILE* f = std::fopen(out.c_str(), "r");
    ASSERT_NE(f, nullptr) << proto;
    std::string text;
    while (const std::size_t n = std::fread(buf.data(), 1, buf.size(), f)) {
      text.append(buf.data(), n);
    }
    std::fclose(f);
    const auto doc = nlohmann::json::parse(text);
    ASSERT_TRUE(doc.contains("run")) << proto << ": " << text;
    EXPECT_FALSE(doc["run"]["complete"].get<bool>()) << proto;
    EXPECT_GT(doc["run"]["sender"]["messages"].get<std::uint64_t>(), 0U) << proto;
  }
}

TEST(RemoteRunTest2, NoServerIsASetupErrorNotAHang) {
  const Outcome o =
      run_client("--connect 127.0.0.1:" + std::to_string(free_port()) + " --count 10");
  EXPECT_EQ(o.code, 3);
}

TEST(TokenMatchesTest, OnlyTheSameBytesOfTheSameLengthMatch) {
  using netbench::app::token_matches;
  EXPECT_TRUE(token_matches("abc", "abc"));
  EXPECT_TRUE(token_matches("", ""));
  EXPECT_FALSE(token_matches("abc", "abd"));
  EXPECT_FALSE(token_matches("abc", "ab"));
  EXPECT_FALSE(token_matches("abc", "abcc"));
  EXPECT_FALSE(token_matches("abc", ""));
  EXPECT_FALSE(token_matches("", "a"));
  EXPECT_FALSE(token_matches(std::string("a\0b", 3), std::string("a\0c", 3)));
}

TEST(ServeAdmissionTest, HelloNeedsOurVersionAndTheToken) {
  using netbench::app::check_hello;
  netbench::app::ServeOptions o;
  EXPECT_FALSE(check_hello(nlohmann::json::parse(R"({"type":"hello","version":1})"), o).refused());
  EXPECT_TRUE(check_hello(nlohmann::json::parse(R"({"type":"hello","version":2})"), o).refused());
  EXPECT_TRUE(check_hello(nlohmann::json::parse(R"({"type":"hello"})"), o).refused());
  EXPECT_TRUE(check_hello(nlohmann::json::parse(R"({"type":"test","version":1})"), o).refused());
  o.auth_token = "t";
  const auto none = check_hello(nlohmann::json::parse(R"({"type":"hello","version":1})"), o);
  EXPECT_EQ(none.reply, "authentication failed");
  EXPECT_EQ(none.log, "refused: no auth token");
  const auto wrong =
      check_hello(nlohmann::json::parse(R"({"type":"hello","version":1,"token":"u"})"), o);
  EXPECT_EQ(wrong.log, "refused: wrong auth token");
  EXPECT_FALSE(check_hello(nlohmann::json::parse(R"({"type":"hello","version":1,"token":"t"})"), o)
                   .refused());
}

/// A test message: UDP stream, 1,400-byte messages, the given rate
/// (0 = unpaced), flows and duration.
nlohmann::json test_message(double rate, std::uint32_t flows, std::uint64_t duration_ns) {
  nlohmann::json config = nlohmann::json::parse(
      R"({"batch":1,"bind":"","busy_poll":false,"count_messages":0,"family":"any","gso":false,
          "interval_ns":1000000000,"mode":"stream","model":"epoll","outstanding":1,
          "pattern":"constant","port":0,"proto":"udp","size_bytes":1400,
          "socket_buffer_bytes":0,"threads":1,"warmup_ns":0})");
  config["flows"] = flows;
  config["rate_msgs_per_s"] = rate;
  config["duration_ns"] = duration_ns;
  return {{"type", "test"}, {"config", config}};
}

TEST(ServeAdmissionTest, TestsAboveALimitAreRefusedWithTheLimitNamed) {
  using netbench::app::check_test;
  netbench::app::ServeOptions o;
  o.max_flows = 8;
  o.max_duration_ns = 10'000'000'000;
  netbench::TestSpec spec;
  EXPECT_FALSE(check_test(test_message(0, 8, 10'000'000'000), o, spec).refused());
  EXPECT_NE(check_test(test_message(0, 9, 1'000'000'000), o, spec).reply.find("8 flows"),
            std::string::npos);
  EXPECT_NE(check_test(test_message(0, 1, 11'000'000'000), o, spec).reply.find("10 s"),
            std::string::npos);
  o.max_rate_msgs_per_s = 1000;
  EXPECT_NE(check_test(test_message(0, 1, 1'000'000'000), o, spec).reply.find("limits the rate"),
            std::string::npos);
  EXPECT_NE(check_test(test_message(1001, 1, 1'000'000'000), o, spec).reply.find("1000 messages"),
            std::string::npos);
  EXPECT_FALSE(check_test(test_message(1000, 1, 1'000'000'000), o, spec).refused());
  o.max_bitrate_bps = 1400 * 8 * 500;  // 500 messages/s of 1,400 bytes
  EXPECT_NE(check_test(test_message(501, 1, 1'000'000'000), o, spec).reply.find("bit/s"),
            std::string::npos);
  EXPECT_FALSE(check_test(test_message(500, 1, 1'000'000'000), o, spec).refused());
  EXPECT_TRUE(check_test({{"type", "test"}}, o, spec).refused());
  EXPECT_TRUE(check_test({{"type", "test"}, {"config", {{"proto", "sctp"}}}}, o, spec).refused());
}

TEST(ServeAdmissionTest, DescriptorBudgetLowersLimitsOnlyWhenTheyDoNotFit) {
  using netbench::app::fit_fd_budget_to;
  netbench::app::ServeOptions o;  // 256 clients, 4096 flows
  EXPECT_TRUE(fit_fd_budget_to(20'000, o).empty());
  EXPECT_EQ(o.max_clients, 256U);
  EXPECT_EQ(o.max_flows, 4096U);
  EXPECT_TRUE(fit_fd_budget_to(0, o).empty());  // unknown limit: unchanged
  const auto lines = fit_fd_budget_to(1024, o);
  EXPECT_EQ(lines.size(), 2U);
  EXPECT_EQ(o.max_clients, 248U);  // a quarter of 1024 - 32
  EXPECT_EQ(o.max_flows, 724U);    // the rest, less one test's overhead
  EXPECT_LE(netbench::app::kFdReserve + o.max_clients + netbench::app::test_fds(o.max_flows, 1),
            1024U);
  netbench::app::ServeOptions small;
  small.max_clients = 4;
  small.max_flows = 1000;
  fit_fd_budget_to(100, small);
  EXPECT_EQ(small.max_clients, 4U);  // the clients fit: only the flows are lowered
  EXPECT_LE(netbench::app::kFdReserve + 4 + netbench::app::test_fds(small.max_flows, 1), 100U);
}

constexpr const char* kToken = "s3cret-t0ken";

std::string remote(const Server& server) {
  return "--connect 127.0.0.1:" + std::to_string(server.port()) + " --count 1000 --json";
}

TEST(ControlProtocolTest, ClientMidTestCannotMakeTheServerTakeAHugeMessage) {
  const Server server;
  ASSERT_TRUE(server.listening());
  const int fd = raw_connect(server.port());
  const std::string hello = R"({"type":"hello","version":1})";
  send_frame(fd, hello, static_cast<std::uint32_t>(hello.size()));
  ASSERT_NE(read_reply(fd).find("\"hello\""), std::string::npos);
  nlohmann::json test = test_message(1000, 1, 1'000'000'000);
  test["config"]["proto"] = "tcp";
  const std::string body = test.dump();
  send_frame(fd, body, static_cast<std::uint32_t>(body.size()));
  ASSERT_NE(read_reply(fd).find("\"ready\""), std::string::npos);
  // Past the handshake the client may send polls and a "done" of one count
  // per flow: a 32 MiB message is refused before any of it is read.
  send_frame(fd, "", 32U << 20);
  const std::string reply = read_reply(fd);
  ::close(fd);
  EXPECT_NE(reply.find("33554432 is outside"), std::string::npos) << reply;
  EXPECT_TRUE(server.alive());
  EXPECT_EQ(
      run_client("--connect 127.0.0.1:" + std::to_string(server.port()) + " --count 100").code, 0);
}

TEST(RemoteAuthTest, RightTokenRuns) {
  const Server server(kToken);
  ASSERT_TRUE(server.listening());
  const Outcome o = run_client(remote(server) + " --auth-token " + kToken);
  ASSERT_EQ(o.code, 0) << o.out;
  EXPECT_EQ(nlohmann::json::parse(o.out)["run"]["receiver"]["messages"], 1000);
}

// Issue 20: the io_uring path in the result is the server's: a server on the
// single-shot path (forced in its environment alone) reports it through the
// control protocol; another model reports none.
TEST(RemoteRunTest2, ReportsTheServersIoUringPath) {
  std::optional<Server> server;
  {
    const netbench::test::ScopedUringFallback fallback;  // inherited by the server only
    server.emplace();
  }
  ASSERT_TRUE(server->listening());
  for (const char* proto : {"tcp", "udp"}) {
    SCOPED_TRACE(proto);
    const Outcome o = run_client(remote(*server) + " --model uring --mode echo --proto " + proto);
    ASSERT_EQ(o.code, 0) << o.out;
    const nlohmann::json run = nlohmann::json::parse(o.out)["run"];
    EXPECT_EQ(run["receiver"]["messages"], 1000);
    const nlohmann::json& u = run["receiver"]["uring"];
    ASSERT_TRUE(u.is_object()) << u;
    EXPECT_EQ(u["accept"], "single_shot");
    EXPECT_EQ(u["receive"], "single_shot");
    EXPECT_EQ(u["buffers"], "per_connection");
    EXPECT_EQ(u["forced_fallback"], true);
    EXPECT_TRUE(u["setup"].is_string());
  }
  const Outcome o = run_client(remote(*server) + " --model epoll");
  ASSERT_EQ(o.code, 0) << o.out;
  EXPECT_TRUE(nlohmann::json::parse(o.out)["run"]["receiver"]["uring"].is_null());
}

// Issue 19: the server applies --congestion to its own data sockets and
// reports the algorithm it reads back; one it cannot apply fails the test.
TEST(RemoteRunTest2, ServerAppliesAndReportsTheCongestionControl) {
  const Server server;
  ASSERT_TRUE(server.listening());
  const Outcome o = run_client(remote(server) + " --congestion reno --dscp 8");
  ASSERT_EQ(o.code, 0) << o.out;
  const nlohmann::json run = nlohmann::json::parse(o.out)["run"];
  EXPECT_EQ(run["receiver"]["tcp_congestion"], "reno");
  EXPECT_EQ(run["sender"]["tcp_congestion"], "reno");
  EXPECT_EQ(run["config"]["congestion"], "reno");
  EXPECT_EQ(run["config"]["tos"], 32);
  EXPECT_EQ(run["receiver"]["messages"], 1000);
  EXPECT_NE(run_client(remote(server) + " --congestion no_such_cc").code, 0);
}

TEST(RemoteAuthTest, TokenFromTheEnvironmentRuns) {
  const Server server(kToken);
  ASSERT_TRUE(server.listening());
  const Outcome o = run_client(remote(server), std::string("NETBENCH_AUTH_TOKEN=") + kToken);
  ASSERT_EQ(o.code, 0) << o.out;
  EXPECT_EQ(nlohmann::json::parse(o.out)["run"]["receiver"]["messages"], 1000);
}

TEST(RemoteAuthTest, WrongTokenIsRefusedAndTheServerGoesOn) {
  const Server server(kToken);
  ASSERT_TRUE(server.listening());
  // Wrong bytes, a prefix, a longer one: all refused.
  for (const char* bad : {"s3cret-t0keN", "s3cret", "s3cret-t0ken-and-more"}) {
    const Outcome o = run_client(remote(server) + " --auth-token " + bad);
    EXPECT_EQ(o.code, 3) << bad;
    EXPECT_NE(o.out.find("authentication failed"), std::string::npos) << o.out;
    EXPECT_EQ(o.out.find("\"run\""), std::string::npos) << o.out;
  }
  EXPECT_TRUE(server.alive());
  EXPECT_EQ(run_client(remote(server) + " --auth-token " + kToken).code, 0);
}

TEST(RemoteAuthTest, MissingTokenIsRefused) {
  const Server server(kToken);
  ASSERT_TRUE(server.listening());
  const Outcome o = run_client(remote(server));
  EXPECT_EQ(o.code, 3);
  EXPECT_NE(o.out.find("authentication failed"), std::string::npos) << o.out;
  EXPECT_TRUE(server.alive());
}

TEST(RemoteAuthTest, ServerWithoutTokenAcceptsClientsWithAndWithout) {
  const Server server;
  ASSERT_TRUE(server.listening());
  EXPECT_EQ(run_client(remote(server)).code, 0);
  EXPECT_EQ(run_client(remote(server) + " --auth-token unused").code, 0);
}

TEST(RemoteAuthTest, RawHelloWithAWrongTokenGetsTheErrorMessage) {
  const Server server(kToken);
  ASSERT_TRUE(server.listening());
  const int fd = raw_connect(server.port());
  ASSERT_GE(fd, 0);
  const std::string hello = R"({"type":"hello","version":1,"token":12})";
  send_frame(fd, hello, static_cast<std::uint32_t>(hello.size()));
  const auto reply = nlohmann::json::parse(read_reply(fd));
  ::close(fd);
  EXPECT_EQ(reply, nlohmann::json::parse(R"({"type":"error","error":"authentication failed"})"));
}

/// Reads until the server closes the connection; true if it did (EOF or
/// reset) before the socket's receive timeout.
bool closed_by_server(int fd) {
  std::array<char, 4096> buf{};
  for (int i = 0; i < 1000; ++i) {
    const ssize_t n = ::recv(fd, buf.data(), buf.size(), 0);
    if (n == 0 || (n < 0 && errno == ECONNRESET)) {
      return true;
    }
    if (n < 0) {
      return false;  // the receive timeout: still open
    }
  }
  return false;
}

/// True if the server has closed the connection (its error reply, if any,
/// is read and dropped); does not wait.
bool closed_already(int fd) {
  std::array<char, 4096> buf{};
  for (int i = 0; i < 1000; ++i) {
    const ssize_t n = ::recv(fd, buf.data(), buf.size(), MSG_DONTWAIT);
    if (n == 0 || (n < 0 && errno == ECONNRESET)) {
      return true;
    }
    if (n < 0) {
      return false;
    }
  }
  return false;
}

TEST(ServeLimitsTest, SilentConnectionIsCutOffAtTheHandshakeTimeout) {
  const Server server(nullptr, {"--handshake-timeout", "1s"});
  ASSERT_TRUE(server.listening());
  const int fd = raw_connect(server.port());  // says nothing
  const std::string reply = read_reply(fd);
  EXPECT_NE(reply.find("handshake timeout"), std::string::npos) << reply;
  EXPECT_TRUE(closed_by_server(fd));
  ::close(fd);
  EXPECT_TRUE(server.alive());
}

TEST(ServeLimitsTest, SilentConnectionsDoNotLockOutAClient) {
  // A table of 4 and 8 peers that never speak: deferred accept keeps them in
  // the kernel (they take no place and are not dropped), the client's test
  // runs.
  const Server server(nullptr, {"--max-clients", "4", "--handshake-timeout", "30s"});
  ASSERT_TRUE(server.listening());
  std::vector<int> silent;
  for (int i = 0; i < 8; ++i) {
    silent.push_back(raw_connect(server.port()));
  }
  const Outcome o =
      run_client("--connect 127.0.0.1:" + std::to_string(server.port()) + " --count 500 --json");
  ASSERT_EQ(o.code, 0) << o.out;
  EXPECT_EQ(nlohmann::json::parse(o.out)["run"]["receiver"]["messages"], 500);
  int dropped = 0;
  for (const int fd : silent) {
    dropped += closed_already(fd) ? 1 : 0;
    ::close(fd);
  }
  EXPECT_EQ(dropped, 0);  // never accepted: nothing to evict
  EXPECT_TRUE(server.alive());
}

TEST(ServeLimitsTest, SpeakingConnectionsDoNotLockOutAClient) {
  // A table of 4 filled with peers that send one byte of a frame header and
  // stop: the client's connection evicts the oldest of them and its test
  // runs.
  const Server server(nullptr, {"--max-clients", "4", "--handshake-timeout", "30s"});
  ASSERT_TRUE(server.listening());
  std::vector<int> speakers;
  for (int i = 0; i < 8; ++i) {
    speakers.push_back(raw_connect(server.port()));
    ASSERT_EQ(::send(speakers.back(), "\0", 1, MSG_NOSIGNAL), 1);
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(300));  // let them be accepted first
  const Outcome o =
      run_client("--connect 127.0.0.1:" + std::to_string(server.port()) + " --count 500 --json");
  ASSERT_EQ(o.code, 0) << o.out;
  EXPECT_EQ(nlohmann::json::parse(o.out)["run"]["receiver"]["messages"], 500);
  int dropped = 0;
  for (const int fd : speakers) {
    dropped += closed_already(fd) ? 1 : 0;
    ::close(fd);
  }
  EXPECT_GE(dropped, 5);  // 4 over the limit, and one more for the client
  EXPECT_TRUE(server.alive());
}

TEST(ServeLimitsTest, MaxTestsCountsTestsThatRanNotRefusedConnections) {
  Server server(nullptr, {"--max-tests", "1", "--max-flows", "8"});
  ASSERT_TRUE(server.listening());
  const std::string target = "--connect 127.0.0.1:" + std::to_string(server.port());
  for (const char* body : {"garbage", R"({"type":"hello","version":99})"}) {
    const int fd = raw_connect(server.port());
    send_frame(fd, body, static_cast<std::uint32_t>(std::strlen(body)));
    EXPECT_NE(read_reply(fd).find("\"error\""), std::string::npos) << body;
    ::close(fd);
  }
  EXPECT_EQ(run_client(target + " --count 10 --flows 9 --json").code, 3);  // over --max-flows
  ASSERT_TRUE(server.alive());
  EXPECT_EQ(run_client(target + " --count 500 --json").code, 0);
  EXPECT_EQ(server.wait_exit(20'000), 0);  // one test ran: the server is done
}

TEST(ServeLimitsTest, JsonLogHasOneLinePerTestWithTheServersExactCounts) {
  const std::string path =
      ::testing::TempDir() + "netbench_serve_" + std::to_string(::getpid()) + ".jsonl";
  std::remove(path.c_str());
  {
    // -1 with --json-log: iperf3's one-off server, its test logged.
    Server server(nullptr, {"--json-log", path, "--max-tests", "2"});
    ASSERT_TRUE(server.listening());
    // iperf3's -c and -p spell the target; -u -P -k -l the test.
    const std::string target = "-c 127.0.0.1 -p " + std::to_string(server.port());
    EXPECT_EQ(run_client(target + " -u -P 3 -k 3000 -b 2M -l 200 -J").code, 0);
    EXPECT_EQ(run_client(target + " -P 2 -k 500 -J").code, 0);
    EXPECT_EQ(server.wait_exit(20'000), 0);
  }
  std::ifstream in(path);
  std::vector<nlohmann::json> lines;
  for (std::string line; std::getline(in, line);) {
    lines.push_back(nlohmann::json::parse(line));
  }
  ASSERT_EQ(lines.size(), 2U);
  const auto& udp = lines[0];
  EXPECT_EQ(udp["outcome"], "completed");
  EXPECT_EQ(udp["error"], nullptr);
  EXPECT_EQ(udp["config"]["proto"], "udp");
  EXPECT_EQ(udp["config"]["flows"], 3);
  EXPECT_EQ(udp["receiver"]["messages"], 3000);  // every datagram, counted by the server
  EXPECT_EQ(udp["receiver"]["loss"]["lost"], 0);
  EXPECT_EQ(udp["latency"]["from_intended_send"]["count"], 3000);
  EXPECT_EQ(udp["client"].get<std::string>().rfind("127.0.0.1:", 0), 0U) << udp["client"];
  EXPECT_EQ(udp["time"].get<std::string>().size(), 24U) << udp["time"];  // ISO 8601, ms, Z
  const auto& tcp = lines[1];
  EXPECT_EQ(tcp["outcome"], "completed");
  EXPECT_EQ(tcp["config"]["proto"], "tcp");
  EXPECT_EQ(tcp["receiver"]["messages"], 500);
  std::remove(path.c_str());
}

TEST(RemoteProbeTest, ProbeRunsBesideTheBulkTestWhenTheServerTakesTwoTests) {
  Server server(nullptr, {"--max-concurrent", "2"});
  ASSERT_TRUE(server.listening());
  const Outcome o =
      run_client("-c 127.0.0.1:" + std::to_string(server.port()) + " -P 2 -t 1 --probe 20 -J");
  ASSERT_EQ(o.code, 0);
  const auto run = nlohmann::json::parse(o.out)["run"];
  EXPECT_EQ(run["config"]["probe_rate_msgs_per_s"], 20.0);
  for (const char* phase : {"idle", "loaded"}) {
    const auto& p = run["probe"][phase];
    EXPECT_EQ(p["complete"], true) << phase << ": " << p["error"];
    EXPECT_GT(p["replies"].get<std::uint64_t>(), 0U) << phase;
    EXPECT_EQ(p["replies"], p["sent"]) << phase;
  }
  EXPECT_FALSE(run["probe"]["rtt_increase"].is_null());
}

TEST(RemoteProbeTest, AServerOfOneTestAtATimeRefusesTheLoadedPhaseAsAWarning) {
  Server server;
  ASSERT_TRUE(server.listening());
  const Outcome o =
      run_client("-c 127.0.0.1:" + std::to_string(server.port()) + " -t 1 --probe 20 -J");
  ASSERT_EQ(o.code, 0);  // the bulk test is whole
  const auto run = nlohmann::json::parse(o.out)["run"];
  EXPECT_EQ(run["complete"], true);
  EXPECT_EQ(run["probe"]["idle"]["complete"], true);
  EXPECT_EQ(run["probe"]["loaded"]["complete"], false);
  EXPECT_NE(run["probe"]["loaded"]["error"].get<std::string>().find("busy"), std::string::npos)
      << run["probe"]["loaded"]["error"];
  EXPECT_TRUE(run["probe"]["rtt_increase"].is_null());
}

TEST(ServeLimitsTest, OneTestFlagServesOneTestAndExits) {
  Server server(nullptr, {"-1"});
  ASSERT_TRUE(server.listening());
  EXPECT_EQ(run_client("-c 127.0.0.1:" + std::to_string(server.port()) + " -k 200 -J").code, 0);
  EXPECT_EQ(server.wait_exit(20'000), 0);
}

TEST(ServeLimitsTest, TimeLimitEndsTheServerAndARunningTestAsIncomplete) {
  const std::string path =
      ::testing::TempDir() + "netbench_serve_tl_" + std::to_string(::getpid()) + ".jsonl";
  std::remove(path.c_str());
  Server server(nullptr, {"--time-limit", "3s", "--json-log", path});
  ASSERT_TRUE(server.listening());
  // A 20 s test outlives the limit: the client is told, exit 4.
  const Outcome o =
      run_client("-c 127.0.0.1:" + std::to_string(server.port()) + " -t 20 --rate 1k -J");
  EXPECT_EQ(o.code, 4);
  EXPECT_EQ(server.wait_exit(10'000), 0);
  std::ifstream in(path);
  std::string line;
  ASSERT_TRUE(std::getline(in, line));
  const auto j = nlohmann::json::parse(line);
  EXPECT_EQ(j["outcome"], "incomplete");
  EXPECT_EQ(j["error"], "the server is stopping");
  std::remove(path.c_str());
}

TEST(ServeLimitsTest, MaxRateRefusesFasterAndUnpacedTests) {
  const Server server(nullptr, {"--max-rate", "10k", "--max-bitrate", "100M"});
  ASSERT_TRUE(server.listening());
  const std::string target = "--connect 127.0.0.1:" + std::to_string(server.port());
  Outcome o = run_client(target + " --count 100 --rate 20k --json");
  EXPECT_EQ(o.code, 3);
  EXPECT_NE(o.out.find("at most 10000 messages/s"), std::string::npos) << o.out;
  o = run_client(target + " --count 100 --json");
  EXPECT_EQ(o.code, 3);
  EXPECT_NE(o.out.find("limits the rate"), std::string::npos) << o.out;
  o = run_client(target + " --count 100 --rate 5k --size 8KiB --json");  // 328 Mbit/s
  EXPECT_EQ(o.code, 3);
  EXPECT_NE(o.out.find("bit/s"), std::string::npos) << o.out;
  o = run_client(target + " --count 500 --rate 5k --size 1KiB --json");
  ASSERT_EQ(o.code, 0) << o.out;
  EXPECT_EQ(nlohmann::json::parse(o.out)["run"]["receiver"]["messages"], 500);
}

TEST(ServeLimitsTest, LowDescriptorLimitLowersTheLimitsAndTheServerKeepsServing) {
  // 100 descriptors: the server lowers --max-flows and --max-clients to fit
  // (and says so), refuses a test above them, evicts silent connections
  // beyond them, and never runs out.
  const Server server(nullptr, {"--handshake-timeout", "30s"}, 100);
  ASSERT_TRUE(server.listening());
  const std::string target = "--connect 127.0.0.1:" + std::to_string(server.port());
  const Outcome big = run_client(target + " --flows 64 --count 100 --json");
  EXPECT_EQ(big.code, 3);
  EXPECT_NE(big.out.find("flows"), std::string::npos) << big.out;
  std::vector<int> silent;
  for (int i = 0; i < 150; ++i) {
    silent.push_back(raw_connect(server.port()));
  }
  for (const char* proto : {"tcp", "udp"}) {
    const Outcome o = run_client(target + " --proto " + proto + " --flows 8 --count 400 --json");
    ASSERT_EQ(o.code, 0) << proto << ": " << o.out;
    EXPECT_EQ(nlohmann::json::parse(o.out)["run"]["receiver"]["messages"], 400) << proto;
  }
  for (const int fd : silent) {
    ::close(fd);
  }
  EXPECT_TRUE(server.alive());
}

class ClientSignalTest : public ::testing::TestWithParam<const char*> {};

TEST_P(ClientSignalTest, RemoteRunWritesPartialResultsMarkedIncomplete) {
  const char* sig = GetParam();
  const Server server;
  ASSERT_TRUE(server.listening());
  const std::string out =
      ::testing::TempDir() + "netbench_remote_" + sig + "_" + std::to_string(::getpid()) + ".json";
  const std::string cmd =
      std::string("sh -c '") + NETBENCH_BINARY +
      " --connect 127.0.0.1:" + std::to_string(server.port()) + " --duration 30s -q -o " + out +
      " 2>/dev/null & pid=$!; sleep 1.5; kill -" + sig + " $pid; wait $pid; echo $?'";
  std::FILE* p = ::popen(cmd.c_str(), "r");
  ASSERT_NE(p, nullptr);
  std::array<char, 256> buf{};
  std::string code;
  while (const std::size_t n = std::fread(buf.data(), 1, buf.size(), p)) {
    code.append(buf.data(), n);
  }
  ::pclose(p);
  EXPECT_EQ(std::atoi(code.c_str()), 5) << sig;  // kExitInterrupted
  std::FILE* f = std::fopen(out.c_str(), "r");
  ASSERT_NE(f, nullptr);
  std::string text;
  while (const std::size_t n = std::fread(buf.data(), 1, buf.size(), f)) {
    text.append(buf.data(), n);
  }
  std::fclose(f);
  const auto doc = nlohmann::json::parse(text);
  EXPECT_FALSE(doc["run"]["complete"].get<bool>());
  EXPECT_GT(doc["run"]["sender"]["messages"].get<std::uint64_t>(), 0U);
  EXPECT_NE(doc["error"].get<std::string>().find(std::string("SIG") + sig), std::string::npos)
      << doc["error"];
  // The server saw the client go and serves the next one.
  EXPECT_EQ(
      run_client("--connect 127.0.0.1:" + std::to_string(server.port()) + " --count 200").code, 0);
}

INSTANTIATE_TEST_SUITE_P(IntAndTerm, ClientSignalTest, ::testing::Values("INT", "TERM"));

}  // namespace
