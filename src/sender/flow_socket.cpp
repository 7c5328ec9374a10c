#include "sender/flow_socket.hpp"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <string>

#include "sys/fanout_socket.hpp"
#include "sys/socket_ops.hpp"

namespace netbench::sender {
namespace {

constexpr std::uint64_t kConnectTimeoutMs = 5'000;

}  // namespace

Fd open_flow_socket(const TestSpec& spec, int family) {
  const bool tcp = spec.proto == Proto::kTcp;
  Fd fd = sys::make_socket(family, tcp ? SOCK_STREAM : SOCK_DGRAM);
  if (tcp && spec.tcp_nodelay()) {
    sys::set_int_option(fd.get(), IPPROTO_TCP, TCP_NODELAY, 1, "TCP_NODELAY");
  }
  sys::set_buffer(fd.get(), true, spec.socket_buffer_bytes);
  sys::set_buffer(fd.get(), false, spec.socket_buffer_bytes);
  sys::apply_socket_knobs(fd.get(), family, tcp, spec);
  if (spec.fanout()) {
    sys::prepare_fanout_sender(fd.get(), spec);
  }
  sys::set_nonblocking(fd.get(), true);
  return fd;
}

}  // namespace netbench::sender

namespace netbench::sender {

Fd connect_flow_socket(const TestSpec& spec, const Endpoint& target, std::uint32_t flow) {
  Fd fd = open_flow_socket(spec, target.family());
  if (spec.client_port != 0) {
    sys::bind_source_port(fd.get(), target.family(), spec.proto == Proto::kTcp,
                          static_cast<std::uint16_t>(spec.client_port + flow), flow);
  }
  const std::string where =
      std::string(spec.proto == Proto::kTcp ? "tcp " : "udp ") + target.to_string();
  sys::connect_with_timeout(fd.get(), target, where, kConnectTimeoutMs);
  return fd;
}

}  // namespace netbench::sender
