#include "app/remote/remote_client.hpp"

#include <sys/socket.h>

#include <chrono>
#include <functional>
#include <string_view>
#include <thread>
#include <utility>

#include "app/control/control_channel.hpp"
#include "app/control/messages.hpp"
#include "netbench/clock.hpp"
#include "netbench/error.hpp"
#include "netbench/registration.hpp"
#include "netbench/sender.hpp"
#include "run/interval_reporter.hpp"
#include "sys/socket_ops.hpp"

namespace netbench::app {
namespace {

constexpr int kReplyTimeoutMs = 10'000;
constexpr int kConnectTimeoutMs = 5'000;
/// UDP registration: resend the token this often, this many times.
constexpr int kRegisterRetryMs = 200;
constexpr int kRegisterTries = 25;
/// Draining after the last send: this long without progress ends it, ns;
/// the server is asked this often.
constexpr std::uint64_t kDrainIdleNs = 300'000'000;
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

/// Polls the server's live totals through `live` until every TCP flow has
/// finished or every UDP datagram sent has arrived, or until nothing new
/// arrived for kDrainIdleNs. Returns when the last progress was seen (ns).
std::uint64_t drain(const TestSpec& spec, const Sender& tx,
                    const std::function<ReceiverLive()>& live, std::stop_token stop) {
  std::uint64_t total_sent = 0;
  for (const std::uint64_t n : tx.sent_by_flow()) {
    total_sent += n;
  }
  std::uint64_t last_bytes = UINT64_MAX;
  std::uint64_t last_change = now_ns();
  std::uint64_t drained_at = last_change;
  for (;;) {
    const ReceiverLive l = live();
    const bool all_in =
        spec.proto == Proto::kTcp ? l.finished_flows >= spec.flows : l.messages >= total_sent;
    const std::uint64_t now = now_ns();
    if (l.bytes != last_bytes) {
      last_bytes = l.bytes;
      last_change = now;
      drained_at = now;
    }
    if (all_in || stop.stop_requested() || now - last_change > kDrainIdleNs) {
      return drained_at;
    }
    std::this_thread::sleep_for(kDrainTick);
  }
}

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
  send_or_throw(ch, encode(Test{spec, now_ns()}));
  Ready ready;
  if (std::string why; !decode(expect(ch, "ready", kReplyTimeoutMs), ready, why)) {
    throw RemoteError("server: bad ready message: " + why);
  }
  std::vector<Endpoint> targets;
  for (const std::uint16_t p : ready.ports) {
    Endpoint ep = server;
    ep.set_port(p);
    targets.push_back(ep);
  }
  Sender tx(spec, targets, false);
  if (spec.proto == Proto::kUdp) {
    if (!ready.token) {
      throw RemoteError("server: bad registration token");
    }
    const RegistrationDatagram dgram = registration_datagram(*ready.token);
    bool registered = false;
    std::string err;
    for (int i = 0; i < kRegisterTries && !registered; ++i) {
      tx.send_on_every_flow(dgram);
      if (auto msg = ch.receive(kRegisterRetryMs, err)) {
        if (Error e; has_type(*msg, "error")) {
          throw RemoteError("server: " + (decode(*msg, e, err) ? e.error : std::string("error")));
        }
        Registered r;
        registered = decode(*msg, r, err);
      } else if (ch.peer_closed()) {
        throw RemoteError("server: closed the control connection during registration");
      }
    }
    if (!registered) {
      throw RemoteError("server: UDP flows did not register (is UDP to the server blocked?)");
    }
  }
  RunResult result;
  IntervalReporter::ReceiverProbe probe;
  ReceiverLive last;  // the server's latest totals (outlive the reporter)
  LatencyHistogram last_latency;
  if (spec.mode == Mode::kStream) {
    // The receiver is on the server: each interval asks it for its totals.
    // A poll that fails leaves the interval's receiver figures unchanged.
    auto poll = [&ch, &last, &last_latency] {
      std::string err;
      if (!ch.send(encode(Poll{}), kReplyTimeoutMs, err)) {
        return;
      }
      const auto reply = ch.receive(kReplyTimeoutMs, err);
      Live live;
      if (!reply || !decode(*reply, live, err)) {
        return;
      }
      last = live.totals;
      // Each reply holds the samples since the previous poll: add them
      // up until the reporter takes the interval's histogram.
      last_latency.merge(live.latency);
    };
    probe.live = [poll, &last]() mutable {
      poll();
      return last;
    };
    probe.take_interval_latency = [&last_latency] { return std::exchange(last_latency, {}); };
  }
  const bool stream = spec.mode == Mode::kStream;
  auto live = probe.live;
  IntervalReporter reporter(spec, hooks, tx, std::move(probe));
  reporter.run_sender(stop);
  // As a paired run does: let the server take in what is still in flight
  // (socket buffers, a queue at a bottleneck), so that the last interval
  // covers the drain and the intervals add up to the server's totals.
  reporter.finish(stream ? drain(spec, tx, live, stop) : 0);
  result.intervals = reporter.take_records();
  result.spec = spec;
  result.clock = ready.clock;
  tx.collect(result);
  const std::vector<std::uint64_t> sent = tx.sent_by_flow();
  std::string err;
  if (!ch.send(encode(Done{sent}), kReplyTimeoutMs, err)) {
    result.complete = false;
    result.error = "server gone before the end: " + err;
    return result;
  }
  auto reply = ch.receive(kReplyTimeoutMs + 5'000, err);
  if (Error e; !reply || !has_type(*reply, "result") || !reply->contains("receiver")) {
    result.complete = false;
    result.error = !reply
                       ? "server gone before its result: " + err
                       : "server: " + (decode(*reply, e, err) ? e.error : std::string("no result"));
    return result;
  }
  Result answer;
  if (!decode(*reply, answer, err)) {
    result.complete = false;
    result.error = "server sent a bad result: " + err;
    return result;
  }
  RunResult& part = answer.receiver;
  result.receiver_flows = std::move(part.receiver_flows);
  result.receiver = part.receiver;
  if (spec.mode == Mode::kStream) {
    // One-way figures are the receiver's; echo RTT stays the client's own.
    result.latency = std::move(part.latency);
    result.latency_from_actual = std::move(part.latency_from_actual);
    result.delay_variation = std::move(part.delay_variation);
  }
  if (!answer.error.empty()) {
    result.complete = false;
    result.error = "receiver: " + answer.error;
  }
  return result;
}

}  // namespace netbench::app
