#pragma once

#include <signal.h>

#include <atomic>
#include <stop_token>
#include <thread>

namespace netbench::app {

/// Turns SIGINT/SIGTERM into a stop request: the signals are blocked in
/// every thread (construct it before starting any) and one watcher thread
/// waits for them. `source` must outlive this object.
class SignalStop {
 public:
  explicit SignalStop(std::stop_source& source);
  SignalStop(const SignalStop&) = delete;
  SignalStop& operator=(const SignalStop&) = delete;
  ~SignalStop() = default;

  /// The signal that requested the stop (SIGINT, SIGTERM), or 0 if none came.
  [[nodiscard]] int signal() const noexcept { return signal_; }

 private:
  sigset_t set_{};
  std::atomic<int> signal_{0};
  std::jthread watcher_;
};

}  // namespace netbench::app
