#include <cstddef>
#include <cstdint>
#include <random>
#include <utility>
#include <vector>

#include <benchmark/benchmark.h>

#include "netbench/jitter_estimator.hpp"
#include "netbench/sequence_tracker.hpp"

namespace {

using netbench::JitterEstimator;
using netbench::SequenceTracker;

constexpr std::size_t kBlock = 1 << 16;  // power of two: index with a mask

// One in-order arrival per iteration: the common case of a healthy flow.
void BM_SequenceTracker_InOrder(benchmark::State& state) {
  SequenceTracker t;
  std::uint64_t seq = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(t.on_arrival(seq++));
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_SequenceTracker_InOrder);

// Arrivals where 1% of messages swap with the next one: each swap opens a
// one-message gap (kAhead) that the late message then fills (kReordered).
// The pattern is a permutation of [0, kBlock), replayed at increasing bases,
// so the tracker's state stays small however long it runs.
void BM_SequenceTracker_WithReorder(benchmark::State& state) {
  std::mt19937_64 rng(5);
  std::bernoulli_distribution swap(0.01);
  std::vector<std::uint64_t> pattern(kBlock);
  for (std::size_t i = 0; i < kBlock; ++i) {
    pattern[i] = i;
  }
  for (std::size_t i = 0; i + 1 < kBlock; ++i) {
    if (swap(rng)) {
      std::swap(pattern[i], pattern[i + 1]);
      ++i;  // keep swaps disjoint
    }
  }
  SequenceTracker t;
  std::uint64_t base = 0;
  std::size_t i = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(t.on_arrival(base + pattern[i]));
    if (++i == kBlock) {
      i = 0;
      base += kBlock;
    }
  }
  state.SetItemsProcessed(state.iterations());
  state.counters["reordered"] = static_cast<double>(t.reordered());
}
BENCHMARK(BM_SequenceTracker_WithReorder);

// One RFC 3550 jitter update per iteration, with a noisy transit time.
void BM_JitterEstimator_Update(benchmark::State& state) {
  std::mt19937_64 rng(6);
  std::uniform_int_distribution<std::uint64_t> noise(0, 20'000);
  std::vector<std::uint64_t> recv(kBlock);
  for (std::size_t i = 0; i < kBlock; ++i) {
    recv[i] = i * 10'000 + 50'000 + noise(rng);
  }
  JitterEstimator j;
  std::uint64_t base = 0;
  std::size_t i = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(j.on_arrival(base + i * 10'000, base + recv[i]));
    if (++i == kBlock) {
      i = 0;
      base += kBlock * 10'000;
    }
  }
  benchmark::DoNotOptimize(j.jitter_ns());
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_JitterEstimator_Update);

}  // namespace
