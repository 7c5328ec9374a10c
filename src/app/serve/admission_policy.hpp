#pragma once

#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "netbench/endpoint.hpp"

namespace netbench::app {

/// One place in `netbench serve`'s admission table as the policy sees it.
struct AdmissionSlot {
  std::string_view source;  ///< source_key() of the client's address
  bool evictable = false;   ///< still in its handshake (hello or test not yet in)
  bool progressed = false;  ///< a complete, accepted hello came (authenticated, if a token is set)
};

/// The key admission counts places by: the IPv4 address (an IPv4-mapped
/// IPv6 one as IPv4), or the /64 prefix of an IPv6 address (one host
/// commonly owns a whole /64). Pure.
[[nodiscard]] std::string source_key(const Endpoint& peer);

/// The table is full and a newcomer from `newcomer` arrives: which place to
/// free for it, or nullopt to refuse the newcomer. `table` is in arrival
/// order (oldest first). Fair share under churn: the victim comes from the
/// source holding the most places (the newcomer counted in its own
/// source), so a source opening connections fast only ever evicts its own;
/// within that source an unprogressed handshake goes before one whose hello
/// came, the oldest first. A newcomer whose source would then hold more
/// places than the victim's is refused instead. Pure.
[[nodiscard]] std::optional<std::size_t> pick_eviction(std::span<const AdmissionSlot> table,
                                                       std::string_view newcomer);

}  // namespace netbench::app
