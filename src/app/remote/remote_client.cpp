#include "app/remote/remote_client.hpp"

#include <sys/socket.h>

#include <chrono>
#include <functional>
#include <string_view>
#include <thread>
#include <utility>

#include "app/control/clock_match.hpp"
#include "app/control/control_channel.hpp"
#include "app/control/messages.hpp"
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
  if (Error e; has_type(*msg, "error")) {
    throw RemoteError("server: " + (decode(*msg, e, err) ? e.error : std::string("error")));
  }
  if (!has_type(*msg, type)) {
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

/// The receiver is a `netbench serve` at the other end of `ch`: its data
/// ports come in its "ready", UDP flows register with its token, live
/// figures are polled once per interval, and its result arrives after "done".
class RemoteReceiverLink final : public run::ReceiverLink {
 public:
  RemoteReceiverLink(const TestSpec& spec, ControlChannel& ch, const Endpoint& server, Ready ready)
      : spec_(spec), ch_(ch), server_(server), ready_(std::move(ready)) {}

  std::vector<Endpoint> targets() override {
    std::vector<Endpoint> out;
    for (const std::uint16_t p : ready_.ports) {
      Endpoint ep = server_;
      ep.set_port(p);
      out.push_back(ep);
    }
    return out;
  }

  void attach(Sender& tx) override {
    if (spec_.proto != Proto::kUdp) {
      return;
    }
    if (!ready_.token) {
      throw RemoteError("server: bad registration token");
    }
    const RegistrationDatagram dgram = registration_datagram(*ready_.token);
    bool registered = false;
    std::string err;
    for (int i = 0; i < kRegisterTries && !registered; ++i) {
      tx.send_on_every_flow(dgram);
      if (auto msg = ch_.receive(kRegisterRetryMs, err)) {
        if (Error e; has_type(*msg, "error")) {
          throw RemoteError("server: " + (decode(*msg, e, err) ? e.error : std::string("error")));
        }
        Registered r;
        registered = decode(*msg, r, err);
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
    result.clock = ready_.clock;
    std::string err;
    if (!ch_.send(encode(Done{tx.sent_by_flow()}), kReplyTimeoutMs, err)) {
      result.complete = false;
      result.error = "server gone before the end: " + err;
      return;
    }
    auto reply = ch_.receive(kReplyTimeoutMs + 5'000, err);
    if (Error e; !reply || !has_type(*reply, "result") || !reply->contains("receiver")) {
      result.complete = false;
      result.error =
          !reply ? "server gone before its result: " + err
                 : "server: " + (decode(*reply, e, err) ? e.error : std::string("no result"));
      return;
    }
    Result answer;
    if (!decode(*reply, answer, err)) {
      result.complete = false;
      result.error = "server sent a bad result: " + err;
      return;
    }
    RunResult& part = answer.receiver;
    result.receiver_flows = std::move(part.receiver_flows);
    result.receiver = part.receiver;
    if (spec_.mode == Mode::kStream) {
      // One-way figures are the receiver's; echo RTT stays the client's own.
      result.latency = std::move(part.latency);
      result.latency_from_actual = std::move(part.latency_from_actual);
      result.delay_variation = std::move(part.delay_variation);
    }
    run::add_receiver_error(result, answer.error);
  }

 private:
  void poll() {
    std::string err;
    if (!ch_.send(encode(Poll{}), kReplyTimeoutMs, err)) {
      return;
    }
    const auto reply = ch_.receive(kReplyTimeoutMs, err);
    Live live;
    if (!reply || !decode(*reply, live, err)) {
      return;
    }
    last_ = live.totals;
    // Each reply holds the samples since the previous poll: add them up
    // until the reporter takes the interval's histogram.
    last_latency_.merge(live.latency);
  }

  const TestSpec& spec_;
  ControlChannel& ch_;
  Endpoint server_;
  Ready ready_;
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

  Hello hello;
  if (!auth_token.empty()) {
    hello.token = auth_token;
  }
  const std::uint64_t hello_sent = now_ns();
  send_or_throw(ch, encode(hello));
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
  // The server decides the clock (decide_clock): our boot id, the hello's
  // round trip and our clock when sending, read last.
  Test test{spec, std::nullopt, read_boot_id(), now_ns() - hello_sent};
  test.clock_ns = now_ns();
  send_or_throw(ch, encode(test));
  Ready ready;
  if (std::string why; !decode(expect(ch, "ready", kReplyTimeoutMs), ready, why)) {
    throw RemoteError("server: bad ready message: " + why);
  }
  RemoteReceiverLink link(spec, ch, server, std::move(ready));
  return run::run_test(spec, link, hooks, std::move(stop));
}

}  // namespace netbench::app
