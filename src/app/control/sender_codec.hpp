#pragma once

#include <cstddef>
#include <string>

#include <nlohmann/json.hpp>

#include "netbench/results.hpp"

namespace netbench::app {

/// Most sender flows sender_part_from_json() accepts (as kMaxReceiverFlows,
/// the limit on --flows): a bound on what a peer can make the client
/// allocate.
inline constexpr std::size_t kMaxSenderFlows = 65'536;
/// Most interval records sender_part_from_json() accepts: a day at 100 ms
/// intervals is 864,000. The shortest interval object is about 200 bytes, so
/// a million is already more than one control frame (kMaxControlBytes,
/// 64 MiB) can carry: no real run is refused, and the records allocated
/// before parsing them stay under 100 MB.
inline constexpr std::size_t kMaxIntervals = 1'000'000;
/// Most warnings sender_part_from_json() accepts, each at most
/// kMaxWarningChars bytes (a warning is one line of text).
inline constexpr std::size_t kMaxWarnings = 64;
inline constexpr std::size_t kMaxWarningChars = 1'000;
/// Longest `error` sender_part_from_json() accepts, bytes (an error is one
/// line; the longest netbench writes is a few hundred bytes).
inline constexpr std::size_t kMaxErrorChars = 4'096;

/// The part of a RunResult that the sender fills, as JSON for the control
/// connection of a remote run where `netbench serve` sends (--reverse): the
/// server sends it, the client reads it back with sender_part_from_json().
/// Not the report: this form is exact and keeps every field, named as in the
/// structs:
///   {"message_bytes", "measured_ns",
///    "sender_flows": [FlowSendStats...],
///    "sender": SideStats (as "receiver" in receiver_part_to_json()),
///    "send_loops": [{cpu, flows, messages, cpu_usage}...],
///    "pacing": {target_msgs_per_s, lateness, first_send_ns, last_send_ns,
///               sends},
///    "zerocopy": ZeroCopyStats (absent when the run had none),
///    "latency", "latency_from_actual", "pacing.lateness":
///        base64 of LatencyHistogram::serialize(),
///    "start": {requested_unix_ns, actual_unix_ns},
///    "intervals": [interval_to_json()...],
///    "complete": bool, "error": string, "warnings": [string...]}
/// A FlowSendStats object has every member of the struct under its own name;
/// `reply_loss` is a loss report and `reply_reorder_extents` a distribution
/// as in receiver_part_to_json(); `tcp` is a TcpKernelInfo and `zerocopy` a
/// ZeroCopyStats, each with every member under its own name. cpu_usage is a
/// CpuUsage as "receiver.cpu". Doubles are written with enough digits to
/// read back identical (a NaN or infinity would be written as 0).
[[nodiscard]] nlohmann::json sender_part_to_json(const RunResult& r);

/// Reads sender_part_to_json()'s form into `out`: its message_bytes,
/// measured_ns, sender_flows, sender, send_loops, pacing, zerocopy, latency,
/// latency_from_actual, start, intervals, complete, error and warnings,
/// nothing else (the receiver part stays as it was). Strict, for input from
/// the network: every field must be present with its type and in range
/// (integers whole and non-negative, but send_loops[i].cpu in [-1, 2^31 - 1];
/// flow ids, message_bytes and TCP_INFO fields 32-bit; doubles finite and
/// >= 0; at most kMaxSenderFlows flows, kMaxIntervals intervals,
/// kMaxWarnings warnings of kMaxWarningChars bytes, an error of
/// kMaxErrorChars bytes, each bound checked before anything is allocated),
/// distributions and loss reports self-consistent, intervals as
/// interval_from_json() reads them, histograms canonical base64 of a valid
/// serialization. Keys it does not know are ignored. On failure returns
/// false, leaves `out` unchanged and sets `error` to one line naming the
/// field by its path, e.g. "sender_flows[2].reply_loss.lost: not sent -
/// unique"; clears `error` on success. Never throws.
bool sender_part_from_json(const nlohmann::json& j, RunResult& out, std::string& error) noexcept;

/// One IntervalRecord as JSON: every member under its own name
///   {start_ns, end_ns, sent_messages, sent_bytes, received_messages,
///    received_bytes, reordered, duplicates, latency_samples, latency_p50_ns,
///    latency_p99_ns, warmup}
/// (the live interval lines of a remote run, and sender_part_to_json()'s
/// "intervals").
[[nodiscard]] nlohmann::json interval_to_json(const IntervalRecord& r);

/// Reads interval_to_json()'s form: every member present, integers whole
/// and non-negative, start_ns <= end_ns, `warmup` a boolean; unknown keys
/// ignored. On failure returns false, leaves `out` unchanged and sets
/// `error` to one line naming the field ("end_ns: before start_ns"); clears
/// `error` on success. Never throws.
bool interval_from_json(const nlohmann::json& j, IntervalRecord& out, std::string& error) noexcept;

}  // namespace netbench::app
