// Remote runs: a `netbench serve` process and client processes over
// loopback, and a control-protocol test that feeds a live server malformed,
// oversized, truncated and wrong-version messages before a good test.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

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

/// `netbench serve --port 0` in a child process for the duration of a test;
/// the port it chose is read from its first log line, so parallel tests
/// never race for a port.
class Server {
 public:
  Server() {
    std::array<int, 2> pipe_fds{};
    if (::pipe(pipe_fds.data()) != 0) {
      return;
    }
    pid_ = ::fork();
    if (pid_ == 0) {
      ::dup2(pipe_fds[1], STDERR_FILENO);
      ::close(pipe_fds[0]);
      ::close(pipe_fds[1]);
      ::execl(NETBENCH_BINARY, NETBENCH_BINARY, "serve", "--bind", "127.0.0.1", "--port", "0",
              "--idle-timeout", "2s", static_cast<char*>(nullptr));
      ::_exit(127);
    }
    ::close(pipe_fds[1]);
    log_fd_ = pipe_fds[0];
    // "netbench serve: listening on 127.0.0.1:PORT (...)", within 10 s.
    std::string line;
    pollfd p{log_fd_, POLLIN, 0};
    while (line.find('\n') == std::string::npos && ::poll(&p, 1, 10'000) > 0) {
      char c = 0;
      if (::read(log_fd_, &c, 1) != 1) {
        break;
      }
      line += c;
    }
    const auto at = line.find("127.0.0.1:");
    if (at != std::string::npos) {
      port_ = std::atoi(line.c_str() + at + 10);
    }
  }
  ~Server() {
    ::kill(pid_, SIGTERM);
    int status = 0;
    ::waitpid(pid_, &status, 0);
    ::close(log_fd_);
  }
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  [[nodiscard]] int port() const noexcept { return port_; }
  [[nodiscard]] bool listening() const { return port_ > 0; }
  [[nodiscard]] bool alive() const { return ::waitpid(pid_, nullptr, WNOHANG) == 0; }

 private:
  pid_t pid_ = -1;
  int log_fd_ = -1;
  int port_ = 0;
};

struct Outcome {
  int code = -1;
  std::string out;
};

Outcome run_client(const std::string& args) {
  const std::string cmd =
      std::string("timeout 60 ") + NETBENCH_BINARY + " " + args + " 2>/dev/null";
  Outcome o;
  std::FILE* p = ::popen(cmd.c_str(), "r");
  std::array<char, 4096> buf{};
  while (const std::size_t n = std::fread(buf.data(), 1, buf.size(), p)) {
    o.out.append(buf.data(), n);
  }
  const int status = ::pclose(p);
  o.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return o;
}

class RemoteRunTest
    : public ::testing::TestWithParam<std::tuple<const char*, const char*, const char*>> {};

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
  EXPECT_TRUE(server.alive());
}

INSTANTIATE_TEST_SUITE_P(ProtoModelMode, RemoteRunTest,
                         ::testing::Combine(::testing::Values("tcp", "udp"),
                                            ::testing::Values("thread", "poll", "epoll"),
                                            ::testing::Values("stream", "echo")),
                         [](const ::testing::TestParamInfo<RemoteRunTest::ParamType>& p) {
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

TEST(RemoteRunTest2, NoServerIsASetupErrorNotAHang) {
  const Outcome o =
      run_client("--connect 127.0.0.1:" + std::to_string(free_port()) + " --count 10");
  EXPECT_EQ(o.code, 3);
}

}  // namespace
