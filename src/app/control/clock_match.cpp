#include "app/control/clock_match.hpp"

#include <fstream>

namespace netbench::app {

std::string decide_clock(const ClockEvidence& e) {
  const auto separate = [](const std::string& why) {
    return "separate clocks (" + why + "): one-way delay variation only";
  };
  if (e.client_boot_id.empty() || e.server_boot_id.empty()) {
    return separate("boot id unknown");
  }
  if (e.client_boot_id != e.server_boot_id) {
    return separate("different hosts");
  }
  if (!e.client_sent_ns) {
    return separate("no clock reading");
  }
  // One clock: the client read it before sending, we read it after decoding.
  const std::uint64_t sent = *e.client_sent_ns;
  if (sent > e.server_received_ns || e.server_received_ns - sent > e.rtt_ns + kClockSlackNs) {
    return separate("same kernel, clocks offset");
  }
  return kSharedClock;
}

bool is_shared_clock(const std::string& clock) { return clock == kSharedClock; }

std::string read_boot_id() {
  std::ifstream in("/proc/sys/kernel/random/boot_id");
  std::string id;
  std::getline(in, id);
  return id;
}

}  // namespace netbench::app
