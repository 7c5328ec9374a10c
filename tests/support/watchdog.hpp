// A test's guard against a hang: run an engine under a stop token that a
// watchdog thread trips after a timeout, so that a run that never ends comes
// back incomplete (and fails its test) instead of blocking the suite.
#pragma once

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <stop_token>
#include <thread>

namespace netbench::test_support {

/// The timeout of one engine run in the engine tests: generous, since a
/// sanitizer build on a loaded CI machine is many times slower.
inline constexpr std::chrono::seconds kRunTimeout{60};

/// `body(token)` with a token that is stopped `timeout` after the call began
/// unless `body` returned first; returns what `body` returns.
template <typename Body>
auto with_watchdog(Body&& body, std::chrono::seconds timeout = kRunTimeout) {
  std::stop_source guard;
  const std::jthread watchdog([&guard, timeout](std::stop_token done) {
    std::mutex m;
    std::condition_variable_any cv;
    std::unique_lock lock(m);
    cv.wait_for(lock, done, timeout, [] { return false; });
    if (!done.stop_requested()) {
      guard.request_stop();
    }
  });
  return body(guard.get_token());
}

}  // namespace netbench::test_support
