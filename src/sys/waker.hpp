#pragma once

#include "netbench/fd.hpp"

namespace netbench::sys {

/// Makes eventfd `fd` (borrowed) readable, waking a thread that waits on it
/// in poll, select or epoll. Callable from any thread (a stop callback);
/// fails only if the counter would overflow, when it is readable anyway.
void signal_eventfd(int fd) noexcept;

/// Consumes the pending wake-ups of non-blocking eventfd `fd` (borrowed),
/// after a wait reported it readable. Call from the waiting thread.
void drain_eventfd(int fd) noexcept;

/// An owned non-blocking, close-on-exec eventfd through which one thread
/// wakes another out of its wait for sockets. Move-only. notify() is
/// thread-safe; drain() belongs to the thread that waits on fd().
class Waker {
 public:
  /// Throws SystemError("eventfd", `where`, errno) if none can be made.
  explicit Waker(const char* where = "");

  /// Borrowed descriptor to wait on for readability (POLLIN, EPOLLIN).
  [[nodiscard]] int fd() const noexcept { return fd_.get(); }
  /// Makes fd() readable.
  void notify() const noexcept { signal_eventfd(fd_.get()); }
  /// Consumes the pending wake-ups.
  void drain() const noexcept { drain_eventfd(fd_.get()); }

 private:
  Fd fd_;
};

}  // namespace netbench::sys
