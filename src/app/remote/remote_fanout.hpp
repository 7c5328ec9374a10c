#pragma once

#include <cstdint>
#include <stop_token>
#include <string>
#include <utility>
#include <vector>

#include "netbench/paired_run.hpp"
#include "netbench/results.hpp"
#include "netbench/test_spec.hpp"

namespace netbench::app {

/// A `netbench serve` of a remote fan-out: host (name or address) and
/// control port.
using ServerAddress = std::pair<std::string, std::uint16_t>;

/// Remote fan-out (`--connect A,B,C` with `--multicast GROUP` or
/// `--broadcast`): every server in `servers` joins the group (or listens on
/// its subnet's broadcast address) on the interface the client reaches it
/// by, with one socket per flow on the ports the first server chose; this
/// process sends each flow once, to the group. spec.receivers must be
/// servers.size(). With no --bind, the datagrams leave by the interface of
/// the first server's control connection. Each server's result becomes one
/// FanoutReceiver (index = its place in `servers`, host = "HOST:PORT");
/// a server that fails during the test marks the result incomplete naming
/// it, and the others' figures stand. Throws what run_remote() throws
/// before the test starts, the message naming the server.
RunResult run_remote_fanout(const TestSpec& spec, const std::vector<ServerAddress>& servers,
                            const RunHooks& hooks, std::stop_token stop,
                            const std::string& auth_token = {});

}  // namespace netbench::app
