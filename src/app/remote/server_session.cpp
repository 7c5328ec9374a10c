#include "app/remote/server_session.hpp"

#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <string_view>
#include <utility>

#include "app/control/clock_match.hpp"
#include "app/remote/client_checks.hpp"
#include "app/remote/control_calls.hpp"
#include "app/remote/remote_client.hpp"
#include "app/report/printable.hpp"
#include "netbench/clock.hpp"
#include "netbench/error.hpp"
#include "netbench/registration.hpp"
#include "sys/socket_ops.hpp"

namespace netbench::app {
namespace {

constexpr int kConnectTimeoutMs = 5'000;
/// After "done": the server ends its receiver and sends its result.
constexpr int kResultTimeoutMs = 15'000;
/// UDP registration: resend the tokens this often, this many times.
constexpr int kRegisterRetryMs = 200;
constexpr int kRegisterTries = 25;

/// Connects the control connection; a refusal or silence says what to check.
Fd connect_control(const Endpoint& server) {
  Fd fd = sys::make_socket(server.family(), SOCK_STREAM);
  sys::set_nonblocking(fd.get(), true);
  const std::string where = "control " + server.to_string();
  try {
    sys::connect_with_timeout(fd.get(), server, where, kConnectTimeoutMs);
  } catch (const SystemError& e) {
    switch (e.error_code()) {
      case ECONNREFUSED:
        throw RemoteError(std::string(e.what()) +
                          ": nothing listens there; is `netbench serve` running on that host "
                          "and port?");
      case ETIMEDOUT:
        throw RemoteError(std::string(e.what()) + " (no answer within " +
                          std::to_string(kConnectTimeoutMs / 1000) +
                          " s): is the host up, and does a firewall let TCP to that port through?");
      case EHOSTUNREACH:
      case ENETUNREACH:
        throw RemoteError(std::string(e.what()) + ": check the address and this host's routes");
      default:
        throw;
    }
  }
  return fd;
}

/// The server's answer to our hello: one that is our own message back
/// means an echo server, silence or text means something else on the port.
void expect_hello_reply(ControlChannel& ch, const nlohmann::json& sent, std::uint32_t max_bytes,
                        bool have_token) {
  nlohmann::json reply;
  try {
    reply = expect(ch, "hello", kReplyTimeoutMs, max_bytes);
  } catch (const RemoteError& e) {
    const std::string_view what = e.what();
    if (what == "server: authentication failed") {
      throw RemoteError(
          std::string(what) +
          (have_token ? ": the server did not accept the token given"
                      : ": this server needs a token (--auth-token or NETBENCH_AUTH_TOKEN)"));
    }
    if (what.find("no control message within") != std::string_view::npos ||
        what.find("not a netbench control connection") != std::string_view::npos) {
      throw RemoteError(std::string(what) +
                        "; netbench serve answers at once: is this the port of a netbench "
                        "server?");
    }
    throw;
  }
  if (reply == sent) {
    throw RemoteError(
        "server: it sent our hello back unchanged: that is an echo server, not netbench serve "
        "(to measure an echo server, add --plain-echo)");
  }
}

}  // namespace

std::string server_label(const std::string& host, std::uint16_t port) {
  return (host.find(':') != std::string::npos ? "[" + host + "]" : host) + ":" +
         std::to_string(port);
}

ServerSession::ServerSession(const TestSpec& spec, const std::string& host, std::uint16_t port,
                             const std::string& auth_token)
    : server_(resolve(host, port, spec.family, false)),
      ch_(connect_control(server_), max_setup_message_bytes(spec)),
      max_setup_bytes_(max_setup_message_bytes(spec)) {
  Hello hello;
  if (!auth_token.empty()) {
    hello.token = auth_token;
  }
  const std::uint64_t hello_sent = now_ns();
  // The trailing blank line is JSON whitespace to netbench serve, and the
  // end of a request to an HTTP server, which then answers at once.
  const nlohmann::json hello_json = encode(hello);
  send_or_throw(ch_, hello_json, "\r\n\r\n");
  expect_hello_reply(ch_, hello_json, max_setup_bytes_, !auth_token.empty());
  // The hello's round trip goes with the test (decide_clock); start() sends it.
  hello_rtt_ns_ = now_ns() - hello_sent;
}

void ServerSession::start(const TestSpec& spec, std::span<const std::uint16_t> fanout_ports,
                          const RegistrationToken* pair) {
  spec_ = &spec;
  poller_.emplace(spec, ch_, "server");
  // The server decides the clock (decide_clock): our boot id, the hello's
  // round trip and our clock when sending, read last.
  Test test;
  test.spec = spec;
  test.boot_id = read_boot_id();
  test.rtt_ns = hello_rtt_ns_;
  test.fanout_ports.assign(fanout_ports.begin(), fanout_ports.end());
  if (pair != nullptr) {
    test.pair = *pair;
  }
  test.clock_ns = now_ns();
  send_or_throw(ch_, encode(test));
  if (std::string why;
      !decode(expect(ch_, "ready", kReplyTimeoutMs, max_setup_bytes_), ready_, why)) {
    throw RemoteError("server: bad ready message: " + why);
  }
  if (const std::string why = check_ready(spec, ready_); !why.empty()) {
    throw RemoteError("server: ready for another test: " + why);
  }
  if (!fanout_ports.empty() && !std::equal(ready_.ports.begin(), ready_.ports.end(),
                                           fanout_ports.begin(), fanout_ports.end())) {
    throw RemoteError(
        "server: did not bind the fan-out ports asked for (is it an older netbench serve "
        "without remote fan-out?)");
  }
}

Endpoint ServerSession::local() const { return sys::local_endpoint(ch_.fd()); }

void ServerSession::poll() { poller_->poll(); }

const ReceiverLive& ServerSession::live() const noexcept { return poller_->last(); }

LatencyHistogram ServerSession::take_latency() { return poller_->take_latency(); }

const std::string& ServerSession::failed() const noexcept { return poller_->failed(); }

std::optional<Result> ServerSession::finish(const Sender& tx, std::string& error) {
  if (!failed().empty()) {
    // The server broke the protocol mid-test: what the sender measured
    // stands, the receiver's part is missing.
    error = failed();
    return std::nullopt;
  }
  std::string err;
  if (!ch_.send(encode(Done{tx.sent_by_flow()}), kReplyTimeoutMs, err)) {
    error = "server gone before the end: " + err;
    return std::nullopt;
  }
  ch_.set_max_receive(max_result_message_bytes(*spec_));
  auto reply = ch_.receive(kResultTimeoutMs, err);
  if (!reply || !has_type(*reply, "result")) {
    error = !reply                      ? "server gone before its result: " + err
            : has_type(*reply, "error") ? peer_error("server", *reply)
                                        : "server sent no result";
    return std::nullopt;
  }
  Result answer;
  if (!decode(*reply, answer, err)) {
    error = "server sent a bad result: " + err;
    return std::nullopt;
  }
  if (const std::string why = check_result(*spec_, answer.receiver); !why.empty()) {
    error = "server sent a result of another test: " + why;
    return std::nullopt;
  }
  return answer;
}

void register_udp_flows(Sender& tx, std::span<ServerSession* const> servers) {
  std::vector<RegistrationDatagram> dgrams;
  for (ServerSession* s : servers) {
    if (!s->ready_.token) {
      throw RemoteError("server: bad registration token");
    }
    dgrams.push_back(registration_datagram(*s->ready_.token));
    s->ch_.set_max_receive(s->max_setup_bytes_);
  }
  // "server", or with several "server HOST:PORT": which one failed.
  const auto name = [servers](std::size_t k) {
    return servers.size() == 1 ? std::string("server")
                               : "server " + servers[k]->server_.to_string();
  };
  std::vector<bool> registered(servers.size(), false);
  std::size_t waiting = servers.size();
  std::string err;
  // At most kRegisterTries × kRegisterRetryMs (5 s), whatever the servers
  // send meanwhile. In a fan-out every server sees every token (the flows go
  // to the group) and takes only its own.
  for (int i = 0; i < kRegisterTries && waiting > 0; ++i) {
    for (std::size_t k = 0; k < servers.size(); ++k) {
      if (!registered[k]) {
        tx.send_on_every_flow(dgrams[k]);
      }
    }
    const auto slice = static_cast<int>(kRegisterRetryMs / static_cast<int>(waiting));
    for (std::size_t k = 0; k < servers.size(); ++k) {
      if (registered[k]) {
        continue;
      }
      ControlChannel& ch = servers[k]->ch_;
      const std::string who = name(k);
      if (auto msg = ch.receive(slice, err)) {
        if (has_type(*msg, "error")) {
          throw RemoteError(peer_error(who, *msg));
        }
        Registered r;
        if (decode(*msg, r, err)) {
          registered[k] = true;
          --waiting;
        }
      } else if (ch.peer_closed()) {
        throw RemoteError(who + ": closed the control connection during registration");
      }
    }
  }
  for (std::size_t k = 0; k < servers.size(); ++k) {
    if (!registered[k]) {
      throw RemoteError(name(k) + ": UDP flows did not register (is UDP to the server blocked?)");
    }
  }
}

}  // namespace netbench::app
