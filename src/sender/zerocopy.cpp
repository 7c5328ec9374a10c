#include "sender/zerocopy.hpp"

#include <linux/errqueue.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <string>

#include "netbench/error.hpp"

namespace netbench::sender {

std::size_t ZeroCopyFlow::reap(int fd) noexcept {
  std::size_t read = 0;
  for (;;) {
    // One notification per read: a sock_extended_err, and room for the
    // offender address an ICMP error would carry.
    alignas(cmsghdr) std::array<char, CMSG_SPACE(sizeof(sock_extended_err) + sizeof(sockaddr_in6))>
        control{};
    msghdr msg{};
    msg.msg_control = control.data();
    msg.msg_controllen = control.size();
    if (::recvmsg(fd, &msg, MSG_ERRQUEUE | MSG_DONTWAIT) < 0) {
      if (errno == EINTR) {
        continue;
      }
      break;  // EAGAIN: the queue is empty
    }
    ++read;
    for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c != nullptr; c = CMSG_NXTHDR(&msg, c)) {
      const bool v4 = c->cmsg_level == SOL_IP && c->cmsg_type == IP_RECVERR;
      const bool v6 = c->cmsg_level == SOL_IPV6 && c->cmsg_type == IPV6_RECVERR;
      if (!v4 && !v6) {
        continue;
      }
      sock_extended_err e{};
      std::memcpy(&e, CMSG_DATA(c), sizeof e);
      if (e.ee_origin == SO_EE_ORIGIN_ZEROCOPY && e.ee_errno == 0) {
        tracker.complete(e.ee_info, e.ee_data, (e.ee_code & SO_EE_CODE_ZEROCOPY_COPIED) != 0);
      }
    }
  }
  ring.release(tracker.done_below());
  return read;
}

int ZeroCopyFlow::flags() const noexcept { return fell_back ? 0 : MSG_ZEROCOPY; }

std::unique_ptr<ZeroCopyFlow> make_zerocopy_flow(const TestSpec& spec, std::size_t per_send) {
  const std::size_t size = std::max<std::size_t>(spec.message_bytes(), 1);
  if (spec.proto == Proto::kTcp) {
    return std::make_unique<ZeroCopyFlow>(
        std::clamp<std::size_t>((std::size_t{4} << 20) / size, 32, 2048), kWireHeaderBytes);
  }
  const std::size_t slots =
      std::min<std::size_t>(std::max((std::size_t{512} << 10) / size, 2 * per_send), 2048);
  return std::make_unique<ZeroCopyFlow>(std::max<std::size_t>(slots, 2), size);
}

void enable_zerocopy(int fd) {
  const int one = 1;
  if (::setsockopt(fd, SOL_SOCKET, SO_ZEROCOPY, &one, sizeof one) != 0) {
    throw ConfigError(std::string("--zerocopy: the kernel refuses SO_ZEROCOPY (") +
                      std::strerror(errno) + "); it needs Linux 4.14 (TCP) or 5.0 (UDP)");
  }
}

bool wait_error_queue(int fd, int timeout_ms) noexcept {
  pollfd p{fd, 0, 0};  // POLLERR is reported whatever is asked for
  return ::poll(&p, 1, timeout_ms) > 0 && (p.revents & POLLERR) != 0;
}

}  // namespace netbench::sender
