#pragma once

#include <stop_token>

#include "app/control/control_channel.hpp"
#include "app/serve/serve.hpp"
#include "app/serve/serve_session.hpp"
#include "app/serve/session_record.hpp"

namespace netbench::app {

/// How long a --reverse test's flows have to come in after "ready" (TCP
/// connections, UDP registrations), ms.
inline constexpr int kReverseFlowsTimeoutMs = 5'000;

/// The session of a --reverse test, after the handshake: the server sends.
/// Binds the flow sockets (spec.bind_address, free ports), sends "ready",
/// takes the client's flows from the control client's host only (TCP
/// connections; UDP: registration datagrams, each flow socket then connected
/// to its client socket), sends "registered", waits for "go", and runs the
/// Sender through the run lifecycle with the client's receiver polled over
/// `ch` (a "stop" answer ends the sender early); each interval record goes
/// to the client as it is measured, the sender's part of the run at the end
/// ("report"). Bounded like run_session(); logs through serve_log() and
/// `record`.
SessionOutcome run_reverse_session(ControlChannel& ch, AcceptedTest& test,
                                   const ServeOptions& options, std::stop_token stop,
                                   SessionRecord& record);

}  // namespace netbench::app
