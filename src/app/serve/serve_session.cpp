#include "app/serve/serve_session.hpp"

#include <poll.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <exception>
#include <optional>
#include <vector>

#include "app/control/control_channel.hpp"
#include "app/control/messages.hpp"
#include "app/control/result_codec.hpp"
#include "app/remote/live_poller.hpp"
#include "app/report/json_report.hpp"
#include "app/serve/json_log.hpp"
#include "app/serve/serve_reverse.hpp"
#include "app/serve/session_record.hpp"
#include "app/serve/stop_waker.hpp"
#include "netbench/clock.hpp"
#include "netbench/receiver.hpp"
#include "netbench/registration.hpp"
#include "run/drain.hpp"
#include "sys/proc_net.hpp"
#include "sys/socket_ops.hpp"

namespace netbench::app {
namespace {

/// How long UDP flows have to register after "ready", ms.
constexpr int kRegisterTimeoutMs = 5'000;
/// How often the receiver's drain looks at its totals.
constexpr std::chrono::milliseconds kDrainTick{2};
/// How often a running test checks that its client is still there, ms.
constexpr std::uint64_t kLivenessCheckMs = 1'000;

/// Waits up to `timeout_ms` for the control connection to become readable
/// (a message starts, or the peer closes). False on timeout or a stop.
bool wait_control(int fd, const StopWaker& waker, int timeout_ms) {
  std::array<pollfd, 2> p{{{fd, POLLIN, 0}, {waker.fd(), POLLIN, 0}}};
  for (;;) {
    const int n = ::poll(p.data(), p.size(), timeout_ms);
    if (n < 0 && errno == EINTR) {
      continue;
    }
    return n > 0 && p[1].revents == 0 && p[0].revents != 0;
  }
}

/// The client's per-flow sent counts from its "done" message; false (and
/// `error` says why) if there is no valid one.
bool sent_counts(const std::optional<nlohmann::json>& done, std::uint32_t flows,
                 std::vector<std::uint64_t>& sent, std::string& error) {
  if (!done) {
    error = "client gone mid-test: " + error;
    return false;
  }
  Done counts;
  std::string why;
  if (!decode(*done, counts, why)) {
    error = "bad done message: " + why;
    return false;
  }
  if (counts.sent_by_flow.size() != flows) {
    error = "bad done message: " + std::to_string(counts.sent_by_flow.size()) + " counts for " +
            std::to_string(flows) + " flows";
    return false;
  }
  sent = std::move(counts.sent_by_flow);
  return true;
}

}  // namespace

void serve_log(const ServeOptions& o, const std::string& line) {
  if (!o.quiet) {
    std::fprintf(stderr, "netbench serve: %s\n", line.c_str());
  }
}

SessionOutcome run_session(AcceptedTest test, const ServeOptions& o, std::stop_token stop,
                           JsonLog* json_log) {
  const std::string who = "client " + test.peer + ": ";
  TestSpec& spec = test.spec;
  SessionRecord record(json_log, test.peer, spec);
  // What this client may still send: polls and a "done" with one count per
  // flow (at most 20 digits and a comma each), far less than the server's
  // result it may receive.
  ControlChannel ch(std::move(test.control),
                    static_cast<std::uint32_t>(std::min<std::uint64_t>(
                        64 * 1024 + 32 * std::uint64_t{spec.flows}, kMaxControlBytes)));
  const StopWaker waker(stop);
  std::string err;
  // Data sockets on the address the client reached us at, any free ports.
  spec.bind_address = sys::local_endpoint(ch.fd()).to_string();
  spec.bind_address = spec.bind_address.substr(0, spec.bind_address.rfind(':'));
  spec.port = 0;
  if (spec.direction == Direction::kReverse) {
    return run_reverse_session(ch, test, o, stop, record);
  }
  // --bidir: this session is the forward half; its "ready" gives the token
  // the reverse half's test names to run beside it.
  std::optional<PairGuard> pair_guard;
  std::optional<RegistrationToken> pair;
  if (spec.direction == Direction::kBidir) {
    spec.direction = Direction::kForward;
    Endpoint host;
    host.len = sizeof host.addr;
    if (test.pairs == nullptr || ::getpeername(ch.fd(), reinterpret_cast<sockaddr*>(&host.addr),
                                               &host.len) != 0) {  // NOLINT
      serve_log(o, who + "cannot tell its address (getpeername); --bidir refused");
      send_error(ch, "the server cannot tell the client's address");
      return record.end(SessionOutcome::kFailed, "the server cannot tell the client's address");
    }
    pair = test.pairs->open(host);
    pair_guard.emplace(*test.pairs, *pair);
  }
  std::optional<Receiver> rx;
  try {
    // A remote client's buffers stay within the system's limits (and
    // --max-buffer, checked at admission): never SO_*BUFFORCE.
    // Fan-out: the group (or broadcast) address on the interface of
    // bind_address, on the ports the client dictates (or free ones).
    rx.emplace(spec, test.shared_clock, false, test.fanout_ports);
  } catch (const std::exception& e) {
    serve_log(o, who + "cannot set up its test: " + e.what());
    send_error(ch, std::string("cannot set up: ") + e.what());
    return record.end(SessionOutcome::kFailed, std::string("cannot set up: ") + e.what());
  }
  // Data connections (TCP) and registrations (UDP) only from the control
  // client's host: a token seen elsewhere cannot add or redirect a flow.
  Endpoint peer;
  peer.len = sizeof peer.addr;
  const bool peer_known =
      ::getpeername(ch.fd(), reinterpret_cast<sockaddr*>(&peer.addr), &peer.len) == 0;  // NOLINT
  const bool connect = spec.mode == Mode::kConnect;
  if ((spec.proto == Proto::kTcp || connect) && peer_known) {
    rx->restrict_peers(peer);
  }
  Ready ready;
  ready.ports = rx->ports();
  ready.clock = test.clock;
  ready.pair = pair;
  // UDP flows register with a token; connect mode's fresh socket per
  // transaction cannot, and its requests are answered from the control
  // client's address only (restrict_peers()).
  const bool udp = spec.proto == Proto::kUdp && !connect;
  if (spec.proto == Proto::kUdp && connect && !peer_known) {
    serve_log(o, who + "cannot tell its address (getpeername); test refused");
    send_error(ch, "the server cannot tell the client's address");
    return record.end(SessionOutcome::kFailed, "the server cannot tell the client's address");
  }
  const RegistrationToken token = random_token();
  // Connect mode's listen queue figures are the server's: its own deltas.
  const TcpStackCounters stack_before =
      connect && spec.proto == Proto::kTcp ? sys::read_tcp_stack_counters() : TcpStackCounters{};
  if (udp) {
    ready.token = token;
  } else {
    rx->start();
  }
  if (!ch.send(encode(ready), o.idle_timeout_ms, err)) {
    serve_log(o, who + "gone before its test started: " + err);
    return record.end(SessionOutcome::kFailed, "gone before its test started: " + err);
  }
  std::string foreign;
  if (udp) {
    if (!peer_known) {
      serve_log(o, who + "cannot tell its address (getpeername); test refused");
      send_error(ch, "the server cannot tell the client's address");
      return record.end(SessionOutcome::kFailed, "the server cannot tell the client's address");
    }
    const std::uint32_t n = rx->register_udp_by_token(token, kRegisterTimeoutMs, &peer);
    if (n < spec.flows) {
      const std::string why = "only " + std::to_string(n) + " of " + std::to_string(spec.flows) +
                              " UDP flows registered within " + std::to_string(kRegisterTimeoutMs) +
                              " ms";
      serve_log(o, who + why);
      send_error(ch, why);
      return record.end(SessionOutcome::kFailed, why);
    }
    rx->start();
    if (!ch.send(encode(Registered{}), o.idle_timeout_ms, err)) {
      serve_log(o, who + "gone before its test started: " + err);
      return record.end(SessionOutcome::kFailed, "gone before its test started: " + err);
    }
    if (const std::uint64_t dropped = rx->unregistered_datagrams(); dropped > 0) {
      foreign = ", " + std::to_string(dropped) + " datagrams from unregistered peers dropped";
    }
  }
  serve_log(o, who + "test: " + std::string(to_string(spec.proto)) + " " +
                   std::string(to_string(spec.mode)) + ", model " +
                   std::string(to_string(spec.model)) + ", " + std::to_string(spec.flows) +
                   " flows" + foreign);
  // The test runs now; the client says "done" with its counts.
  const std::uint64_t run_ms = spec.count == 0 ? (spec.warmup_ns + spec.duration_ns) / 1'000'000
                                               : o.max_duration_ns / 1'000'000;
  // Until "done", answer the client's interval polls with live figures.
  const std::uint64_t until = now_ns() + (run_ms + static_cast<std::uint64_t>(o.idle_timeout_ms)) *
                                             std::uint64_t{1'000'000};
  std::optional<nlohmann::json> done;
  bool stopping = false;
  // A client whose host vanished (no FIN, no RST) is noticed when neither
  // data nor a control message arrived for the idle timeout.
  std::uint64_t last_activity = now_ns();
  std::uint64_t last_bytes = 0;
  for (;;) {
    const std::uint64_t now = now_ns();
    const std::uint64_t left_ms = until > now ? (until - now) / 1'000'000 : 0;
    if (left_ms == 0) {
      err = "no \"done\" within the test's time plus the idle timeout";
      break;
    }
    // The waker ends a wait at once for a stop (SIGINT/SIGTERM of the
    // server); the slices are for the liveness check. A message is only
    // read once it has started to arrive.
    if (!wait_control(ch.fd(), waker,
                      static_cast<int>(std::min<std::uint64_t>(left_ms, kLivenessCheckMs)))) {
      if (stop.stop_requested()) {
        err = "the server is stopping";
        stopping = true;
        break;
      }
      const std::uint64_t bytes = rx->live().bytes;
      if (bytes != last_bytes) {
        last_bytes = bytes;
        last_activity = now_ns();
      } else if (now_ns() - last_activity >
                 static_cast<std::uint64_t>(o.idle_timeout_ms) * 1'000'000) {
        err = "client silent for " + std::to_string(o.idle_timeout_ms) +
              " ms (no data, no control message)";
        break;
      }
      continue;
    }
    last_activity = now_ns();
    // Once a message has started, the idle timeout bounds the rest of it
    // (a peer that sends one byte and stalls is not waited for the whole test).
    done = ch.receive(
        static_cast<int>(std::min<std::uint64_t>(std::max<std::uint64_t>(left_ms, 1),
                                                 static_cast<std::uint64_t>(o.idle_timeout_ms))),
        err);
    if (!done || !has_type(*done, "poll")) {
      break;
    }
    // The poll is answered: it is no "done" (a stop or timeout that ends
    // the wait next must not read it as one).
    done.reset();
    if (!ch.send(live_reply(*rx), o.idle_timeout_ms, err)) {
      break;
    }
  }
  std::vector<std::uint64_t> sent(spec.flows, 0);
  // A stop of the server is no client gone: its reason stands as it is.
  const bool complete = !stopping && sent_counts(done, spec.flows, sent, err);
  std::uint64_t total = 0;
  for (const std::uint64_t n : sent) {
    total += n;
  }
  if (complete && spec.mode == Mode::kStream) {
    run::wait_drained(
        spec, total, [&rx] { return rx->live(); }, stop, kDrainTick);
  }
  rx->stop();
  Result result;
  result.receiver.spec = spec;
  rx->collect(result.receiver, sent);
  if (stack_before.valid) {
    result.receiver.connect.kernel =
        sys::counter_delta(stack_before, sys::read_tcp_stack_counters());
  }
  std::string strangers;
  if (const std::uint64_t n = rx->refused_tcp_connections(); n > 0) {
    strangers = "; " + std::to_string(n) + " stray TCP data connections refused";
  }
  if (const std::uint64_t n = rx->refused_udp_datagrams(); n > 0) {
    strangers += "; " + std::to_string(n) + " datagrams from other hosts ignored";
  }
  if (!complete) {
    serve_log(o, who + "test incomplete: " + err + strangers);
    send_error(ch, err);
    return record.end(SessionOutcome::kIncomplete, err, &result.receiver);
  }
  result.error = rx->error();
  if (!ch.send(encode(result), o.idle_timeout_ms, err)) {
    serve_log(o, who + "could not return the result: " + err);
    return record.end(SessionOutcome::kIncomplete, "could not return the result: " + err,
                      &result.receiver);
  }
  serve_log(o, who + "test done" + strangers);
  return record.end(SessionOutcome::kCompleted, result.error, &result.receiver);
}

}  // namespace netbench::app
