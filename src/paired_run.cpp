#include "netbench/paired_run.hpp"

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "net/socket_ops.hpp"
#include "netbench/clock.hpp"
#include "netbench/receiver.hpp"
#include "netbench/sender.hpp"

namespace netbench {
namespace {

/// After the sender is done, the receiver drains what is still in flight.
/// It gets this long without any progress before the rest counts as lost.
constexpr std::uint64_t kDrainIdleNs = 300'000'000;
constexpr auto kTick = std::chrono::milliseconds(2);

struct Snapshot {
  std::uint64_t at_ns = 0;
  SenderLive tx;
  ReceiverLive rx;
};

IntervalRecord make_interval(const Snapshot& a, const Snapshot& b, std::uint64_t origin,
                             const TestSpec& spec, const LatencyHistogram& lat) {
  IntervalRecord r;
  r.start_ns = a.at_ns - origin;
  r.end_ns = b.at_ns - origin;
  r.sent_messages = b.tx.messages - a.tx.messages;
  r.sent_bytes = b.tx.bytes - a.tx.bytes;
  if (spec.mode == Mode::kEcho) {
    r.received_messages = b.tx.replies - a.tx.replies;
    r.received_bytes = b.tx.reply_bytes - a.tx.reply_bytes;
  } else {
    r.received_messages = b.rx.messages - a.rx.messages;
    r.received_bytes = b.rx.bytes - a.rx.bytes;
  }
  r.reordered = b.rx.reordered - a.rx.reordered;
  r.duplicates = b.rx.duplicates - a.rx.duplicates;
  r.latency_samples = lat.count();
  r.latency_p50_ns = lat.percentile(50);
  r.latency_p99_ns = lat.percentile(99);
  return r;
}

}  // namespace

RunResult run_paired(const TestSpec& spec_in, const RunHooks& hooks, std::stop_token stop) {
  TestSpec spec = spec_in;
  validate(spec);
  if (spec.bind_address.empty()) {
    spec.bind_address = spec.family == Family::kV6 ? "::1" : "127.0.0.1";
  }
  net::raise_fd_limit();

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

  RunResult result;
  // The sender signals its end, so the reporter can sleep until the next
  // interval boundary instead of polling (a polling thread steals the CPU
  // the engines are measured on).
  std::mutex done_mutex;
  std::condition_variable done_cv;
  bool done = false;
  std::jthread sender([&](std::stop_token st) {
    tx.run(st);
    const std::lock_guard lock(done_mutex);
    done = true;
    done_cv.notify_all();
  });
  auto wait_done_until = [&](std::uint64_t deadline_ns) {
    const std::uint64_t now = now_ns();
    std::unique_lock lock(done_mutex);
    if (deadline_ns > now) {
      done_cv.wait_for(lock, std::chrono::nanoseconds(deadline_ns - now), [&] { return done; });
    }
    return done;
  };
  const std::stop_callback forward(stop, [&sender] { sender.request_stop(); });

  auto snapshot = [&] { return Snapshot{now_ns(), tx.live(), rx.live()}; };
  auto take_latency = [&] {
    return spec.mode == Mode::kEcho ? tx.take_interval_latency() : rx.take_interval_latency();
  };
  auto emit = [&](const Snapshot& a, const Snapshot& b, std::uint64_t origin) {
    IntervalRecord r = make_interval(a, b, origin, spec, take_latency());
    if (hooks.on_interval) {
      hooks.on_interval(r);
    }
    result.intervals.push_back(r);
  };

  // Wait for the measured period to begin (warm-up samples are discarded).
  Snapshot prev = snapshot();
  while (!prev.tx.finished &&
         (prev.tx.measured_start_ns == 0 || now_ns() < prev.tx.measured_start_ns)) {
    wait_done_until(prev.tx.measured_start_ns != 0 ? prev.tx.measured_start_ns
                                                   : now_ns() + 1'000'000);
    prev = snapshot();
  }
  static_cast<void>(take_latency());
  const std::uint64_t origin =
      prev.tx.measured_start_ns != 0 ? prev.tx.measured_start_ns : prev.at_ns;
  prev.at_ns = std::max(prev.at_ns, origin);
  std::uint64_t boundary = origin + spec.interval_ns;
  while (!wait_done_until(boundary)) {
    const Snapshot cur = snapshot();
    emit(prev, cur, origin);
    prev = cur;
    boundary += spec.interval_ns;
    while (boundary <= cur.at_ns) {
      boundary += spec.interval_ns;
    }
  }
  sender.join();

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
  Snapshot last = snapshot();
  if (drained_at != 0) {
    last.at_ns = std::min(last.at_ns, drained_at);
  }
  if (last.at_ns > prev.at_ns) {
    emit(prev, last, origin);
  }
  rx.stop();

  result.spec = spec;
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
