#include "app/serve/admission_policy.hpp"

#include <netinet/in.h>
#include <sys/socket.h>

#include <cstdio>
#include <cstring>
#include <map>

namespace netbench::app {

std::string source_key(const Endpoint& peer) {
  char text[64] = {};
  if (peer.family() == AF_INET) {
    const auto* in = reinterpret_cast<const sockaddr_in*>(&peer.addr);      // NOLINT: sockets API
    const auto* b = reinterpret_cast<const unsigned char*>(&in->sin_addr);  // NOLINT
    std::snprintf(text, sizeof text, "%u.%u.%u.%u", b[0], b[1], b[2], b[3]);
    return text;
  }
  if (peer.family() == AF_INET6) {
    const auto* in6 = reinterpret_cast<const sockaddr_in6*>(&peer.addr);      // NOLINT: sockets API
    const auto* b = reinterpret_cast<const unsigned char*>(&in6->sin6_addr);  // NOLINT
    if (IN6_IS_ADDR_V4MAPPED(&in6->sin6_addr)) {
      std::snprintf(text, sizeof text, "%u.%u.%u.%u", b[12], b[13], b[14], b[15]);
    } else {
      std::snprintf(text, sizeof text, "%x:%x:%x:%x::/64", (b[0] << 8) | b[1], (b[2] << 8) | b[3],
                    (b[4] << 8) | b[5], (b[6] << 8) | b[7]);
    }
    return text;
  }
  return "unknown";
}

std::optional<std::size_t> pick_eviction(std::span<const AdmissionSlot> table,
                                         std::string_view newcomer) {
  std::map<std::string_view, std::size_t> held;
  for (const AdmissionSlot& s : table) {
    ++held[s.source];
  }
  ++held[newcomer];  // the newcomer's source as it would be once admitted
  std::optional<std::size_t> victim;
  const auto better = [&](std::size_t i, std::size_t j) {
    // Most places held first, then unprogressed, then the oldest (lower index).
    const std::size_t hi = held[table[i].source];
    const std::size_t hj = held[table[j].source];
    if (hi != hj) {
      return hi > hj;
    }
    if (table[i].progressed != table[j].progressed) {
      return !table[i].progressed;
    }
    return i < j;
  };
  for (std::size_t i = 0; i < table.size(); ++i) {
    if (table[i].evictable && (!victim || better(i, *victim))) {
      victim = i;
    }
  }
  if (victim && table[*victim].source != newcomer && held[table[*victim].source] < held[newcomer]) {
    return std::nullopt;  // the newcomer's source already holds more than anyone it could evict
  }
  return victim;
}

}  // namespace netbench::app
