#pragma once

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

}  // namespace netbench
