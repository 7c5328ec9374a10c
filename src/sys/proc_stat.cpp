#include "sys/proc_stat.hpp"

#include <unistd.h>

#include <cstdio>

namespace netbench::sys {

std::optional<HostCpuTimes> read_host_cpu_times() noexcept {
  std::FILE* f = std::fopen("/proc/stat", "re");
  if (f == nullptr) {
    return std::nullopt;
  }
  HostCpuTimes t;
  unsigned long long v[8] = {};
  const int n = std::fscanf(f, "cpu %llu %llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1], &v[2],
                            &v[3], &v[4], &v[5], &v[6], &v[7]);
  std::fclose(f);
  if (n < 4) {
    return std::nullopt;
  }
  t.user = v[0];
  t.nice = v[1];
  t.system = v[2];
  t.idle = v[3];
  t.iowait = v[4];
  t.irq = v[5];
  t.softirq = v[6];
  t.steal = v[7];
  return t;
}

double host_ticks_per_s() noexcept {
  const long t = ::sysconf(_SC_CLK_TCK);
  return t > 0 ? static_cast<double>(t) : 100.0;
}

}  // namespace netbench::sys
