#pragma once

#include <cstdlib>

namespace netbench::test {

/// While alive, `--model uring` serves on its single-shot path (one accept
/// and one receive at a time, re-armed; one cancel per request), the path it
/// takes on kernels before 5.19/6.0, through the test hook
/// NETBENCH_URING_FORCE_FALLBACK. Set and cleared on the test's thread,
/// before the receiver's threads start and after they end.
class ScopedUringFallback {
 public:
  ScopedUringFallback() { ::setenv("NETBENCH_URING_FORCE_FALLBACK", "single-shot", 1); }
  ~ScopedUringFallback() { ::unsetenv("NETBENCH_URING_FORCE_FALLBACK"); }
  ScopedUringFallback(const ScopedUringFallback&) = delete;
  ScopedUringFallback& operator=(const ScopedUringFallback&) = delete;
};

}  // namespace netbench::test
