#pragma once

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <stop_token>
#include <thread>
#include <vector>

#include "netbench/fd.hpp"
#include "receiver/connection.hpp"
#include "receiver/server_model.hpp"
#include "sys/waker.hpp"

namespace netbench::receiver {

/// What every multiplexing model (select, poll, epoll, uring) shares: K event
/// loops, each on its own std::jthread with its share of the sockets (its
/// own SO_REUSEPORT listener; UDP flows dealt round-robin) and an eventfd that
/// a stop request makes readable. Subclasses write only run_loop().
class LoopModel : public ServerModel {
 public:
  explicit LoopModel(ReceiverState& state) : state_(&state) {}
  ~LoopModel() override;

  void start(ServeSet sockets) final;
  void stop() noexcept final;

 protected:
  /// Per-read budget of one socket per wake-up: bounds how long one busy
  /// flow can hold a loop before the others get their turn.
  static constexpr unsigned kReadBudget = 16;
  /// Longest wait of a loop (ms): how often it flushes interval latency.
  static constexpr int kWaitMs = 100;
  /// The timeout of each wait (ms): kWaitMs, or 0 under --busy-poll, when the
  /// loop spins on its wait call rather than sleep in it.
  [[nodiscard]] int wait_ms() const noexcept { return state_->spec().busy_poll ? 0 : kWaitMs; }
  /// --coalesce: the pause before each wait (ns), 0 = none.
  [[nodiscard]] std::uint64_t coalesce_ns() const noexcept { return state_->spec().coalesce_ns; }

  /// Serves `part` until `stop` is requested. Runs on its own thread; may
  /// throw (the error is recorded and the loop ends). `wake_fd` is borrowed.
  virtual void run_loop(ServeSet part, int wake_fd, ThreadState& thread, std::stop_token stop) = 0;
  /// Refuses a setup the model cannot serve (throws ConfigError). Called by
  /// start() before any thread starts.
  virtual void check(const ServeSet& /*sockets*/) const {}
  /// True if run_loop() calls serving() once its loop serves, because it
  /// sets up on its own thread first (uring: a ring and its buffers); false:
  /// a loop serves as soon as run_loop() starts.
  [[nodiscard]] virtual bool announces_serving() const noexcept { return false; }
  /// From run_loop(): the loop of `thread` now serves. start() returns only
  /// when every loop serves (or ended), so that a peer's first bytes are
  /// never left waiting on a loop still setting up. Idempotent.
  void serving(const ThreadState& thread) noexcept;

  [[nodiscard]] ReceiverState& state() const noexcept { return *state_; }
  /// A Connection for a UDP flow socket (registers the flow).
  Connection udp_connection(FlowSocket flow, ThreadState& thread) const;
  /// Accepts one pending connection as a non-blocking Connection; nullopt
  /// when none is pending. Throws SystemError on a fatal accept error.
  std::optional<Connection> accept_connection(int listener, ThreadState& thread) const;
  /// A Connection for accepted TCP connection `fd` (TCP_NODELAY set as the
  /// test needs); `fd` keeps its blocking mode.
  Connection tcp_connection(Fd fd, ThreadState& thread) const;
  /// A non-blocking Connection for TCP connection `fd` this side opened
  /// (ServeSet::tcp_connections).
  Connection opened_connection(Fd fd, ThreadState& thread) const;
  /// A receive buffer sized for the test.
  [[nodiscard]] std::vector<std::byte> make_rx_buffer() const;

 private:
  /// Longest start() waits for the loops to serve.
  static constexpr std::chrono::seconds kServeWait{10};

  ReceiverState* state_;
  std::mutex ready_mutex_;
  std::condition_variable ready_cv_;
  std::vector<const ThreadState*> not_serving_;  ///< loops start() still waits for
  std::vector<sys::Waker> wakers_;               ///< one per loop: a stop wakes it
  std::vector<std::jthread> threads_;
};

/// One empty round of a --busy-poll spin: gives the CPU to another runnable
/// thread, if any (the peer engine, on a machine with fewer cores than
/// spinners, would otherwise wait a whole time slice), else returns at once.
void spin_pause() noexcept;

/// --coalesce: sleeps `ns` (nothing when 0) before the next wait, so that
/// the socket fills meanwhile and one wake-up reads many messages. A sender
/// on loopback pays the receiver's wake-up in its own softirq; a receiver
/// asleep in nanosleep is on no socket's wait queue and costs it nothing.
void coalesce_pause(std::uint64_t ns) noexcept;

/// What every model does after its wait (select, poll, epoll_wait) returned
/// `n` with `timeout_ms`: an EINTR is retried, another error throws
/// SystemError naming `call`, the thread's interval samples are flushed, an
/// empty --busy-poll round yields, and a wake-up is counted with its ready
/// events. True when there are `n` > 0 events to dispatch.
bool after_wait(int n, const char* call, int timeout_ms, ThreadState& thread);

}  // namespace netbench::receiver
