#pragma once

#include <stop_token>

#include "netbench/endpoint.hpp"
#include "netbench/paired_run.hpp"
#include "netbench/results.hpp"
#include "netbench/test_spec.hpp"

namespace netbench {

/// Measures a plain echo server (RFC 862) that knows nothing of netbench: no
/// control connection, client-side figures only. The Sender connects its
/// flows to `server` (TCP: spec.flows connections; UDP: spec.flows sockets,
/// each connected to `server`) and runs the spec; the server's replies are
/// the echoed netbench messages, so round-trip time, reply loss and order
/// are measured as in a paired echo run. `spec.mode` must be echo; the
/// spec's model, threads, bind_address and port do not apply.
///
/// UDP: before the test, one probe datagram goes from a separate socket to
/// `server` (so that its echo never reaches a measured flow), because a UDP
/// connect() cannot tell whether anything answers there. Up to three tries,
/// 500 ms each.
///
/// Hooks are called on the calling thread, as by run_paired(). Returns when
/// the test is over; a stop request ends it early with `complete == false`.
/// The result has no receiver_flows, and `clock` is "client only (plain
/// echo)". Throws ConfigError (mode not echo, bad spec, no server port) or
/// SystemError (connection refused, unreachable or timed out; UDP: probe
/// refused or unanswered).
RunResult run_plain_echo(const TestSpec& spec, const Endpoint& server, const RunHooks& hooks = {},
                         std::stop_token stop = {});

}  // namespace netbench
