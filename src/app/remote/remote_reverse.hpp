#pragma once

#include <stop_token>

#include "app/control/control_channel.hpp"
#include "app/control/messages.hpp"
#include "netbench/endpoint.hpp"
#include "netbench/paired_run.hpp"
#include "netbench/results.hpp"
#include "netbench/test_spec.hpp"

namespace netbench::app {

/// The client's side of a --reverse test against `netbench serve` at
/// `server`, once the server answered the test with `ready`: opens every
/// flow to the server's ports (UDP: registers each with the ready token),
/// runs a Receiver over them, says "go", answers the server's polls (with
/// "stop" once `stop` is requested), passes each interval record the server
/// sends to hooks.on_interval, and merges the server's sender part
/// ("report") with its own receiver part. Throws RemoteError or SystemError
/// before traffic starts; a server that fails or vanishes mid-test gives a
/// result marked incomplete with the receiver's figures.
RunResult run_reverse_client(const TestSpec& spec, ControlChannel& ch, const Endpoint& server,
                             const Ready& ready, const RunHooks& hooks, std::stop_token stop);

}  // namespace netbench::app
