#include <arpa/inet.h>

#include <cstring>
#include <string>

#include "netbench/error.hpp"
#include "netbench/test_spec.hpp"

namespace netbench {
namespace {

/// True if `text` is a dotted-quad IPv4 address in 224.0.0.0/4.
bool is_ipv4_multicast(const std::string& text) noexcept {
  in_addr a{};
  if (::inet_pton(AF_INET, text.c_str(), &a) != 1) {
    return false;
  }
  return (ntohl(a.s_addr) >> 28U) == 0xEU;
}

}  // namespace

void validate_fanout(const TestSpec& spec) {
  const auto fail = [](const std::string& text) { throw ConfigError(text); };
  const std::string how = spec.broadcast ? "--broadcast" : "--multicast " + spec.multicast_group;
  if (spec.broadcast && !spec.multicast_group.empty()) {
    fail("--multicast and --broadcast are two ways to fan out: give one of them");
  }
  if (spec.receivers == 0 || spec.receivers > kMaxReceivers) {
    fail("--receivers must be between 1 and " + std::to_string(kMaxReceivers) + ", got " +
         std::to_string(spec.receivers));
  }
  if (!spec.fanout()) {
    if (spec.receivers != 1) {
      fail("--receivers " + std::to_string(spec.receivers) +
           " needs --multicast GROUP or --broadcast (one datagram reaching every receiver): "
           "add one or drop --receivers");
    }
    if (!spec.receiver_devices.empty()) {
      fail(
          "--receiver-dev names the fan-out receivers' interfaces: add --multicast GROUP or "
          "--broadcast, or use --bind-dev");
    }
    return;
  }
  if (!spec.multicast_group.empty() && !is_ipv4_multicast(spec.multicast_group)) {
    fail("--multicast " + spec.multicast_group +
         " is not an IPv4 multicast address (224.0.0.0 to 239.255.255.255); use e.g. 239.1.2.3");
  }
  if (spec.proto != Proto::kUdp) {
    fail(how +
         ": TCP cannot fan out (a connection has exactly one peer; N receivers take N "
         "connections, --flows N): use --proto udp");
  }
  if (spec.mode != Mode::kStream) {
    fail(how + " with --mode " + std::string(to_string(spec.mode)) +
         ": every receiver would answer each request, so replies could not be told apart: use "
         "--mode stream");
  }
  if (spec.direction != Direction::kForward) {
    fail(how + " with " + (spec.direction == Direction::kReverse ? "--reverse" : "--bidir") +
         ": fan-out has one sender (this side) and N receivers: drop " +
         (spec.direction == Direction::kReverse ? "--reverse" : "--bidir"));
  }
  if (spec.family == Family::kV6) {
    fail(how +
         " is IPv4 only (IPv6 has no broadcast, and its multicast is not built yet): "
         "drop -6");
  }
  if (!spec.full_stats()) {
    fail(how +
         " reports each receiver's loss, order and delay, which --stats counts does not "
         "measure: drop --stats counts");
  }
  if (spec.probe_rate_msgs_per_s > 0) {
    fail(
        "--probe is a unicast echo flow to one receiver, beside a fan-out it measures no "
        "receiver's path: drop --probe");
  }
  if (!spec.receiver_devices.empty() && spec.receiver_devices.size() != spec.receivers) {
    fail("--receiver-dev names " + std::to_string(spec.receiver_devices.size()) +
         " interfaces for --receivers " + std::to_string(spec.receivers) +
         ": give one per receiver");
  }
  for (const std::string& dev : spec.receiver_devices) {
    if (dev.empty() || dev.size() >= kMaxInterfaceNameBytes) {
      fail("--receiver-dev '" + dev + "' is not an interface name (1 to " +
           std::to_string(kMaxInterfaceNameBytes - 1) + " bytes)");
    }
  }
}

}  // namespace netbench
