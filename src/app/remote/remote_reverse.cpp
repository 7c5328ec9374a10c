#include "app/remote/remote_reverse.hpp"

#include <sys/socket.h>

#include <algorithm>
#include <utility>
#include <vector>

#include "app/control/clock_match.hpp"
#include "app/remote/client_checks.hpp"
#include "app/remote/control_calls.hpp"
#include "app/remote/live_poller.hpp"
#include "app/report/printable.hpp"
#include "netbench/clock.hpp"
#include "netbench/receiver.hpp"
#include "netbench/registration.hpp"
#include "run/reverse_sockets.hpp"
#include "run/run_test.hpp"

namespace netbench::app {
namespace {

/// UDP registration: resend the token this often, this many times.
constexpr int kRegisterRetryMs = 200;
constexpr int kRegisterTries = 25;
/// How often a wait for the server's next message looks at the stop token.
constexpr int kStopCheckMs = 100;
/// Slack beyond the reporting interval for the server's next message.
constexpr std::uint64_t kMessageSlackMs = 15'000;

/// The largest message the server sends during the test: a live poll, an
/// interval record, or its report (flows, loops, histograms, warnings).
std::uint32_t max_report_bytes(const TestSpec& spec) {
  const std::uint64_t bound = (std::uint64_t{128} << 10) + std::uint64_t{4 << 10} * spec.flows +
                              std::uint64_t{3} * kMaxHistogramWireBytes;
  return static_cast<std::uint32_t>(std::min<std::uint64_t>(kMaxControlBytes, bound));
}

/// Registers every UDP flow socket of `fds` with the server: the token from
/// each, again every kRegisterRetryMs, until the server says "registered".
void register_flows(const TestSpec& spec, ControlChannel& ch, const std::vector<Fd>& fds,
                    const Ready& ready) {
  if (!ready.token) {
    throw RemoteError("server: bad registration token");
  }
  const RegistrationDatagram dgram = registration_datagram(*ready.token);
  std::string err;
  ch.set_max_receive(max_setup_message_bytes(spec));
  for (int i = 0; i < kRegisterTries; ++i) {
    for (const Fd& fd : fds) {
      // Best effort: a lost token is sent again next round.
      static_cast<void>(::send(fd.get(), dgram.data(), dgram.size(), MSG_DONTWAIT));
    }
    if (auto msg = ch.receive(kRegisterRetryMs, err)) {
      if (has_type(*msg, "error")) {
        throw RemoteError(peer_error("server", *msg));
      }
      Registered r;
      if (decode(*msg, r, err)) {
        return;
      }
    } else if (ch.peer_closed()) {
      throw RemoteError("server: closed the control connection during registration");
    }
  }
  throw RemoteError("server: UDP flows did not register (is UDP from the server blocked?)");
}

}  // namespace

RunResult run_reverse_client(const TestSpec& spec, ControlChannel& ch, const Endpoint& server,
                             const Ready& ready, const RunHooks& hooks, std::stop_token stop) {
  run::require_descriptors(spec, 1);
  std::vector<Endpoint> targets;
  for (const std::uint16_t p : ready.ports) {
    Endpoint ep = server;
    ep.set_port(p);
    targets.push_back(ep);
  }
  // The client opens every data connection, as in a forward test.
  std::vector<Fd> fds = run::open_client_flows(spec, targets);
  if (spec.proto == Proto::kUdp) {
    register_flows(spec, ch, fds, ready);
  } else {
    static_cast<void>(expect(ch, "registered", kReplyTimeoutMs, max_setup_message_bytes(spec)));
  }
  Receiver rx(spec, std::move(fds), is_shared_clock(ready.clock));
  rx.start();
  send_or_throw(ch, encode(Go{}));
  if (hooks.on_start) {
    hooks.on_start();
  }
  RunResult result;
  result.spec = spec;
  std::vector<IntervalRecord> intervals;
  bool reported = false;
  std::string failed;
  const std::uint64_t wait_ms = spec.interval_ns / 1'000'000 + kMessageSlackMs;
  std::string err;
  while (!reported && failed.empty()) {
    // The server's next message, within the interval plus slack; a stop
    // request is answered at the next poll.
    std::uint64_t waited = 0;
    while (!ch.wait_readable(kStopCheckMs) && waited < wait_ms) {
      waited += kStopCheckMs;
    }
    ch.set_max_receive(max_report_bytes(spec));
    const auto msg = waited >= wait_ms ? std::nullopt : ch.receive(kReplyTimeoutMs, err);
    if (!msg) {
      failed = "server gone during the test: " +
               (waited >= wait_ms ? "no message within " + std::to_string(wait_ms) + " ms" : err);
    } else if (has_type(*msg, "poll")) {
      if (!ch.send(stop.stop_requested() ? encode(Stop{}) : live_reply(rx), kReplyTimeoutMs, err)) {
        failed = "server gone during the test: " + err;
      }
    } else if (has_type(*msg, "interval")) {
      Interval in;
      if (!decode(*msg, in, err)) {
        failed = "server sent a bad interval: " + err;
      } else {
        if (hooks.on_interval) {
          hooks.on_interval(in.record);
        }
        intervals.push_back(in.record);
      }
    } else if (has_type(*msg, "report")) {
      Report report;
      report.sender.spec = spec;
      if (!decode(*msg, report, err)) {
        failed = "server sent a bad report: " + err;
      } else if (report.sender.sender_flows.size() != spec.flows) {
        failed = "server sent a report of another test: " +
                 std::to_string(report.sender.sender_flows.size()) + " flows for " +
                 std::to_string(spec.flows);
      } else {
        result = std::move(report.sender);
        reported = true;
      }
    } else if (has_type(*msg, "error")) {
      failed = peer_error("server", *msg);
    } else {
      failed = "server sent '" + printable(msg->at("type").get_ref<const std::string&>()) +
               "' during the test";
    }
  }
  rx.stop();
  // The sender's counts fix the loss; without them, none is claimed.
  std::vector<std::uint64_t> sent(spec.flows, 0);
  for (const FlowSendStats& f : result.sender_flows) {
    sent[f.flow_id < spec.flows ? f.flow_id : 0] = f.messages;
  }
  result.spec = spec;
  result.intervals = std::move(intervals);
  rx.collect(result, sent);
  result.peer = run::peer_at(PeerKind::kNetbenchServe, server);
  result.clock = printable(ready.clock);
  if (!failed.empty()) {
    result.complete = false;
    result.error = failed;
  }
  run::add_receiver_error(result, rx.error());
  return result;
}

}  // namespace netbench::app
