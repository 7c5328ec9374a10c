#include "run/drain.hpp"

#include <algorithm>
#include <thread>

#include "measure/saturating.hpp"
#include "netbench/clock.hpp"

namespace netbench::run {

std::uint64_t drain_limit_ns(const TestSpec& spec) noexcept {
  return std::max<std::uint64_t>(2'000'000'000, mul_saturating(spec.interval_ns, 2));
}

std::uint64_t wait_drained(const TestSpec& spec, std::uint64_t total_sent,
                           const std::function<ReceiverLive()>& live, std::stop_token stop,
                           std::chrono::milliseconds tick) {
  std::uint64_t last_bytes = UINT64_MAX;
  std::uint64_t last_change = now_ns();
  const std::uint64_t give_up = add_saturating(last_change, drain_limit_ns(spec));
  for (;;) {
    const ReceiverLive l = live();
    const std::uint64_t now = now_ns();
    if (l.bytes != last_bytes) {
      last_bytes = l.bytes;
      last_change = now;
    }
    const bool all_in =
        spec.proto == Proto::kTcp ? l.finished_flows >= spec.flows : l.messages >= total_sent;
    if (all_in || stop.stop_requested() || now - last_change > kDrainIdleNs || now >= give_up) {
      return last_change;
    }
    std::this_thread::sleep_for(tick);
  }
}

}  // namespace netbench::run
