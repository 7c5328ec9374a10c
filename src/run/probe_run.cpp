#include "netbench/probe_run.hpp"

#include <algorithm>
#include <cmath>
#include <exception>
#include <string>
#include <thread>

namespace netbench {
namespace {

constexpr std::uint64_t kSecondNs = 1'000'000'000;

/// One probe phase from the probe test's result (or the error that ended it).
ProbePhase phase_of(const RunResult& r) {
  ProbePhase p;
  p.complete = r.complete;
  p.error = r.error;
  p.measured_ns = r.measured_ns;
  for (const FlowSendStats& f : r.sender_flows) {
    p.sent += f.messages;
    p.replies += f.replies;
    p.lost += f.reply_loss.lost;
  }
  p.rtt = r.latency;
  return p;
}

ProbePhase failed_phase(const std::string& why) {
  ProbePhase p;
  p.complete = false;
  p.error = why;
  return p;
}

ProbePhase run_phase(const TestSpec& spec, const TestRunner& run, std::stop_token stop) {
  try {
    return phase_of(run(spec, {}, stop));
  } catch (const std::exception& e) {
    return failed_phase(e.what());
  }
}

}  // namespace

TestSpec probe_spec(const TestSpec& bulk, bool loaded) {
  TestSpec p;
  p.proto = Proto::kUdp;
  p.model = bulk.model;
  p.mode = Mode::kEcho;
  p.flows = 1;
  p.rate_msgs_per_s = bulk.probe_rate_msgs_per_s;
  p.interval_ns = bulk.interval_ns;
  p.family = bulk.family;
  p.bind_address = bulk.bind_address;
  p.tos = bulk.tos;
  p.bind_device = bulk.bind_device;
  p.per_flow = PerFlowOutput::kFull;
  if (loaded) {
    const std::uint64_t ramp = std::min(kSecondNs, bulk.duration_ns / 5);
    p.warmup_ns = bulk.warmup_ns + ramp;
    p.duration_ns = bulk.duration_ns - ramp;
  } else {
    const double for_20 = 20.0 * 1e9 / std::max(p.rate_msgs_per_s, 1e-9);
    p.duration_ns = static_cast<std::uint64_t>(
        std::clamp(for_20, static_cast<double>(kSecondNs), 5.0 * static_cast<double>(kSecondNs)));
  }
  return p;
}

RunResult run_with_probe(const TestSpec& spec, const TestRunner& run, const RunHooks& hooks,
                         std::stop_token stop) {
  if (spec.probe_rate_msgs_per_s <= 0) {
    return run(spec, hooks, stop);
  }
  ProbeResult probe;
  probe.rate_msgs_per_s = spec.probe_rate_msgs_per_s;
  probe.idle = run_phase(probe_spec(spec, false), run, stop);
  if (stop.stop_requested()) {
    // Interrupted before the bulk test began: nothing of it to report.
    RunResult r;
    r.spec = spec;
    r.complete = false;
    r.error = "interrupted during the probe's idle phase";
    r.probe = std::move(probe);
    return r;
  }
  std::jthread loaded;
  RunHooks with_probe = hooks;
  with_probe.on_start = [&] {
    loaded = std::jthread([&probe, &run, &spec, stop] {
      probe.loaded = run_phase(probe_spec(spec, true), run, stop);
    });
    if (hooks.on_start) {
      hooks.on_start();
    }
  };
  RunResult r;
  try {
    r = run(spec, with_probe, stop);
  } catch (...) {
    if (loaded.joinable()) {
      loaded.join();
    }
    throw;
  }
  if (loaded.joinable()) {
    loaded.join();
  } else {
    probe.loaded = failed_phase("the bulk test never started");
  }
  for (const auto& [name, phase] : {std::pair<const char*, const ProbePhase*>{"idle", &probe.idle},
                                    {"loaded", &probe.loaded}}) {
    if (!phase->complete) {
      r.warnings.push_back(std::string("the latency probe's ") + name +
                           " phase did not complete: " + phase->error);
    }
  }
  r.probe = std::move(probe);
  return r;
}

}  // namespace netbench
