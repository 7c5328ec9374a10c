#include "sys/fanout_socket.hpp"

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>

#include "netbench/error.hpp"
#include "sys/socket_ops.hpp"

namespace netbench::sys {
namespace {

/// spec.bind_address as an IPv4 address; ConfigError if it is not one.
in_addr interface_address(const TestSpec& spec) {
  in_addr a{};
  const std::string text = spec.bind_address.empty() ? "127.0.0.1" : spec.bind_address;
  if (::inet_pton(AF_INET, text.c_str(), &a) != 1) {
    throw ConfigError("--bind " + text +
                      ": fan-out needs the IPv4 address of the interface to send and receive "
                      "on, e.g. --bind 127.0.0.1");
  }
  return a;
}

/// ip_mreqn naming the fan-out interface: spec.bind_device's index when
/// given (it wins over the address), else spec.bind_address.
ip_mreqn interface_request(const TestSpec& spec) {
  ip_mreqn m{};
  m.imr_address = interface_address(spec);
  if (!spec.bind_device.empty()) {
    const unsigned index = ::if_nametoindex(spec.bind_device.c_str());
    if (index == 0) {
      throw ConfigError("interface " + spec.bind_device +
                        ": no such interface on this host ('ip link' lists them)");
    }
    m.imr_ifindex = static_cast<int>(index);
  }
  return m;
}

/// The directed broadcast address of the interface holding `a`.
in_addr broadcast_of(in_addr a) {
  ifaddrs* list = nullptr;
  if (::getifaddrs(&list) != 0) {
    throw SystemError("getifaddrs", "broadcast address", errno);
  }
  in_addr out{};
  bool found = false;
  for (const ifaddrs* i = list; i != nullptr && !found; i = i->ifa_next) {
    if (i->ifa_addr == nullptr || i->ifa_netmask == nullptr || i->ifa_addr->sa_family != AF_INET) {
      continue;
    }
    sockaddr_in addr{};
    sockaddr_in mask{};
    std::memcpy(&addr, i->ifa_addr, sizeof addr);
    std::memcpy(&mask, i->ifa_netmask, sizeof mask);
    if (addr.sin_addr.s_addr == a.s_addr) {
      out.s_addr = a.s_addr | ~mask.sin_addr.s_addr;
      found = true;
    }
  }
  ::freeifaddrs(list);
  if (!found) {
    char text[INET_ADDRSTRLEN] = {};
    ::inet_ntop(AF_INET, &a, text, sizeof text);
    throw ConfigError("--broadcast: no interface on this host holds " + std::string(text) +
                      ", whose subnet's broadcast address it would use: give --bind with an "
                      "address of this host");
  }
  return out;
}

}  // namespace

Endpoint fanout_target(const TestSpec& spec, std::uint16_t port) {
  sockaddr_in sin{};
  sin.sin_family = AF_INET;
  sin.sin_port = htons(port);
  if (spec.broadcast) {
    sin.sin_addr = broadcast_of(interface_address(spec));
  } else if (::inet_pton(AF_INET, spec.multicast_group.c_str(), &sin.sin_addr) != 1) {
    throw ConfigError("--multicast " + spec.multicast_group + " is not an IPv4 address");
  }
  Endpoint ep;
  std::memcpy(&ep.addr, &sin, sizeof sin);
  ep.len = sizeof sin;
  return ep;
}

void prepare_fanout_sender(int fd, const TestSpec& spec) {
  if (spec.broadcast) {
    set_int_option(fd, SOL_SOCKET, SO_BROADCAST, 1, "SO_BROADCAST");
    return;
  }
  const ip_mreqn m = interface_request(spec);
  if (::setsockopt(fd, IPPROTO_IP, IP_MULTICAST_IF, &m, sizeof m) != 0) {
    throw SystemError("setsockopt", "IP_MULTICAST_IF", errno);
  }
  set_int_option(fd, IPPROTO_IP, IP_MULTICAST_LOOP, 1, "IP_MULTICAST_LOOP");
  set_int_option(fd, IPPROTO_IP, IP_MULTICAST_TTL, 1, "IP_MULTICAST_TTL");
}

void join_fanout_group(int fd, const TestSpec& spec) {
  if (spec.broadcast) {
    return;
  }
  ip_mreqn m = interface_request(spec);
  if (::inet_pton(AF_INET, spec.multicast_group.c_str(), &m.imr_multiaddr) != 1) {
    throw ConfigError("--multicast " + spec.multicast_group + " is not an IPv4 address");
  }
  set_int_option(fd, IPPROTO_IP, IP_MULTICAST_ALL, 0, "IP_MULTICAST_ALL");
  if (::setsockopt(fd, IPPROTO_IP, IP_ADD_MEMBERSHIP, &m, sizeof m) != 0) {
    const int err = errno;
    const std::string where =
        spec.bind_device.empty() ? "the interface of " + spec.bind_address : spec.bind_device;
    throw ConfigError("--multicast " + spec.multicast_group + ": cannot join the group on " +
                      where + " (" + std::strerror(err) +
                      "); give --bind an address of an interface that is up");
  }
}

}  // namespace netbench::sys
