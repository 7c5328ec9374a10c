#pragma once

#include "netbench/endpoint.hpp"
#include "netbench/fd.hpp"
#include "netbench/test_spec.hpp"

namespace netbench::sender {

/// A non-blocking data socket of `family` for `spec`, not yet connected:
/// TCP_NODELAY as the mode wants, --buffer, and the socket knobs (set before
/// connect(), so that the SYN already announces --mss and carries --tos).
/// Throws SystemError or ConfigError.
Fd open_flow_socket(const TestSpec& spec, int family);

/// Flow `flow`'s data socket, connected to `target` (open_flow_socket(),
/// bound to --cport + flow when given): the client's end of every data
/// connection, whichever way the data then goes. Throws SystemError
/// (refused, unreachable, timed out after 5 s) or ConfigError.
Fd connect_flow_socket(const TestSpec& spec, const Endpoint& target, std::uint32_t flow);

}  // namespace netbench::sender
