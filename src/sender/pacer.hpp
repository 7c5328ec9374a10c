#pragma once

#include <cmath>
#include <cstdint>

#include "netbench/test_spec.hpp"

namespace netbench::sender {

/// Intended send times of one flow: constant gaps, or exponential gaps
/// (a Poisson process) at the same mean rate. Times are computed from the
/// start, never accumulated from the previous send, so lateness never
/// shifts the schedule (coordinated omission stays visible). Rate 0 means
/// unlimited: every send is due at once. Not thread-safe.
class Pacer {
 public:
  Pacer() noexcept = default;
  /// `rate` in messages/s for this flow; `offset_ns` staggers flows.
  Pacer(Pattern pattern, double rate, std::uint64_t start_ns, std::uint64_t offset_ns,
        std::uint64_t seed) noexcept
      : pattern_(pattern),
        gap_ns_(rate > 0 ? 1e9 / rate : 0),
        start_ns_(start_ns + offset_ns),
        rng_(seed | 1U) {
    if (pattern_ == Pattern::kPoisson && gap_ns_ > 0) {
      elapsed_ns_ = exponential();
    }
  }

  [[nodiscard]] bool unlimited() const noexcept { return gap_ns_ <= 0; }
  /// Intended time of the next send (ns); 0 when unlimited.
  [[nodiscard]] std::uint64_t next_ns() const noexcept {
    if (unlimited()) {
      return 0;
    }
    const double t =
        pattern_ == Pattern::kConstant ? static_cast<double>(k_) * gap_ns_ : elapsed_ns_;
    return start_ns_ + static_cast<std::uint64_t>(t);
  }
  /// Moves to the send after next.
  void advance() noexcept {
    ++k_;
    if (pattern_ == Pattern::kPoisson && !unlimited()) {
      elapsed_ns_ += exponential();
    }
  }

 private:
  // xorshift64*: fast, seedable, good enough for inter-arrival gaps.
  std::uint64_t next_random() noexcept {
    rng_ ^= rng_ >> 12;
    rng_ ^= rng_ << 25;
    rng_ ^= rng_ >> 27;
    return rng_ * 0x2545F4914F6CDD1DULL;
  }
  double exponential() noexcept {
    // U in (0, 1]: -ln(U) is Exp(1); scaled by the mean gap.
    const double u = (static_cast<double>(next_random() >> 11) + 1.0) * 0x1.0p-53;
    return -std::log(u) * gap_ns_;
  }

  Pattern pattern_ = Pattern::kConstant;
  double gap_ns_ = 0;
  std::uint64_t start_ns_ = 0;
  std::uint64_t rng_ = 1;
  std::uint64_t k_ = 0;
  double elapsed_ns_ = 0;
};

}  // namespace netbench::sender
