#pragma once

#include <cstddef>
#include <string>

#include <nlohmann/json.hpp>

#include "netbench/results.hpp"

namespace netbench::app {

/// Most receiver flows receiver_part_from_json() accepts (the limit on
/// --flows): a bound on what a peer can make the client allocate.
inline constexpr std::size_t kMaxReceiverFlows = 65'536;

/// The part of a RunResult that the receiver fills, as JSON for the control
/// connection of a remote run (the server sends it, the client reads it back
/// with receiver_part_from_json()). Not the report: this form is exact and
/// keeps every field, named as in the structs:
///   {"receiver_flows": [FlowRecvStats...],
///    "receiver": {"cpu": {user_s, sys_s, voluntary_switches,
///                         involuntary_switches, threads},
///                 "loop": {wakeups, ready_events}},
///    "latency", "latency_from_actual", "delay_variation":
///        base64 of LatencyHistogram::serialize()}
/// A FlowRecvStats object has every member of the struct under its own name;
/// `loss` is {sent, unique, lost, bursts, burst_lengths}; a CountDistribution
/// (`reorder_extents`, `burst_lengths`) is {count, max, sum, buckets} where
/// buckets lists the non-empty ones as [index, count] pairs, index rising.
/// Doubles are written with enough digits to read back identical (a NaN or
/// infinity, which no receiver produces, would be written as 0).
[[nodiscard]] nlohmann::json receiver_part_to_json(const RunResult& r);

/// Reads receiver_part_to_json()'s form into `out`: its receiver_flows,
/// receiver, latency, latency_from_actual and delay_variation, nothing else
/// (in echo mode the client measures latency itself: decode into a scratch
/// RunResult and take what applies). Strict, for input from the network:
/// every field must be present with its type and in range (integers whole and
/// non-negative, flow_id 32-bit, doubles finite and >= 0, at most
/// kMaxReceiverFlows flows), distributions and loss reports self-consistent,
/// histograms canonical base64 of a valid serialization. Keys it does not
/// know are ignored. On failure returns false, leaves `out` unchanged and sets
/// `error` to one line naming the field by its path, e.g.
/// "receiver_flows[2].loss.lost: missing"; clears `error` on success. Never
/// throws.
bool receiver_part_from_json(const nlohmann::json& j, RunResult& out, std::string& error) noexcept;

}  // namespace netbench::app
