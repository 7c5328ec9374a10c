#pragma once

#include <cstdint>

namespace netbench {

/// SplitMix64 (Steele, Lea, Flood, "Fast splittable pseudorandom number
/// generators", OOPSLA 2014; the constants of Vigna's reference code): a
/// self-contained 64-bit generator whose output depends only on the seed, on
/// every platform and standard library, unlike std::shuffle or the
/// <random> distributions. Not for cryptography. Not thread-safe: one
/// generator per thread.
class SplitMix64 {
 public:
  /// Every seed, 0 included, gives a full-period stream.
  constexpr explicit SplitMix64(std::uint64_t seed) noexcept : state_(seed) {}

  /// The next 64 random bits.
  constexpr std::uint64_t next() noexcept {
    state_ += 0x9e3779b97f4a7c15ULL;
    std::uint64_t z = state_;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }

  /// Uniform in [0, bound) without modulo bias (rejection of the 2^64 mod
  /// bound lowest draws, as OpenBSD's arc4random_uniform). bound 0 gives 0.
  constexpr std::uint64_t below(std::uint64_t bound) noexcept {
    if (bound == 0) return 0;
    // (2^64 - bound) mod bound == 2^64 mod bound, computed in 64 bits.
    const std::uint64_t threshold = (0 - bound) % bound;
    for (;;) {
      const std::uint64_t r = next();
      if (r >= threshold) return r % bound;
    }
  }

  /// Uniform in [0, 1) with 53 random bits.
  constexpr double uniform() noexcept { return static_cast<double>(next() >> 11) * 0x1.0p-53; }

 private:
  std::uint64_t state_;
};

}  // namespace netbench
