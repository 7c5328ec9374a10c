#include "sender/reply_reader.hpp"

#include <sys/socket.h>

#include <cerrno>
#include <span>

#include "netbench/clock.hpp"

namespace netbench::sender {

bool ReplyReader::read(SendFlow& f, unsigned limit) {
  const bool tcp = state_.tcp();
  bool resumed = false;
  for (unsigned i = 0; i < limit; ++i) {
    const ssize_t n = ::recv(f.fd.get(), rx_.data(), rx_.size(), MSG_DONTWAIT);
    if (n < 0) {
      if (errno == EINTR) {
        continue;
      }
      if (errno == EAGAIN || errno == EWOULDBLOCK || (!tcp && errno == ECONNREFUSED)) {
        return resumed;
      }
      f.closed = true;
      f.stats.closed_by_peer = true;
      return resumed;
    }
    if (n == 0 && tcp) {
      f.closed = true;
      f.stats.closed_by_peer = !f.shut;
      return resumed;
    }
    const std::uint64_t now = now_ns();
    const std::span<const std::byte> got(rx_.data(), static_cast<std::size_t>(n));
    if (!state_.echo()) {
      ++f.stats.replies_malformed;  // a stream receiver never writes back
      continue;
    }
    if (tcp) {
      if (!f.decoder.feed(got, [&](const WireHeader& h) { resumed |= ledger_.reply(f, h, now); })) {
        ++f.stats.replies_malformed;
        f.closed = true;
        return resumed;
      }
    } else if (const DecodeResult r = decode_datagram(got); r.ok() && r.header.flow_id == f.id) {
      resumed |= ledger_.reply(f, r.header, now);
    } else {
      ++f.stats.replies_malformed;
    }
  }
  return resumed;
}

}  // namespace netbench::sender
