#include "app/remote/remote_client.hpp"

#include <sys/socket.h>

#include <chrono>
#include <functional>
#include <string_view>
#include <thread>
#include <utility>

#include "app/control/control_channel.hpp"
#include "app/control/result_codec.hpp"
#include "app/report/json_report.hpp"
#include "netbench/clock.hpp"
#include "netbench/error.hpp"
#include "netbench/registration.hpp"
#include "netbench/sender.hpp"
#include "run/run_test.hpp"
#include "sys/socket_ops.hpp"

namespace netbench::app {
namespace {

constexpr int kReplyTimeoutMs = 10'000;
constexpr int kConnectTimeoutMs = 5'000;
/// UDP registration: resend the token this often, this many times.
constexpr int kRegisterRetryMs = 200;
constexpr int kRegisterTries = 25;
/// Draining after the last send: the server is asked this often.
constexpr std::chrono::milliseconds kDrainTick{5};

nlohmann::json expect(ControlChannel& ch, const char* type, int timeout_ms) {
  std::string err;
  auto msg = ch.receive(timeout_ms, err);
  if (!msg) {
    throw RemoteError("server: " + err);
  }
  if ((*msg)["type"] == "error") {
    throw RemoteError("server: " + (*msg).value("error", std::string("error")));
  }
  if ((*msg)["type"] != type) {
    throw RemoteError(std::string("server: expected '") + type + "', got '" +
                      (*msg)["type"].get<std::string>() + "'");
  }
  return *msg;
}

void send_or_throw(ControlChannel& ch, const nlohmann::json& msg) {
  std::string err;
  if (!ch.send(msg, kReplyTimeoutMs, err)) {
    throw RemoteError("server: " + err);
  }
}

RegistrationToken token_from_hex(const nlohmann::json& j) {
  RegistrationToken t{};
  if (!j.is_string() || j.get<std::string>().size() != 2 * t.size()) {
    throw RemoteError("server: bad registration token");
  }
  const std::string s = j.get<std::string>();
  for (std::size_t i = 0; i < t.size(); ++i) {
    const std::string byte = s.substr(2 * i, 2);
    if (byte.find_first_not_of("0123456789abcdef") != std::string::npos) {
      throw RemoteError("server: bad registration token");
    }
    t[i] = static_cast<std::byte>(std::stoul(byte, nullptr, 16));
  }
  return t;
}

/// The receiver is a `netbench serve` at the other end of `ch`: its data
/// ports come in its "ready", UDP flows register with its token, live
/// figures are polled once per interval, and its result arrives after "done".
class RemoteReceiverLink final : public run::ReceiverLink {
 public:
  RemoteReceiverLink(const TestSpec& spec, ControlChannel& ch, const Endpoint& server,
                     nlohmann::json ready)
      : spec_(spec), ch_(ch), server_(server), ready_(std::move(ready)) {}

  std::vector<Endpoint> targets() override {
    if (!ready_.contains("ports") || !ready_["ports"].is_array() || ready_["ports"].empty()) {
      throw RemoteError("server: ready without data ports");
    }
    std::vector<Endpoint> out;
    for (const auto& p : ready_["ports"]) {
      if (!p.is_number_unsigned() || p.get<std::uint64_t>() > 65535) {
        throw RemoteError("server: bad data port");
      }
      Endpoint ep = server_;
      ep.set_port(p.get<std::uint16_t>());
      out.push_back(ep);
    }
    return out;
  }

  void attach(Sender& tx) override {
    if (spec_.proto != Proto::kUdp) {
      return;
    }
    const RegistrationDatagram dgram =
        registration_datagram(token_from_hex(ready_.value("token", nlohmann::json())));
    bool registered = false;
    std::string err;
    for (int i = 0; i < kRegisterTries && !registered; ++i) {
      tx.send_on_every_flow(dgram);
      if (auto msg = ch_.receive(kRegisterRetryMs, err)) {
        if ((*msg)["type"] == "error") {
          throw RemoteError("server: " + msg->value("error", std::string("error")));
        }
        registered = (*msg)["type"] == "registered";
      } else if (ch_.peer_closed()) {
        throw RemoteError("server: closed the control connection during registration");
      }
    }
    if (!registered) {
      throw RemoteError("server: UDP flows did not register (is UDP to the server blocked?)");
    }
  }

  run::IntervalReporter::ReceiverProbe probe() override {
    if (spec_.mode != Mode::kStream) {
      return {};  // echo: the client measures everything itself
    }
    // The receiver is on the server: each interval asks it for its totals.
    // A poll that fails leaves the interval's receiver figures unchanged.
    return {[this] {
              poll();
              return last_;
            },
            [this] { return std::exchange(last_latency_, {}); }};
  }
  [[nodiscard]] std::chrono::milliseconds drain_tick() const override { return kDrainTick; }

  void collect(const Sender& tx, RunResult& result) override {
    result.clock = ready_.value("clock", std::string("unknown"));
    const std::vector<std::uint64_t> sent = tx.sent_by_flow();
    std::string err;
    if (!ch_.send({{"type", "done"}, {"sent_by_flow", sent}}, kReplyTimeoutMs, err)) {
      result.complete = false;
      result.error = "server gone before the end: " + err;
      return;
    }
    auto reply = ch_.receive(kReplyTimeoutMs + 5'000, err);
    if (!reply || (*reply)["type"] != "result" || !reply->contains("receiver")) {
      result.complete = false;
      result.error = !reply ? "server gone before its result: " + err
                            : "server: " + reply->value("error", std::string("no result"));
      return;
    }
    RunResult part;
    if (!receiver_part_from_json((*reply)["receiver"], part, err)) {
      result.complete = false;
      result.error = "server sent a bad result: " + err;
      return;
    }
    result.receiver_flows = std::move(part.receiver_flows);
    result.receiver = part.receiver;
    if (spec_.mode == Mode::kStream) {
      // One-way figures are the receiver's; echo RTT stays the client's own.
      result.latency = std::move(part.latency);
      result.latency_from_actual = std::move(part.latency_from_actual);
      result.delay_variation = std::move(part.delay_variation);
    }
    if (reply->contains("error") && (*reply)["error"].is_string()) {
      run::add_receiver_error(result, (*reply)["error"].get<std::string>());
    }
  }

 private:
  void poll() {
    std::string err;
    if (!ch_.send({{"type", "poll"}}, kReplyTimeoutMs, err)) {
      return;
    }
    const auto live = ch_.receive(kReplyTimeoutMs, err);
    if (!live || (*live)["type"] != "live") {
      return;
    }
    last_.messages = live->value("messages", last_.messages);
    last_.bytes = live->value("bytes", last_.bytes);
    last_.reordered = live->value("reordered", last_.reordered);
    last_.duplicates = live->value("duplicates", last_.duplicates);
    last_.flows = live->value("flows", last_.flows);
    last_.finished_flows = live->value("finished_flows", last_.finished_flows);
    if (const auto bytes = unbase64(live->value("latency", std::string()))) {
      if (auto h = LatencyHistogram::deserialize(*bytes)) {
        // Each reply holds the samples since the previous poll: add them
        // up until the reporter takes the interval's histogram.
        last_latency_.merge(*h);
      }
    }
  }

  const TestSpec& spec_;
  ControlChannel& ch_;
  Endpoint server_;
  nlohmann::json ready_;
  ReceiverLive last_;  ///< the server's latest totals
  LatencyHistogram last_latency_;
};

}  // namespace

RunResult run_remote(const TestSpec& spec, const std::string& host, std::uint16_t port,
                     const RunHooks& hooks, std::stop_token stop, const std::string& auth_token) {
  validate(spec);
  sys::raise_fd_limit();
  const Endpoint server = resolve(host, port, spec.family, false);
  Fd fd = sys::make_socket(server.family(), SOCK_STREAM);
  sys::set_nonblocking(fd.get(), true);
  sys::connect_with_timeout(fd.get(), server, "control " + server.to_string(), kConnectTimeoutMs);
  ControlChannel ch(std::move(fd));

  nlohmann::json hello = {{"type", "hello"}, {"version", kControlVersion}};
  if (!auth_token.empty()) {
    hello["token"] = auth_token;
  }
  send_or_throw(ch, hello);
  try {
    expect(ch, "hello", kReplyTimeoutMs);
  } catch (const RemoteError& e) {
    if (std::string_view(e.what()) == "server: authentication failed") {
      throw RemoteError(std::string(e.what()) +
                        (auth_token.empty()
                             ? ": this server needs a token (--auth-token or NETBENCH_AUTH_TOKEN)"
                             : ": the server did not accept the token given"));
    }
    throw;
  }
  send_or_throw(ch, {{"type", "test"}, {"config", config_json(spec)}, {"clock_ns", now_ns()}});
  RemoteReceiverLink link(spec, ch, server, expect(ch, "ready", kReplyTimeoutMs));
  return run::run_test(spec, link, hooks, std::move(stop));
}

}  // namespace netbench::app
