#pragma once

#include <optional>
#include <stop_token>

#include "sys/waker.hpp"

namespace netbench::app {

/// An eventfd that becomes readable when `stop` is requested (or notify() is
/// called), so that a poll() over sockets also wakes at once for a stop
/// instead of waiting in short slices. Not copyable; notify() and the stop
/// callback are thread-safe, the rest belongs to the owning thread.
class StopWaker {
 public:
  /// Throws SystemError if no eventfd can be made.
  explicit StopWaker(std::stop_token stop);
  StopWaker(const StopWaker&) = delete;
  StopWaker& operator=(const StopWaker&) = delete;
  ~StopWaker() = default;

  /// Borrowed descriptor to poll for POLLIN.
  [[nodiscard]] int fd() const noexcept { return waker_.fd(); }
  /// Makes fd() readable (another thread has news for the owner).
  void notify() const noexcept { waker_.notify(); }
  /// Consumes the pending wake-ups (after poll() reported fd() readable).
  void drain() const noexcept { waker_.drain(); }

 private:
  sys::Waker waker_;
  struct Notify {
    const StopWaker* waker;
    void operator()() const noexcept { waker->notify(); }
  };
  std::optional<std::stop_callback<Notify>> on_stop_;
};

}  // namespace netbench::app
