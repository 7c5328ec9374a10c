#pragma once

#include <cstdint>
#include <vector>

#include "netbench/endpoint.hpp"
#include "netbench/registration.hpp"

namespace netbench::receiver {

/// UDP flow registration, the server's half (a receiver's flows, and the
/// server's flow sockets of a --reverse test): waits up to `timeout_ms` for
/// the registration datagram of `token` on each unconnected socket of `fds`
/// (borrowed), and connects each to the address it came from, so that the
/// socket takes and sends datagrams of that peer only. With `host`, only a
/// datagram from that host (its address; any port) registers. Anything else
/// is discarded and counted in `unregistered`, as is whatever queued on a
/// socket before it was connected. Returns the sockets registered; stops
/// early once every socket is.
std::uint32_t register_udp_sockets(const std::vector<int>& fds, const RegistrationToken& token,
                                   int timeout_ms, const Endpoint* host,
                                   std::uint64_t& unregistered);

}  // namespace netbench::receiver
