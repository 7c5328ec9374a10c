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

// A hostile sender's every-other-number stream (0, 2, 4, ...): each arrival
// opens a one-number gap, so the tracker is always at its gap capacity and
// every arrival also closes the oldest gap as loss. range(0) is the capacity.
void BM_SequenceTracker_AlternateGaps(benchmark::State& state) {
  const auto cap = static_cast<std::size_t>(state.range(0));
  SequenceTracker t(cap);
  std::uint64_t seq = 0;
  for (std::size_t i = 0; i < 2 * cap; ++i, seq += 2) {
    t.on_arrival(seq);  // reach the steady state before timing
  }
  for (auto _ : state) {
    benchmark::DoNotOptimize(t.on_arrival(seq));
    seq += 2;
  }
  state.SetItemsProcessed(state.iterations());
  state.counters["open_gaps"] = static_cast<double>(t.open_gaps());
}
BENCHMARK(BM_SequenceTracker_AlternateGaps)
    ->Arg(static_cast<std::int64_t>(SequenceTracker::kDefaultMaxOpenGaps))
    ->Arg(65'536);

// The same stream with three-number gaps (0, 4, 8, ...), each iteration also
// delivering the middle number of the gap opened cap / 2 iterations earlier:
// that splits a gap in the middle of a full gap set (the costly case of a
// sorted array or deque). Two messages per iteration.
void BM_SequenceTracker_SplitGapsMidway(benchmark::State& state) {
  const auto cap = static_cast<std::uint64_t>(state.range(0));
  SequenceTracker t(static_cast<std::size_t>(cap));
  const std::uint64_t lag = cap / 2;
  std::uint64_t k = 0;
  const auto step = [&] {
    t.on_arrival(4 * k);  // opens [4k − 3, 4k)
    if (k > lag) {
      benchmark::DoNotOptimize(t.on_arrival(4 * (k - lag) - 2));  // splits it later
    }
    ++k;
  };
  while (k < 2 * cap) {
    step();
  }
  for (auto _ : state) {
    step();
  }
  state.SetItemsProcessed(2 * state.iterations());
  state.counters["open_gaps"] = static_cast<double>(t.open_gaps());
}
BENCHMARK(BM_SequenceTracker_SplitGapsMidway)
    ->Arg(static_cast<std::int64_t>(SequenceTracker::kDefaultMaxOpenGaps))
    ->Arg(65'536);

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
