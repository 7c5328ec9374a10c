#pragma once

#include <optional>
#include <stop_token>
#include <thread>
#include <vector>

#include "receiver/server_model.hpp"
#include "sys/waker.hpp"

namespace netbench::receiver {

/// Thread per connection: one acceptor thread; every TCP connection (every
/// UDP flow socket) is served by its own thread with blocking recv/send.
/// A stop request shuts the sockets down, which wakes blocked calls; a
/// receive timeout bounds the wait in any case. Pays in threads, stacks and
/// context switches instead of a multiplexer.
class ThreadModel final : public ServerModel {
 public:
  explicit ThreadModel(ReceiverState& state) : state_(&state) {}
  ~ThreadModel() override;

  void start(ServeSet sockets) override;
  void stop() noexcept override;

 private:
  void accept_loop(Fd listener, int wake_fd, ThreadState& thread, std::stop_token stop);

  ReceiverState* state_;
  std::optional<sys::Waker> wake_;
  std::vector<std::jthread> threads_;
};

}  // namespace netbench::receiver
