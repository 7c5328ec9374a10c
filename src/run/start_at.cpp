#include "run/start_at.hpp"

#include <cerrno>
#include <ctime>

#include "netbench/clock.hpp"

namespace netbench::run {
namespace {

/// Longest single sleep: a stop request waits at most this.
constexpr std::uint64_t kStepNs = 50'000'000;

timespec timespec_of(std::uint64_t ns) {
  timespec ts{};
  ts.tv_sec = static_cast<time_t>(ns / 1'000'000'000ULL);
  ts.tv_nsec = static_cast<long>(ns % 1'000'000'000ULL);
  return ts;
}

}  // namespace

bool wait_until_wall(std::uint64_t unix_ns, std::stop_token stop) {
  for (;;) {
    if (stop.stop_requested()) {
      return false;
    }
    const std::uint64_t now = wall_ns();
    if (now >= unix_ns) {
      return true;
    }
    // An absolute sleep on CLOCK_REALTIME ends at the time itself even if
    // the clock is stepped meanwhile (clock_nanosleep(2)); the step bounds
    // how long a stop request waits.
    const std::uint64_t until = unix_ns - now > kStepNs ? now + kStepNs : unix_ns;
    const timespec ts = timespec_of(until);
    static_cast<void>(::clock_nanosleep(CLOCK_REALTIME, TIMER_ABSTIME, &ts, nullptr));
  }
}

}  // namespace netbench::run
