#pragma once

#include <cstdint>
#include <stop_token>
#include <string>
#include <string_view>

#include "netbench/test_spec.hpp"

namespace netbench::app {

/// What `netbench serve` was asked to do.
struct ServeOptions {
  std::string bind;           ///< control (and data) address; empty = dual-stack wildcard
  std::uint16_t port = 5201;  ///< control port (TCP)
  Family family = Family::kAny;
  int idle_timeout_ms = 30'000;                     ///< longest wait for any client message
  std::uint32_t max_flows = 4096;                   ///< flows one test may ask for
  std::uint64_t max_duration_ns = 600'000'000'000;  ///< warm-up + duration one test may ask for
  std::uint64_t max_tests = 0;  ///< serve this many tests, then exit; 0 = forever
  bool quiet = false;           ///< no log lines on stderr
  /// Shared secret a client's hello must carry as "token" (--auth-token or
  /// NETBENCH_AUTH_TOKEN); empty = no authentication. Never logged.
  std::string auth_token;
};

/// True when `given` equals `expected`, compared in time that depends on the
/// lengths alone: every byte of `given` is compared, with no early exit at
/// the first difference, so a client cannot find the token byte by byte.
/// Pure; thread-safe.
[[nodiscard]] bool token_matches(std::string_view expected, std::string_view given) noexcept;

/// Runs the receiver daemon: accepts control connections, one test at a
/// time (a second client is answered "busy"), until `stop`. Throws
/// SystemError if the control port cannot be opened. Returns the exit code.
int run_serve(const ServeOptions& options, std::stop_token stop);

}  // namespace netbench::app
