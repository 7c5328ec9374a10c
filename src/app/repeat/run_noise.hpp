#pragma once

#include <cstdint>
#include <optional>
#include <stop_token>

#include "netbench/host_load.hpp"
#include "netbench/results.hpp"

namespace netbench::app {

/// Reads /proc/stat when constructed (just before a run) and, in finish(),
/// again, adding to the run's warnings what the host did meanwhile besides
/// netbench (host_load_warnings()). Silent where /proc/stat is unreadable.
class HostLoadProbe {
 public:
  HostLoadProbe();
  /// Appends host-load warnings to `r.warnings`, with `r`'s own CPU time
  /// (both sides' threads) taken out of the busy time.
  void finish(RunResult& r) const;

 private:
  std::optional<HostCpuTimes> before_;
};

/// Prints each of `r.warnings` to stderr as "netbench: warning: ..." (one
/// line each), unless `quiet`.
void print_warnings(const RunResult& r, bool quiet);

/// Sleeps `ns` (--cooldown) unless `stop` is requested first. Returns false
/// when stopped.
bool cool_down(std::uint64_t ns, std::stop_token stop);

}  // namespace netbench::app
