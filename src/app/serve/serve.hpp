#pragma once

#include <cstdint>
#include <stop_token>
#include <string>

#include "netbench/test_spec.hpp"

namespace netbench::app {

/// What `netbench serve` was asked to do, and the limits it keeps.
struct ServeOptions {
  std::string bind;           ///< control (and data) address; empty = dual-stack wildcard
  std::uint16_t port = 5201;  ///< control port (TCP)
  Family family = Family::kAny;
  int idle_timeout_ms = 30'000;  ///< longest wait for any client message once its test is set up
  /// From accept until the client's hello and test have both arrived whole;
  /// a client slower than this (silent, one byte a second) is dropped.
  int handshake_timeout_ms = 5'000;
  /// Control connections open at once (handshaking, waiting or testing).
  /// When the table is full a newcomer evicts a handshake of the source
  /// holding the most places (pick_eviction()); if that would leave the
  /// newcomer's source holding more than any other, it is refused.
  std::uint32_t max_clients = 256;
  /// Tests that may run at once, each on its own thread with its own data
  /// sockets; a test beyond them is answered "busy". Concurrent tests share
  /// the machine's CPUs, so each one's figures reflect the others' load.
  std::uint32_t max_concurrent = 1;
  /// Largest socket buffer (SO_RCVBUF/SO_SNDBUF request, bytes) one test may
  /// ask for; a bigger one is refused by name. 0 = the system's own limit,
  /// min(net.core.rmem_max, net.core.wmem_max), read by run_serve() at start. A remote
  /// client's buffers are never forced beyond the system limits.
  std::uint64_t max_buffer_bytes = 0;
  std::uint32_t max_flows = 4096;                   ///< flows one test may ask for
  std::uint64_t max_duration_ns = 600'000'000'000;  ///< warm-up + duration one test may ask for
  /// Total offered messages/s one test may ask for; 0 = no limit. When set,
  /// a test without a rate (unlimited) is refused.
  double max_rate_msgs_per_s = 0;
  /// Total offered bits/s (rate x message size x 8) one test may ask for;
  /// 0 = no limit. When set, a test without a rate is refused.
  double max_bitrate_bps = 0;
  std::uint64_t max_tests = 0;  ///< exit after this many tests ran to their result; 0 = forever
  bool quiet = false;           ///< no log lines on stderr
  /// --json-log FILE: one JSON line per test appended here; empty = none.
  std::string json_log;
  /// --time-limit T: stop serving (and end a running test as incomplete)
  /// this long after the start; 0 = never.
  std::uint64_t time_limit_ns = 0;
  /// Shared secret a client's hello must carry as "token" (--auth-token or
  /// NETBENCH_AUTH_TOKEN); empty = no authentication. Never logged.
  std::string auth_token;
};

/// Runs the receiver daemon until `stop` (or --max-tests): one thread
/// accepts and handshakes every control connection at once in a poll()
/// loop, each within its handshake deadline; up to max_concurrent tests
/// (default one) run at once, each on a worker thread, and a client whose
/// test finds no free slot is answered "busy". Throws SystemError if the control port cannot be
/// opened. Returns the exit code.
int run_serve(const ServeOptions& options, std::stop_token stop);

}  // namespace netbench::app
