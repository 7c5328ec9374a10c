#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "netbench/results.hpp"

namespace netbench::sys {

/// ListenOverflows, ListenDrops and TCPSynRetrans from the text of
/// /proc/net/netstat (a "TcpExt:" line of names followed by one of values);
/// valid is false when a name is missing. Pure.
[[nodiscard]] TcpStackCounters parse_tcp_ext(std::string_view netstat) noexcept;
/// The `tw` count of the "TCP:" line of /proc/net/sockstat text; nullopt if
/// absent. Pure.
[[nodiscard]] std::optional<std::uint64_t> parse_time_wait(std::string_view sockstat) noexcept;
/// `after` − `before`, each counter floored at 0; invalid unless both are. Pure.
[[nodiscard]] TcpStackCounters counter_delta(const TcpStackCounters& before,
                                             const TcpStackCounters& after) noexcept;

/// The counters of this network namespace now (invalid if unreadable).
[[nodiscard]] TcpStackCounters read_tcp_stack_counters() noexcept;
/// The one-line error for a connect() that failed with EADDRNOTAVAIL: the
/// ephemeral port range (net.ipv4.ip_local_port_range) and the sockets in
/// TIME_WAIT (/proc/net/sockstat), and what to do.
[[nodiscard]] std::string ephemeral_ports_exhausted(const std::string& where);

}  // namespace netbench::sys
