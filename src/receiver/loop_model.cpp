#include "receiver/loop_model.hpp"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sched.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <ctime>
#include <exception>

#include "netbench/clock.hpp"
#include "netbench/error.hpp"
#include "sys/accept.hpp"
#include "sys/socket_ops.hpp"
#include "sys/thread_control.hpp"
#include "sys/waker.hpp"

namespace netbench::receiver {

LoopModel::~LoopModel() { stop(); }

void LoopModel::start(ServeSet sockets) {
  check(sockets);
  const unsigned loops = loop_count(state_->spec());
  std::vector<ServeSet> parts(loops);
  for (std::size_t i = 0; i < sockets.tcp_listeners.size(); ++i) {
    parts[i % loops].tcp_listeners.push_back(std::move(sockets.tcp_listeners[i]));
  }
  for (std::size_t i = 0; i < sockets.udp_flows.size(); ++i) {
    parts[i % loops].udp_flows.push_back(std::move(sockets.udp_flows[i]));
  }
  for (std::size_t i = 0; i < sockets.tcp_connections.size(); ++i) {
    parts[i % loops].tcp_connections.push_back(std::move(sockets.tcp_connections[i]));
  }
  for (unsigned i = 0; i < loops; ++i) {
    wakers_.emplace_back();
  }
  std::vector<ThreadState*> threads;
  for (unsigned i = 0; i < loops; ++i) {
    threads.push_back(&state_->add_thread());
  }
  {
    const std::lock_guard lock(ready_mutex_);
    not_serving_.assign(threads.begin(), threads.end());
  }
  for (unsigned i = 0; i < loops; ++i) {
    ThreadState& thread = *threads[i];
    threads_.emplace_back([this, part = std::move(parts[i]), wake = wakers_[i].fd(), &thread,
                           i](std::stop_token stop) mutable {
      // Loop i on the i-th CPU of --cpu's receiver list, round robin.
      sys::pin_current_thread(sys::cpu_of_thread(state_->spec().receiver_cpus, i));
      // Wakes the loop from its wait as soon as a stop is requested.
      const std::stop_callback on_stop(stop, [wake] { sys::signal_eventfd(wake); });
      if (!announces_serving()) {
        serving(thread);
      }
      try {
        run_loop(std::move(part), wake, thread, stop);
      } catch (const std::exception& e) {
        state_->record_failure(e);
      }
      serving(thread);  // ended: start() waits no longer for it
      record_thread_exit(thread);
    });
  }
  std::unique_lock lock(ready_mutex_);
  ready_cv_.wait_for(lock, kServeWait, [this] { return not_serving_.empty(); });
}

void LoopModel::serving(const ThreadState& thread) noexcept {
  const std::lock_guard lock(ready_mutex_);
  const auto it = std::find(not_serving_.begin(), not_serving_.end(), &thread);
  if (it != not_serving_.end()) {
    not_serving_.erase(it);
    ready_cv_.notify_all();
  }
}

void LoopModel::stop() noexcept {
  stop_and_join(threads_);
  wakers_.clear();
}

Connection LoopModel::udp_connection(FlowSocket flow, ThreadState& thread) const {
  FlowState& f = state_->add_flow();
  f.stats.flow_id = flow.flow_id;
  // A connect-mode socket answers every flow (records by flow id of its own).
  f.flow_id_known = state_->spec().mode != Mode::kConnect;
  sys::set_nonblocking(flow.fd.get(), true);
  return Connection(std::move(flow.fd), Proto::kUdp, f, thread, *state_, false);
}

std::optional<Connection> LoopModel::accept_connection(int listener, ThreadState& thread) const {
  Fd fd = sys::accept_admitted(
      listener, SOCK_NONBLOCK | SOCK_CLOEXEC,
      [this](const sockaddr_storage& from) { return state_->admit_tcp(from); });
  if (!fd) {
    return std::nullopt;
  }
  return tcp_connection(std::move(fd), thread);
}

Connection LoopModel::tcp_connection(Fd fd, ThreadState& thread) const {
  if (state_->spec().tcp_nodelay()) {
    // Echo replies are small and latency-bound: do not let Nagle hold them.
    const int one = 1;
    ::setsockopt(fd.get(), IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  }
  return Connection(std::move(fd), Proto::kTcp, state_->add_flow(), thread, *state_, false);
}

Connection LoopModel::opened_connection(Fd fd, ThreadState& thread) const {
  sys::set_nonblocking(fd.get(), true);
  return tcp_connection(std::move(fd), thread);
}

std::vector<std::byte> LoopModel::make_rx_buffer() const {
  return std::vector<std::byte>(receive_buffer_bytes(state_->spec()));
}

void spin_pause() noexcept { ::sched_yield(); }

bool after_wait(int n, const char* call, int timeout_ms, ThreadState& thread) {
  if (n < 0) {
    if (errno == EINTR) {
      return false;
    }
    throw SystemError(call, "", errno);
  }
  thread.maybe_flush(now_ns());
  if (n == 0) {
    if (timeout_ms == 0) {
      spin_pause();
    }
    return false;
  }
  ++thread.loop.wakeups;
  thread.loop.ready_events += static_cast<std::uint64_t>(n);
  return true;
}

void coalesce_pause(std::uint64_t ns) noexcept {
  if (ns > 0) {
    const timespec ts{static_cast<time_t>(ns / 1'000'000'000),
                      static_cast<long>(ns % 1'000'000'000)};
    ::nanosleep(&ts, nullptr);
  }
}

}  // namespace netbench::receiver
