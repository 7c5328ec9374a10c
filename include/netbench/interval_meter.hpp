#pragma once

#include <cstdint>

namespace netbench {

/// Bytes and messages over one measured interval [start_ns, end_ns).
struct IntervalSample {
  std::uint64_t start_ns = 0;  ///< CLOCK_MONOTONIC ns
  std::uint64_t end_ns = 0;    ///< CLOCK_MONOTONIC ns
  std::uint64_t bytes = 0;     ///< application bytes in the interval
  std::uint64_t messages = 0;  ///< messages in the interval

  /// Measured length, ns (0 if `end_ns` is not after `start_ns`).
  [[nodiscard]] std::uint64_t duration_ns() const noexcept {
    return end_ns > start_ns ? end_ns - start_ns : 0;
  }
  /// Rates over the measured length; 0 for an empty interval.
  [[nodiscard]] double bytes_per_second() const noexcept;
  [[nodiscard]] double bits_per_second() const noexcept { return bytes_per_second() * 8.0; }
  [[nodiscard]] double messages_per_second() const noexcept;
};

/// `count` per second over `duration_ns`; 0 when the duration is 0.
[[nodiscard]] double per_second(std::uint64_t count, std::uint64_t duration_ns) noexcept;

/// Splits a run into intervals of nominal length `interval_ns`. Rates use the
/// *measured* length (the actual time close() is called), not the nominal
/// one. Deadlines advance by the nominal length from the start, so a late
/// close does not make later intervals drift. Not thread-safe.
class IntervalMeter {
 public:
  /// Starts the first interval at `start_ns` (CLOCK_MONOTONIC ns); its
  /// deadline is `start_ns + interval_ns`. An `interval_ns` of 0 is taken as
  /// 1 ns, so deadlines always move forward.
  IntervalMeter(std::uint64_t start_ns, std::uint64_t interval_ns) noexcept;

  /// Counts `bytes` (application bytes) and `messages` into the open interval.
  void add(std::uint64_t bytes, std::uint64_t messages = 1) noexcept {
    bytes_ += bytes;
    messages_ += messages;
  }
  /// True once `now_ns` has reached the current interval's deadline.
  [[nodiscard]] bool due(std::uint64_t now_ns) const noexcept { return now_ns >= deadline_ns_; }
  /// Deadline of the open interval, CLOCK_MONOTONIC ns.
  [[nodiscard]] std::uint64_t deadline_ns() const noexcept { return deadline_ns_; }
  /// Ends the current interval at `now_ns` and starts the next one there;
  /// resets the interval's counters. The next deadline is the previous one
  /// plus `interval_ns`, moved on in whole steps until it is after `now_ns`.
  IntervalSample close(std::uint64_t now_ns) noexcept;

  /// Totals over every interval closed or open.
  [[nodiscard]] std::uint64_t total_bytes() const noexcept { return total_bytes_ + bytes_; }
  [[nodiscard]] std::uint64_t total_messages() const noexcept {
    return total_messages_ + messages_;
  }

 private:
  std::uint64_t interval_ns_;
  std::uint64_t start_ns_;
  std::uint64_t deadline_ns_;
  std::uint64_t bytes_ = 0;
  std::uint64_t messages_ = 0;
  std::uint64_t total_bytes_ = 0;
  std::uint64_t total_messages_ = 0;
};

}  // namespace netbench
