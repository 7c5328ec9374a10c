#include "sender/flow_socket.hpp"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include "sys/fanout_socket.hpp"
#include "sys/socket_ops.hpp"

namespace netbench::sender {

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
