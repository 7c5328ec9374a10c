#include "app/repeat/run_noise.hpp"

#include <chrono>
#include <cstdio>
#include <thread>

#include "sys/proc_stat.hpp"

namespace netbench::app {

HostLoadProbe::HostLoadProbe() : before_(sys::read_host_cpu_times()) {}

void HostLoadProbe::finish(RunResult& r) const {
  const std::optional<HostCpuTimes> after = sys::read_host_cpu_times();
  if (!before_ || !after) {
    return;
  }
  const double own =
      r.sender.cpu.user_s + r.sender.cpu.sys_s + r.receiver.cpu.user_s + r.receiver.cpu.sys_s;
  for (std::string& w : host_load_warnings(*before_, *after, own, sys::host_ticks_per_s())) {
    r.warnings.push_back(std::move(w));
  }
}

void print_warnings(const RunResult& r, bool quiet) {
  if (quiet) {
    return;
  }
  for (const std::string& w : r.warnings) {
    std::fprintf(stderr, "netbench: warning: %s\n", w.c_str());
  }
}

bool cool_down(std::uint64_t ns, std::stop_token stop) {
  const auto until = std::chrono::steady_clock::now() + std::chrono::nanoseconds(ns);
  while (!stop.stop_requested()) {
    const auto now = std::chrono::steady_clock::now();
    if (now >= until) {
      return true;
    }
    std::this_thread::sleep_for(
        std::min<std::chrono::steady_clock::duration>(until - now, std::chrono::milliseconds(50)));
  }
  return false;
}

}  // namespace netbench::app
