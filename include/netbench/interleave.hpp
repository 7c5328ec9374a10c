#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace netbench {

/// One run of a repeated sweep: repetition `repetition` of sweep point
/// `point` (both 0-based).
struct Slot {
  std::size_t point = 0;
  std::size_t repetition = 0;
  friend bool operator==(const Slot&, const Slot&) = default;
};

/// The order in which a sweep of `points` points repeated `repetitions`
/// times runs (`--repeat` with `--seed`): `repetitions` rounds one after
/// another, round k holding repetition k of every point in a random order of
/// its own (flent's batch shuffling), so that a drift of the machine over
/// time spreads over every point instead of biasing the ones run last.
/// Returns points × repetitions slots, each (point, repetition) once.
/// Deterministic: the same arguments give the same order on every platform
/// (SplitMix64 and Fisher–Yates with unbiased bounded draws, not
/// std::shuffle, whose use of the generator is implementation-defined).
/// Throws std::length_error if points × repetitions overflows.
[[nodiscard]] std::vector<Slot> interleave(std::size_t points, std::size_t repetitions,
                                           std::uint64_t seed);

}  // namespace netbench
