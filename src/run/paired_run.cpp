#include "netbench/paired_run.hpp"

#include <chrono>
#include <thread>

#include "run/interval_reporter.hpp"
#include "sys/socket_ops.hpp"
#include "netbench/clock.hpp"
#include "netbench/receiver.hpp"
#include "netbench/sender.hpp"

namespace netbench {
namespace {

/// After the sender is done, the receiver drains what is still in flight.
/// It gets this long without any progress before the rest counts as lost.
constexpr std::uint64_t kDrainIdleNs = 300'000'000;
constexpr auto kTick = std::chrono::milliseconds(2);

}  // namespace

RunResult run_paired(const TestSpec& spec_in, const RunHooks& hooks, std::stop_token stop) {
  TestSpec spec = spec_in;
  validate(spec);
  if (spec.bind_address.empty()) {
    spec.bind_address = spec.family == Family::kV6 ? "::1" : "127.0.0.1";
  }
  sys::raise_fd_limit();

  Receiver rx(spec);
  std::vector<Endpoint> targets;
  for (const std::uint16_t port : rx.ports()) {
    Endpoint ep = rx.local();
    ep.set_port(port);
    targets.push_back(ep);
  }
  if (spec.proto == Proto::kTcp) {
    rx.start();  // accept while the sender connects
  }
  Sender tx(spec, targets, spec.model == ModelKind::kSelect);
  if (spec.proto == Proto::kUdp) {
    for (std::uint32_t i = 0; i < spec.flows; ++i) {
      rx.register_udp_peer(i, tx.local(i));
    }
    rx.start();
  }

  IntervalReporter reporter(spec, hooks, tx, &rx);
  reporter.run_sender(stop);

  // Let the receiver take in what is still in flight. The last interval ends
  // at the last progress, not after the idle wait that ends the drain.
  std::uint64_t drained_at = 0;
  if (spec.mode == Mode::kStream) {
    std::uint64_t total_sent = 0;
    for (const std::uint64_t n : tx.sent_by_flow()) {
      total_sent += n;
    }
    std::uint64_t last_count = UINT64_MAX;
    std::uint64_t last_change = now_ns();
    drained_at = last_change;
    for (;;) {
      const ReceiverLive live = rx.live();
      const bool all_in = spec.proto == Proto::kTcp ? live.finished_flows >= spec.flows
                                                    : live.messages >= total_sent;
      if (all_in || stop.stop_requested()) {
        break;
      }
      const std::uint64_t now = now_ns();
      if (live.bytes != last_count) {
        last_count = live.bytes;
        last_change = now;
        drained_at = now;
      } else if (now - last_change > kDrainIdleNs) {
        break;
      }
      std::this_thread::sleep_for(kTick);
    }
  }
  reporter.finish(drained_at);
  rx.stop();

  RunResult result;
  result.spec = spec;
  result.intervals = reporter.take_records();
  tx.collect(result);
  rx.collect(result, tx.sent_by_flow());
  if (const std::string err = rx.error(); !err.empty()) {
    result.complete = false;
    if (result.error.empty()) {
      result.error = "receiver: " + err;
    }
  }
  return result;
}

}  // namespace netbench
