#pragma once

#include <cstdint>

namespace netbench {

/// RFC 3550 §6.4.1 interarrival jitter of one flow.
///
/// For consecutive arrivals i−1, i with send times S and receive times R:
///   D(i−1, i) = (R_i − R_{i−1}) − (S_i − S_{i−1})
///   J += (|D| − J) / 16
/// Send and receive clocks need not agree: only differences are used (the
/// transit R − S is read modulo 2^64 as signed, so R < S is fine). Units
/// are ns. Per flow; jitters of different flows must never be averaged.
/// Not thread-safe.
class JitterEstimator {
 public:
  /// Feeds one arrival in arrival order. Returns |D| in ns against the
  /// previous arrival (at most INT64_MAX), or -1 for the first arrival (no D
  /// yet).
  std::int64_t on_arrival(std::uint64_t send_ns, std::uint64_t recv_ns) noexcept;

  /// Current J in ns (0 before the second arrival).
  [[nodiscard]] double jitter_ns() const noexcept { return jitter_ns_; }
  /// Number of D values folded into J.
  [[nodiscard]] std::uint64_t samples() const noexcept { return samples_; }

 private:
  double jitter_ns_ = 0.0;
  std::int64_t last_transit_ns_ = 0;  // R − S of the previous arrival, as signed
  std::uint64_t samples_ = 0;
  bool have_last_ = false;
};

}  // namespace netbench
