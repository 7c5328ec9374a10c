#pragma once

#include <sys/socket.h>

#include <cstdint>
#include <string>
#include <vector>

#include "netbench/endpoint.hpp"
#include "netbench/fd.hpp"
#include "netbench/results.hpp"
#include "netbench/test_spec.hpp"

namespace netbench::sys {

/// The address a socket is bound to (getsockname).
Endpoint local_endpoint(int fd);

/// A new close-on-exec socket; throws SystemError.
Fd make_socket(int family, int type);
/// A listening TCP socket on `ep`. An IPv6 wildcard listens dual-stack.
/// `reuseport` sets SO_REUSEPORT (several loops share one port).
Fd listen_tcp(const Endpoint& ep, bool reuseport, int backlog = 4096);
/// A UDP socket bound to `ep` with SO_RXQ_OVFL enabled. `reuseaddr` sets
/// SO_REUSEADDR first, so that the fan-out receivers bind one group address
/// and port, each getting a copy of every datagram.
Fd bind_udp(const Endpoint& ep, bool reuseport = false, bool reuseaddr = false);

void set_nonblocking(int fd, bool on);
/// Connects non-blocking socket `fd` to `target`, waiting at most
/// `timeout_ms`. Throws SystemError naming `where` (ECONNREFUSED,
/// ENETUNREACH, ETIMEDOUT for a host that does not answer, ...).
void connect_with_timeout(int fd, const Endpoint& target, const std::string& where,
                          std::uint64_t timeout_ms);
/// setsockopt of an int; throws SystemError naming `what`.
void set_int_option(int fd, int level, int name, int value, const char* what);
/// Sets the receive (`receive` true) or send buffer of `fd` to `bytes`: with
/// SO_RCVBUFFORCE/SO_SNDBUFFORCE where permitted (root), else the plain
/// option, which the kernel caps at net.core.{r,w}mem_max. 0 leaves it alone.
/// `force`: try SO_RCVBUFFORCE/SO_SNDBUFFORCE first (beyond net.core.*mem_max
/// when privileged) — for the local user's own runs only, never for a
/// remote client's request.
void set_buffer(int fd, bool receive, std::uint32_t bytes, bool force = true) noexcept;
/// Sets TCP_CONGESTION of TCP socket `fd` to `algorithm`. Throws ConfigError
/// naming --congestion: with the host's available algorithms
/// (tcp_available_congestion_control) when it has no such one (ENOENT), or
/// the allowed ones (tcp_allowed_congestion_control) when an unprivileged
/// process may not pick it (EPERM).
void set_congestion(int fd, const std::string& algorithm);
/// TCP_CONGESTION of TCP socket `fd` (the algorithm in use); empty if unreadable.
[[nodiscard]] std::string congestion_of(int fd) noexcept;
/// The words of a /proc/sys file such as
/// /proc/sys/net/ipv4/tcp_available_congestion_control, space separated on
/// one line; "(unreadable)" if it cannot be read.
[[nodiscard]] std::string read_proc_words(const char* path) noexcept;
/// Applies the socket knobs of `spec` to data socket `fd` of address family
/// `family`, before its first packet: --congestion and --mss (TCP sockets
/// only), --tos (IP_TOS, and IPV6_TCLASS on an IPv6 socket, which may carry
/// IPv4-mapped traffic too), --fq-rate (SO_MAX_PACING_RATE in bytes/s).
/// --bind-dev (SO_BINDTODEVICE). Unset knobs are left alone. Throws
/// ConfigError naming the flag.
void apply_socket_knobs(int fd, int family, bool tcp, const TestSpec& spec);
/// Binds the not yet connected data socket `fd` of address family `family`
/// to source port `port` on every local address (--cport), SO_REUSEADDR on
/// a TCP socket so that a port whose last connection lingers in TIME_WAIT
/// can be bound again. `flow` names the flow in the error. Throws
/// ConfigError.
void bind_source_port(int fd, int family, bool tcp, std::uint16_t port, std::uint32_t flow);
/// TCP_INFO of a connected TCP socket; `valid` false if unavailable.
TcpKernelInfo read_tcp_info(int fd) noexcept;
/// Moves `fd` to a descriptor number >= `min_fd` (F_DUPFD_CLOEXEC) when the
/// descriptor limit allows; leaves it where it is otherwise.
void move_above(Fd& fd, int min_fd) noexcept;
/// Raises the soft RLIMIT_NOFILE to the hard limit; returns the new soft limit.
std::uint64_t raise_fd_limit() noexcept;
/// CPU time and context switches of the calling thread.
CpuUsage thread_cpu_usage() noexcept;
/// Restricts the calling thread to `cpus` (pthread_setaffinity_np); nothing
/// when empty. False if the kernel refused (the CPUs were checked at setup).
bool pin_current_thread(const std::vector<std::uint32_t>& cpus) noexcept;
/// Thread `index` of a side: its one CPU from `cpus`, round robin (as
/// neper's -U spreads threads); empty (any CPU) when `cpus` is empty.
[[nodiscard]] std::vector<std::uint32_t> cpu_of_thread(const std::vector<std::uint32_t>& cpus,
                                                       std::size_t index);
/// CPUs this thread may run on now (sched_getaffinity); at least 1.
[[nodiscard]] unsigned available_cpus() noexcept;

}  // namespace netbench::sys

namespace netbench::sys {

/// Datagrams the kernel dropped on socket `fd` for want of buffer space
/// (sk_drops via SO_MEMINFO: the counter SO_RXQ_OVFL reports and
/// /proc/net/udp shows, readable without receiving). 0 if unavailable.
[[nodiscard]] std::uint64_t udp_socket_drops(int fd) noexcept;

}  // namespace netbench::sys
