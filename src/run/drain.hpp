#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <stop_token>

#include "netbench/receiver.hpp"
#include "netbench/test_spec.hpp"

namespace netbench::run {

/// After the sender is done, the receiver drains what is still in flight
/// (socket buffers, a queue at a bottleneck). It gets this long without any
/// progress before the rest counts as lost, ns.
inline constexpr std::uint64_t kDrainIdleNs = 300'000'000;

/// However long a receiver keeps making progress, the drain ends this long
/// after it began (the last send): max(2 s, 2 × the interval), ns. A peer
/// whose totals change for ever (a broken or hostile server) cannot hold the
/// caller.
[[nodiscard]] std::uint64_t drain_limit_ns(const TestSpec& spec) noexcept;

/// Stream mode: waits while a receiver still takes in what is in flight —
/// until every TCP flow has closed or `total_sent` UDP messages arrived, or
/// nothing new arrived for kDrainIdleNs, or drain_limit_ns() passed, or a
/// stop. `live` reads the
/// receiver's totals (in this process, or asked over the network); it is
/// called every `tick`. Returns when the last progress was seen
/// (CLOCK_MONOTONIC ns), so that the last interval ends there and not after
/// the idle wait. Used by paired runs, remote clients and `netbench serve`.
std::uint64_t wait_drained(const TestSpec& spec, std::uint64_t total_sent,
                           const std::function<ReceiverLive()>& live, std::stop_token stop,
                           std::chrono::milliseconds tick);

}  // namespace netbench::run
