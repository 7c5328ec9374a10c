#include "netbench/fd.hpp"

#include <unistd.h>

namespace netbench {

void Fd::reset(int fd) noexcept {
  if (fd_ >= 0 && fd_ != fd) {
    // close() may fail with EINTR on Linux, but the descriptor is released
    // anyway; retrying could close a descriptor another thread just opened.
    ::close(fd_);
  }
  fd_ = fd;
}

}  // namespace netbench
