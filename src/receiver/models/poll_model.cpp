#include "receiver/models/poll_model.hpp"

#include <poll.h>

#include <cerrno>

#include "netbench/clock.hpp"
#include "netbench/error.hpp"
#include "sys/waker.hpp"

namespace netbench::receiver {

void PollModel::run_loop(ServeSet part, int wake_fd, ThreadState& thread, std::stop_token stop) {
  // pollfd i (i >= first_conn) belongs to conns[i - first_conn]; removal
  // swaps the last entry into the hole in both arrays.
  std::vector<pollfd> fds;
  std::vector<Connection> conns;
  fds.push_back({wake_fd, POLLIN, 0});
  for (const Fd& l : part.tcp_listeners) {
    fds.push_back({l.get(), POLLIN, 0});
  }
  const std::size_t first_conn = fds.size();
  for (FlowSocket& f : part.udp_flows) {
    conns.push_back(udp_connection(std::move(f), thread));
    fds.push_back({conns.back().fd(), POLLIN, 0});
  }
  for (Fd& fd : part.tcp_connections) {
    conns.push_back(opened_connection(std::move(fd), thread));
    fds.push_back({conns.back().fd(), POLLIN, 0});
  }
  std::vector<std::byte> rx = make_rx_buffer();

  auto remove = [&](std::size_t i) {
    conns[i - first_conn].retire();
    fds[i] = fds.back();
    fds.pop_back();
    conns[i - first_conn] = std::move(conns.back());
    conns.pop_back();
  };

  // 0 under --busy-poll: spin. Wake-ups still count only calls with ready descriptors.
  const int timeout = wait_ms();
  const std::uint64_t coalesce = coalesce_ns();
  while (!stop.stop_requested()) {
    coalesce_pause(coalesce);
    const int n = ::poll(fds.data(), fds.size(), timeout);
    if (!after_wait(n, "poll", timeout, thread)) {
      continue;
    }
    if (fds[0].revents != 0) {
      sys::drain_eventfd(wake_fd);
      continue;  // the while condition sees the stop request
    }
    for (std::size_t i = 1; i < first_conn; ++i) {
      if (fds[i].revents == 0) {
        continue;
      }
      while (auto c = accept_connection(fds[i].fd, thread)) {
        conns.push_back(std::move(*c));
        fds.push_back({conns.back().fd(), POLLIN, 0});
      }
    }
    // Walk backwards so that a swap-removal never skips an unvisited entry.
    // New connections appended above have revents == 0 and are skipped.
    for (std::size_t i = fds.size(); i-- > first_conn;) {
      const short ev = fds[i].revents;
      if (ev == 0) {
        continue;
      }
      fds[i].revents = 0;
      Connection& c = conns[i - first_conn];
      Connection::Status st = Connection::Status::kOpen;
      if ((ev & POLLOUT) != 0) {
        st = c.on_writable();
      } else if ((ev & (POLLIN | POLLHUP | POLLERR)) != 0) {
        st = c.on_readable(rx, kReadBudget);
      }
      if (st == Connection::Status::kClosed) {
        remove(i);
        continue;
      }
      fds[i].events = c.wants_write() ? POLLOUT : POLLIN;
    }
  }
  for (Connection& c : conns) {
    c.retire();
  }
}

}  // namespace netbench::receiver
