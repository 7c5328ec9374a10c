#include "app/remote/client_checks.hpp"

#include <algorithm>
#include <vector>

#include "app/control/control_channel.hpp"
#include "measure/saturating.hpp"

namespace netbench::app {

std::uint32_t max_setup_message_bytes(const TestSpec& spec) noexcept {
  return static_cast<std::uint32_t>(
      std::min<std::uint64_t>(kMaxControlBytes, (4U << 10) + std::uint64_t{8} * spec.flows));
}

std::uint32_t max_live_message_bytes() noexcept { return (8U << 10) + kMaxHistogramWireBytes; }

std::uint32_t max_result_message_bytes(const TestSpec& spec) noexcept {
  const std::uint64_t bound = (std::uint64_t{64} << 10) + std::uint64_t{6 << 10} * spec.flows +
                              std::uint64_t{3} * kMaxHistogramWireBytes;
  return static_cast<std::uint32_t>(std::min<std::uint64_t>(kMaxControlBytes, bound));
}

std::chrono::milliseconds reply_deadline(const TestSpec& spec) noexcept {
  const std::uint64_t twice_ms = mul_saturating(spec.interval_ns / 1'000'000, 2);
  return std::chrono::milliseconds(
      static_cast<std::int64_t>(std::clamp<std::uint64_t>(twice_ms, 2'000, 3'600'000)));
}

std::string check_ready(const TestSpec& spec, const Ready& ready) {
  // One port for TCP and for connect mode (its UDP requests all go to one
  // answering socket), a port per flow for UDP otherwise.
  const bool one_port = spec.proto == Proto::kTcp || spec.mode == Mode::kConnect;
  const std::size_t want = one_port ? 1 : spec.flows;
  if (ready.ports.size() != want) {
    return "ready.ports: " + std::to_string(ready.ports.size()) + " ports for a test that needs " +
           std::to_string(want);
  }
  if (std::find(ready.ports.begin(), ready.ports.end(), 0) != ready.ports.end()) {
    return "ready.ports: port 0";
  }
  if (spec.proto == Proto::kUdp && spec.mode != Mode::kConnect && !ready.token) {
    return "ready.token: missing for a UDP test";
  }
  return {};
}

std::string check_live(const TestSpec& spec, const ReceiverLive& before, const ReceiverLive& now) {
  if (now.messages < before.messages || now.bytes < before.bytes ||
      now.reordered < before.reordered || now.duplicates < before.duplicates ||
      now.flows < before.flows || now.finished_flows < before.finished_flows) {
    return "live: a running total went down";
  }
  if (now.flows > spec.flows || now.finished_flows > now.flows) {
    return "live.flows: " + std::to_string(now.flows) + " flows (" +
           std::to_string(now.finished_flows) + " finished) in a test of " +
           std::to_string(spec.flows);
  }
  return {};
}

std::string check_result(const TestSpec& spec, const RunResult& part) {
  const auto& flows = part.receiver_flows;
  // UDP: every flow has its socket, hence its record. TCP: a connection
  // becomes a flow with its first message, so a flow that sent none has no
  // record.
  if (spec.proto == Proto::kUdp ? flows.size() != spec.flows : flows.size() > spec.flows) {
    return "result.receiver_flows: " + std::to_string(flows.size()) + " flows for a test of " +
           std::to_string(spec.flows);
  }
  std::vector<bool> seen(spec.flows, false);
  for (const FlowRecvStats& f : flows) {
    if (f.flow_id >= spec.flows) {
      return "result.receiver_flows: flow id " + std::to_string(f.flow_id) + " in a test of " +
             std::to_string(spec.flows) + " flows";
    }
    if (seen[f.flow_id]) {
      return "result.receiver_flows: flow id " + std::to_string(f.flow_id) + " twice";
    }
    seen[f.flow_id] = true;
  }
  return {};
}

}  // namespace netbench::app
