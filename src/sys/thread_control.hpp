#pragma once

#include <unistd.h>

#include <cstdint>
#include <thread>
#include <vector>

namespace netbench::receiver {

/// Makes eventfd `fd` readable, waking a loop that waits on it. Callable
/// from any thread (a stop callback); never fails in a way worth reporting.
inline void signal_eventfd(int fd) noexcept {
  const std::uint64_t one = 1;
  [[maybe_unused]] const ssize_t n = ::write(fd, &one, sizeof one);
}

/// Asks every thread to stop first, then joins them all, so that they wind
/// down in parallel; leaves `threads` empty.
inline void stop_and_join(std::vector<std::jthread>& threads) noexcept {
  for (std::jthread& t : threads) {
    t.request_stop();
  }
  for (std::jthread& t : threads) {
    if (t.joinable()) {
      t.join();
    }
  }
  threads.clear();
}

}  // namespace netbench::receiver
