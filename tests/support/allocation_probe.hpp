#pragma once

// Test-only replacement of the global operator new/delete that counts live
// heap bytes and can fail chosen allocations, so that tests can check memory
// bounds and allocation-failure paths without a sanitizer or a ulimit.
// Include it from exactly one .cpp of a test executable (it defines the
// replacement functions).

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <new>

namespace netbench::test {

/// Heap bytes currently allocated through operator new (all threads).
inline std::atomic<std::int64_t> g_live_bytes{0};
/// Calls of operator new so far (all threads).
inline std::atomic<std::uint64_t> g_allocations{0};
/// While non-zero, every operator new of exactly this many bytes throws
/// std::bad_alloc (all threads).
inline std::atomic<std::size_t> g_fail_size{0};

/// Live heap bytes now.
inline std::int64_t live_bytes() noexcept { return g_live_bytes.load(); }

/// Fails allocations of `size` bytes while in scope.
class FailAllocationsOf {
 public:
  explicit FailAllocationsOf(std::size_t size) noexcept { g_fail_size.store(size); }
  ~FailAllocationsOf() { g_fail_size.store(0); }
  FailAllocationsOf(const FailAllocationsOf&) = delete;
  FailAllocationsOf& operator=(const FailAllocationsOf&) = delete;
};

// Each block carries its size in a 16-byte prefix (keeping the default new
// alignment), so that delete can subtract it.
constexpr std::size_t kPrefix = 16;

}  // namespace netbench::test

void* operator new(std::size_t size) {
  namespace t = netbench::test;
  const std::size_t fail = t::g_fail_size.load(std::memory_order_relaxed);
  if (fail != 0 && size == fail) {
    throw std::bad_alloc();
  }
  void* p = std::malloc(size + t::kPrefix);  // NOLINT: the allocator itself
  if (p == nullptr) {
    throw std::bad_alloc();
  }
  *static_cast<std::size_t*>(p) = size;
  t::g_live_bytes.fetch_add(static_cast<std::int64_t>(size), std::memory_order_relaxed);
  t::g_allocations.fetch_add(1, std::memory_order_relaxed);
  return static_cast<std::byte*>(p) + t::kPrefix;
}

void operator delete(void* p) noexcept {
  namespace t = netbench::test;
  if (p == nullptr) {
    return;
  }
  // Through an integer: GCC would otherwise see a negative index into the
  // caller's object once this is inlined (-Warray-bounds).
  void* block =
      reinterpret_cast<void*>(reinterpret_cast<std::uintptr_t>(p) - t::kPrefix);  // NOLINT
  std::size_t size = 0;
  std::memcpy(&size, block, sizeof size);
  t::g_live_bytes.fetch_sub(static_cast<std::int64_t>(size), std::memory_order_relaxed);
  std::free(block);  // NOLINT: the allocator itself
}

void operator delete(void* p, std::size_t /*size*/) noexcept { operator delete(p); }

// Array forms through the scalar ones: libstdc++'s defaults do so already,
// but a sanitizer runtime intercepts operator new[] itself, which would
// bypass the counting and the injected failures above.
void* operator new[](std::size_t size) { return operator new(size); }
void operator delete[](void* p) noexcept { operator delete(p); }
void operator delete[](void* p, std::size_t /*size*/) noexcept { operator delete(p); }
