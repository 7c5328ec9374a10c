#include "sys/socket_ops.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <linux/sock_diag.h>
#include <linux/tcp.h>  // tcp_info with tcpi_segs_out (glibc's is older)
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdio>
#include <cstring>

#include "netbench/error.hpp"

namespace netbench::sys {

Endpoint local_endpoint(int fd) {
  Endpoint ep;
  ep.len = sizeof ep.addr;
  if (::getsockname(fd, reinterpret_cast<sockaddr*>(&ep.addr), &ep.len) != 0) {  // NOLINT
    throw SystemError("getsockname", "", errno);
  }
  return ep;
}

Fd make_socket(int family, int type) {
  Fd fd(::socket(family, type | SOCK_CLOEXEC, 0));
  if (!fd) {
    throw SystemError("socket", family == AF_INET6 ? "IPv6" : "IPv4", errno);
  }
  return fd;
}

void set_int_option(int fd, int level, int name, int value, const char* what) {
  if (::setsockopt(fd, level, name, &value, sizeof value) != 0) {
    throw SystemError("setsockopt", what, errno);
  }
}

std::string read_proc_words(const char* path) noexcept {
  std::string words;
  if (FILE* f = std::fopen(path, "re")) {
    std::array<char, 512> line{};
    if (std::fgets(line.data(), line.size(), f) != nullptr) {
      words = line.data();
    }
    std::fclose(f);
  }
  while (!words.empty() && (words.back() == '\n' || words.back() == ' ')) {
    words.pop_back();
  }
  return words.empty() ? "(unreadable)" : words;
}

void set_congestion(int fd, const std::string& algorithm) {
  if (::setsockopt(fd, IPPROTO_TCP, TCP_CONGESTION, algorithm.data(),
                   static_cast<socklen_t>(algorithm.size())) == 0) {
    return;
  }
  const int err = errno;
  const std::string flag = "--congestion " + algorithm + ": ";
  if (err == ENOENT) {
    throw ConfigError(flag + "not available on this host (available: " +
                      read_proc_words("/proc/sys/net/ipv4/tcp_available_congestion_control") +
                      "); load its module (modprobe tcp_" + algorithm + ") or choose one of those");
  }
  if (err == EPERM) {
    throw ConfigError(flag + "not allowed for this unprivileged process (allowed: " +
                      read_proc_words("/proc/sys/net/ipv4/tcp_allowed_congestion_control") +
                      "); choose one of those, run as root, or add it to "
                      "net.ipv4.tcp_allowed_congestion_control");
  }
  throw ConfigError(flag + "the kernel refuses TCP_CONGESTION (" + std::strerror(err) + ")");
}

std::string congestion_of(int fd) noexcept {
  std::array<char, 32> name{};
  socklen_t len = name.size() - 1;
  if (::getsockopt(fd, IPPROTO_TCP, TCP_CONGESTION, name.data(), &len) != 0) {
    return {};
  }
  return std::string(name.data());  // zero-padded to TCP_CA_NAME_MAX
}

void apply_socket_knobs(int fd, int family, bool tcp, const TestSpec& spec) {
  const auto refuse = [](const std::string& flag) {
    throw ConfigError(flag + ": the kernel refuses it (" + std::strerror(errno) + ")");
  };
  if (tcp && !spec.congestion.empty()) {
    set_congestion(fd, spec.congestion);
  }
  if (tcp && spec.mss_bytes != 0) {
    const int mss = static_cast<int>(spec.mss_bytes);
    if (::setsockopt(fd, IPPROTO_TCP, TCP_MAXSEG, &mss, sizeof mss) != 0) {
      refuse("--mss " + std::to_string(spec.mss_bytes) + " (TCP_MAXSEG)");
    }
  }
  if (spec.tos >= 0) {
    const int tos = spec.tos;
    if (::setsockopt(fd, IPPROTO_IP, IP_TOS, &tos, sizeof tos) != 0) {
      refuse("--tos " + std::to_string(tos) + " (IP_TOS)");
    }
    if (family == AF_INET6 && ::setsockopt(fd, IPPROTO_IPV6, IPV6_TCLASS, &tos, sizeof tos) != 0) {
      refuse("--tos " + std::to_string(tos) + " (IPV6_TCLASS)");
    }
  }
  if (!spec.bind_device.empty() &&
      ::setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, spec.bind_device.c_str(),
                   static_cast<socklen_t>(spec.bind_device.size())) != 0) {
    const int err = errno;
    throw ConfigError("--bind-dev " + spec.bind_device + ": " +
                      (err == ENODEV ? std::string("no such interface on this host ('ip link' "
                                                   "lists them)")
                       : err == EPERM
                           ? std::string("not permitted (SO_BINDTODEVICE needs CAP_NET_RAW)")
                           : std::string("the kernel refuses it (") + std::strerror(err) + ")"));
  }
  if (spec.fq_rate_bps != 0) {
    // 64 bits wide: the kernel reads an unsigned long when given one.
    const unsigned long bytes_per_s = spec.fq_rate_bps / 8;  // NOLINT(google-runtime-int)
    if (::setsockopt(fd, SOL_SOCKET, SO_MAX_PACING_RATE, &bytes_per_s, sizeof bytes_per_s) != 0) {
      refuse("--fq-rate " + std::to_string(spec.fq_rate_bps) + " (SO_MAX_PACING_RATE)");
    }
  }
}

void bind_source_port(int fd, int family, bool tcp, std::uint16_t port, std::uint32_t flow) {
  if (tcp) {
    set_int_option(fd, SOL_SOCKET, SO_REUSEADDR, 1, "SO_REUSEADDR");
  }
  Endpoint any = resolve("", port, family == AF_INET6 ? Family::kV6 : Family::kV4, true);
  if (::bind(fd, any.sa(), any.len) != 0) {
    const int err = errno;
    const std::string what = "--cport: source port " + std::to_string(port) + " of flow " +
                             std::to_string(flow) + " (" + (tcp ? "tcp" : "udp") + ")";
    throw ConfigError(what + (err == EADDRINUSE ? std::string(" is in use; pick another --cport")
                              : err == EACCES
                                  ? std::string(" is privileged (below 1024): run as root or "
                                                "pick --cport 1024 or above")
                                  : std::string(": ") + std::strerror(err)));
  }
}

Fd listen_tcp(const Endpoint& ep, bool reuseport, int backlog) {
  Fd fd = make_socket(ep.family(), SOCK_STREAM);
  set_int_option(fd.get(), SOL_SOCKET, SO_REUSEADDR, 1, "SO_REUSEADDR");
  if (reuseport) {
    set_int_option(fd.get(), SOL_SOCKET, SO_REUSEPORT, 1, "SO_REUSEPORT");
  }
  if (ep.family() == AF_INET6) {
    set_int_option(fd.get(), IPPROTO_IPV6, IPV6_V6ONLY, 0, "IPV6_V6ONLY");
  }
  if (::bind(fd.get(), ep.sa(), ep.len) != 0) {
    throw SystemError("bind", "tcp " + ep.to_string(), errno);
  }
  if (::listen(fd.get(), backlog) != 0) {
    throw SystemError("listen", "tcp " + ep.to_string(), errno);
  }
  return fd;
}

Fd bind_udp(const Endpoint& ep, bool reuseport, bool reuseaddr) {
  Fd fd = make_socket(ep.family(), SOCK_DGRAM);
  if (reuseaddr) {
    set_int_option(fd.get(), SOL_SOCKET, SO_REUSEADDR, 1, "SO_REUSEADDR");
  }
  if (reuseport) {
    set_int_option(fd.get(), SOL_SOCKET, SO_REUSEPORT, 1, "SO_REUSEPORT");
  }
  if (ep.family() == AF_INET6) {
    set_int_option(fd.get(), IPPROTO_IPV6, IPV6_V6ONLY, 0, "IPV6_V6ONLY");
  }
  // Each datagram's recvmsg() then carries the socket's cumulative drop count.
  set_int_option(fd.get(), SOL_SOCKET, SO_RXQ_OVFL, 1, "SO_RXQ_OVFL");
  if (::bind(fd.get(), ep.sa(), ep.len) != 0) {
    throw SystemError("bind", "udp " + ep.to_string(), errno);
  }
  return fd;
}

void set_nonblocking(int fd, bool on) {
  const int flags = ::fcntl(fd, F_GETFL);
  if (flags < 0 || ::fcntl(fd, F_SETFL, on ? (flags | O_NONBLOCK) : (flags & ~O_NONBLOCK)) != 0) {
    throw SystemError("fcntl", "O_NONBLOCK", errno);
  }
}

void set_buffer(int fd, bool receive, std::uint32_t bytes, bool force) noexcept {
  if (bytes == 0) {
    return;
  }
  const int value = static_cast<int>(std::min<std::uint32_t>(bytes, INT32_MAX / 2));
  if (!force || ::setsockopt(fd, SOL_SOCKET, receive ? SO_RCVBUFFORCE : SO_SNDBUFFORCE, &value,
                             sizeof value) != 0) {
    ::setsockopt(fd, SOL_SOCKET, receive ? SO_RCVBUF : SO_SNDBUF, &value, sizeof value);
  }
}

void connect_with_timeout(int fd, const Endpoint& target, const std::string& where,
                          std::uint64_t timeout_ms) {
  if (::connect(fd, target.sa(), target.len) == 0) {
    return;
  }
  if (errno != EINPROGRESS) {
    throw SystemError("connect", where, errno);
  }
  pollfd p{fd, POLLOUT, 0};
  int n = 0;
  do {
    n = ::poll(&p, 1, static_cast<int>(timeout_ms));
  } while (n < 0 && errno == EINTR);
  if (n == 0) {
    throw SystemError("connect", where, ETIMEDOUT);
  }
  int err = 0;
  socklen_t len = sizeof err;
  ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
  if (n < 0 || err != 0) {
    throw SystemError("connect", where, n < 0 ? errno : err);
  }
}

TcpKernelInfo read_tcp_info(int fd) noexcept {
  TcpKernelInfo out;
  tcp_info info{};
  socklen_t len = sizeof info;
  if (::getsockopt(fd, IPPROTO_TCP, TCP_INFO, &info, &len) != 0) {
    return out;
  }
  out.valid = true;
  out.retransmits = info.tcpi_total_retrans;
  out.srtt_us = info.tcpi_rtt;
  out.rttvar_us = info.tcpi_rttvar;
  out.cwnd_segments = info.tcpi_snd_cwnd;
  out.mss_bytes = info.tcpi_snd_mss;
  out.segments_out = info.tcpi_segs_out;
  out.segments_in = info.tcpi_segs_in;
  return out;
}

void move_above(Fd& fd, int min_fd) noexcept {
  if (fd.get() >= min_fd) {
    return;
  }
  const int moved = ::fcntl(fd.get(), F_DUPFD_CLOEXEC, min_fd);
  if (moved >= 0) {
    fd.reset(moved);
  }
}

std::uint64_t raise_fd_limit() noexcept {
  rlimit lim{};
  if (::getrlimit(RLIMIT_NOFILE, &lim) != 0) {
    return 0;
  }
  if (lim.rlim_cur < lim.rlim_max) {
    lim.rlim_cur = lim.rlim_max;
    ::setrlimit(RLIMIT_NOFILE, &lim);
    ::getrlimit(RLIMIT_NOFILE, &lim);
  }
  return lim.rlim_cur;
}

std::vector<std::uint32_t> cpu_of_thread(const std::vector<std::uint32_t>& cpus,
                                         std::size_t index) {
  if (cpus.empty()) {
    return {};
  }
  return {cpus[index % cpus.size()]};
}

unsigned available_cpus() noexcept {
  cpu_set_t set;
  CPU_ZERO(&set);
  if (::sched_getaffinity(0, sizeof set, &set) != 0) {
    return 1;
  }
  return static_cast<unsigned>(std::max(1, CPU_COUNT(&set)));
}

bool pin_current_thread(const std::vector<std::uint32_t>& cpus) noexcept {
  if (cpus.empty()) {
    return true;
  }
  cpu_set_t set;
  CPU_ZERO(&set);
  for (const std::uint32_t cpu : cpus) {
    if (cpu < CPU_SETSIZE) {
      CPU_SET(cpu, &set);
    }
  }
  return ::pthread_setaffinity_np(::pthread_self(), sizeof set, &set) == 0;
}

CpuUsage thread_cpu_usage() noexcept {
  rusage ru{};
  CpuUsage out;
  if (::getrusage(RUSAGE_THREAD, &ru) != 0) {
    return out;
  }
  out.user_s =
      static_cast<double>(ru.ru_utime.tv_sec) + static_cast<double>(ru.ru_utime.tv_usec) * 1e-6;
  out.sys_s =
      static_cast<double>(ru.ru_stime.tv_sec) + static_cast<double>(ru.ru_stime.tv_usec) * 1e-6;
  out.voluntary_switches = static_cast<std::uint64_t>(ru.ru_nvcsw);
  out.involuntary_switches = static_cast<std::uint64_t>(ru.ru_nivcsw);
  out.threads = 1;
  return out;
}

}  // namespace netbench::sys

namespace netbench::sys {

std::uint64_t udp_socket_drops(int fd) noexcept {
  // SO_MEMINFO returns the socket's counters, sk_drops among them: O(1) per
  // socket, where scanning /proc/net/udp for each of N flows costs O(N²).
  std::array<std::uint32_t, SK_MEMINFO_VARS> info{};
  socklen_t len = sizeof info;
  if (::getsockopt(fd, SOL_SOCKET, SO_MEMINFO, info.data(), &len) == 0 &&
      len >= sizeof(std::uint32_t) * (SK_MEMINFO_DROPS + 1)) {
    return info[SK_MEMINFO_DROPS];
  }
  return 0;
}

}  // namespace netbench::sys
