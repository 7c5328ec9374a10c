#pragma once

#include <atomic>
#include <cstdint>

namespace netbench {

/// a + b, sticking at UINT64_MAX instead of wrapping (counters and sums).
inline std::uint64_t add_saturating(std::uint64_t a, std::uint64_t b) noexcept {
  std::uint64_t r = 0;
  return __builtin_add_overflow(a, b, &r) ? UINT64_MAX : r;
}

/// a × b, sticking at UINT64_MAX instead of wrapping.
inline std::uint64_t mul_saturating(std::uint64_t a, std::uint64_t b) noexcept {
  std::uint64_t r = 0;
  return __builtin_mul_overflow(a, b, &r) ? UINT64_MAX : r;
}

/// Adds `n` to a counter that only the calling thread writes while other
/// threads may read it at any time: a relaxed load and store, no locked
/// read-modify-write per message; sticks at UINT64_MAX instead of wrapping.
inline void bump(std::atomic<std::uint64_t>& counter, std::uint64_t n = 1) noexcept {
  counter.store(add_saturating(counter.load(std::memory_order_relaxed), n),
                std::memory_order_relaxed);
}

}  // namespace netbench
