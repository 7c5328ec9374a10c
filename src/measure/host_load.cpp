#include "netbench/host_load.hpp"

#include <cstdio>

namespace netbench {

std::uint64_t HostCpuTimes::total() const noexcept {
  return user + nice + system + idle + iowait + irq + softirq + steal;
}

std::uint64_t HostCpuTimes::busy() const noexcept { return user + nice + system + irq + softirq; }

namespace {

std::string percent_line(const char* what, double fraction, double threshold) {
  char buf[160];
  std::snprintf(buf, sizeof buf, "%s %.1f%% of the host's CPU time during the run (> %.0f%%)", what,
                fraction * 100, threshold * 100);
  return buf;
}

}  // namespace

std::vector<std::string> host_load_warnings(const HostCpuTimes& before, const HostCpuTimes& after,
                                            double own_cpu_s, double ticks_per_s) {
  std::vector<std::string> out;
  if (after.total() <= before.total() || ticks_per_s <= 0) {
    return out;
  }
  const auto total = static_cast<double>(after.total() - before.total());
  const double steal =
      after.steal > before.steal ? static_cast<double>(after.steal - before.steal) : 0;
  const double busy =
      after.busy() > before.busy() ? static_cast<double>(after.busy() - before.busy()) : 0;
  const double own = own_cpu_s > 0 ? own_cpu_s * ticks_per_s : 0;
  const double other = busy > own ? busy - own : 0;
  if (steal / total > kStealWarning) {
    out.push_back(percent_line("host CPU steal:", steal / total, kStealWarning));
  }
  if (other / total > kOtherLoadWarning) {
    out.push_back(percent_line("other load on the host: busy", other / total, kOtherLoadWarning));
  }
  return out;
}

}  // namespace netbench
