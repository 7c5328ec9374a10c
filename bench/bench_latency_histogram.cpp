#include <cstddef>
#include <cstdint>
#include <random>
#include <vector>

#include <benchmark/benchmark.h>

#include "netbench/latency_histogram.hpp"

namespace {

using netbench::LatencyHistogram;

constexpr std::size_t kValues = 1 << 16;  // power of two: index with a mask

// Latencies spread over several orders of magnitude (lognormal, median ~60 µs,
// a tail into milliseconds), so record() hits many buckets, not one cached slot.
std::vector<std::uint64_t> latency_values(std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::lognormal_distribution<double> dist(11.0, 1.5);
  std::vector<std::uint64_t> v(kValues);
  for (auto& x : v) {
    x = static_cast<std::uint64_t>(dist(rng));
  }
  return v;
}

LatencyHistogram filled_histogram(std::uint64_t seed) {
  LatencyHistogram h;
  for (const std::uint64_t v : latency_values(seed)) {
    h.record(v);
  }
  return h;
}

// One sample recorded per iteration, as a receiver does per message.
void BM_LatencyHistogram_Record(benchmark::State& state) {
  const std::vector<std::uint64_t> values = latency_values(1);
  LatencyHistogram h;
  std::size_t i = 0;
  for (auto _ : state) {
    h.record(values[i & (kValues - 1)]);
    ++i;
  }
  benchmark::DoNotOptimize(h.count());
  state.SetItemsProcessed(state.iterations());
  // Counter rows this spread of latencies touched (the full array is 264 KiB).
  state.counters["heap_KiB"] = static_cast<double>(h.allocated_bytes()) / 1024.0;
}
BENCHMARK(BM_LatencyHistogram_Record);

// One percentile query over 65,536 samples, as the summary does per figure.
void BM_LatencyHistogram_Percentile(benchmark::State& state) {
  const LatencyHistogram h = filled_histogram(2);
  double p = 99.9;
  for (auto _ : state) {
    benchmark::DoNotOptimize(p);
    const std::uint64_t v = h.percentile(p);
    benchmark::DoNotOptimize(v);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_LatencyHistogram_Percentile);

// One whole per-thread histogram merged into a total per iteration.
void BM_LatencyHistogram_Merge(benchmark::State& state) {
  const LatencyHistogram part = filled_histogram(3);
  LatencyHistogram total;
  for (auto _ : state) {
    total.merge(part);
    benchmark::ClobberMemory();
  }
  benchmark::DoNotOptimize(total.count());
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_LatencyHistogram_Merge);

// A deep copy of a filled histogram, as `LatencyHistogram out = merged_;` makes.
void BM_LatencyHistogram_Copy(benchmark::State& state) {
  const LatencyHistogram h = filled_histogram(5);
  for (auto _ : state) {
    LatencyHistogram copy = h;
    benchmark::DoNotOptimize(copy);
  }
  state.SetItemsProcessed(state.iterations());
  state.counters["heap_KiB"] = static_cast<double>(h.allocated_bytes()) / 1024.0;
}
BENCHMARK(BM_LatencyHistogram_Copy);

// Serialize plus deserialize of a filled histogram (results exchange).
void BM_LatencyHistogram_SerializeRoundTrip(benchmark::State& state) {
  const LatencyHistogram h = filled_histogram(4);
  std::int64_t bytes = 0;
  for (auto _ : state) {
    const std::vector<std::byte> out = h.serialize();
    bytes += static_cast<std::int64_t>(out.size());
    auto back = LatencyHistogram::deserialize(out);
    benchmark::DoNotOptimize(back);
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(bytes);
}
BENCHMARK(BM_LatencyHistogram_SerializeRoundTrip);

}  // namespace
