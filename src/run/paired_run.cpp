#include "netbench/paired_run.hpp"

#include <exception>
#include <optional>
#include <thread>
#include <utility>

#include "netbench/error.hpp"
#include "netbench/receiver.hpp"
#include "netbench/sender.hpp"
#include "run/fanout_link.hpp"
#include "run/reverse_sockets.hpp"
#include "run/run_test.hpp"
#include "sys/socket_ops.hpp"

namespace netbench {
namespace {

/// How long the server side waits for the client's flows of a reverse test.
constexpr int kReverseAcceptMs = 10'000;

/// The receiver in this process. Forward: it listens and the sender
/// connects to it. Reverse: the receiver is the client, which opens every
/// data connection to the server's sockets, and the sender runs over the
/// server's accepted (TCP) or connected-back (UDP) sockets.
class LocalReceiverLink final : public run::ReceiverLink {
 public:
  explicit LocalReceiverLink(const TestSpec& spec) : spec_(spec) {
    if (spec.direction == Direction::kForward) {
      rx_.emplace(spec);
    }
  }

  std::vector<Endpoint> targets() override {
    std::vector<Endpoint> out;
    for (const std::uint16_t port : rx_->ports()) {
      Endpoint ep = rx_->local();
      ep.set_port(port);
      out.push_back(ep);
    }
    if (spec_.proto == Proto::kTcp) {
      rx_->start();  // accept while the sender connects
    }
    return out;
  }
  std::unique_ptr<Sender> open_sender(const TestSpec& spec) override {
    if (spec.direction == Direction::kForward) {
      return ReceiverLink::open_sender(spec);
    }
    run::ReverseServerSockets server(spec);
    server_at_ = server.targets().front();
    std::vector<Fd> client;
    std::vector<Fd> served;
    if (spec.proto == Proto::kTcp) {
      // Connect on a thread while this one accepts: more flows than the
      // listen backlog would otherwise wait for an accept that never came.
      std::exception_ptr failed;
      {
        const std::jthread connecting([&] {
          try {
            client = run::open_client_flows(spec, server.targets());
          } catch (...) {
            failed = std::current_exception();
          }
        });
        try {
          served = server.take({}, kReverseAcceptMs);
        } catch (...) {
          if (!failed) {
            failed = std::current_exception();
          }
        }
      }
      if (failed) {
        std::rethrow_exception(failed);
      }
    } else {
      client = run::open_client_flows(spec, server.targets());
      served = server.take(run::local_endpoints(client), kReverseAcceptMs);
    }
    // The client's sockets were opened first, so a select() receiver has
    // the low descriptors; the sender's move above FD_SETSIZE.
    rx_.emplace(spec, std::move(client));
    return std::make_unique<Sender>(spec, std::move(served), high_descriptors());
  }
  [[nodiscard]] unsigned descriptors_per_flow() const override { return 2; }
  [[nodiscard]] bool high_descriptors() const override { return spec_.model == ModelKind::kSelect; }
  void attach(Sender& tx) override {
    if (spec_.direction != Direction::kForward) {
      rx_->start();  // every socket is connected both ways already
    } else if (spec_.proto == Proto::kUdp && spec_.mode == Mode::kConnect) {
      rx_->start();  // one socket answers every transaction's fresh socket
    } else if (spec_.proto == Proto::kUdp) {
      for (std::uint32_t i = 0; i < spec_.flows; ++i) {
        rx_->register_udp_peer(i, tx.local(i));
      }
      rx_->start();
    }
  }
  run::IntervalReporter::ReceiverProbe probe() override {
    return {[this] { return rx_->live(); }, [this] { return rx_->take_interval_latency(); }};
  }
  void collect(const Sender& tx, RunResult& out) override {
    rx_->stop();
    rx_->collect(out, tx.sent_by_flow());
    run::add_receiver_error(out, rx_->error());
  }
  [[nodiscard]] PeerInfo peer() const override {
    if (spec_.direction != Direction::kForward) {
      // The server, which sends here.
      return run::peer_at(PeerKind::kInProcess, server_at_);
    }
    Endpoint at = rx_->local();
    if (!rx_->ports().empty()) {
      at.set_port(rx_->ports().front());
    }
    return run::peer_at(PeerKind::kInProcess, at);
  }

 private:
  const TestSpec& spec_;
  std::optional<Receiver> rx_;
  Endpoint server_at_;
};

RunResult run_one(const TestSpec& spec, const RunHooks& hooks, std::stop_token stop) {
  if (spec.fanout()) {
    run::FanoutReceiverLink link(spec);
    return run::run_test(spec, link, hooks, std::move(stop));
  }
  LocalReceiverLink link(spec);
  return run::run_test(spec, link, hooks, std::move(stop));
}

/// --bidir: the forward and the reverse test at once, each on connections
/// of its own, the reverse one on a thread. The forward result carries the
/// reverse one. A setup failure of either stops the other.
RunResult run_bidir(const TestSpec& spec, const RunHooks& hooks, std::stop_token stop) {
  TestSpec forward = spec;
  forward.direction = Direction::kForward;
  TestSpec reverse = spec;
  reverse.direction = Direction::kReverse;
  reverse.port = 0;  // the forward receiver has spec.port
  // Live interval lines would interleave two tests: each direction's
  // intervals are in its own result instead.
  RunHooks quiet;
  quiet.on_start = hooks.on_start;
  return run::run_bidir_halves([&](std::stop_token s) { return run_one(forward, quiet, s); },
                               [&](std::stop_token s) { return run_one(reverse, {}, s); },
                               std::move(stop));
}

}  // namespace

RunResult run_paired(const TestSpec& spec_in, const RunHooks& hooks, std::stop_token stop) {
  TestSpec spec = spec_in;
  validate(spec);
  if (spec.bind_address.empty()) {
    spec.bind_address = spec.family == Family::kV6 ? "::1" : "127.0.0.1";
  }
  sys::raise_fd_limit();
  if (spec.direction == Direction::kBidir) {
    return run_bidir(spec, hooks, std::move(stop));
  }
  return run_one(spec, hooks, std::move(stop));
}

}  // namespace netbench
