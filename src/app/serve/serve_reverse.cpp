#include "app/serve/serve_reverse.hpp"

#include <sys/socket.h>

#include <exception>
#include <optional>
#include <utility>
#include <vector>

#include "app/control/messages.hpp"
#include "app/remote/live_poller.hpp"
#include "netbench/error.hpp"
#include "netbench/sender.hpp"
#include "run/reverse_sockets.hpp"
#include "run/run_test.hpp"

namespace netbench::app {
namespace {

/// How often the drain asks the client for its totals.
constexpr std::chrono::milliseconds kDrainTick{5};

/// The receiver of a --reverse test is the client, over the control
/// connection: the sender runs here over the flows the client opened.
class ClientReceiverLink final : public run::ReceiverLink {
 public:
  ClientReceiverLink(const TestSpec& spec, ControlChannel& ch, std::vector<Fd> flows,
                     const Endpoint& client, std::stop_source& halt)
      : spec_(spec),
        flows_(std::move(flows)),
        client_(client),
        halt_(halt),
        poller_(spec, ch, "client") {}

  std::vector<Endpoint> targets() override { return {}; }
  std::unique_ptr<Sender> open_sender(const TestSpec& spec) override {
    return std::make_unique<Sender>(spec, std::move(flows_), false);
  }
  void attach(Sender& /*tx*/) override {}
  run::IntervalReporter::ReceiverProbe probe() override {
    // Echo tests too: the polls are how the client can stop the test.
    return {[this] {
              poller_.poll();
              if (poller_.stopped() || !poller_.failed().empty()) {
                halt_.request_stop();
              }
              return poller_.last();
            },
            [this] { return poller_.take_latency(); }};
  }
  [[nodiscard]] std::chrono::milliseconds drain_tick() const override { return kDrainTick; }
  void collect(const Sender& /*tx*/, RunResult& out) override {
    // The client has its receiver's part; this side reports the sender's.
    if (!poller_.failed().empty()) {
      out.complete = false;
      out.error = poller_.failed();
    } else if (poller_.stopped()) {
      out.complete = false;
      out.error = "stopped by the client";
    }
  }
  [[nodiscard]] PeerInfo peer() const override {
    return run::peer_at(PeerKind::kNetbenchServe, client_);
  }
  /// Why the client stopped answering; empty while fine.
  [[nodiscard]] const std::string& failed() const noexcept { return poller_.failed(); }

 private:
  const TestSpec& spec_;
  std::vector<Fd> flows_;
  Endpoint client_;
  std::stop_source& halt_;
  LivePoller poller_;
};

}  // namespace

SessionOutcome run_reverse_session(ControlChannel& ch, AcceptedTest& test, const ServeOptions& o,
                                   std::stop_token stop, SessionRecord& record) {
  const std::string who = "client " + test.peer + ": ";
  const TestSpec& spec = test.spec;
  const auto fail = [&](SessionOutcome outcome, const std::string& why) {
    serve_log(o, who + why);
    send_error(ch, why);
    return record.end(outcome, why);
  };
  // Flows only from the control client's host: a token or a connection
  // from elsewhere neither adds nor redirects one.
  Endpoint client;
  client.len = sizeof client.addr;
  if (::getpeername(ch.fd(), reinterpret_cast<sockaddr*>(&client.addr),  // NOLINT
                    &client.len) != 0) {
    return fail(SessionOutcome::kFailed, "the server cannot tell the client's address");
  }
  std::optional<run::ReverseServerSockets> sockets;
  try {
    sockets.emplace(spec);
  } catch (const std::exception& e) {
    return fail(SessionOutcome::kFailed, std::string("cannot set up: ") + e.what());
  }
  Ready ready;
  for (const Endpoint& ep : sockets->targets()) {
    ready.ports.push_back(ep.port());
  }
  ready.clock = test.clock;
  const RegistrationToken token = random_token();
  const bool udp = spec.proto == Proto::kUdp;
  if (udp) {
    ready.token = token;
  }
  std::string err;
  if (!ch.send(encode(ready), o.idle_timeout_ms, err)) {
    serve_log(o, who + "gone before its test started: " + err);
    return record.end(SessionOutcome::kFailed, "gone before its test started: " + err);
  }
  std::vector<Fd> flows;
  if (udp) {
    const std::uint32_t n = sockets->register_udp(token, kReverseFlowsTimeoutMs, client);
    if (n < spec.flows) {
      return fail(SessionOutcome::kFailed, "only " + std::to_string(n) + " of " +
                                               std::to_string(spec.flows) +
                                               " UDP flows registered within " +
                                               std::to_string(kReverseFlowsTimeoutMs) + " ms");
    }
  }
  try {
    flows = sockets->take({}, kReverseFlowsTimeoutMs, &client);
  } catch (const std::exception& e) {
    return fail(SessionOutcome::kFailed, std::string("flows did not come: ") + e.what());
  }
  std::string strangers;
  if (const std::uint64_t n = sockets->strangers(); n > 0) {
    strangers = ", " + std::to_string(n) + " connections or datagrams from others turned away";
  }
  sockets.reset();  // the listener: nobody else connects
  if (!ch.send(encode(Registered{}), o.idle_timeout_ms, err)) {
    serve_log(o, who + "gone before its test started: " + err);
    return record.end(SessionOutcome::kFailed, "gone before its test started: " + err);
  }
  // The client starts its receiver, then says "go".
  const auto go = ch.receive(o.idle_timeout_ms, err);
  if (Go g; !go || !decode(*go, g, err)) {
    return fail(SessionOutcome::kFailed,
                "no \"go\" after the flows came: " + (go ? err : "client gone: " + err));
  }
  serve_log(o, who + "reverse test (the server sends): " + std::string(to_string(spec.proto)) +
                   " " + std::string(to_string(spec.mode)) + ", " + std::to_string(spec.flows) +
                   " flows" + strangers);
  std::stop_source halt;
  const std::stop_callback server_stops(stop, [&halt] { halt.request_stop(); });
  ClientReceiverLink link(spec, ch, std::move(flows), client, halt);
  std::string lost;  // why an interval could not be sent; the test goes on
  RunHooks hooks;
  hooks.on_interval = [&](const IntervalRecord& r) {
    std::string e;
    if (lost.empty() && !ch.send(encode(Interval{r}), o.idle_timeout_ms, e)) {
      lost = "client gone during the test: " + e;
      halt.request_stop();
    }
  };
  RunResult result;
  try {
    result = run::run_test(spec, link, hooks, halt.get_token());
  } catch (const std::exception& e) {
    return fail(SessionOutcome::kFailed, std::string("cannot run: ") + e.what());
  }
  if (stop.stop_requested() && result.error.empty()) {
    result.complete = false;
    result.error = "the server is stopping";
  }
  if (!lost.empty() && result.complete) {
    result.complete = false;
    result.error = lost;
  }
  if (!lost.empty() || !link.failed().empty()) {
    serve_log(o, who + "test incomplete: " + result.error);
    return record.end(SessionOutcome::kIncomplete, result.error, &result);
  }
  // The client has every interval record already (one message each).
  Report report{result};
  report.sender.intervals.clear();
  if (!ch.send(encode(report), o.idle_timeout_ms, err)) {
    serve_log(o, who + "could not return the result: " + err);
    return record.end(SessionOutcome::kIncomplete, "could not return the result: " + err, &result);
  }
  serve_log(o, who + (result.complete ? "test done" : "test incomplete: " + result.error));
  return record.end(result.complete ? SessionOutcome::kCompleted : SessionOutcome::kIncomplete,
                    result.error, &result);
}

}  // namespace netbench::app
