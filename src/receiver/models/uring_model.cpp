#include "receiver/models/uring_model.hpp"

#include <cerrno>
#include <string>
#include <utility>

#include "netbench/error.hpp"
#include "receiver/models/uring_loop.hpp"
#include "sys/uring.hpp"

namespace netbench::receiver {

void UringModel::check(const ServeSet& /*sockets*/) const {
  if (const std::string why = sys::uring_unavailable_reason(); !why.empty()) {
    throw SystemError::with_message(why, "io_uring_setup", ENOTSUP);
  }
}

void UringModel::run_loop(ServeSet part, int wake_fd, ThreadState& thread, std::stop_token stop) {
  Loop loop(*this, thread);
  loop.run(std::move(part), wake_fd, std::move(stop));
}

}  // namespace netbench::receiver
