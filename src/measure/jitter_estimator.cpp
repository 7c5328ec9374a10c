#include "netbench/jitter_estimator.hpp"

#include <cstdint>

namespace netbench {

// RFC 3550 §6.4.1, with the update of Appendix A.8 done in double instead of
// the RFC's scaled integers:
//   D(i−1, i) = (R_i − S_i) − (R_{i−1} − S_{i−1}),  J += (|D| − J) / 16.
// The transit R − S is taken modulo 2^64 and read as signed: with clocks that
// do not agree (a receive clock 10^12 ns ahead, or behind so that R < S) the
// transit is off by a constant, or wraps, but the difference of two transits
// is the same as with synchronised clocks, as long as |D| < 2^63 ns.
std::int64_t JitterEstimator::on_arrival(std::uint64_t send_ns, std::uint64_t recv_ns) noexcept {
  const auto transit = static_cast<std::int64_t>(recv_ns - send_ns);
  if (!have_last_) {
    have_last_ = true;
    last_transit_ns_ = transit;
    return -1;
  }
  // Subtract as unsigned (well defined when it wraps), then read as signed.
  const std::uint64_t diff =
      static_cast<std::uint64_t>(transit) - static_cast<std::uint64_t>(last_transit_ns_);
  last_transit_ns_ = transit;
  const std::uint64_t abs_d = static_cast<std::int64_t>(diff) < 0 ? 0 - diff : diff;
  jitter_ns_ += (static_cast<double>(abs_d) - jitter_ns_) / 16.0;
  ++samples_;
  // |INT64_MIN| does not fit the return type; report the largest value.
  return abs_d > static_cast<std::uint64_t>(INT64_MAX) ? INT64_MAX
                                                       : static_cast<std::int64_t>(abs_d);
}

}  // namespace netbench
