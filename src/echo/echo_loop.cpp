#include "echo/echo_loop.hpp"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <utility>

#include "measure/saturating.hpp"
#include "netbench/clock.hpp"
#include "netbench/error.hpp"
#include "sys/waker.hpp"

namespace netbench {
namespace {

// epoll_event.data.u64 tags: the wake eventfd, the listener, the UDP socket,
// or a connection (its descriptor number, which indexes the slots).
constexpr std::uint64_t kWakeTag = UINT64_MAX;
constexpr std::uint64_t kListenerTag = UINT64_MAX - 1;
constexpr std::uint64_t kUdpTag = UINT64_MAX - 2;

/// epoll_wait timeout, ms: the loop sees a stop request even without a wake.
constexpr int kWaitMs = 100;
/// Per wake-up, so that one busy socket cannot starve the others.
constexpr unsigned kAcceptBatch = 64;
constexpr unsigned kReadBatch = 16;
constexpr unsigned kDatagramBatch = 64;
/// Out of descriptors or memory: stop accepting for this long (ns), rather
/// than spin on a listener that stays ready.
constexpr std::uint64_t kAcceptPauseNs = 100'000'000;
/// Above the largest UDP payload (65,507 bytes over IPv4, 65,527 over IPv6).
constexpr std::size_t kDatagramBytes = 65'536;

bool transient(int err) noexcept { return err == EAGAIN || err == EWOULDBLOCK || err == EINTR; }

std::uint16_t source_port(const sockaddr_storage& from) noexcept {
  if (from.ss_family == AF_INET6) {
    return ntohs(reinterpret_cast<const sockaddr_in6*>(&from)->sin6_port);  // NOLINT
  }
  if (from.ss_family == AF_INET) {
    return ntohs(reinterpret_cast<const sockaddr_in*>(&from)->sin_port);  // NOLINT
  }
  return 0;
}

}  // namespace

void EchoLoopStats::set_error(std::string what) {
  const std::lock_guard lock(error_mutex);
  if (error.empty()) {
    error = std::move(what);
  }
}

Fd EchoLoop::make_epoll(int listener, int udp, int wake) {
  Fd ep(::epoll_create1(EPOLL_CLOEXEC));
  if (!ep) {
    throw SystemError("epoll_create1", "plain echo server", errno);
  }
  const auto add = [&](int fd, std::uint64_t tag) {
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.u64 = tag;
    if (::epoll_ctl(ep.get(), EPOLL_CTL_ADD, fd, &ev) != 0) {
      throw SystemError("epoll_ctl", "plain echo server", errno);
    }
  };
  add(wake, kWakeTag);
  add(listener, kListenerTag);
  if (udp >= 0) {
    add(udp, kUdpTag);
  }
  return ep;
}

EchoLoop::EchoLoop(const PlainEchoOptions& options, int listener, int udp, int wake, Fd ep,
                   EchoLoopStats& stats)
    : options_(options),
      listener_(listener),
      udp_(udp),
      wake_(wake),
      ep_(std::move(ep)),
      stats_(stats),
      rx_(std::max<std::size_t>(options.tcp_buffer_bytes, kDatagramBytes)) {}

bool EchoLoop::control(int op, int fd, std::uint32_t events, std::uint64_t tag) noexcept {
  epoll_event ev{};
  ev.events = events;
  ev.data.u64 = tag;
  return ::epoll_ctl(ep_.get(), op, fd, &ev) == 0;
}

void EchoLoop::run(const std::stop_token& stop) {
  std::array<epoll_event, 256> events{};
  while (!stop.stop_requested()) {
    const int n = ::epoll_wait(ep_.get(), events.data(), static_cast<int>(events.size()), kWaitMs);
    if (n < 0) {
      if (errno == EINTR) {
        continue;
      }
      stats_.set_error(std::string("epoll_wait: ") + std::strerror(errno));
      return;
    }
    if (accept_paused_until_ != 0 && now_ns() >= accept_paused_until_ &&
        control(EPOLL_CTL_MOD, listener_, EPOLLIN, kListenerTag)) {
      accept_paused_until_ = 0;
    }
    for (int k = 0; k < n; ++k) {
      const std::uint64_t tag = events[static_cast<std::size_t>(k)].data.u64;
      if (tag == kWakeTag) {
        sys::drain_eventfd(wake_);
      } else if (tag == kListenerTag) {
        accept_all();
      } else if (tag == kUdpTag) {
        echo_datagrams();
      } else {
        on_connection(static_cast<int>(tag));
      }
    }
  }
}

void EchoLoop::accept_all() {
  for (unsigned i = 0; i < kAcceptBatch; ++i) {
    Fd fd(::accept4(listener_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC));
    if (!fd) {
      const int err = errno;
      if (err == EAGAIN || err == EWOULDBLOCK) {
        return;
      }
      if (err == EINTR || err == ECONNABORTED || err == EPROTO || err == EPERM) {
        continue;  // that connection is gone; the next may be fine
      }
      // EMFILE, ENFILE, ENOBUFS, ENOMEM: the connection stays queued and the
      // listener stays ready, so a level-triggered loop would spin on it.
      if (control(EPOLL_CTL_MOD, listener_, 0, kListenerTag)) {
        accept_paused_until_ = now_ns() + kAcceptPauseNs;
      }
      return;
    }
    if (open_ >= options_.max_connections) {
      bump(stats_.rejected);
      continue;  // closing it is the answer
    }
    const auto slot = static_cast<std::size_t>(fd.get());
    // Echoes go out as they come: Nagle would hold back a partial echo.
    const int one = 1;
    ::setsockopt(fd.get(), IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (!control(EPOLL_CTL_ADD, fd.get(), EPOLLIN, slot)) {
      bump(stats_.rejected);
      continue;
    }
    if (slots_.size() <= slot) {
      slots_.resize(slot + 1);
    }
    slots_[slot].emplace(Connection{std::move(fd), {}, 0});
    ++open_;
    bump(stats_.connections);
    stats_.open.store(open_, std::memory_order_relaxed);
  }
}

void EchoLoop::close_connection(int fd) noexcept {
  // Closing the descriptor also takes it out of the epoll set.
  slots_[static_cast<std::size_t>(fd)].reset();
  --open_;
  stats_.open.store(open_, std::memory_order_relaxed);
}

void EchoLoop::on_connection(int fd) {
  const auto slot = static_cast<std::size_t>(fd);
  if (slot >= slots_.size() || !slots_[slot]) {
    return;  // closed earlier in this batch of events
  }
  Connection& c = *slots_[slot];
  if (c.sent == c.pending.size()) {
    read_and_echo(fd, c);
    return;
  }
  // Waiting to write (EPOLLOUT, or EPOLLERR/EPOLLHUP, which always report).
  const ssize_t n =
      ::send(fd, c.pending.data() + c.sent, c.pending.size() - c.sent, MSG_NOSIGNAL | MSG_DONTWAIT);
  if (n < 0) {
    if (!transient(errno)) {
      close_connection(fd);
    }
    return;
  }
  c.sent += static_cast<std::size_t>(n);
  bump(stats_.bytes_echoed, static_cast<std::uint64_t>(n));
  if (c.sent < c.pending.size()) {
    return;
  }
  c.pending.clear();  // keeps its capacity: no allocation on the next partial send
  c.sent = 0;
  // All out: read again. Level-triggered, so waiting input reports next time.
  if (!control(EPOLL_CTL_MOD, fd, EPOLLIN, slot)) {
    close_connection(fd);
  }
}

void EchoLoop::read_and_echo(int fd, Connection& c) {
  for (unsigned i = 0; i < kReadBatch; ++i) {
    const ssize_t n = ::recv(fd, rx_.data(), options_.tcp_buffer_bytes, MSG_DONTWAIT);
    if (n < 0) {
      if (!transient(errno)) {
        close_connection(fd);  // ECONNRESET ...
      }
      return;
    }
    if (n == 0) {
      // The peer is done, and everything it sent has been echoed: a
      // connection with unsent echo is never read.
      close_connection(fd);
      return;
    }
    const auto got = static_cast<std::size_t>(n);
    bump(stats_.bytes_received, got);
    const ssize_t s = ::send(fd, rx_.data(), got, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (s < 0 && !transient(errno)) {
      close_connection(fd);  // EPIPE, ECONNRESET ...
      return;
    }
    const std::size_t out = s > 0 ? static_cast<std::size_t>(s) : 0;
    bump(stats_.bytes_echoed, out);
    if (out < got) {
      // The peer's receive window is full: keep the rest and stop reading
      // until it is out (backpressure), which bounds what we hold.
      if (c.pending.capacity() == 0) {
        c.pending.reserve(options_.tcp_buffer_bytes);
      }
      const auto from = rx_.begin() + static_cast<std::ptrdiff_t>(out);
      c.pending.assign(from, from + static_cast<std::ptrdiff_t>(got - out));
      c.sent = 0;
      if (!control(EPOLL_CTL_MOD, fd, EPOLLOUT, static_cast<std::uint64_t>(fd))) {
        close_connection(fd);
      }
      return;
    }
  }
}

void EchoLoop::echo_datagrams() {
  for (unsigned i = 0; i < kDatagramBatch; ++i) {
    sockaddr_storage from{};
    socklen_t from_len = sizeof from;
    // MSG_TRUNC: the datagram's real length, so a truncated one is noticed.
    const ssize_t n = ::recvfrom(udp_, rx_.data(), kDatagramBytes, MSG_DONTWAIT | MSG_TRUNC,
                                 reinterpret_cast<sockaddr*>(&from), &from_len);  // NOLINT
    if (n < 0) {
      if (transient(errno)) {
        return;
      }
      continue;  // a queued error of an earlier datagram
    }
    const auto len = static_cast<std::size_t>(n);
    // Source port 0 cannot be answered; a privileged one may be another
    // host's echo or chargen service, and the two would answer each other
    // for ever.
    if (len > kDatagramBytes || source_port(from) < 1024) {
      bump(stats_.dropped);
      continue;
    }
    const ssize_t s = ::sendto(udp_, rx_.data(), len, MSG_DONTWAIT | MSG_NOSIGNAL,
                               reinterpret_cast<const sockaddr*>(&from), from_len);  // NOLINT
    if (s == n) {
      bump(stats_.datagrams);
      bump(stats_.datagram_bytes, len);
    } else {
      bump(stats_.dropped);  // EAGAIN, ENOBUFS ...: UDP may drop; the client counts it lost
    }
  }
}

}  // namespace netbench
