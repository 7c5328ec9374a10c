#pragma once

#include <thread>
#include <vector>

namespace netbench::receiver {

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
