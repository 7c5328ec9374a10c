#include "netbench/plain_echo_server.hpp"

#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <exception>
#include <mutex>
#include <optional>
#include <stop_token>
#include <thread>
#include <utility>

#include "echo/echo_loop.hpp"
#include "netbench/error.hpp"
#include "netbench/fd.hpp"
#include "sys/socket_ops.hpp"
#include "sys/waker.hpp"

namespace netbench {
namespace {

constexpr std::uint32_t kMaxTcpBufferBytes = 64U << 20;
/// UDP socket buffers asked for (bytes; the kernel caps them at
/// net.core.{r,w}mem_max): room for bursts while the loop serves TCP.
constexpr std::uint32_t kUdpBufferBytes = 4U << 20;
constexpr int kBacklog = 1024;
/// Port 0: how often to draw a new TCP port when its UDP twin is taken.
constexpr int kBindTries = 16;

}  // namespace

struct PlainEchoServer::Impl {
  PlainEchoOptions options;
  Endpoint local;
  Fd listener;
  Fd udp;
  std::optional<sys::Waker> wake;  // stop() wakes the loop through it
  EchoLoopStats stats;             // written by the loop thread, read by any
  std::jthread thread;             // last: joined before the members it uses go
};

PlainEchoServer::PlainEchoServer(const Endpoint& bind, const PlainEchoOptions& options)
    : impl_(std::make_unique<Impl>()) {
  if (options.max_connections == 0) {
    throw ConfigError("plain echo server: max_connections must be at least 1");
  }
  if (options.tcp_buffer_bytes == 0 || options.tcp_buffer_bytes > kMaxTcpBufferBytes) {
    throw ConfigError("plain echo server: tcp_buffer_bytes must be 1 B to 64 MiB");
  }
  if (bind.family() != AF_INET && bind.family() != AF_INET6) {
    throw ConfigError("plain echo server: no IPv4 or IPv6 address to bind");
  }
  Impl& s = *impl_;
  s.options = options;
  for (int attempt = 1; attempt <= kBindTries; ++attempt) {
    Fd tcp = sys::listen_tcp(bind, false, kBacklog);
    const Endpoint bound = sys::local_endpoint(tcp.get());
    Fd udp;
    if (options.udp) {
      Endpoint at = bind;
      at.set_port(bound.port());
      try {
        udp = sys::bind_udp(at);
      } catch (const SystemError& e) {
        // Port 0: the TCP port drawn may be taken for UDP; draw another.
        if (e.error_code() == EADDRINUSE && bind.port() == 0 && attempt < kBindTries) {
          continue;
        }
        throw;
      }
      sys::set_nonblocking(udp.get(), true);
      sys::set_buffer(udp.get(), true, kUdpBufferBytes);
      sys::set_buffer(udp.get(), false, kUdpBufferBytes);
    }
    sys::set_nonblocking(tcp.get(), true);
    s.listener = std::move(tcp);
    s.udp = std::move(udp);
    s.local = bound;
    break;
  }
}

PlainEchoServer::~PlainEchoServer() { stop(); }

const Endpoint& PlainEchoServer::local() const noexcept { return impl_->local; }

void PlainEchoServer::start() {
  Impl& s = *impl_;
  if (s.thread.joinable() || !s.listener) {
    return;  // running, or stopped for good
  }
  s.wake.emplace("plain echo server");
  const int udp = s.udp ? s.udp.get() : -1;
  Fd ep = EchoLoop::make_epoll(s.listener.get(), udp, s.wake->fd());
  s.thread = std::jthread([&s, udp, ep = std::move(ep)](std::stop_token stop) mutable {
    try {
      EchoLoop loop(s.options, s.listener.get(), udp, s.wake->fd(), std::move(ep), s.stats);
      loop.run(stop);
    } catch (const std::exception& e) {
      s.stats.set_error(e.what());
    }
    // The loop's connections are closed now.
    s.stats.open.store(0, std::memory_order_relaxed);
  });
}

void PlainEchoServer::stop() noexcept {
  Impl& s = *impl_;
  if (s.thread.joinable()) {
    s.thread.request_stop();
    s.wake->notify();
    s.thread.join();
  }
  s.listener.reset();
  s.udp.reset();
  s.wake.reset();
}

PlainEchoCounters PlainEchoServer::counters() const noexcept {
  const EchoLoopStats& c = impl_->stats;
  PlainEchoCounters out;
  out.connections = c.connections.load(std::memory_order_relaxed);
  out.connections_rejected = c.rejected.load(std::memory_order_relaxed);
  out.open_connections = c.open.load(std::memory_order_relaxed);
  out.bytes_received = c.bytes_received.load(std::memory_order_relaxed);
  out.bytes_echoed = c.bytes_echoed.load(std::memory_order_relaxed);
  out.datagrams_echoed = c.datagrams.load(std::memory_order_relaxed);
  out.datagram_bytes_echoed = c.datagram_bytes.load(std::memory_order_relaxed);
  out.datagrams_dropped = c.dropped.load(std::memory_order_relaxed);
  return out;
}

std::string PlainEchoServer::error() const {
  const std::lock_guard lock(impl_->stats.error_mutex);
  return impl_->stats.error;
}

}  // namespace netbench
