#include "receiver/models/thread_model.hpp"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cerrno>
#include <exception>
#include <memory>

#include "netbench/clock.hpp"
#include "netbench/error.hpp"
#include "receiver/connection.hpp"
#include "receiver/loop_model.hpp"
#include "sys/accept.hpp"
#include "sys/socket_ops.hpp"
#include "sys/thread_control.hpp"
#include "sys/waker.hpp"

namespace netbench::receiver {
namespace {

/// All connection threads' receive buffers of one test stay within this:
/// a thread per flow holds one each (4,096 flows × 64 KiB was 256 MiB).
constexpr std::size_t kThreadBuffersBudget = std::size_t{32} << 20;
/// The smallest TCP read buffer a connection thread shrinks to.
constexpr std::size_t kMinTcpRxBytes = std::size_t{16} << 10;

/// One connection thread's receive buffer: the loops' size, shrunk with many
/// flows to the budget's share, never below one UDP datagram (or 16 KiB for
/// TCP, where a smaller read only costs more calls).
std::size_t thread_rx_bytes(const TestSpec& spec) noexcept {
  const std::size_t full = receive_buffer_bytes(spec);
  const std::size_t share = kThreadBuffersBudget / std::max<std::uint32_t>(spec.flows, 1);
  const std::size_t floor = spec.proto == Proto::kUdp ? udp_slot_bytes(spec) : kMinTcpRxBytes;
  return std::max(floor, std::min(full, share));
}

// Upper bound on how long a blocked recv waits before it checks for a stop.
constexpr timeval kRecvTimeout{0, 100'000};

/// Serves one socket on the calling thread until the peer goes or a stop.
/// `index` places the thread on a CPU of --cpu's receiver list.
void serve_socket(Fd fd, Proto proto, FlowState& flow, std::size_t index, ReceiverState& state,
                  std::stop_token stop) {
  sys::pin_current_thread(sys::cpu_of_thread(state.spec().receiver_cpus, index));
  // One thread per flow: its samples go to the test's pool (bounded memory).
  ThreadState& thread = state.add_thread(true);
  const int raw = fd.get();
  // --busy-poll: non-blocking reads in a spin loop that checks the stop
  // token each round; otherwise a blocking read that times out to check it.
  const bool busy = state.spec().busy_poll;
  if (busy) {
    sys::set_nonblocking(raw, true);
  } else {
    ::setsockopt(raw, SOL_SOCKET, SO_RCVTIMEO, &kRecvTimeout, sizeof kRecvTimeout);
  }
  if (proto == Proto::kTcp && state.spec().tcp_nodelay()) {
    const int one = 1;
    ::setsockopt(raw, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  }
  Connection conn(std::move(fd), proto, flow, thread, state, !busy, stop);
  {
    // shutdown() makes a blocked recv return at once. The descriptor stays
    // open (conn owns it) until this thread ends, so it cannot be reused.
    const std::stop_callback on_stop(stop, [raw] { ::shutdown(raw, SHUT_RDWR); });
    std::vector<std::byte> rx(thread_rx_bytes(state.spec()));
    while (!stop.stop_requested()) {
      if (conn.on_readable(rx, 1) == Connection::Status::kClosed) {
        break;
      }
      if (busy && conn.idle()) {
        spin_pause();
      }
      // --coalesce: pause only before what will be a wait (the socket was
      // drained), as the multiplexing models pause before poll/epoll_wait;
      // pausing after every full batch capped a flow at one batch per pause.
      if (!conn.last_read_full()) {
        coalesce_pause(state.spec().coalesce_ns);
      }
      thread.maybe_flush(now_ns());
    }
  }
  conn.retire();
  record_thread_exit(thread);
  if (state.spec().mode == Mode::kConnect) {
    state.release_thread(thread);  // one transaction's thread: reuse its record
  }
}

/// serve_socket() as a thread's whole body: whatever it throws (a thread
/// record or buffer that cannot be allocated) fails the test, not the process.
void serve(Fd fd, Proto proto, FlowState& flow, std::size_t index, ReceiverState& state,
           std::stop_token stop) noexcept {
  try {
    serve_socket(std::move(fd), proto, flow, index, state, std::move(stop));
  } catch (const std::exception& e) {
    state.record_failure(e, flow.stats.flow_id);
    flow.finished.store(true, std::memory_order_relaxed);
  }
}

}  // namespace

ThreadModel::~ThreadModel() { stop(); }

void ThreadModel::start(ServeSet sockets) {
  wake_.emplace();
  for (FlowSocket& f : sockets.udp_flows) {
    FlowState& flow = state_->add_flow();
    flow.stats.flow_id = f.flow_id;
    // A connect-mode socket answers every flow (records by flow id of its own).
    flow.flow_id_known = state_->spec().mode != Mode::kConnect;
    threads_.emplace_back(
        [this, fd = std::move(f.fd), &flow, index = f.flow_id](std::stop_token stop) mutable {
          serve(std::move(fd), Proto::kUdp, flow, index, *state_, stop);
        });
  }
  for (std::size_t i = 0; i < sockets.tcp_connections.size(); ++i) {
    // Opened by this side (--reverse): blocking, as accepted connections are.
    Fd& fd = sockets.tcp_connections[i];
    sys::set_nonblocking(fd.get(), false);
    FlowState& flow = state_->add_flow();
    threads_.emplace_back([this, fd = std::move(fd), &flow, i](std::stop_token stop) mutable {
      serve(std::move(fd), Proto::kTcp, flow, i, *state_, stop);
    });
    state_->count_thread_started();
  }
  for (Fd& l : sockets.tcp_listeners) {
    ThreadState& thread = state_->add_thread();
    threads_.emplace_back(
        [this, l = std::move(l), wake = wake_->fd(), &thread](std::stop_token stop) mutable {
          sys::pin_current_thread(state_->spec().receiver_cpus);
          const std::stop_callback on_stop(stop, [wake] { sys::signal_eventfd(wake); });
          try {
            accept_loop(std::move(l), wake, thread, stop);
          } catch (const std::exception& e) {
            state_->record_failure(e);
          }
          record_thread_exit(thread);
        });
  }
}

void ThreadModel::accept_loop(Fd listener, int wake_fd, ThreadState& thread, std::stop_token stop) {
  // Connection threads live here; leaving this scope stops and joins them.
  // Each sets its flag as it ends, and the loop joins the ended ones, so
  // that a test of many short connections (--mode connect) holds the
  // threads of the connections open at once, not one per connection made.
  struct Worker {
    std::unique_ptr<std::atomic<bool>> ended;
    std::jthread thread;
  };
  std::vector<Worker> workers;
  std::size_t started = 0;
  const auto reap = [&workers] {
    std::erase_if(workers, [](Worker& w) {
      if (!w.ended->load(std::memory_order_acquire)) {
        return false;
      }
      w.thread.join();
      return true;
    });
  };
  std::array<pollfd, 2> fds{{{listener.get(), POLLIN, 0}, {wake_fd, POLLIN, 0}}};
  while (!stop.stop_requested()) {
    const int n = ::poll(fds.data(), fds.size(), 100);
    if (n < 0 && errno != EINTR) {
      throw SystemError("poll", "acceptor", errno);
    }
    reap();
    if (n <= 0) {
      continue;
    }
    ++thread.loop.wakeups;
    thread.loop.ready_events += static_cast<std::uint64_t>(n);
    if (fds[1].revents != 0) {
      break;
    }
    // The listener is non-blocking: keep accepting until it is empty. The
    // connections themselves are blocking (SOCK_NONBLOCK not given).
    const auto admit = [this](const sockaddr_storage& from) { return state_->admit_tcp(from); };
    while (Fd fd = sys::accept_admitted(listener.get(), SOCK_CLOEXEC, admit)) {
      FlowState& flow = state_->add_flow();
      auto ended = std::make_unique<std::atomic<bool>>(false);
      // Connections take the receiver's CPUs in the order they arrive.
      std::jthread t([this, fd = std::move(fd), &flow, index = started,
                      done = ended.get()](std::stop_token s) mutable {
        serve(std::move(fd), Proto::kTcp, flow, index, *state_, s);
        done->store(true, std::memory_order_release);
      });
      workers.push_back({std::move(ended), std::move(t)});
      ++started;
      state_->count_thread_started();
    }
  }
}

void ThreadModel::stop() noexcept {
  stop_and_join(threads_);
  wake_.reset();
}

}  // namespace netbench::receiver
