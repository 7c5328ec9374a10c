#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "app/control/control_channel.hpp"
#include "netbench/latency_histogram.hpp"
#include "netbench/receiver.hpp"
#include "netbench/registration.hpp"
#include "netbench/results.hpp"
#include "netbench/test_spec.hpp"

namespace netbench::app {

// The messages of the control protocol (version kControlVersion), each as a
// plain struct with one encode() and one decode() here, so that what one side
// writes and the other reads cannot drift apart. A session goes:
//   client -> Hello, server -> Hello (or Error);
//   client -> Test, server -> Ready (or Error);
//   UDP: the client sends the Ready token on every flow, server -> Registered;
//   stream mode: client -> Poll, server -> Live, once per interval;
//   client -> Done, server -> Result (or Error).
// A --reverse test (the server sends) goes the other way once set up:
//   client -> Test, server -> Ready (its flow ports; UDP: a token);
//   the client opens every flow (UDP: sends the token on each), server ->
//   Registered once every flow is in; client -> Go once its receiver runs;
//   server -> Poll, client -> Live (or Stop: the user interrupted), once per
//   interval and while draining; server -> Interval per interval record;
//   server -> Report (the sender's part of the run) at the end.
// Every encode() writes {"type": NAME, ...}. Every decode() is strict and
// never throws: it checks the type and every field's JSON type and range,
// and on failure returns false with `error` set to one line naming the field
// ("live.flows: must be an integer from 0 to 4294967295"); `out` is then
// unspecified. Keys it does not know are ignored. Pure; thread-safe.

/// "hello": the client's first message, and the server's answer to it.
struct Hello {
  int version = kControlVersion;
  /// Client: the shared secret for a server started with --auth-token.
  std::optional<std::string> token;
  /// Server: what answers ("netbench 0.9.0").
  std::optional<std::string> server;
};

/// "test": the spec the client wants run, and its clock when it sent it.
struct Test {
  TestSpec spec;
  /// The client's CLOCK_MONOTONIC reading, ns (the server compares it with
  /// its own to see whether both share one clock, clock_match.hpp).
  std::optional<std::uint64_t> clock_ns;
  /// The client's kernel boot id; "" when it sent none.
  std::string boot_id;
  /// The client's measured hello round trip, ns (0: not measured).
  std::uint64_t rtt_ns = 0;
  /// --bidir: the reverse half names the pair token its forward half's
  /// "ready" gave; the server runs it beside that test, in its slot.
  std::optional<RegistrationToken> pair;
  /// Remote fan-out, every server after the first: flow i's socket binds
  /// fanout_ports[i] on the group (the first server's ports, so that one
  /// datagram to group:port reaches every server). Empty: free ports. When
  /// given, one per flow, none 0, and only with a fan-out config.
  std::vector<std::uint16_t> fanout_ports;
};

/// "ready": the server's data sockets are set up.
struct Ready {
  std::vector<std::uint16_t> ports;  ///< the data port of each flow (TCP: one per loop)
  /// UDP: what each flow must send to register (hex on the wire).
  std::optional<RegistrationToken> token;
  /// Which clock one-way figures use; "unknown" when the server says nothing.
  std::string clock = "unknown";
  /// --bidir, forward half: what the reverse half's "test" must name.
  std::optional<RegistrationToken> pair;
};

/// "registered": every UDP flow has registered; the test may start.
struct Registered {};

/// "poll": the client asks for the receiver's live totals (stream mode).
struct Poll {};

/// "live": the receiver's running totals and the latency samples taken since
/// the previous poll.
struct Live {
  ReceiverLive totals;
  LatencyHistogram latency;
};

/// "done": the client has stopped sending; what it sent on each flow.
struct Done {
  std::vector<std::uint64_t> sent_by_flow;
};

/// "result": the receiver's part of the run (result_codec.hpp) and its error.
struct Result {
  RunResult receiver;  ///< receiver_flows, receiver, latency histograms
  std::string error;   ///< the receiver's own error; empty when none
};

/// "go": --reverse, client: its receiver runs; the server may send.
struct Go {};

/// "stop": --reverse, client: the answer to a poll when the user stopped the
/// test (Ctrl-C); the server ends its sender early.
struct Stop {};

/// "interval": --reverse, server: one interval record, as it is measured.
struct Interval {
  IntervalRecord record;
};

/// "report": --reverse, server: the sender's part of the run
/// (sender_codec.hpp), the intervals, warnings and how the run ended.
struct Report {
  RunResult sender;
};

/// "error": the server refuses or ends the session; `error` is one line.
struct Error {
  std::string error;
};

/// True when `message` is an object whose "type" is `type`. For choosing
/// which decode() applies.
[[nodiscard]] bool has_type(const nlohmann::json& message, std::string_view type) noexcept;

/// The message as JSON, {"type": NAME, ...}; optional fields only when set.
[[nodiscard]] nlohmann::json encode(const Hello& m);
[[nodiscard]] nlohmann::json encode(const Test& m);
[[nodiscard]] nlohmann::json encode(const Ready& m);
[[nodiscard]] nlohmann::json encode(const Registered& m);
[[nodiscard]] nlohmann::json encode(const Poll& m);
[[nodiscard]] nlohmann::json encode(const Live& m);
[[nodiscard]] nlohmann::json encode(const Done& m);
[[nodiscard]] nlohmann::json encode(const Result& m);
[[nodiscard]] nlohmann::json encode(const Error& m);
[[nodiscard]] nlohmann::json encode(const Go& m);
[[nodiscard]] nlohmann::json encode(const Stop& m);
[[nodiscard]] nlohmann::json encode(const Interval& m);
[[nodiscard]] nlohmann::json encode(const Report& m);

/// Strict decoders, as described above; each checks "type" first.
/// The version must be an integer in int's range; whether it is ours is the
/// server's decision.
bool decode(const nlohmann::json& j, Hello& out, std::string& error) noexcept;
/// "config" through spec_from_json() (its error names "config.FIELD").
bool decode(const nlohmann::json& j, Test& out, std::string& error) noexcept;
bool decode(const nlohmann::json& j, Ready& out, std::string& error) noexcept;
bool decode(const nlohmann::json& j, Registered& out, std::string& error) noexcept;
bool decode(const nlohmann::json& j, Poll& out, std::string& error) noexcept;
bool decode(const nlohmann::json& j, Live& out, std::string& error) noexcept;
/// At most kMaxReceiverFlows counts; whether there is one per flow is the
/// caller's check.
bool decode(const nlohmann::json& j, Done& out, std::string& error) noexcept;
/// "receiver" through receiver_part_from_json() (its error names the path
/// inside "receiver"); "error" may be absent.
bool decode(const nlohmann::json& j, Result& out, std::string& error) noexcept;
bool decode(const nlohmann::json& j, Error& out, std::string& error) noexcept;
bool decode(const nlohmann::json& j, Go& out, std::string& error) noexcept;
bool decode(const nlohmann::json& j, Stop& out, std::string& error) noexcept;
bool decode(const nlohmann::json& j, Interval& out, std::string& error) noexcept;
/// Fills only the sender's part of out.sender (sender_part_from_json()).
bool decode(const nlohmann::json& j, Report& out, std::string& error) noexcept;

}  // namespace netbench::app
