#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "app/control/control_channel.hpp"
#include "app/remote/remote_client.hpp"

namespace netbench::app {

/// How long a client waits for each answer of the set-up, ms.
inline constexpr int kReplyTimeoutMs = 10'000;

/// One line for an "error" message from `peer` ("server", "client"); its
/// text is the peer's, so escaped (printable()).
[[nodiscard]] std::string peer_error(std::string_view peer, const nlohmann::json& msg);

/// The next message, which must be of `type` (an "error" is thrown as
/// what the server said), as RemoteError. At most `max_bytes` of JSON,
/// within `timeout_ms`.
nlohmann::json expect(ControlChannel& ch, const char* type, int timeout_ms,
                      std::uint32_t max_bytes);

/// Sends `msg` within kReplyTimeoutMs or throws RemoteError.
void send_or_throw(ControlChannel& ch, const nlohmann::json& msg, std::string_view trailer = {});

}  // namespace netbench::app
