#include "receiver/models/select_model.hpp"

#include <sys/select.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <string>

#include "netbench/clock.hpp"
#include "netbench/error.hpp"
#include "sys/open_fds.hpp"
#include "sys/socket_ops.hpp"
#include "sys/waker.hpp"

namespace netbench::receiver {
namespace {

[[noreturn]] void refuse(std::uint64_t flows, std::uint64_t highest) {
  throw ConfigError("select cannot serve " + std::to_string(flows) +
                    " flows: descriptors would reach " + std::to_string(highest) +
                    " but select() handles only descriptors below FD_SETSIZE (" +
                    std::to_string(FD_SETSIZE) + "); use --model poll or --model epoll");
}

}  // namespace

void check_select_capacity(std::uint64_t flows, std::size_t extra) {
  // Descriptors are allocated lowest-first, so after opening `flows` more the
  // highest is at most (open now + flows + extra − 1).
  const std::uint64_t highest = sys::open_fd_count() + flows + extra;
  if (highest >= FD_SETSIZE) {
    refuse(flows, highest);
  }
}

void SelectModel::check(const ServeSet& sockets) const {
  const auto flows = static_cast<std::uint64_t>(state().spec().flows);
  for (const FlowSocket& f : sockets.udp_flows) {
    if (f.fd.get() >= FD_SETSIZE) {
      refuse(flows, static_cast<std::uint64_t>(f.fd.get()));
    }
  }
  for (const Fd& l : sockets.tcp_listeners) {
    if (l.get() >= FD_SETSIZE) {
      refuse(flows, static_cast<std::uint64_t>(l.get()));
    }
  }
  for (const Fd& c : sockets.tcp_connections) {
    if (c.get() >= FD_SETSIZE) {
      refuse(flows, static_cast<std::uint64_t>(c.get()));
    }
  }
  if (!sockets.tcp_listeners.empty()) {
    // Accepted connections are still to come; +2 for the loop's eventfds.
    check_select_capacity(flows, loop_count(state().spec()) + 2);
  }
}

void SelectModel::run_loop(ServeSet part, int wake_fd, ThreadState& thread, std::stop_token stop) {
  std::vector<Connection> conns;
  for (FlowSocket& f : part.udp_flows) {
    conns.push_back(udp_connection(std::move(f), thread));
  }
  for (Fd& fd : part.tcp_connections) {
    conns.push_back(opened_connection(std::move(fd), thread));
  }
  std::vector<std::byte> rx = make_rx_buffer();
  fd_set rset;
  fd_set wset;

  // 0 under --busy-poll: spin. Wake-ups still count only calls with ready descriptors.
  const int timeout = wait_ms();
  const std::uint64_t coalesce = coalesce_ns();
  while (!stop.stop_requested()) {
    coalesce_pause(coalesce);
    // select() overwrites the sets: rebuild them every time (part of its cost).
    FD_ZERO(&rset);
    FD_ZERO(&wset);
    int maxfd = wake_fd;
    FD_SET(wake_fd, &rset);
    for (const Fd& l : part.tcp_listeners) {
      FD_SET(l.get(), &rset);
      maxfd = std::max(maxfd, l.get());
    }
    for (const Connection& c : conns) {
      FD_SET(c.fd(), c.wants_write() ? &wset : &rset);
      maxfd = std::max(maxfd, c.fd());
    }
    timeval tv{0, timeout * 1000};
    const int n = ::select(maxfd + 1, &rset, &wset, nullptr, &tv);
    if (!after_wait(n, "select", timeout, thread)) {
      continue;
    }
    if (FD_ISSET(wake_fd, &rset)) {
      sys::drain_eventfd(wake_fd);
      continue;
    }
    const std::size_t before = conns.size();
    for (std::size_t i = before; i-- > 0;) {
      Connection& c = conns[i];
      Connection::Status st = Connection::Status::kOpen;
      if (FD_ISSET(c.fd(), &wset)) {
        st = c.on_writable();
      } else if (FD_ISSET(c.fd(), &rset)) {
        st = c.on_readable(rx, kReadBudget);
      }
      if (st == Connection::Status::kClosed) {
        c.retire();
        conns[i] = std::move(conns.back());
        conns.pop_back();
      }
    }
    for (const Fd& l : part.tcp_listeners) {
      if (!FD_ISSET(l.get(), &rset)) {
        continue;
      }
      while (auto c = accept_connection(l.get(), thread)) {
        if (c->fd() >= FD_SETSIZE) {
          // Never FD_SET a descriptor past the set: drop it and say why.
          c->retire();
          state().set_error("select: accepted descriptor " + std::to_string(c->fd()) +
                            " >= FD_SETSIZE (" + std::to_string(FD_SETSIZE) +
                            "); use --model poll or --model epoll");
          continue;
        }
        conns.push_back(std::move(*c));
      }
    }
  }
  for (Connection& c : conns) {
    c.retire();
  }
}

}  // namespace netbench::receiver
