#pragma once

#include <optional>

#include "netbench/host_load.hpp"

namespace netbench::sys {

/// The "cpu" line of /proc/stat now; nullopt when it cannot be read (no
/// /proc, another OS). Thread-safe.
[[nodiscard]] std::optional<HostCpuTimes> read_host_cpu_times() noexcept;

/// Clock ticks per second of /proc/stat (sysconf(_SC_CLK_TCK), usually 100).
[[nodiscard]] double host_ticks_per_s() noexcept;

}  // namespace netbench::sys
