#include "netbench/paired_run.hpp"

#include "netbench/receiver.hpp"
#include "netbench/sender.hpp"
#include "run/fanout_link.hpp"
#include "run/run_test.hpp"
#include "sys/socket_ops.hpp"

namespace netbench {
namespace {

/// The receiver in this process.
class LocalReceiverLink final : public run::ReceiverLink {
 public:
  explicit LocalReceiverLink(const TestSpec& spec) : spec_(spec), rx_(spec) {}

  std::vector<Endpoint> targets() override {
    std::vector<Endpoint> out;
    for (const std::uint16_t port : rx_.ports()) {
      Endpoint ep = rx_.local();
      ep.set_port(port);
      out.push_back(ep);
    }
    if (spec_.proto == Proto::kTcp) {
      rx_.start();  // accept while the sender connects
    }
    return out;
  }
  [[nodiscard]] unsigned descriptors_per_flow() const override { return 2; }
  [[nodiscard]] bool high_descriptors() const override { return spec_.model == ModelKind::kSelect; }
  void attach(Sender& tx) override {
    if (spec_.proto == Proto::kUdp && spec_.mode == Mode::kConnect) {
      rx_.start();  // one socket answers every transaction's fresh socket
    } else if (spec_.proto == Proto::kUdp) {
      for (std::uint32_t i = 0; i < spec_.flows; ++i) {
        rx_.register_udp_peer(i, tx.local(i));
      }
      rx_.start();
    }
  }
  run::IntervalReporter::ReceiverProbe probe() override {
    return {[this] { return rx_.live(); }, [this] { return rx_.take_interval_latency(); }};
  }
  void collect(const Sender& tx, RunResult& out) override {
    rx_.stop();
    rx_.collect(out, tx.sent_by_flow());
    run::add_receiver_error(out, rx_.error());
  }
  [[nodiscard]] PeerInfo peer() const override {
    Endpoint at = rx_.local();
    if (!rx_.ports().empty()) {
      at.set_port(rx_.ports().front());
    }
    return run::peer_at(PeerKind::kInProcess, at);
  }

 private:
  const TestSpec& spec_;
  Receiver rx_;
};

}  // namespace

RunResult run_paired(const TestSpec& spec_in, const RunHooks& hooks, std::stop_token stop) {
  TestSpec spec = spec_in;
  validate(spec);
  if (spec.bind_address.empty()) {
    spec.bind_address = spec.family == Family::kV6 ? "::1" : "127.0.0.1";
  }
  sys::raise_fd_limit();
  if (spec.fanout()) {
    run::FanoutReceiverLink link(spec);
    return run::run_test(spec, link, hooks, std::move(stop));
  }
  LocalReceiverLink link(spec);
  return run::run_test(spec, link, hooks, std::move(stop));
}

}  // namespace netbench
