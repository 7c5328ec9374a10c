#pragma once

#include <cstdint>
#include <ctime>

namespace netbench {

/// Nanoseconds of CLOCK_MONOTONIC: the one clock of every netbench timestamp.
/// Callable from any thread; never fails on Linux.
inline std::uint64_t now_ns() noexcept {
  timespec ts{};
  ::clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<std::uint64_t>(ts.tv_sec) * 1'000'000'000ULL +
         static_cast<std::uint64_t>(ts.tv_nsec);
}

/// Nanoseconds of CLOCK_REALTIME since the Unix epoch: the wall clock, for
/// what several hosts must agree on (`--start-at`), never for intervals.
inline std::uint64_t wall_ns() noexcept {
  timespec ts{};
  ::clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<std::uint64_t>(ts.tv_sec) * 1'000'000'000ULL +
         static_cast<std::uint64_t>(ts.tv_nsec);
}

}  // namespace netbench
