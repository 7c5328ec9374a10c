#pragma once

#include <cstdint>
#include <stop_token>
#include <string>
#include <vector>

#include "app/serve/pair_book.hpp"
#include "app/serve/serve.hpp"
#include "netbench/fd.hpp"
#include "netbench/test_spec.hpp"

namespace netbench::app {

class JsonLog;

/// How one test session ended.
enum class SessionOutcome {
  kCompleted,   ///< the test ran and its result was sent
  kIncomplete,  ///< it ran but ended early (client gone, bad "done"), or the result could not be
                ///< sent
  kFailed,      ///< it never ran (data sockets, registration)
};

/// A test the control loop accepted: the client said hello (and authenticated),
/// its test spec passed every check and limit.
struct AcceptedTest {
  Fd control;                 ///< the control connection (non-blocking), now the session's
  std::string peer;           ///< the client's address, for log lines
  TestSpec spec;              ///< validated against the server's limits
  bool shared_clock = false;  ///< the client's clock reading agreed with ours
  std::string clock;          ///< decide_clock()'s verdict, sent in "ready"
  /// --bidir: the server's pair tokens (the forward half opens one), or
  /// null (no --bidir served).
  PairBook* pairs = nullptr;
  /// The reverse half of a --bidir test whose forward half runs: it starts
  /// at once, in that test's slot.
  bool companion = false;
  /// Remote fan-out: the group ports the client dictates (Test::fanout_ports).
  std::vector<std::uint16_t> fanout_ports;
};

/// Runs one test after the handshake: sets up the data sockets, sends
/// "ready" (UDP: waits for every flow to register), answers live polls until
/// the client's "done", sends the receiver's result. Every wait is bounded
/// by the idle timeout and wakes at once for `stop`; bad input gets an error
/// message and ends the session, never the server. Logs through
/// serve_log(), and one line to `json_log` (unless null) on every path once
/// the session has begun. Runs on the server's test thread.
SessionOutcome run_session(AcceptedTest test, const ServeOptions& options, std::stop_token stop,
                           JsonLog* json_log);

/// One log line "netbench serve: LINE" on stderr unless options.quiet.
/// Thread-safe (one fprintf).
void serve_log(const ServeOptions& options, const std::string& line);

}  // namespace netbench::app
