// The client pointed at something that is not `netbench serve`: each case is
// named at once with what to do (issue 14, item 6), never a 10 s wait and a
// protocol complaint.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <functional>
#include <memory>
#include <string>
#include <thread>

#include <gtest/gtest.h>

#include "app/remote/remote_client.hpp"
#include "netbench/test_spec.hpp"

namespace {

using netbench::TestSpec;
using netbench::app::RemoteError;
using netbench::app::run_remote;

/// A TCP listener on 127.0.0.1 (any port) whose one connection is handed to
/// `peer` on a thread of its own; joined and closed on destruction.
class FakePeer {
 public:
  explicit FakePeer(std::function<void(int)> peer) {
    listen_fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(listen_fd_, reinterpret_cast<sockaddr*>(&a), sizeof a);  // NOLINT
    ::listen(listen_fd_, 1);
    socklen_t len = sizeof a;
    ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&a), &len);  // NOLINT
    port_ = ntohs(a.sin_port);
    thread_ = std::thread([this, peer = std::move(peer)] {
      pollfd p{listen_fd_, POLLIN, 0};
      if (::poll(&p, 1, 20'000) <= 0) {
        return;
      }
      const int fd = ::accept(listen_fd_, nullptr, nullptr);
      if (fd >= 0) {
        peer(fd);
        ::close(fd);
      }
    });
  }
  FakePeer(const FakePeer&) = delete;
  FakePeer& operator=(const FakePeer&) = delete;
  ~FakePeer() {
    thread_.join();
    ::close(listen_fd_);
  }
  [[nodiscard]] std::uint16_t port() const { return port_; }

 private:
  int listen_fd_ = -1;
  std::uint16_t port_ = 0;
  std::thread thread_;
};

/// Reads from `fd` until `pattern` has arrived (true) or the peer stops
/// sending for 15 s or closes (false); `seen` gets everything read.
bool read_until(int fd, const std::string& pattern, std::string& seen) {
  std::array<char, 4096> buf{};
  while (seen.find(pattern) == std::string::npos) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 15'000) <= 0) {
      return false;
    }
    const ssize_t n = ::recv(fd, buf.data(), buf.size(), 0);
    if (n <= 0) {
      return false;
    }
    seen.append(buf.data(), static_cast<std::size_t>(n));
  }
  return true;
}

TestSpec small_test() {
  TestSpec spec;
  spec.count = 10;
  return spec;
}

/// The one-line error of a remote run against port `port` of 127.0.0.1.
std::string error_of_run(std::uint16_t port) {
  try {
    (void)run_remote(small_test(), "127.0.0.1", port, {}, {}, "");
  } catch (const RemoteError& e) {
    return e.what();
  }
  return "(the run did not fail)";
}

TEST(WrongPeerTest, HttpServerIsNamedFromItsAnswerAndTheHelloEndsItsRequest) {
  bool request_complete = false;
  auto http = std::make_unique<FakePeer>([&](int fd) {
    // An HTTP server answers once a request's blank line has arrived: the
    // hello must end in one, or this would be a 10 s silence.
    std::string seen;
    request_complete = read_until(fd, "\r\n\r\n", seen);
    if (request_complete) {
      const std::string answer = "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n";
      ::send(fd, answer.data(), answer.size(), MSG_NOSIGNAL);
    }
  });
  const std::string error = error_of_run(http->port());
  http.reset();  // joins the peer: request_complete is settled
  EXPECT_TRUE(request_complete) << "the hello did not end in a blank line";
  EXPECT_NE(error.find("not a netbench control connection"), std::string::npos) << error;
  EXPECT_NE(error.find("\"HTTP/1.1 400 Bad Request\""), std::string::npos) << error;
  EXPECT_NE(error.find("is this the port of a netbench server?"), std::string::npos) << error;
  EXPECT_EQ(error.find('\n'), std::string::npos) << "one line: " << error;
}

TEST(WrongPeerTest, EchoServerIsNamedAndPlainEchoSuggested) {
  auto echo = std::make_unique<FakePeer>([](int fd) {
    std::array<char, 4096> buf{};
    for (;;) {
      pollfd p{fd, POLLIN, 0};
      if (::poll(&p, 1, 15'000) <= 0) {
        return;
      }
      const ssize_t n = ::recv(fd, buf.data(), buf.size(), 0);
      if (n <= 0 || ::send(fd, buf.data(), static_cast<std::size_t>(n), MSG_NOSIGNAL) != n) {
        return;
      }
    }
  });
  const std::string error = error_of_run(echo->port());
  echo.reset();
  EXPECT_NE(error.find("echo server"), std::string::npos) << error;
  EXPECT_NE(error.find("--plain-echo"), std::string::npos) << error;
}

TEST(WrongPeerTest, RefusedConnectionAsksWhetherNetbenchServeRunsThere) {
  // A port that was just free: bound, read back, closed.
  std::uint16_t port = 0;
  {
    auto idle = std::make_unique<FakePeer>([](int) {});
    port = idle->port();
    // Wake the idle peer's accept so that it ends at once.
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons(port);
    ::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);  // NOLINT
    ::close(fd);
  }
  const std::string error = error_of_run(port);
  EXPECT_NE(error.find("Connection refused"), std::string::npos) << error;
  EXPECT_NE(error.find("is `netbench serve` running"), std::string::npos) << error;
}

}  // namespace
