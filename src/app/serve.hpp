#pragma once

#include <cstdint>
#include <stop_token>
#include <string>

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
};

/// Runs the receiver daemon: accepts control connections, one test at a
/// time (a second client is answered "busy"), until `stop`. Throws
/// SystemError if the control port cannot be opened. Returns the exit code.
int run_serve(const ServeOptions& options, std::stop_token stop);

}  // namespace netbench::app
