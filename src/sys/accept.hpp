#pragma once

#include <sys/socket.h>

#include <utility>

#include "netbench/fd.hpp"

namespace netbench::sys {

/// One accept4(`flags`) on non-blocking listener `listener` (borrowed): the
/// connection with its peer address in `peer`, or an empty Fd when none is
/// pending (EAGAIN). Retries EINTR, ECONNABORTED and EPROTO (that connection
/// is gone; the next may be fine); throws SystemError("accept", "tcp
/// listener") on any other error (EMFILE ...).
Fd accept_next(int listener, int flags, sockaddr_storage& peer);

/// The next pending connection on `listener` that `admit(const
/// sockaddr_storage& peer)` lets in; one it refuses is closed at once and
/// never seen by the caller. An empty Fd when none is pending, so that
/// `while (Fd fd = accept_admitted(...)) { hand over fd }` accepts until
/// EAGAIN. Errors as accept_next().
template <typename Admit>
Fd accept_admitted(int listener, int flags, Admit&& admit) {
  for (;;) {
    sockaddr_storage peer{};
    Fd fd = accept_next(listener, flags, peer);
    if (!fd || std::forward<Admit>(admit)(std::as_const(peer))) {
      return fd;
    }
    // A stranger's connection: closed here (fd's destructor), never a flow.
  }
}

}  // namespace netbench::sys
