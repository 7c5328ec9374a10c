#include "app/remote/remote_client.hpp"

#include <sys/socket.h>

#include <cerrno>
#include <chrono>
#include <exception>
#include <functional>
#include <future>
#include <optional>
#include <string_view>
#include <thread>
#include <utility>

#include "app/control/clock_match.hpp"
#include "app/control/control_channel.hpp"
#include "app/control/messages.hpp"
#include "app/remote/client_checks.hpp"
#include "app/remote/control_calls.hpp"
#include "app/remote/live_poller.hpp"
#include "app/remote/remote_reverse.hpp"
#include "app/report/printable.hpp"
#include "netbench/clock.hpp"
#include "netbench/error.hpp"
#include "netbench/registration.hpp"
#include "netbench/sender.hpp"
#include "run/run_test.hpp"
#include "sys/socket_ops.hpp"

namespace netbench::app {
namespace {

constexpr int kConnectTimeoutMs = 5'000;
/// After "done": the server ends its receiver and sends its result.
constexpr int kResultTimeoutMs = 15'000;
/// UDP registration: resend the token this often, this many times.
constexpr int kRegisterRetryMs = 200;
constexpr int kRegisterTries = 25;
/// Draining after the last send: the server is asked this often.
constexpr std::chrono::milliseconds kDrainTick{5};

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
    if (spec_.proto != Proto::kUdp || spec_.mode == Mode::kConnect) {
      return;  // TCP, and connect mode's fresh sockets: nothing to register
    }
    if (!ready_.token) {
      throw RemoteError("server: bad registration token");
    }
    const RegistrationDatagram dgram = registration_datagram(*ready_.token);
    bool registered = false;
    std::string err;
    ch_.set_max_receive(max_setup_message_bytes(spec_));
    // At most kRegisterTries × kRegisterRetryMs (5 s), whatever the server
    // sends meanwhile.
    for (int i = 0; i < kRegisterTries && !registered; ++i) {
      tx.send_on_every_flow(dgram);
      if (auto msg = ch_.receive(kRegisterRetryMs, err)) {
        if (has_type(*msg, "error")) {
          throw RemoteError(peer_error("server", *msg));
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
              poller_.poll();
              return poller_.last();
            },
            [this] { return poller_.take_latency(); }};
  }
  [[nodiscard]] std::chrono::milliseconds drain_tick() const override { return kDrainTick; }

  [[nodiscard]] PeerInfo peer() const override {
    return run::peer_at(PeerKind::kNetbenchServe, server_);
  }

  void collect(const Sender& tx, RunResult& result) override {
    result.clock = printable(ready_.clock);
    if (!poller_.failed().empty()) {
      // The server broke the protocol mid-test: what the sender measured
      // stands, the receiver's part is missing.
      result.complete = false;
      result.error = poller_.failed();
      return;
    }
    std::string err;
    if (!ch_.send(encode(Done{tx.sent_by_flow()}), kReplyTimeoutMs, err)) {
      result.complete = false;
      result.error = "server gone before the end: " + err;
      return;
    }
    ch_.set_max_receive(max_result_message_bytes(spec_));
    auto reply = ch_.receive(kResultTimeoutMs, err);
    if (!reply || !has_type(*reply, "result")) {
      result.complete = false;
      result.error = !reply                      ? "server gone before its result: " + err
                     : has_type(*reply, "error") ? peer_error("server", *reply)
                                                 : "server sent no result";
      return;
    }
    Result answer;
    if (!decode(*reply, answer, err)) {
      result.complete = false;
      result.error = "server sent a bad result: " + err;
      return;
    }
    RunResult& part = answer.receiver;
    if (const std::string why = check_result(spec_, part); !why.empty()) {
      result.complete = false;
      result.error = "server sent a result of another test: " + why;
      return;
    }
    result.receiver_flows = std::move(part.receiver_flows);
    result.receiver = part.receiver;
    // Connect mode: the server's accepts, threads and listen queue; the
    // transactions and connect latency stay the client's own.
    result.connect.server_accepts = part.connect.server_accepts;
    result.connect.server_threads_started = part.connect.server_threads_started;
    result.connect.kernel = part.connect.kernel;
    if (spec_.mode == Mode::kStream) {
      // One-way figures are the receiver's; echo RTT stays the client's own.
      result.latency = std::move(part.latency);
      result.latency_from_actual = std::move(part.latency_from_actual);
      result.delay_variation = std::move(part.delay_variation);
    }
    run::add_receiver_error(result, printable(answer.error));
  }

 private:
  const TestSpec& spec_;
  ControlChannel& ch_;
  Endpoint server_;
  Ready ready_;
  LivePoller poller_{spec_, ch_, "server"};
};

}  // namespace

namespace {

/// --bidir: how the two halves of one test find each other on the server.
struct Pairing {
  /// The reverse half: the token its forward half's "ready" gave.
  const RegistrationToken* token = nullptr;
  /// The forward half: called with that token once the server is ready.
  std::function<void(const RegistrationToken&)> on_ready;
};

/// One test over one control connection: forward (this side sends), or
/// reverse (the server sends).
RunResult run_one(const TestSpec& spec, const Endpoint& server, const RunHooks& hooks,
                  std::stop_token stop, const std::string& auth_token, const Pairing& pairing) {
  ControlChannel ch(connect_control(server), max_setup_message_bytes(spec));
  Hello hello;
  if (!auth_token.empty()) {
    hello.token = auth_token;
  }
  const std::uint64_t hello_sent = now_ns();
  // The trailing blank line is JSON whitespace to netbench serve, and the
  // end of a request to an HTTP server, which then answers at once.
  const nlohmann::json hello_json = encode(hello);
  send_or_throw(ch, hello_json, "\r\n\r\n");
  expect_hello_reply(ch, hello_json, max_setup_message_bytes(spec), !auth_token.empty());
  // The server decides the clock (decide_clock): our boot id, the hello's
  // round trip and our clock when sending, read last.
  Test test;
  test.spec = spec;
  test.boot_id = read_boot_id();
  test.rtt_ns = now_ns() - hello_sent;
  if (pairing.token != nullptr) {
    test.pair = *pairing.token;
  }
  test.clock_ns = now_ns();
  send_or_throw(ch, encode(test));
  Ready ready;
  if (std::string why;
      !decode(expect(ch, "ready", kReplyTimeoutMs, max_setup_message_bytes(spec)), ready, why)) {
    throw RemoteError("server: bad ready message: " + why);
  }
  if (const std::string why = check_ready(spec, ready); !why.empty()) {
    throw RemoteError("server: ready for another test: " + why);
  }
  if (pairing.on_ready) {
    if (!ready.pair) {
      throw RemoteError("server: no pair token for --bidir (a server of an earlier version?)");
    }
    pairing.on_ready(*ready.pair);
  }
  if (spec.direction == Direction::kReverse) {
    return run_reverse_client(spec, ch, server, ready, hooks, std::move(stop));
  }
  RemoteReceiverLink link(spec, ch, server, std::move(ready));
  return run::run_test(spec, link, hooks, std::move(stop));
}

/// --bidir: the forward half (whose spec says bidir, so that the server
/// gives a pair token) and the reverse half on a thread once that token
/// came, each on a control connection of its own, as paired runs do.
RunResult run_bidir(const TestSpec& spec, const Endpoint& server, const RunHooks& hooks,
                    std::stop_token stop, const std::string& auth_token) {
  TestSpec reverse = spec;
  reverse.direction = Direction::kReverse;
  std::promise<std::optional<RegistrationToken>> paired;
  std::future<std::optional<RegistrationToken>> token = paired.get_future();
  // Live interval lines would interleave two tests: each direction's
  // intervals are in its own result instead.
  RunHooks quiet;
  quiet.on_start = hooks.on_start;
  const auto forward = [&](std::stop_token s) {
    bool promised = false;
    try {
      return run_one(spec, server, quiet, std::move(s), auth_token,
                     Pairing{nullptr, [&](const RegistrationToken& t) {
                               promised = true;
                               paired.set_value(t);
                             }});
    } catch (...) {
      if (!promised) {
        paired.set_value(std::nullopt);  // the reverse half never starts
      }
      throw;
    }
  };
  const auto reverse_half = [&](std::stop_token s) {
    const std::optional<RegistrationToken> t = token.get();
    return t ? run_one(reverse, server, {}, std::move(s), auth_token, Pairing{&*t, {}})
             : RunResult{};
  };
  return run::run_bidir_halves(forward, reverse_half, std::move(stop));
}

}  // namespace

RunResult run_remote(const TestSpec& spec, const std::string& host, std::uint16_t port,
                     const RunHooks& hooks, std::stop_token stop, const std::string& auth_token) {
  validate(spec);
  if (spec.fanout()) {
    // Sweeps reach here too: a server would bind unicast flow sockets.
    throw ConfigError(kRemoteFanoutRefusal);
  }
  sys::raise_fd_limit();
  const Endpoint server = resolve(host, port, spec.family, false);
  if (spec.direction == Direction::kBidir) {
    return run_bidir(spec, server, hooks, std::move(stop), auth_token);
  }
  return run_one(spec, server, hooks, std::move(stop), auth_token, {});
}

}  // namespace netbench::app
