#pragma once

#include <sys/socket.h>

#include <cstdint>
#include <string>

#include "netbench/test_spec.hpp"

namespace netbench {

/// A socket address of either family.
struct Endpoint {
  sockaddr_storage addr{};
  socklen_t len = 0;

  [[nodiscard]] int family() const noexcept { return addr.ss_family; }
  [[nodiscard]] std::uint16_t port() const noexcept;
  void set_port(std::uint16_t port) noexcept;
  /// "127.0.0.1:5201" or "[::1]:5201".
  [[nodiscard]] std::string to_string() const;
  [[nodiscard]] const sockaddr* sa() const noexcept {
    return reinterpret_cast<const sockaddr*>(&addr);  // NOLINT: sockets API
  }
};

/// Resolves `host` (numeric or name; empty = wildcard when `passive`, else
/// loopback) for `family`. Throws ConfigError when it does not resolve.
Endpoint resolve(const std::string& host, std::uint16_t port, Family family, bool passive);
/// The loopback address of `family` (kAny and kV4: 127.0.0.1; kV6: ::1).
Endpoint loopback(Family family, std::uint16_t port);

}  // namespace netbench
