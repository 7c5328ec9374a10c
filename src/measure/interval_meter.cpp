#include "netbench/interval_meter.hpp"

#include <cstdint>

namespace netbench {

double per_second(std::uint64_t count, std::uint64_t duration_ns) noexcept {
  if (duration_ns == 0) {
    // An empty interval has no rate; 0 keeps NaN and inf out of reports.
    return 0.0;
  }
  return static_cast<double>(count) * 1e9 / static_cast<double>(duration_ns);
}

double IntervalSample::bytes_per_second() const noexcept {
  return per_second(bytes, duration_ns());
}

double IntervalSample::messages_per_second() const noexcept {
  return per_second(messages, duration_ns());
}

IntervalMeter::IntervalMeter(std::uint64_t start_ns, std::uint64_t interval_ns) noexcept
    // A zero interval would never let the deadline move past `now`.
    : interval_ns_(interval_ns == 0 ? 1 : interval_ns),
      start_ns_(start_ns),
      deadline_ns_(start_ns + interval_ns_) {}

IntervalSample IntervalMeter::close(std::uint64_t now_ns) noexcept {
  // CLOCK_MONOTONIC never goes back, but a caller's stale `now` might: clamp
  // so that intervals stay contiguous and never start before the last one.
  const std::uint64_t end_ns = now_ns > start_ns_ ? now_ns : start_ns_;
  const IntervalSample sample{start_ns_, end_ns, bytes_, messages_};

  total_bytes_ += bytes_;
  total_messages_ += messages_;
  bytes_ = 0;
  messages_ = 0;
  start_ns_ = end_ns;

  // The next deadline stays on the grid start + k * interval, so a late close
  // does not push every later interval back. If `now` has already passed
  // several deadlines, skip them in whole steps (one division, no loop).
  std::uint64_t next = deadline_ns_ + interval_ns_;
  if (next <= end_ns) {
    next += ((end_ns - next) / interval_ns_ + 1) * interval_ns_;
  }
  deadline_ns_ = next;
  return sample;
}

}  // namespace netbench
