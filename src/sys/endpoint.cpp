#include "netbench/endpoint.hpp"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>

#include <cstddef>
#include <cstring>
#include <string>

#include "netbench/error.hpp"

namespace netbench {

std::uint16_t Endpoint::port() const noexcept {
  if (family() == AF_INET6) {
    return ntohs(reinterpret_cast<const sockaddr_in6*>(&addr)->sin6_port);  // NOLINT
  }
  return ntohs(reinterpret_cast<const sockaddr_in*>(&addr)->sin_port);  // NOLINT
}

void Endpoint::set_port(std::uint16_t port) noexcept {
  if (family() == AF_INET6) {
    reinterpret_cast<sockaddr_in6*>(&addr)->sin6_port = htons(port);  // NOLINT
  } else {
    reinterpret_cast<sockaddr_in*>(&addr)->sin_port = htons(port);  // NOLINT
  }
}

std::string Endpoint::to_string() const {
  // Built with reserve + append rather than chained operator+: GCC 12 at -O3
  // misreports `"[" + std::string(...)` as an overlapping memcpy (-Wrestrict).
  char host[INET6_ADDRSTRLEN] = {};
  const bool v6 = family() == AF_INET6;
  if (v6) {
    const auto* a = reinterpret_cast<const sockaddr_in6*>(&addr);  // NOLINT
    ::inet_ntop(AF_INET6, &a->sin6_addr, host, sizeof host);
  } else if (family() == AF_INET) {
    const auto* a = reinterpret_cast<const sockaddr_in*>(&addr);  // NOLINT
    ::inet_ntop(AF_INET, &a->sin_addr, host, sizeof host);
  } else {
    return "(no address)";
  }
  const std::string port_text = std::to_string(port());
  const std::size_t host_len = std::strlen(host);
  std::string out;
  out.reserve(host_len + port_text.size() + 3);  // "[", "]" and ":"
  if (v6) {
    out.push_back('[');
  }
  out.append(host, host_len);
  if (v6) {
    out.push_back(']');
  }
  out.push_back(':');
  out.append(port_text);
  return out;
}

Endpoint resolve(const std::string& host, std::uint16_t port, Family family, bool passive) {
  addrinfo hints{};
  hints.ai_family = family == Family::kV4 ? AF_INET : family == Family::kV6 ? AF_INET6 : AF_UNSPEC;
  hints.ai_flags = AI_NUMERICSERV | (passive ? AI_PASSIVE : 0);
  std::string node = host;
  if (node.empty() && !passive) {
    return loopback(family, port);
  }
  if (node.empty() && passive && family == Family::kAny) {
    // Dual-stack wildcard: an IPv6 socket with IPV6_V6ONLY off takes both.
    hints.ai_family = AF_INET6;
  }
  if (node.size() > 2 && node.front() == '[' && node.back() == ']') {
    node = node.substr(1, node.size() - 2);
  }
  const std::string service = std::to_string(port);
  addrinfo* res = nullptr;
  const int rc =
      ::getaddrinfo(node.empty() ? nullptr : node.c_str(), service.c_str(), &hints, &res);
  if (rc != 0 || res == nullptr) {
    throw ConfigError("cannot resolve host '" + host + "': " + ::gai_strerror(rc) +
                      "; check the name or give a numeric address");
  }
  Endpoint ep;
  std::memcpy(&ep.addr, res->ai_addr, res->ai_addrlen);
  ep.len = res->ai_addrlen;
  ::freeaddrinfo(res);
  return ep;
}

Endpoint loopback(Family family, std::uint16_t port) {
  Endpoint ep;
  if (family == Family::kV6) {
    auto* a = reinterpret_cast<sockaddr_in6*>(&ep.addr);  // NOLINT
    a->sin6_family = AF_INET6;
    a->sin6_addr = in6addr_loopback;
    ep.len = sizeof(sockaddr_in6);
  } else {
    auto* a = reinterpret_cast<sockaddr_in*>(&ep.addr);  // NOLINT
    a->sin_family = AF_INET;
    a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ep.len = sizeof(sockaddr_in);
  }
  ep.set_port(port);
  return ep;
}

}  // namespace netbench
