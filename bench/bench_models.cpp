// Server I/O models under load: each iteration is one short, count-based
// paired run over loopback (netbench::run_paired), timed by its measured
// period (manual time). Names are BM_<Mode>/<proto>/<model>/<flows>; the
// counters are what plots/plot.py draws from --benchmark_format=json:
//   msgs_per_s, bytes_per_s       received (stream) or replies (echo), per
//                                 second of measured period
//   p50_rtt_us, p99_rtt_us        echo: RTT from the actual send, all
//                                 iterations' histograms merged
//   loss_ratio                    stream: lost / sent
//   server_cpu_ns_per_msg         receiver threads' user+sys CPU per message
// bench/run_model_bench.sh runs the suite (about a minute) into
// results/bench_models.json.
#include <cstdint>
#include <exception>
#include <string>

#include <benchmark/benchmark.h>

#include "netbench/latency_histogram.hpp"
#include "netbench/paired_run.hpp"
#include "netbench/results.hpp"
#include "netbench/summary.hpp"
#include "netbench/test_spec.hpp"

namespace {

using netbench::Mode;
using netbench::ModelKind;
using netbench::Proto;
using netbench::TestSpec;

constexpr Proto kProtos[] = {Proto::kTcp, Proto::kUdp};
constexpr std::uint32_t kFlows[] = {1, 16, 64};
constexpr int kIterations = 3;

// Messages per run, chosen so that one run lasts about 0.2 s on the 2-vCPU
// VM at the default sizes (TCP stream 128 KiB at ~25 Gbit/s, UDP stream
// 1400 B at ~200 k msg/s, echo 64 B at ~80 k round trips/s).
std::uint64_t messages_per_run(Proto proto, Mode mode) {
  if (mode == Mode::kEcho) {
    return 16'000;
  }
  return proto == Proto::kTcp ? 5'000 : 40'000;
}

// Sums over the iterations of one benchmark.
struct Totals {
  std::uint64_t messages = 0;  // received (stream) or replies (echo)
  std::uint64_t bytes = 0;
  std::uint64_t sent = 0;
  std::uint64_t lost = 0;
  std::uint64_t server_messages = 0;  // handled by the receiver
  double server_cpu_s = 0;
  double measured_s = 0;
  netbench::LatencyHistogram rtt;  // echo, from the actual send

  void add(const netbench::RunResult& r) {
    const netbench::RunTotals t = netbench::summarize(r);
    messages += t.received_messages;
    bytes += t.received_bytes;
    sent += t.sent_messages;
    lost += t.lost;
    server_cpu_s += t.receiver_cpu_s;
    for (const netbench::FlowRecvStats& f : r.receiver_flows) {
      server_messages += f.messages;
    }
    measured_s += static_cast<double>(r.measured_ns) / 1e9;
    rtt.merge(r.latency_from_actual);
  }
};

double per(double numerator, double denominator) {
  return denominator > 0 ? numerator / denominator : 0.0;
}

void set_counters(benchmark::State& state, const Totals& t, Mode mode) {
  state.SetItemsProcessed(static_cast<std::int64_t>(t.messages));
  state.SetBytesProcessed(static_cast<std::int64_t>(t.bytes));
  state.counters["msgs_per_s"] = per(static_cast<double>(t.messages), t.measured_s);
  state.counters["bytes_per_s"] = per(static_cast<double>(t.bytes), t.measured_s);
  state.counters["server_cpu_ns_per_msg"] =
      per(t.server_cpu_s * 1e9, static_cast<double>(t.server_messages));
  if (mode == Mode::kEcho) {
    state.counters["p50_rtt_us"] = static_cast<double>(t.rtt.percentile(50)) / 1e3;
    state.counters["p99_rtt_us"] = static_cast<double>(t.rtt.percentile(99)) / 1e3;
  } else {
    state.counters["loss_ratio"] = per(static_cast<double>(t.lost), static_cast<double>(t.sent));
  }
}

// One paired run per iteration; the iteration's time is its measured period.
void BM_Model(benchmark::State& state, TestSpec spec) {
  Totals totals;
  for (auto _ : state) {
    try {
      const netbench::RunResult r = netbench::run_paired(spec);
      if (!r.complete) {
        state.SkipWithError(("run ended early: " + r.error).c_str());
        break;
      }
      state.SetIterationTime(static_cast<double>(r.measured_ns) / 1e9);
      totals.add(r);
    } catch (const std::exception& e) {
      state.SkipWithError(e.what());
      break;
    }
  }
  set_counters(state, totals, spec.mode);
  state.SetLabel(std::to_string(spec.message_bytes()) + " B messages, " +
                 std::to_string(spec.count) + " per run");
}

// Registers BM_Echo and BM_Stream over every protocol, model and flow count.
bool register_model_benchmarks() {
  for (const Mode mode : {Mode::kEcho, Mode::kStream}) {
    for (const Proto proto : kProtos) {
      for (const ModelKind model : netbench::kModelKinds) {
        for (const std::uint32_t flows : kFlows) {
          TestSpec spec;
          spec.proto = proto;
          spec.model = model;
          spec.mode = mode;
          spec.flows = flows;
          spec.count = messages_per_run(proto, mode);
          const std::string name = std::string(mode == Mode::kEcho ? "BM_Echo/" : "BM_Stream/") +
                                   std::string(netbench::to_string(proto)) + "/" +
                                   std::string(netbench::to_string(model)) + "/" +
                                   std::to_string(flows);
          benchmark::RegisterBenchmark(name.c_str(), BM_Model, spec)
              ->UseManualTime()
              ->Iterations(kIterations)
              ->Unit(benchmark::kMillisecond);
        }
      }
    }
  }
  return true;
}

const bool kRegistered = register_model_benchmarks();

}  // namespace
