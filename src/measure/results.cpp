#include "netbench/results.hpp"

#include "netbench/interval_meter.hpp"

namespace netbench {

std::string_view to_string(PeerKind k) noexcept {
  switch (k) {
    case PeerKind::kInProcess:
      return "in_process";
    case PeerKind::kNetbenchServe:
      return "netbench_serve";
    case PeerKind::kPlainEcho:
      return "plain_echo";
  }
  return "in_process";
}

void CpuUsage::add(const CpuUsage& o) noexcept {
  user_s += o.user_s;
  sys_s += o.sys_s;
  voluntary_switches += o.voluntary_switches;
  involuntary_switches += o.involuntary_switches;
  threads += o.threads;
}

void ZeroCopyStats::add(const ZeroCopyStats& o) noexcept {
  sends += o.sends;
  notifications += o.notifications;
  completions += o.completions;
  zerocopy += o.zerocopy;
  copied += o.copied;
  enobufs_waits += o.enobufs_waits;
  buffer_waits += o.buffer_waits;
  copy_fallbacks += o.copy_fallbacks;
  unexpected += o.unexpected;
  outstanding_at_end += o.outstanding_at_end;
}

double PacingStats::achieved_msgs_per_s() const noexcept {
  // n sends span n − 1 gaps.
  if (sends < 2 || last_send_ns <= first_send_ns) {
    return 0;
  }
  return per_second(sends - 1, last_send_ns - first_send_ns);
}

}  // namespace netbench
