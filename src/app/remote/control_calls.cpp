#include "app/remote/control_calls.hpp"

#include "app/control/messages.hpp"
#include "app/report/printable.hpp"

namespace netbench::app {

std::string peer_error(std::string_view peer, const nlohmann::json& msg) {
  Error e;
  std::string why;
  return decode(msg, e, why) ? std::string(peer) + ": " + printable(e.error)
                             : std::string(peer) + " sent a malformed error (" + why + ")";
}

nlohmann::json expect(ControlChannel& ch, const char* type, int timeout_ms,
                      std::uint32_t max_bytes) {
  std::string err;
  ch.set_max_receive(max_bytes);
  auto msg = ch.receive(timeout_ms, err);
  if (!msg) {
    throw RemoteError("server: " + err);
  }
  if (has_type(*msg, "error")) {
    throw RemoteError(peer_error("server", *msg));
  }
  if (!has_type(*msg, type)) {
    // parse_control_body() let only objects with a string "type" through.
    throw RemoteError(std::string("server: expected '") + type + "', got '" +
                      printable(msg->at("type").get_ref<const std::string&>()) + "'");
  }
  return *msg;
}

void send_or_throw(ControlChannel& ch, const nlohmann::json& msg, std::string_view trailer) {
  std::string err;
  if (!ch.send(msg, kReplyTimeoutMs, err, trailer)) {
    throw RemoteError("server: " + err);
  }
}

}  // namespace netbench::app
