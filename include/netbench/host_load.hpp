#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace netbench {

/// The aggregate "cpu" line of /proc/stat: time every CPU spent in each
/// state since boot, in clock ticks (USER_HZ).
struct HostCpuTimes {
  std::uint64_t user = 0;  ///< includes guest
  std::uint64_t nice = 0;
  std::uint64_t system = 0;
  std::uint64_t idle = 0;
  std::uint64_t iowait = 0;
  std::uint64_t irq = 0;
  std::uint64_t softirq = 0;
  std::uint64_t steal = 0;  ///< taken by the hypervisor for other guests
  [[nodiscard]] std::uint64_t total() const noexcept;
  [[nodiscard]] std::uint64_t busy() const noexcept;  ///< all but idle, iowait, steal
};

/// Thresholds of host_load_warnings(), as fractions of the host's CPU time.
inline constexpr double kStealWarning = 0.01;      ///< 1% of all CPUs stolen
inline constexpr double kOtherLoadWarning = 0.10;  ///< 10% of all CPUs busy with others

/// Warnings about a host that was not quiet during a run, pure: `before`
/// and `after` the run's /proc/stat, `own_cpu_s` the CPU seconds netbench's
/// measured threads used (user + sys), `ticks_per_s` USER_HZ. One line each:
/// steal above kStealWarning of the CPU time, and busy time not accounted to
/// netbench above kOtherLoadWarning. Empty when `after` is not later.
[[nodiscard]] std::vector<std::string> host_load_warnings(const HostCpuTimes& before,
                                                          const HostCpuTimes& after,
                                                          double own_cpu_s, double ticks_per_s);

}  // namespace netbench
