#include "app/remote/remote_fanout.hpp"

#include <chrono>
#include <memory>
#include <optional>
#include <string_view>
#include <utility>

#include "app/control/messages.hpp"
#include "app/remote/remote_client.hpp"
#include "app/remote/server_session.hpp"
#include "app/report/printable.hpp"
#include "netbench/error.hpp"
#include "netbench/sender.hpp"
#include "run/fanout_link.hpp"
#include "run/run_test.hpp"
#include "sys/fanout_socket.hpp"
#include "sys/socket_ops.hpp"

namespace netbench::app {
namespace {

/// Draining after the last send: the servers are asked this often.
constexpr std::chrono::milliseconds kDrainTick{5};

/// The receivers are `netbench serve`s, each a member of the group with its
/// own control connection: every verb goes to each of them, in list order.
class RemoteFanoutLink final : public run::ReceiverLink {
 public:
  RemoteFanoutLink(const TestSpec& spec, std::vector<std::unique_ptr<ServerSession>> sessions,
                   std::vector<std::string> labels)
      : spec_(spec), sessions_(std::move(sessions)), labels_(std::move(labels)) {}

  std::vector<Endpoint> targets() override {
    // Every server bound the first one's ports on the group: each flow is
    // sent once, to group:port.
    std::vector<Endpoint> out;
    for (const std::uint16_t p : sessions_.front()->ready().ports) {
      out.push_back(sys::fanout_target(spec_, p));
    }
    return out;
  }

  void attach(Sender& tx) override {
    std::vector<ServerSession*> all;
    for (auto& s : sessions_) {
      all.push_back(s.get());
    }
    register_udp_flows(tx, all);
  }

  run::IntervalReporter::ReceiverProbe probe() override {
    // Live totals count deliveries: each server's copies, summed. A server
    // whose polls failed keeps its last totals.
    auto live = [this] {
      ReceiverLive sum;
      for (auto& s : sessions_) {
        s->poll();
        run::add_live(sum, s->live());
      }
      return sum;
    };
    auto latency = [this] {
      LatencyHistogram h;
      for (auto& s : sessions_) {
        h.merge(s->take_latency());
      }
      return h;
    };
    return {live, latency};
  }
  [[nodiscard]] std::chrono::milliseconds drain_tick() const override { return kDrainTick; }

  void collect(const Sender& tx, RunResult& out) override {
    out.clock = printable(sessions_.front()->ready().clock);
    out.receiver_flows.clear();
    out.fanout.clear();
    for (std::uint32_t k = 0; k < sessions_.size(); ++k) {
      FanoutReceiver rx;
      rx.index = k;
      rx.host = labels_[k];
      std::string err;
      if (std::optional<Result> answer = sessions_[k]->finish(tx, err)) {
        RunResult& part = answer->receiver;
        rx.flows = std::move(part.receiver_flows);
        rx.side = part.receiver;
        rx.latency = std::move(part.latency);
        rx.latency_from_actual = std::move(part.latency_from_actual);
        rx.delay_variation = std::move(part.delay_variation);
        rx.error = printable(answer->error);
        add_fanout_receiver(out, rx);
      } else {
        // No figures from this server: its entry says why, and its copies
        // are missing from the aggregate rather than counted as lost.
        rx.error = err;
      }
      if (!rx.error.empty() && out.complete) {
        out.complete = false;
        out.error = "receiver " + std::to_string(k) + " (" + rx.host + "): " + rx.error;
      }
      out.fanout.push_back(std::move(rx));
    }
  }

  [[nodiscard]] PeerInfo peer() const override {
    Endpoint at = sys::fanout_target(spec_, sessions_.front()->ready().ports.front());
    return run::peer_at(PeerKind::kNetbenchServe, at);
  }

 private:
  const TestSpec& spec_;
  std::vector<std::unique_ptr<ServerSession>> sessions_;
  std::vector<std::string> labels_;
};

/// "server LABEL: WHAT", without WHAT's own "server: ".
std::string named(const std::string& label, std::string_view what) {
  constexpr std::string_view kServer = "server: ";
  if (what.substr(0, kServer.size()) == kServer) {
    what.remove_prefix(kServer.size());
  }
  return "server " + label + ": " + std::string(what);
}

/// Runs `step`; a RemoteError or SystemError it throws is thrown again as a
/// RemoteError naming the server (one line, the exit code of a setup error).
template <typename F>
void naming(const std::string& label, F&& step) {
  try {
    step();
  } catch (const RemoteError& e) {
    throw RemoteError(named(label, e.what()));
  } catch (const SystemError& e) {
    throw RemoteError(named(label, e.what()));
  }
}

}  // namespace

RunResult run_remote_fanout(const TestSpec& spec, const std::vector<ServerAddress>& servers,
                            const RunHooks& hooks, std::stop_token stop,
                            const std::string& auth_token) {
  validate(spec);
  if (servers.size() != spec.receivers) {
    throw ConfigError("remote fan-out: " + std::to_string(servers.size()) + " servers for " +
                      std::to_string(spec.receivers) + " receivers: give one host per receiver");
  }
  sys::raise_fd_limit();
  std::vector<std::unique_ptr<ServerSession>> sessions;
  std::vector<std::string> labels;
  for (const auto& [host, port] : servers) {
    labels.push_back(server_label(host, port));
    naming(labels.back(), [&, h = host, p = port] {
      sessions.push_back(std::make_unique<ServerSession>(spec, h, p, auth_token));
    });
  }
  TestSpec own = spec;
  if (own.bind_address.empty()) {
    // The datagrams leave by the interface that reaches the first server
    // (IP_MULTICAST_IF; the broadcast address of its subnet), not loopback.
    const std::string local = sessions.front()->local().to_string();
    own.bind_address = local.substr(0, local.rfind(':'));
  }
  // The first server picks free ports on its host and the others bind the
  // same ones: no port needs choosing by the user, and each server's setup
  // fails with its own clear error if one is taken there. (Ports chosen
  // here could be taken on any server, and the client cannot see which.)
  naming(labels.front(), [&] { sessions.front()->start(own); });
  const std::vector<std::uint16_t> ports = sessions.front()->ready().ports;
  for (std::size_t k = 1; k < sessions.size(); ++k) {
    naming(labels[k], [&] { sessions[k]->start(own, ports); });
  }
  RemoteFanoutLink link(own, std::move(sessions), std::move(labels));
  return run::run_test(own, link, hooks, std::move(stop));
}

}  // namespace netbench::app
