#include "sys/accept.hpp"

#include <cerrno>

#include "netbench/error.hpp"

namespace netbench::sys {

Fd accept_next(int listener, int flags, sockaddr_storage& peer) {
  for (;;) {
    socklen_t len = sizeof peer;
    Fd fd(::accept4(listener, reinterpret_cast<sockaddr*>(&peer), &len,  // NOLINT: sockets API
                    flags));
    if (fd) {
      return fd;
    }
    switch (errno) {
      case EAGAIN:
        return Fd{};
      case EINTR:
      case ECONNABORTED:
      case EPROTO:
        continue;
      default:
        throw SystemError("accept", "tcp listener", errno);
    }
  }
}

}  // namespace netbench::sys
