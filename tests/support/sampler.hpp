// Seeded random samples for the statistics tests: every random number comes
// from a fixed-seed SplitMix64, so the simulations give the same figures on
// every run and platform.
#pragma once

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <numbers>
#include <vector>

#include "netbench/split_mix64.hpp"

namespace netbench::stats {

/// Samples from a few distributions, all from one seeded SplitMix64.
class Sampler {
 public:
  explicit Sampler(std::uint64_t seed) : rng_(seed) {}
  /// Standard normal by Box–Muller (one of the pair; simplicity over speed).
  double normal() {
    const double u1 = 1 - rng_.uniform();  // (0, 1]: log is finite
    const double u2 = rng_.uniform();
    return std::sqrt(-2 * std::log(u1)) * std::cos(2 * std::numbers::pi * u2);
  }
  /// Exponential with mean 1: median ln 2.
  double exponential() { return -std::log(1 - rng_.uniform()); }
  /// Lognormal exp(N(0, σ²)): median 1, heavily skewed for σ = 1.
  double lognormal(double sigma) { return std::exp(sigma * normal()); }
  /// Integer in [0, k): data full of ties.
  double discrete(std::uint64_t k) { return static_cast<double>(rng_.below(k)); }

 private:
  SplitMix64 rng_;
};

template <typename Draw>
std::vector<double> draw(std::size_t n, Draw&& d) {
  std::vector<double> v(n);
  for (double& x : v) x = d();
  return v;
}

}  // namespace netbench::stats
