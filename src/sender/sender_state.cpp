#include "sender/sender_state.hpp"

#include <chrono>

#include "netbench/clock.hpp"

namespace netbench::sender {

bool SenderState::wait_finished_until(unsigned loops, std::uint64_t deadline_ns) {
  std::unique_lock lock(mutex_);
  if (deadline_ns == UINT64_MAX) {
    cv_.wait(lock, [&] { return finished_loops_ >= loops; });
    return true;
  }
  const std::uint64_t now = now_ns();
  if (deadline_ns > now) {
    cv_.wait_for(lock, std::chrono::nanoseconds(deadline_ns - now),
                 [&] { return finished_loops_ >= loops; });
  }
  return finished_loops_ >= loops;
}

}  // namespace netbench::sender
