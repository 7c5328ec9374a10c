#include "app/remote/remote_client.hpp"

#include <chrono>
#include <functional>
#include <future>
#include <optional>
#include <utility>

#include "app/control/messages.hpp"
#include "app/remote/remote_fanout.hpp"
#include "app/remote/remote_reverse.hpp"
#include "app/remote/server_session.hpp"
#include "app/report/printable.hpp"
#include "netbench/error.hpp"
#include "netbench/sender.hpp"
#include "run/run_test.hpp"
#include "sys/socket_ops.hpp"

namespace netbench::app {
namespace {

/// Draining after the last send: the server is asked this often.
constexpr std::chrono::milliseconds kDrainTick{5};

/// The receiver is a `netbench serve` at the other end of `session`: its
/// data ports come in its "ready", UDP flows register with its token, live
/// figures are polled once per interval, and its result arrives after "done".
class RemoteReceiverLink final : public run::ReceiverLink {
 public:
  RemoteReceiverLink(const TestSpec& spec, ServerSession& session)
      : spec_(spec), session_(session) {}

  std::vector<Endpoint> targets() override {
    std::vector<Endpoint> out;
    for (const std::uint16_t p : session_.ready().ports) {
      Endpoint ep = session_.server();
      ep.set_port(p);
      out.push_back(ep);
    }
    return out;
  }

  void attach(Sender& tx) override {
    if (spec_.proto != Proto::kUdp || spec_.mode == Mode::kConnect) {
      return;  // TCP, and connect mode's fresh sockets: nothing to register
    }
    ServerSession* const one[] = {&session_};
    register_udp_flows(tx, one);
  }

  run::IntervalReporter::ReceiverProbe probe() override {
    if (spec_.mode != Mode::kStream) {
      return {};  // echo: the client measures everything itself
    }
    // The receiver is on the server: each interval asks it for its totals.
    // A poll that fails leaves the interval's receiver figures unchanged.
    return {[this] {
              session_.poll();
              return session_.live();
            },
            [this] { return session_.take_latency(); }};
  }
  [[nodiscard]] std::chrono::milliseconds drain_tick() const override { return kDrainTick; }

  [[nodiscard]] PeerInfo peer() const override {
    return run::peer_at(PeerKind::kNetbenchServe, session_.server());
  }

  void collect(const Sender& tx, RunResult& result) override {
    result.clock = printable(session_.ready().clock);
    std::string err;
    std::optional<Result> answer = session_.finish(tx, err);
    if (!answer) {
      result.complete = false;
      result.error = err;
      return;
    }
    RunResult& part = answer->receiver;
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
    run::add_receiver_error(result, printable(answer->error));
  }

 private:
  const TestSpec& spec_;
  ServerSession& session_;
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
RunResult run_one(const TestSpec& spec, const std::string& host, std::uint16_t port,
                  const RunHooks& hooks, std::stop_token stop, const std::string& auth_token,
                  const Pairing& pairing) {
  ServerSession session(spec, host, port, auth_token);
  session.start(spec, {}, pairing.token);
  if (pairing.on_ready) {
    if (!session.ready().pair) {
      throw RemoteError("server: no pair token for --bidir (a server of an earlier version?)");
    }
    pairing.on_ready(*session.ready().pair);
  }
  if (spec.direction == Direction::kReverse) {
    return run_reverse_client(spec, session.channel(), session.server(), session.ready(), hooks,
                              std::move(stop));
  }
  RemoteReceiverLink link(spec, session);
  return run::run_test(spec, link, hooks, std::move(stop));
}

/// --bidir: the forward half (whose spec says bidir, so that the server
/// gives a pair token) and the reverse half on a thread once that token
/// came, each on a control connection of its own, as paired runs do.
RunResult run_bidir(const TestSpec& spec, const std::string& host, std::uint16_t port,
                    const RunHooks& hooks, std::stop_token stop, const std::string& auth_token) {
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
      return run_one(spec, host, port, quiet, std::move(s), auth_token,
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
    return t ? run_one(reverse, host, port, {}, std::move(s), auth_token, Pairing{&*t, {}})
             : RunResult{};
  };
  return run::run_bidir_halves(forward, reverse_half, std::move(stop));
}

}  // namespace

RunResult run_remote(const TestSpec& spec, const std::string& host, std::uint16_t port,
                     const RunHooks& hooks, std::stop_token stop, const std::string& auth_token) {
  validate(spec);
  if (spec.fanout()) {
    // One server as the group's only member: a fan-out of one.
    return run_remote_fanout(spec, {{host, port}}, hooks, std::move(stop), auth_token);
  }
  sys::raise_fd_limit();
  if (spec.direction == Direction::kBidir) {
    return run_bidir(spec, host, port, hooks, std::move(stop), auth_token);
  }
  return run_one(spec, host, port, hooks, std::move(stop), auth_token, {});
}

}  // namespace netbench::app
