#include "receiver/udp_registration.hpp"

#include <poll.h>
#include <sys/socket.h>

#include "netbench/clock.hpp"
#include "receiver/receiver_state.hpp"

namespace netbench::receiver {

std::uint32_t register_udp_sockets(const std::vector<int>& fds, const RegistrationToken& token,
                                   int timeout_ms, const Endpoint* host,
                                   std::uint64_t& unregistered) {
  std::vector<bool> done(fds.size(), false);
  std::uint32_t registered = 0;
  const std::uint64_t until =
      now_ns() + static_cast<std::uint64_t>(timeout_ms) * std::uint64_t{1'000'000};
  std::vector<pollfd> p(fds.size());
  while (registered < fds.size()) {
    const std::uint64_t now = now_ns();
    if (now >= until) {
      break;
    }
    for (std::size_t i = 0; i < fds.size(); ++i) {
      p[i] = {done[i] ? -1 : fds[i], POLLIN, 0};
    }
    const int n = ::poll(p.data(), p.size(), static_cast<int>((until - now) / 1'000'000 + 1));
    if (n <= 0) {
      continue;
    }
    for (std::size_t i = 0; i < fds.size(); ++i) {
      if (done[i] || p[i].revents == 0) {
        continue;
      }
      RegistrationDatagram buf{};
      Endpoint from;
      from.len = sizeof from.addr;
      const ssize_t got = ::recvfrom(fds[i], buf.data(), buf.size(), MSG_DONTWAIT,
                                     reinterpret_cast<sockaddr*>(&from.addr), &from.len);  // NOLINT
      if (got == static_cast<ssize_t>(buf.size()) && matches(buf, token) &&
          (host == nullptr || same_host(from.addr, host->addr))) {
        if (::connect(fds[i], from.sa(), from.len) == 0) {
          done[i] = true;
          ++registered;
          // Whatever queued before connect() came from anyone: drop it
          // (bounded: the queue holds at most its buffer's worth).
          for (int k = 0; k < 100'000; ++k) {
            if (::recv(fds[i], buf.data(), buf.size(), MSG_DONTWAIT | MSG_TRUNC) < 0) {
              break;
            }
            ++unregistered;
          }
        }
      } else if (got >= 0) {
        // Anything else is discarded: the socket answers no one unregistered.
        ++unregistered;
      }
    }
  }
  return registered;
}

}  // namespace netbench::receiver
