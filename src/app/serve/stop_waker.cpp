#include "app/serve/stop_waker.hpp"

#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>

#include "netbench/error.hpp"

namespace netbench::app {

StopWaker::StopWaker(std::stop_token stop) : fd_(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) {
  if (!fd_) {
    throw SystemError("eventfd", "stop waker", errno);
  }
  // Registered last: the callback may run at once (stop already requested).
  on_stop_.emplace(std::move(stop), Notify{this});
}

void StopWaker::notify() const noexcept {
  const std::uint64_t one = 1;
  // Only fails if the counter would overflow: it is readable anyway then.
  [[maybe_unused]] const ssize_t n = ::write(fd_.get(), &one, sizeof one);
}

void StopWaker::drain() const noexcept {
  std::uint64_t count = 0;
  [[maybe_unused]] const ssize_t n = ::read(fd_.get(), &count, sizeof count);
}

}  // namespace netbench::app
