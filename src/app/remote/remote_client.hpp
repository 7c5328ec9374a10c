#pragma once

#include <cstdint>
#include <stdexcept>
#include <stop_token>
#include <string>

#include "netbench/paired_run.hpp"
#include "netbench/results.hpp"
#include "netbench/test_spec.hpp"

namespace netbench::app {

/// The server refused or broke the control protocol; the message is the
/// one line to show ("server: busy: another test is running ...").
class RemoteError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// Why a sweep refuses a remote fan-out (one line).
inline constexpr const char* kRemoteFanoutRefusal =
    "a sweep runs against one netbench serve: run a remote fan-out (--connect A,B,C with "
    "--multicast or --broadcast) as a single run, or drop --connect";

/// Runs `spec` as the sender against `netbench serve` at host:port: sends the
/// spec over the control connection, registers UDP flows, runs the Sender,
/// and merges the server's receiver-side results into one RunResult.
/// Throws ConfigError (host does not resolve), SystemError (refused,
/// unreachable, no answer) or RemoteError before the test starts; a server
/// that dies mid-test gives a result marked incomplete. `auth_token`, when not
/// empty, goes in the hello for a server started with --auth-token; a server
/// that refuses it gives RemoteError "server: authentication failed ...".
/// A fan-out spec runs as a remote fan-out of this one server
/// (run_remote_fanout()).
RunResult run_remote(const TestSpec& spec, const std::string& host, std::uint16_t port,
                     const RunHooks& hooks, std::stop_token stop,
                     const std::string& auth_token = {});

}  // namespace netbench::app
