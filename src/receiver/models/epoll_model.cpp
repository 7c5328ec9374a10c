#include "receiver/models/epoll_model.hpp"

#include <sys/epoll.h>

#include <array>
#include <cerrno>
#include <optional>

#include "netbench/clock.hpp"
#include "netbench/error.hpp"
#include "sys/waker.hpp"

namespace netbench::receiver {
namespace {

// epoll_event.data.u64 tags: the wake eventfd, a listener, or a connection
// (whose descriptor number indexes `slots`).
constexpr std::uint64_t kWakeTag = UINT64_MAX;
constexpr std::uint64_t kListenerBit = 1ULL << 62;

void control(int ep, int op, int fd, std::uint32_t events, std::uint64_t tag) {
  epoll_event ev{};
  ev.events = events;
  ev.data.u64 = tag;
  if (::epoll_ctl(ep, op, fd, &ev) != 0) {
    throw SystemError("epoll_ctl", "fd " + std::to_string(fd), errno);
  }
}

}  // namespace

void EpollModel::run_loop(ServeSet part, int wake_fd, ThreadState& thread, std::stop_token stop) {
  const Fd ep(::epoll_create1(EPOLL_CLOEXEC));
  if (!ep) {
    throw SystemError("epoll_create1", "", errno);
  }
  // Connections indexed by descriptor number: descriptors are small and dense.
  std::vector<std::optional<Connection>> slots;
  auto add = [&](Connection c) {
    const auto fd = static_cast<std::size_t>(c.fd());
    if (slots.size() <= fd) {
      slots.resize(fd + 1);
    }
    control(ep.get(), EPOLL_CTL_ADD, c.fd(), EPOLLIN | EPOLLRDHUP, fd);
    slots[fd].emplace(std::move(c));
  };
  control(ep.get(), EPOLL_CTL_ADD, wake_fd, EPOLLIN, kWakeTag);
  for (std::size_t i = 0; i < part.tcp_listeners.size(); ++i) {
    control(ep.get(), EPOLL_CTL_ADD, part.tcp_listeners[i].get(), EPOLLIN, kListenerBit | i);
  }
  for (FlowSocket& f : part.udp_flows) {
    add(udp_connection(std::move(f), thread));
  }
  for (Fd& fd : part.tcp_connections) {
    add(opened_connection(std::move(fd), thread));
  }
  std::vector<std::byte> rx = make_rx_buffer();
  std::array<epoll_event, 256> events{};

  // 0 under --busy-poll: spin. Wake-ups still count only calls with ready descriptors.
  const int timeout = wait_ms();
  const std::uint64_t coalesce = coalesce_ns();
  while (!stop.stop_requested()) {
    coalesce_pause(coalesce);
    const int n = ::epoll_wait(ep.get(), events.data(), static_cast<int>(events.size()), timeout);
    if (!after_wait(n, "epoll_wait", timeout, thread)) {
      continue;
    }
    for (int k = 0; k < n; ++k) {
      const epoll_event& ev = events[static_cast<std::size_t>(k)];
      if (ev.data.u64 == kWakeTag) {
        sys::drain_eventfd(wake_fd);
        continue;
      }
      if ((ev.data.u64 & kListenerBit) != 0) {
        const int listener = part.tcp_listeners[ev.data.u64 & ~kListenerBit].get();
        while (auto c = accept_connection(listener, thread)) {
          add(std::move(*c));
        }
        continue;
      }
      const auto fd = static_cast<std::size_t>(ev.data.u64);
      if (fd >= slots.size() || !slots[fd]) {
        continue;  // closed earlier in this batch
      }
      Connection& c = *slots[fd];
      const bool was_writing = c.wants_write();
      const Connection::Status st =
          (ev.events & EPOLLOUT) != 0 ? c.on_writable() : c.on_readable(rx, kReadBudget);
      if (st == Connection::Status::kClosed) {
        // Closing the descriptor removes it from the epoll set.
        c.retire();
        slots[fd].reset();
        continue;
      }
      if (c.wants_write() != was_writing) {
        control(ep.get(), EPOLL_CTL_MOD, c.fd(),
                c.wants_write() ? EPOLLOUT : (EPOLLIN | EPOLLRDHUP), fd);
      }
    }
  }
  for (auto& s : slots) {
    if (s) {
      s->retire();
    }
  }
}

}  // namespace netbench::receiver
