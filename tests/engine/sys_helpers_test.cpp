// The small system helpers the engines share (src/sys): the eventfd waker,
// the admitting accept loop, the open-descriptor count.

#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>

#include <cstddef>
#include <vector>

#include <gtest/gtest.h>

#include "netbench/endpoint.hpp"
#include "netbench/error.hpp"
#include "netbench/fd.hpp"
#include "sys/accept.hpp"
#include "sys/open_fds.hpp"
#include "sys/socket_ops.hpp"
#include "sys/waker.hpp"

namespace netbench::sys {
namespace {

bool readable(int fd) {
  pollfd p{fd, POLLIN, 0};
  return ::poll(&p, 1, 0) == 1 && (p.revents & POLLIN) != 0;
}

TEST(WakerTest, NotifyMakesItReadableAndDrainConsumesEveryWakeUp) {
  const Waker w;
  EXPECT_FALSE(readable(w.fd()));
  w.notify();
  w.notify();
  EXPECT_TRUE(readable(w.fd()));
  w.drain();
  EXPECT_FALSE(readable(w.fd()));
  w.drain();  // nothing pending: returns at once (non-blocking)
}

TEST(WakerTest, BorrowedDescriptorHelpersActOnTheSameCounter) {
  const Waker w;
  signal_eventfd(w.fd());
  EXPECT_TRUE(readable(w.fd()));
  drain_eventfd(w.fd());
  EXPECT_FALSE(readable(w.fd()));
}

TEST(WakerTest, MovedWakerKeepsItsDescriptor) {
  Waker a;
  const int fd = a.fd();
  std::vector<Waker> wakers;
  wakers.push_back(std::move(a));
  EXPECT_EQ(wakers[0].fd(), fd);
}

TEST(OpenFdsTest, CountFollowsDescriptorsOpenedAndClosed) {
  const std::size_t before = open_fd_count();
  ASSERT_GT(before, 0U) << "/proc/self/fd is unreadable";
  {
    const Waker a;
    const Waker b;
    EXPECT_EQ(open_fd_count(), before + 2);
  }
  EXPECT_EQ(open_fd_count(), before);
}

/// A non-blocking loopback listener on an ephemeral port.
Fd loopback_listener() {
  Fd l = listen_tcp(loopback(Family::kV4, 0), false);
  set_nonblocking(l.get(), true);
  return l;
}

Fd connect_to(const Endpoint& ep) {
  Fd c = make_socket(AF_INET, SOCK_STREAM);
  connect_with_timeout(c.get(), ep, "test", 5000);
  return c;
}

/// Waits (at most 5 s) until `listener` has a connection pending.
void await_pending(int listener) {
  pollfd p{listener, POLLIN, 0};
  ASSERT_EQ(::poll(&p, 1, 5000), 1);
}

TEST(AcceptTest, AcceptsEveryPendingConnectionThenReportsEmpty) {
  const Fd l = loopback_listener();
  const Endpoint ep = local_endpoint(l.get());
  std::vector<Fd> clients;
  for (int i = 0; i < 3; ++i) {
    clients.push_back(connect_to(ep));
  }
  await_pending(l.get());
  std::vector<Fd> accepted;
  const auto admit_all = [](const sockaddr_storage& peer) { return peer.ss_family == AF_INET; };
  // The three handshakes complete in the kernel before connect returns.
  while (Fd fd = accept_admitted(l.get(), SOCK_CLOEXEC, admit_all)) {
    accepted.push_back(std::move(fd));
  }
  EXPECT_EQ(accepted.size(), 3U);
  sockaddr_storage peer{};
  EXPECT_FALSE(accept_next(l.get(), SOCK_CLOEXEC, peer)) << "the backlog is empty";
}

TEST(AcceptTest, RefusedPeersAreClosedAndNeverHandedOver) {
  const Fd l = loopback_listener();
  const Fd client = connect_to(local_endpoint(l.get()));
  await_pending(l.get());
  int asked = 0;
  const Fd fd = accept_admitted(l.get(), SOCK_NONBLOCK | SOCK_CLOEXEC,
                                [&asked](const sockaddr_storage& /*peer*/) {
                                  ++asked;
                                  return false;
                                });
  EXPECT_FALSE(fd);
  EXPECT_EQ(asked, 1);
  // The refused connection was closed: the client reads end of stream.
  pollfd p{client.get(), POLLIN, 0};
  ASSERT_EQ(::poll(&p, 1, 5000), 1);
  char byte = 0;
  EXPECT_LE(::recv(client.get(), &byte, 1, 0), 0);
}

TEST(AcceptTest, AnErrorOtherThanEmptyThrows) {
  const Fd not_a_listener = make_socket(AF_INET, SOCK_STREAM);
  sockaddr_storage peer{};
  EXPECT_THROW(static_cast<void>(accept_next(not_a_listener.get(), SOCK_CLOEXEC, peer)),
               SystemError);
}

}  // namespace
}  // namespace netbench::sys
