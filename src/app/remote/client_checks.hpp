#pragma once

#include <chrono>
#include <cstdint>
#include <string>

#include "app/control/messages.hpp"
#include "netbench/receiver.hpp"
#include "netbench/results.hpp"
#include "netbench/test_spec.hpp"

namespace netbench::app {

// What the remote client accepts from a server, given the test it asked
// for: a server is a peer like any other, possibly hostile or broken, and
// may make the client allocate or wait only what the test can need
// (README, "Remote runs"). Pure; thread-safe.

/// The largest a histogram can be on the wire, bytes of base64: 33,793
/// buckets of at most 10 bytes each, plus its header, is 338 KB, 451 KB as
/// base64.
inline constexpr std::uint32_t kMaxHistogramWireBytes = 512U << 10;

/// Largest "hello", "ready", "registered" or "error" taken: 4 KiB and
/// 8 bytes per flow (one port in "ready"), bytes.
[[nodiscard]] std::uint32_t max_setup_message_bytes(const TestSpec& spec) noexcept;
/// Largest "live" taken: 8 KiB of totals and one histogram, bytes.
[[nodiscard]] std::uint32_t max_live_message_bytes() noexcept;
/// Largest "result" taken: 64 KiB, 6 KiB per flow (a flow's figures and its
/// two distributions at their widest) and three histograms; at most
/// kMaxControlBytes. 1.6 MiB for one flow.
[[nodiscard]] std::uint32_t max_result_message_bytes(const TestSpec& spec) noexcept;

/// How long the client waits for any one reply during the test (a "live",
/// "registered"): max(2 s, 2 × the interval).
[[nodiscard]] std::chrono::milliseconds reply_deadline(const TestSpec& spec) noexcept;

/// Empty when `ready` fits the test: one port for TCP (every loop shares
/// it), one per flow for UDP, none of them 0, and a token for UDP.
/// Otherwise one line saying what is wrong.
[[nodiscard]] std::string check_ready(const TestSpec& spec, const Ready& ready);

/// Empty when `now` can follow `before` in the same test: no total goes
/// down, at most spec.flows flows, finished_flows <= flows. Otherwise one line.
[[nodiscard]] std::string check_live(const TestSpec& spec, const ReceiverLive& before,
                                     const ReceiverLive& now);

/// Empty when a result's receiver part `part` is one of this test: exactly
/// spec.flows receiver flows for UDP, at most that many for TCP (a
/// connection that sent nothing has no flow id), each flow id below
/// spec.flows and none twice.
/// Otherwise one line.
[[nodiscard]] std::string check_result(const TestSpec& spec, const RunResult& part);

}  // namespace netbench::app
