#include "netbench/plain_echo.hpp"

#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>

#include <array>
#include <cerrno>
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "netbench/error.hpp"
#include "netbench/fd.hpp"
#include "netbench/sender.hpp"
#include "run/run_test.hpp"
#include "sys/socket_ops.hpp"

namespace netbench {
namespace {

constexpr int kProbeTries = 3;
constexpr int kProbeWaitMs = 500;
constexpr std::string_view kProbe = "netbench plain-echo probe";

/// Throws SystemError unless something at `server` answers a UDP datagram.
/// A connected UDP socket learns of a closed port only from the ICMP error
/// to a datagram it sent, which the next send or receive reports.
void probe_udp(const Endpoint& server, const std::stop_token& stop) {
  const std::string where = "udp " + server.to_string();
  const Fd fd = sys::make_socket(server.family(), SOCK_DGRAM);
  if (::connect(fd.get(), server.sa(), server.len) != 0) {
    throw SystemError("connect", where, errno);
  }
  std::array<std::byte, 64> reply{};
  for (int attempt = 0; attempt < kProbeTries && !stop.stop_requested(); ++attempt) {
    if (::send(fd.get(), kProbe.data(), kProbe.size(), MSG_NOSIGNAL) < 0 && errno != EINTR) {
      throw SystemError("echo probe", where, errno);
    }
    pollfd p{fd.get(), POLLIN, 0};
    const int n = ::poll(&p, 1, kProbeWaitMs);
    if (n < 0 && errno != EINTR) {
      throw SystemError("poll", where, errno);
    }
    if (n > 0) {
      if (::recv(fd.get(), reply.data(), reply.size(), MSG_DONTWAIT) >= 0) {
        return;  // any answer will do: the echoed probe, or a truncated one
      }
      if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
        throw SystemError("echo probe", where, errno);  // ECONNREFUSED, EHOSTUNREACH ...
      }
    }
  }
  if (!stop.stop_requested()) {
    throw SystemError("echo probe", where + " (no reply)", ETIMEDOUT);
  }
}

/// A plain echo server reports nothing: the client's figures are all there is.
class NoReceiverLink final : public run::ReceiverLink {
 public:
  NoReceiverLink(const TestSpec& spec, const Endpoint& server) : spec_(spec), server_(server) {}
  std::vector<Endpoint> targets() override {
    // One target for all TCP flows, or one per UDP flow.
    return std::vector<Endpoint>(spec_.proto == Proto::kUdp ? spec_.flows : 1U, server_);
  }
  void attach(Sender& /*tx*/) override {}
  run::IntervalReporter::ReceiverProbe probe() override { return {}; }
  void collect(const Sender& /*tx*/, RunResult& /*out*/) override {}
  [[nodiscard]] PeerInfo peer() const override {
    return run::peer_at(PeerKind::kPlainEcho, server_);
  }

 private:
  const TestSpec& spec_;
  Endpoint server_;
};

}  // namespace

RunResult run_plain_echo(const TestSpec& spec_in, const Endpoint& server, const RunHooks& hooks,
                         std::stop_token stop) {
  TestSpec spec = spec_in;
  validate(spec);
  if (spec.mode != Mode::kEcho) {
    throw ConfigError(
        "plain echo: the mode must be echo (a plain echo server only answers); use --mode echo");
  }
  if ((server.family() != AF_INET && server.family() != AF_INET6) || server.port() == 0) {
    throw ConfigError("plain echo: the server address needs an IPv4 or IPv6 host and a port");
  }
  sys::raise_fd_limit();
  if (spec.proto == Proto::kUdp) {
    probe_udp(server, stop);
  }
  NoReceiverLink link(spec, server);
  RunResult result = run::run_test(spec, link, hooks, std::move(stop));
  result.clock = "client only (plain echo)";
  return result;
}

}  // namespace netbench
