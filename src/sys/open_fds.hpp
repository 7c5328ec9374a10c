#pragma once

#include <cstddef>

namespace netbench::sys {

/// Descriptors this process has open now (entries of /proc/self/fd, not
/// counting the one that reads it), or 0 if that cannot be read.
[[nodiscard]] std::size_t open_fd_count() noexcept;

}  // namespace netbench::sys
