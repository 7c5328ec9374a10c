#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "netbench/model_info.hpp"

namespace netbench {

/// Transport under test.
enum class Proto : std::uint8_t { kTcp, kUdp };
/// stream: one way, receiver measures; echo: request/response, client
/// measures; connect: one request/response per fresh connection (TCP) or
/// fresh socket (UDP), a transaction the client measures.
enum class Mode : std::uint8_t { kStream, kEcho, kConnect };
/// How the client ends a connect-mode TCP transaction (`--close`): kFin, an
/// orderly close() (the client, closing first, holds TIME_WAIT); kRst,
/// SO_LINGER 0, which resets the connection and leaves no TIME_WAIT.
enum class Close : std::uint8_t { kFin, kRst };
/// Inter-send gaps of a rate-limited sender.
enum class Pattern : std::uint8_t { kConstant, kPoisson };
/// Address family: kAny listens dual-stack and connects over IPv4 loopback.
enum class Family : std::uint8_t { kAny, kV4, kV6 };
/// An on/off setting whose default depends on the test (kAuto).
enum class Toggle : std::uint8_t { kAuto, kOn, kOff };
/// How much each message is measured. kFull: sequence tracking (loss,
/// duplicates, reordering), one-way delay or RTT histograms, jitter.
/// kCounts: messages and bytes only; the rest is not measured.
enum class StatsLevel : std::uint8_t { kFull, kCounts };
/// What reports list per flow. kFull: every flow; kSummary: the spread over
/// the flows (FlowSummary) without the flows themselves; kNone: neither;
/// kAuto: kFull up to kPerFlowAutoLimit flows, kSummary above. Output only:
/// the engines always measure every flow.
enum class PerFlowOutput : std::uint8_t { kAuto, kFull, kSummary, kNone };

/// Which way a test's data goes (`--reverse`, `--bidir`). The client opens
/// every data connection whatever the direction (TCP connect; UDP: the
/// client's flow sockets, to which the server's sockets connect back).
/// kForward: the client sends, the server receives; kReverse: the server
/// sends over the connections the client opened, the client receives;
/// kBidir: both at once, each direction on connections of its own.
enum class Direction : std::uint8_t { kForward, kReverse, kBidir };

/// Most flows `--per-flow auto` still lists one by one.
inline constexpr std::uint32_t kPerFlowAutoLimit = 64;

/// Everything that defines one test. Plain data; validate() checks it.
/// Rates and counts are totals over all flows, split evenly.
struct TestSpec {
  Proto proto = Proto::kTcp;
  ModelKind model = ModelKind::kEpoll;
  Mode mode = Mode::kStream;
  Pattern pattern = Pattern::kConstant;
  Family family = Family::kAny;
  /// Which way the data goes; the model is always the receiving engine's
  /// (under kReverse, the client's).
  Direction direction = Direction::kForward;
  std::uint32_t flows = 1;                    ///< TCP connections or UDP flows
  std::uint32_t size_bytes = 0;               ///< message size, header included; 0 = default_size()
  double rate_msgs_per_s = 0;                 ///< total offered messages/s; 0 = unlimited
  std::uint64_t duration_ns = 5'000'000'000;  ///< measured period (after warm-up)
  std::uint64_t count = 0;                    ///< total measured messages; 0 = run for duration_ns
  std::uint64_t warmup_ns = 0;                ///< warm-up before the measured period
  std::uint64_t interval_ns = 1'000'000'000;  ///< reporting interval
  std::uint32_t outstanding = 1;  ///< echo requests / connect transactions in flight per flow
  Close close = Close::kFin;      ///< connect mode, TCP: how the client closes
  std::uint32_t batch = 1;        ///< UDP: datagrams per sendmmsg when due together
  std::uint32_t threads = 1;      ///< event loops of select/poll/epoll
  /// Send loops (threads) of the sender, each owning every K-th flow; 0 =
  /// auto: one per flow, up to the CPUs the sender may use. Never more than
  /// the flows (see sender_loop_count()).
  std::uint32_t sender_threads = 1;
  /// Spin instead of sleeping: the receiver's waits use a zero timeout (the
  /// thread model spins on non-blocking reads), the sender never sleeps.
  bool busy_poll = false;
  /// Paced sender: spin the last 60 µs before each send (precise, but a
  /// whole core at any rate) instead of sleeping to the deadline and sending
  /// what is due then in one go (the default: `--pacing sleep`).
  bool pacing_spin = false;
  /// UDP: the sender coalesces up to kMaxGsoSegments due datagrams of a flow
  /// into one send with UDP_SEGMENT; the receiver takes them with UDP_GRO.
  bool gso = false;
  /// `--zerocopy`: the sender's data sockets get SO_ZEROCOPY and every send
  /// MSG_ZEROCOPY; completions are reaped from the error queue. The
  /// sender's own: a remote server is not told.
  bool zerocopy = false;
  /// `--skip-rx-copy`: the receiver reads only message headers and discards
  /// payloads with MSG_TRUNC (stream mode only: an echo needs the bytes).
  bool skip_rx_copy = false;
  /// Receiver: sleep this long (ns) before each wait for the sockets, so
  /// that messages pile up and are read in batches, and the sender's softirq
  /// rarely finds a sleeper to wake. 0 = off. Adds up to this much delay.
  std::uint64_t coalesce_ns = 0;
  std::uint32_t socket_buffer_bytes =
      0;  ///< SO_RCVBUF/SO_SNDBUF of data sockets; 0 = kernel default
  /// TCP_NODELAY on both ends' data sockets; kAuto = on for echo, off for stream.
  Toggle nodelay = Toggle::kAuto;
  StatsLevel stats = StatsLevel::kFull;  ///< per-message statistics
  /// Per-flow output of the reports (`--per-flow`); the client applies it,
  /// a remote server never sees it.
  PerFlowOutput per_flow = PerFlowOutput::kAuto;
  /// CPUs of the sender's threads: send loop i is pinned to the i-th CPU of
  /// the list, round robin (sched_setaffinity); empty = any.
  std::vector<std::uint32_t> sender_cpus;
  /// CPUs of the receiver's threads (the server's, when remote): event loop
  /// i, or the thread of flow i, on the i-th CPU of the list, round robin;
  /// empty = any.
  std::vector<std::uint32_t> receiver_cpus;
  /// TCP_CONGESTION of every TCP data socket, both ends (`--congestion`);
  /// empty = the kernel's default (net.ipv4.tcp_congestion_control).
  std::string congestion;
  /// IP_TOS (and IPV6_TCLASS) of every data socket, both ends (`--tos`, or
  /// `--dscp` V as V << 2); -1 = not set (the kernel's 0). For TCP the
  /// kernel keeps the two ECN bits to itself.
  std::int32_t tos = -1;
  /// TCP_MAXSEG of every TCP data socket, both ends (`--mss`), set before
  /// the connection is made so that the SYN announces it; 0 = the kernel's.
  std::uint32_t mss_bytes = 0;
  /// SO_MAX_PACING_RATE of every data socket (`--fq-rate`), bits/s per
  /// socket: kernel pacing per flow (TCP's own, or the fq qdisc), beside
  /// netbench's --rate/--bitrate; 0 = none.
  std::uint64_t fq_rate_bps = 0;
  /// Source port of the sender's flow 0 (`--cport`); flow i binds
  /// client_port + i. 0 = ports the kernel picks. The sender's own: a remote
  /// server is not told.
  std::uint16_t client_port = 0;
  /// SO_BINDTODEVICE of every data socket on this host (`--bind-dev`): the
  /// sender's, and in a paired run the receiver's too; a remote server is
  /// not told (its interfaces are its own). Empty = any interface.
  std::string bind_device;
  /// `--probe RATE`: requests/s of a latency probe, one UDP echo flow run
  /// alone (idle) and then beside the test's flows (loaded); 0 = none. The
  /// client's: the probe is a test of its own for a remote server.
  double probe_rate_msgs_per_s = 0;
  /// Wall-clock time (CLOCK_REALTIME, ns since the Unix epoch) at which the
  /// sender starts (`--start-at`), so that the clients of a fleet start
  /// together; 0 = at once. The client applies it; a remote server never
  /// sees it.
  std::uint64_t start_at_unix_ns = 0;
  /// Fan-out (`--multicast GROUP`): every flow's datagrams go to this IPv4
  /// multicast group, and each of the `receivers` joins it and gets a copy;
  /// empty = no multicast. See fanout().
  std::string multicast_group;
  /// Fan-out (`--broadcast`): every flow's datagrams go to the directed
  /// broadcast address of the interface holding bind_address (127.255.255.255
  /// on loopback), and each of the `receivers` listens there.
  bool broadcast = false;
  /// Fan-out (`--receivers N`): how many receivers get every datagram; 1
  /// without fan-out.
  std::uint32_t receivers = 1;
  /// Fan-out (`--receiver-dev`): receiver i's sockets are bound to
  /// (SO_BINDTODEVICE) and join the group on interface i; empty = every
  /// receiver on bind_device, or on the interface of bind_address.
  std::vector<std::string> receiver_devices;
  /// Receiver listen address; empty = loopback. Fan-out: the address of the
  /// interface the datagrams leave by (IP_MULTICAST_IF) and the receivers
  /// join on; the receivers bind the group or broadcast address.
  std::string bind_address;
  std::uint16_t port = 0;  ///< receiver port; 0 = any free port

  /// Message size actually used (bytes): size_bytes, or the default for the
  /// protocol and mode (TCP stream 128 KiB, UDP stream 1400 B, echo 64 B).
  [[nodiscard]] std::uint32_t message_bytes() const noexcept;
  /// True for echo and connect: the server answers, the client measures.
  [[nodiscard]] bool replies() const noexcept { return mode != Mode::kStream; }
  /// True for an open-loop echo test (a rate is set).
  [[nodiscard]] bool open_loop() const noexcept { return rate_msgs_per_s > 0; }
  /// Whether TCP data sockets get TCP_NODELAY (nodelay resolved for the mode).
  [[nodiscard]] bool tcp_nodelay() const noexcept {
    return nodelay == Toggle::kAuto ? replies() : nodelay == Toggle::kOn;
  }
  /// False when per-message statistics are off (StatsLevel::kCounts).
  [[nodiscard]] bool full_stats() const noexcept { return stats == StatsLevel::kFull; }
  /// True for a fan-out run (`--multicast` or `--broadcast`): one sender,
  /// `receivers` receivers of every datagram.
  [[nodiscard]] bool fanout() const noexcept { return broadcast || !multicast_group.empty(); }
  /// per_flow with kAuto resolved for `flows`: kFull, kSummary or kNone.
  [[nodiscard]] PerFlowOutput per_flow_output() const noexcept {
    if (per_flow != PerFlowOutput::kAuto) {
      return per_flow;
    }
    return flows > kPerFlowAutoLimit ? PerFlowOutput::kSummary : PerFlowOutput::kFull;
  }
};

/// Most datagrams one UDP_SEGMENT send carries (the kernel's UDP_MAX_SEGMENTS).
inline constexpr std::uint32_t kMaxGsoSegments = 64;
/// Most payload bytes one UDP_SEGMENT send carries (under the 65,507-byte
/// UDP limit of IPv4).
inline constexpr std::uint32_t kMaxGsoBytes = 65'000;

/// Most bytes of a TCP congestion control algorithm's name (TCP_CA_NAME_MAX
/// less its terminating zero).
inline constexpr std::size_t kMaxCongestionNameBytes = 15;
/// Highest --probe rate, requests/s: a probe measures the path, it does not load it.
inline constexpr double kMaxProbeRate = 10'000;
/// Size of an interface name buffer, its terminating zero included (IFNAMSIZ).
inline constexpr std::size_t kMaxInterfaceNameBytes = 16;
/// The range of TCP_MAXSEG the kernel accepts (TCP_MIN_MSS, MAX_TCP_WINDOW).
inline constexpr std::uint32_t kMinMssBytes = 88;
inline constexpr std::uint32_t kMaxMssBytes = 32'767;

/// Most receivers of one fan-out run (`--receivers`).
inline constexpr std::uint32_t kMaxReceivers = 64;

/// Throws ConfigError with a one-line message naming the bad field and what
/// to do, if the spec cannot be run.
void validate(const TestSpec& spec);
/// The fan-out part of validate(): `--receivers`, `--multicast`,
/// `--broadcast`, `--receiver-dev` and what they cannot go with.
void validate_fanout(const TestSpec& spec);

/// Throws ConfigError unless every CPU in `cpus` is one this process may run
/// on (sched_getaffinity); `what` names the setting in the message.
void check_cpus_available(const std::vector<std::uint32_t>& cpus, const std::string& what);

/// Names used on the command line and in JSON ("tcp", "epoll", ...).
[[nodiscard]] std::string_view to_string(Proto p) noexcept;
[[nodiscard]] std::string_view to_string(ModelKind m) noexcept;
[[nodiscard]] std::string_view to_string(Mode m) noexcept;
[[nodiscard]] std::string_view to_string(Close c) noexcept;
[[nodiscard]] std::string_view to_string(Pattern p) noexcept;
[[nodiscard]] std::string_view to_string(Family f) noexcept;
[[nodiscard]] std::string_view to_string(StatsLevel l) noexcept;
[[nodiscard]] std::string_view to_string(PerFlowOutput p) noexcept;
[[nodiscard]] std::string_view to_string(Direction d) noexcept;
/// Parsers of those names; false if `text` names none.
bool parse(std::string_view text, Proto& out) noexcept;
bool parse(std::string_view text, ModelKind& out) noexcept;
bool parse(std::string_view text, Mode& out) noexcept;
bool parse(std::string_view text, Close& out) noexcept;
bool parse(std::string_view text, Pattern& out) noexcept;
bool parse(std::string_view text, StatsLevel& out) noexcept;
bool parse(std::string_view text, PerFlowOutput& out) noexcept;
bool parse(std::string_view text, Direction& out) noexcept;

}  // namespace netbench
