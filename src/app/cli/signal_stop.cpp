#include "app/cli/signal_stop.hpp"

#include <pthread.h>

#include <ctime>

namespace netbench::app {

SignalStop::SignalStop(std::stop_source& source) {
  sigemptyset(&set_);
  sigaddset(&set_, SIGINT);
  sigaddset(&set_, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &set_, nullptr);
  watcher_ = std::jthread([this, &source](std::stop_token st) {
    // Wake every 100 ms to notice that the owner is done with us.
    const timespec tick{0, 100'000'000};
    while (!st.stop_requested()) {
      const int sig = sigtimedwait(&set_, nullptr, &tick);
      if (sig > 0) {
        signal_ = sig;
        source.request_stop();
        return;
      }
    }
  });
}

}  // namespace netbench::app
