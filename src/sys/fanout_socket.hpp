#pragma once

#include <cstdint>
#include <string>

#include "netbench/endpoint.hpp"
#include "netbench/test_spec.hpp"

namespace netbench::sys {

/// Fan-out: where every flow's datagrams go, port `port`: the multicast
/// group, or the directed broadcast address of the interface that holds
/// spec.bind_address (its address with every host bit set: 127.255.255.255
/// for 127.0.0.1/8). Throws ConfigError when no interface holds that address.
Endpoint fanout_target(const TestSpec& spec, std::uint16_t port);

/// Fan-out, the sender's data socket, before connect(): multicast leaves by
/// the interface of spec.bind_device or spec.bind_address
/// (IP_MULTICAST_IF), loops back to this host's members (IP_MULTICAST_LOOP)
/// and is not routed (TTL 1); broadcast is allowed (SO_BROADCAST). Throws
/// SystemError.
void prepare_fanout_sender(int fd, const TestSpec& spec);

/// Fan-out, a receiver's data socket (bound to the group): joins the
/// multicast group on spec.bind_device, or else on the interface of
/// spec.bind_address (IP_ADD_MEMBERSHIP), and takes only the groups it
/// joined on it (IP_MULTICAST_ALL off). Nothing to do for broadcast.
/// Throws ConfigError naming the interface when the kernel refuses.
void join_fanout_group(int fd, const TestSpec& spec);

}  // namespace netbench::sys
