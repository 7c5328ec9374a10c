#pragma once

#include "netbench/fd.hpp"
#include "netbench/test_spec.hpp"

namespace netbench::sender {

/// A non-blocking data socket of `family` for `spec`, not yet connected:
/// TCP_NODELAY as the mode wants, --buffer, and the socket knobs (set before
/// connect(), so that the SYN already announces --mss and carries --tos).
/// Throws SystemError or ConfigError.
Fd open_flow_socket(const TestSpec& spec, int family);

}  // namespace netbench::sender
