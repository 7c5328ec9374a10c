#include "netbench/interleave.hpp"

#include <limits>
#include <stdexcept>
#include <utility>

#include "netbench/split_mix64.hpp"

namespace netbench {

std::vector<Slot> interleave(std::size_t points, std::size_t repetitions, std::uint64_t seed) {
  if (points != 0 && repetitions > std::numeric_limits<std::size_t>::max() / points) {
    throw std::length_error("interleave: points x repetitions overflows");
  }
  std::vector<Slot> order;
  order.reserve(points * repetitions);
  // One generator for the whole order: each round draws the next numbers,
  // so rounds are independent permutations rather than one repeated.
  SplitMix64 rng(seed);
  std::vector<std::size_t> round(points);
  for (std::size_t k = 0; k < repetitions; ++k) {
    for (std::size_t i = 0; i < points; ++i) round[i] = i;
    // Fisher–Yates (Knuth, TAOCP vol. 2, 3.4.2 algorithm P), from the top.
    for (std::size_t i = points; i > 1; --i) {
      const auto j = static_cast<std::size_t>(rng.below(i));
      std::swap(round[i - 1], round[j]);
    }
    for (const std::size_t p : round) order.push_back(Slot{p, k});
  }
  return order;
}

}  // namespace netbench
