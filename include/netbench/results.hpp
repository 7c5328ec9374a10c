#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "netbench/count_distribution.hpp"
#include "netbench/latency_histogram.hpp"
#include "netbench/sequence_tracker.hpp"
#include "netbench/test_spec.hpp"

namespace netbench {

/// CPU cost of one side's threads (getrusage(RUSAGE_THREAD), summed).
struct CpuUsage {
  double user_s = 0;
  double sys_s = 0;
  std::uint64_t voluntary_switches = 0;    ///< blocked waiting (ru_nvcsw)
  std::uint64_t involuntary_switches = 0;  ///< preempted (ru_nivcsw)
  std::uint64_t threads = 0;               ///< threads measured
  void add(const CpuUsage& o) noexcept;
};

/// Multiplexer activity of one side: select/poll/epoll_wait returns.
struct LoopStats {
  std::uint64_t wakeups = 0;       ///< calls that returned
  std::uint64_t ready_events = 0;  ///< descriptors reported ready, summed
  void add(const LoopStats& o) noexcept {
    wakeups += o.wakeups;
    ready_events += o.ready_events;
  }
};

/// Kernel view of one TCP connection at the end of the test (TCP_INFO).
struct TcpKernelInfo {
  bool valid = false;
  std::uint64_t retransmits = 0;  ///< tcpi_total_retrans, segments
  std::uint32_t srtt_us = 0;      ///< tcpi_rtt, µs
  std::uint32_t rttvar_us = 0;    ///< tcpi_rttvar, µs
  std::uint32_t cwnd_segments = 0;
  std::uint32_t mss_bytes = 0;     ///< tcpi_snd_mss
  std::uint64_t segments_out = 0;  ///< tcpi_segs_out
  std::uint64_t segments_in = 0;   ///< tcpi_segs_in
};

/// `--zerocopy`: what became of the sender's MSG_ZEROCOPY sends. Each send
/// call the kernel took gets a notification id; the kernel reports ranges of
/// completed ids on the socket's error queue, flagged when it had to copy
/// the data after all (SO_EE_CODE_ZEROCOPY_COPIED: always on loopback).
struct ZeroCopyStats {
  std::uint64_t sends = 0;          ///< send calls with MSG_ZEROCOPY the kernel took (ids)
  std::uint64_t notifications = 0;  ///< completion notifications read (each a range of ids)
  std::uint64_t completions = 0;    ///< ids completed: zerocopy + copied
  std::uint64_t zerocopy = 0;       ///< ids whose pages went out without a copy
  std::uint64_t copied = 0;         ///< ids the kernel copied anyway
  std::uint64_t enobufs_waits = 0;  ///< sends deferred on ENOBUFS (optmem) until completions came
  std::uint64_t buffer_waits = 0;   ///< waits for completions: every header buffer was in flight
  /// Sends made without MSG_ZEROCOPY: ENOBUFS with nothing in flight, or
  /// after a UDP send error (which leaves the kernel's id count unknown).
  std::uint64_t copy_fallbacks = 0;
  std::uint64_t unexpected = 0;          ///< completed ids this side never issued (ignored)
  std::uint64_t outstanding_at_end = 0;  ///< ids without completion when the flow closed
  void add(const ZeroCopyStats& o) noexcept;
};

/// Sender-side figures of one flow (one TCP connection or UDP socket).
struct FlowSendStats {
  std::uint32_t flow_id = 0;
  std::uint64_t messages = 0;  ///< measured messages sent (seq 0..messages-1)
  std::uint64_t bytes = 0;     ///< application bytes of those
  std::uint64_t warmup_messages = 0;
  std::uint64_t send_failures = 0;  ///< UDP datagrams the kernel refused (ENOBUFS, ...)
  std::uint64_t would_block = 0;    ///< sends that hit a full socket buffer (EAGAIN), retried
  std::uint64_t replies = 0;        ///< echo: measured replies received
  std::uint64_t reply_bytes = 0;
  std::uint64_t replies_malformed = 0;
  std::uint64_t reply_reordered = 0;        ///< echo: replies that came back out of order
  std::uint64_t reply_duplicates = 0;       ///< echo: replies seen twice
  LossReport reply_loss;                    ///< echo: requests whose reply never came
  CountDistribution reply_reorder_extents;  ///< echo: NextExp − seq of reordered replies
  TcpKernelInfo tcp;
  ZeroCopyStats zerocopy;       ///< `--zerocopy` only
  bool closed_by_peer = false;  ///< the peer closed or reset mid-test
};

/// Receiver-side figures of one flow.
struct FlowRecvStats {
  std::uint32_t flow_id = 0;
  std::uint64_t messages = 0;  ///< measured messages received (duplicates included)
  std::uint64_t bytes = 0;
  std::uint64_t warmup_messages = 0;
  /// Datagrams or streams that failed to decode; a TCP stream the peer
  /// ended mid-message counts one (the truncated message).
  std::uint64_t malformed = 0;
  std::uint64_t unique = 0;
  std::uint64_t duplicates = 0;
  std::uint64_t reordered = 0;
  std::uint64_t beyond_window = 0;
  CountDistribution reorder_extents;  ///< NextExp − seq of reordered messages
  LossReport loss;                    ///< filled once the sender's count is known
  double jitter_ns = 0;               ///< RFC 3550 interarrival jitter
  /// UDP: datagrams the receiving socket dropped (buffer full): the kernel's
  /// SO_RXQ_OVFL count, with each dropped GRO batch counted as the datagrams
  /// it held (SocketDropCounter).
  std::uint64_t socket_drops = 0;
  /// Stream: receive time of the first and the last measured message, ns on
  /// the receiver's CLOCK_MONOTONIC (0 before any). Comparable between flows
  /// of one receiver, not with the sender's clock unless the run is paired.
  std::uint64_t first_arrival_ns = 0;
  std::uint64_t last_arrival_ns = 0;
  std::uint64_t echoed_messages = 0;  ///< echo mode: measured messages echoed back
  std::uint64_t echoed_bytes = 0;     ///< bytes of those (warm-up excluded)
  std::uint64_t echo_failures = 0;    ///< measured echo datagrams the kernel refused
  bool peer_closed = false;           ///< TCP: orderly close seen
  bool stream_error = false;          ///< TCP: malformed stream, connection dropped
};

/// How a `--model uring` receiver's rings were set up and serve: the nearest
/// path the kernel supports, per feature (the same on every ring of a test;
/// where rings differ, the older path of each).
struct UringPath {
  /// Setup flags in force: "single_issuer+defer_taskrun" (6.1),
  /// "coop_taskrun" (5.19) or "plain".
  std::string setup;
  bool multishot_accept = false;  ///< else one accept at a time, re-armed (5.19)
  /// A multishot receive filling a provided-buffer ring (6.0); else one
  /// receive at a time into the connection's own buffer, re-armed.
  bool multishot_receive = false;
  /// The single-shot path was forced by NETBENCH_URING_FORCE_FALLBACK (a
  /// test hook), not chosen for the kernel.
  bool forced = false;
  /// io_uring_params.features the kernel reported, as names
  /// ("single_mmap", "nodrop", "ext_arg", ...), in bit order.
  std::vector<std::string> features;
};

/// One side's costs and activity.
struct SideStats {
  CpuUsage cpu;
  LoopStats loop;
  /// TCP: the congestion control algorithm in use on this side's data
  /// sockets, read back with TCP_CONGESTION (the sender's first flow; the
  /// receiver's listening socket, which accepted connections inherit);
  /// empty for UDP or when it could not be read.
  std::string tcp_congestion;
  /// The receiver under --model uring: its io_uring path; empty otherwise.
  std::optional<UringPath> uring;
};

/// Pacing quality of the sender: how late each send was against its schedule.
struct PacingStats {
  double target_msgs_per_s = 0;  ///< 0 when unlimited
  LatencyHistogram lateness;     ///< actual − intended send time, ns
  std::uint64_t first_send_ns = 0;
  std::uint64_t last_send_ns = 0;
  std::uint64_t sends = 0;  ///< measured sends
  /// Achieved measured sends per second between the first and last send.
  [[nodiscard]] double achieved_msgs_per_s() const noexcept;
};

/// One reporting interval, both sides, totals over flows.
struct IntervalRecord {
  std::uint64_t start_ns = 0;  ///< since the start of the measured period
  std::uint64_t end_ns = 0;
  std::uint64_t sent_messages = 0;
  std::uint64_t sent_bytes = 0;
  std::uint64_t received_messages = 0;  ///< stream: receiver; echo: replies at the client
  std::uint64_t received_bytes = 0;
  std::uint64_t reordered = 0;
  std::uint64_t duplicates = 0;
  std::uint64_t latency_samples = 0;
  std::uint64_t latency_p50_ns = 0;
  std::uint64_t latency_p99_ns = 0;
  bool warmup = false;  ///< interval lies in the warm-up period
};

/// Everything one test measured. Plain data: the app layer formats it.
/// One send loop (thread) of the sender.
struct SendLoopStats {
  std::int32_t cpu = -1;       ///< the CPU it was pinned to; -1 = not pinned
  std::uint32_t flows = 0;     ///< flows dealt to it
  std::uint64_t messages = 0;  ///< measured messages it sent
  CpuUsage cpu_usage;          ///< its thread's CPU time
};

/// Who took the test's traffic.
enum class PeerKind : std::uint8_t {
  kInProcess,      ///< a Receiver in this process (paired run over loopback)
  kNetbenchServe,  ///< `netbench serve` over its control connection
  kPlainEcho,      ///< a foreign echo server: it reports nothing
};
[[nodiscard]] std::string_view to_string(PeerKind k) noexcept;

struct PeerInfo {
  PeerKind kind = PeerKind::kInProcess;
  /// "host:port" as connected ("[::1]:5201" for IPv6): the control
  /// connection of a netbench serve, a plain echo server's port, or a paired
  /// run's first data port.
  std::string address;
  bool ipv6 = false;  ///< the family actually used (not the one asked for)
};

/// Counters of the TCP stack from /proc/net/netstat (TcpExt): deltas over
/// one test. The file is per network namespace: the deltas include every
/// other connection of that namespace (the whole host, unless the test ran
/// in a namespace of its own).
struct TcpStackCounters {
  bool valid = false;                  ///< the file could be read before and after
  std::uint64_t listen_overflows = 0;  ///< ListenOverflows: accept queue full
  std::uint64_t listen_drops = 0;      ///< ListenDrops: SYNs or ACKs dropped at a listener
  std::uint64_t syn_retransmits = 0;   ///< TCPSynRetrans: SYNs sent again
};

/// Connect mode (`--mode connect`): a transaction opens a connection (TCP)
/// or a fresh socket (UDP), sends one request, reads its reply and closes.
struct ConnectStats {
  /// Client: from the start of connect() until the connection was
  /// established (TCP: writable with no error; UDP: connect() returned), ns.
  LatencyHistogram connect_latency;
  std::uint64_t transactions = 0;      ///< client: measured transactions completed
  std::uint64_t connect_failures = 0;  ///< client: measured connects refused, reset or timed out
  std::uint64_t transaction_failures = 0;  ///< client: connected, but no whole reply (reset, EOF)
  std::uint64_t reply_timeouts = 0;        ///< client, UDP: no reply within the timeout
  std::uint64_t server_accepts = 0;        ///< server: TCP connections accepted (warm-up too)
  /// Server, thread model: connection threads started (one per accepted
  /// TCP connection); 0 for the other models.
  std::uint64_t server_threads_started = 0;
  TcpStackCounters kernel;  ///< TCP only
};

/// One phase of the latency probe (`--probe`): its UDP echo flow's
/// requests, replies and RTT from the intended send time.
struct ProbePhase {
  bool complete = true;
  std::string error;              ///< why the phase ended early or never ran
  std::uint64_t measured_ns = 0;  ///< the phase's measured period
  std::uint64_t sent = 0;         ///< measured requests sent
  std::uint64_t replies = 0;      ///< measured replies received
  std::uint64_t lost = 0;         ///< requests whose reply never came
  LatencyHistogram rtt;           ///< RTT from the intended send time
};

/// The latency probe of a test: RTT alone (idle, before the bulk flows) and
/// beside the bulk flows (loaded).
struct ProbeResult {
  double rate_msgs_per_s = 0;
  ProbePhase idle;
  ProbePhase loaded;
};

/// When a run with `--start-at` started: the time asked for and the time
/// the sender actually started, both wall clock (CLOCK_REALTIME, ns since
/// the Unix epoch). Both 0 when the run had no start time.
struct StartTiming {
  std::uint64_t requested_unix_ns = 0;
  std::uint64_t actual_unix_ns = 0;
  [[nodiscard]] bool requested() const noexcept { return requested_unix_ns != 0; }
  /// How late the sender started, ns (actual − requested; 0 when early or
  /// not requested).
  [[nodiscard]] std::uint64_t skew_ns() const noexcept {
    return actual_unix_ns > requested_unix_ns ? actual_unix_ns - requested_unix_ns : 0;
  }
};

/// Fan-out (`--receivers N`): what one of the receivers measured, the
/// same figures a run's receiver part holds.
struct FanoutReceiver {
  std::uint32_t index = 0;  ///< 0 .. receivers − 1
  /// The interface it was bound to and joined on (`--receiver-dev`); empty
  /// = the one of the bind address (or --bind-dev).
  std::string device;
  /// Remote fan-out: the `netbench serve` that reported it ("HOST:PORT" as
  /// given to --connect); empty when it ran in this process.
  std::string host;
  std::vector<FlowRecvStats> flows;  ///< by flow id; loss against the sender's counts
  SideStats side;                    ///< its threads' costs
  LatencyHistogram latency;          ///< one-way delay from the intended send time
  LatencyHistogram latency_from_actual;
  LatencyHistogram delay_variation;
  std::string error;  ///< its serving error, or empty
};

struct RunResult {
  TestSpec spec;
  PeerInfo peer;
  std::uint32_t message_bytes = 0;
  std::uint64_t measured_ns = 0;  ///< measured period's actual length
  std::vector<FlowSendStats> sender_flows;
  std::vector<FlowRecvStats> receiver_flows;  ///< empty for plain-echo runs
  SideStats sender;
  std::vector<SendLoopStats> send_loops;  ///< the sender's threads, in loop order
  SideStats receiver;
  PacingStats pacing;
  /// `--zerocopy`: the sender's flows' figures summed; empty without it.
  std::optional<ZeroCopyStats> zerocopy;
  /// stream: one-way delay (receive − send, shared clock); echo: RTT from the
  /// intended send time (coordinated-omission corrected).
  LatencyHistogram latency;
  /// echo: RTT from the actual send time; stream: one-way delay from the
  /// actual send time (equal to `latency` when unpaced).
  LatencyHistogram latency_from_actual;
  /// |D| of RFC 3550 between consecutive arrivals (delay variation), ns.
  LatencyHistogram delay_variation;
  std::string clock = "shared CLOCK_MONOTONIC";  ///< clock used for one-way delay
  StartTiming start;                             ///< `--start-at`: asked for and actual start
  std::vector<IntervalRecord> intervals;
  ConnectStats connect;  ///< connect mode only
  bool complete = true;  ///< false if the test ended early
  std::string error;     ///< why it ended early
  /// Why a figure of this run may not be trusted (host CPU steal or other
  /// load, pacing behind schedule, ...): one line each, without a trailing
  /// newline. Reported as the run object's "warnings" array.
  std::vector<std::string> warnings;
  /// `--probe`: the latency probe's two phases; empty without one.
  std::optional<ProbeResult> probe;
  /// `--bidir`: this result is the forward direction's (client to server;
  /// spec.direction says kBidir), and this one element the reverse
  /// direction's (server to client), measured at the same time on
  /// connections of its own. Empty otherwise.
  std::vector<RunResult> reverse;
  /// Fan-out: each receiver's own figures, in receiver order; empty
  /// otherwise. The run's receiver part is then their aggregate (see
  /// add_fanout_receiver()).
  std::vector<FanoutReceiver> fanout;
};

/// Fan-out: adds receiver `rx` to `out`'s aggregate receiver part: each
/// flow's counts, loss (its `sent` too: messages × receivers) and socket
/// drops summed, arrival span widened, jitter the highest of the receivers'
/// (RFC 3550 jitters are never averaged), costs and histograms merged. Pure.
void add_fanout_receiver(RunResult& out, const FanoutReceiver& rx);
/// Fan-out: `r` as if receiver `k` had been the only one (its flows, costs
/// and histograms as the receiver part, no fanout list), for summarize().
[[nodiscard]] RunResult fanout_receiver_view(const RunResult& r, std::size_t k);

}  // namespace netbench
