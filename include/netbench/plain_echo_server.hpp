#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "netbench/endpoint.hpp"

namespace netbench {

/// Settings of a PlainEchoServer.
struct PlainEchoOptions {
  /// Also echo UDP on the same port. An open UDP echo answers whatever source
  /// address a datagram claims, so it can reflect spoofed traffic at a third
  /// party: the CLI leaves it off unless asked. Its socket asks for 4 MiB
  /// buffers (capped by net.core.{r,w}mem_max).
  bool udp = true;
  /// TCP connections served at once (>= 1); a connection beyond it is
  /// accepted and closed at once.
  std::uint32_t max_connections = 1024;
  /// The most a TCP connection holds, bytes (>= 1): one read takes at most
  /// this much, and while any of it is unsent the connection is not read
  /// again (backpressure on a client that does not read its echoes).
  std::uint32_t tcp_buffer_bytes = 64U * 1024U;
};

/// What a PlainEchoServer has done since start(). Exact once stop() returned.
struct PlainEchoCounters {
  std::uint64_t connections = 0;            ///< TCP connections accepted and served
  std::uint64_t connections_rejected = 0;   ///< TCP connections closed at once (over the limit)
  std::uint64_t open_connections = 0;       ///< TCP connections being served now
  std::uint64_t bytes_received = 0;         ///< TCP bytes read
  std::uint64_t bytes_echoed = 0;           ///< TCP bytes written back
  std::uint64_t datagrams_echoed = 0;       ///< UDP datagrams sent back
  std::uint64_t datagram_bytes_echoed = 0;  ///< UDP payload bytes of those
  /// UDP datagrams not echoed: the kernel refused the reply (EAGAIN, ENOBUFS
  /// ...), or the source port was 0 or a privileged port (< 1024), where the
  /// echo/chargen services of another host would answer and loop.
  std::uint64_t datagrams_dropped = 0;
};

/// An RFC 862 echo server for clients that know nothing of netbench: every
/// byte a TCP connection sends comes back verbatim, in order, and every UDP
/// datagram goes back whole to the address it came from.
///
/// TCP and UDP listen on one port of one address; an IPv6 wildcard listens
/// dual-stack. One std::jthread runs one epoll loop over the listener, the
/// UDP socket and every connection, on non-blocking sockets: a partial send
/// keeps the rest for EPOLLOUT, and a connection with unsent bytes is not
/// read until they are out (at most PlainEchoOptions::tcp_buffer_bytes held
/// per connection, sized at its first partial send).
///
/// Construction, start(), stop() and destruction belong to the owning
/// thread; local(), counters() and error() may be called from any thread.
class PlainEchoServer {
 public:
  /// Binds TCP (listening) and, if options.udp, UDP on `bind`. Port 0 picks a
  /// port free for both. Does not serve yet. Throws ConfigError (bad option
  /// or address) or SystemError (e.g. port in use).
  explicit PlainEchoServer(const Endpoint& bind, const PlainEchoOptions& options = {});
  /// Stops the loop if it runs.
  ~PlainEchoServer();
  PlainEchoServer(const PlainEchoServer&) = delete;
  PlainEchoServer& operator=(const PlainEchoServer&) = delete;

  /// The bound address, with the actual port (a wildcard stays a wildcard).
  [[nodiscard]] const Endpoint& local() const noexcept;
  /// Starts the loop thread. Call once; the server does not restart after
  /// stop(). Throws SystemError if the loop cannot be set up.
  void start();
  /// Stops and joins the loop, closes every connection and the listening
  /// sockets; returns promptly even with idle or stuck clients. Idempotent.
  void stop() noexcept;

  /// Totals so far: live while the loop runs, exact once stop() returned.
  [[nodiscard]] PlainEchoCounters counters() const noexcept;
  /// Why the loop ended on its own (e.g. epoll_wait failed), or empty.
  [[nodiscard]] std::string error() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace netbench
