#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "netbench/test_spec.hpp"

namespace CLI {
class App;
}  // namespace CLI

namespace netbench::app {

/// Control port of `netbench serve` when none is given.
inline constexpr std::uint16_t kDefaultServePort = 5201;

/// Raw command-line values of one run (or, for `netbench sweep`, of every
/// point: there proto, model, mode, flows, size, rate and bitrate hold comma
/// lists) before they are checked and turned into a TestSpec by make_spec().
struct RunArgs {
  std::string proto = "tcp";
  std::string model = "epoll";
  std::string mode = "stream";
  std::string pattern = "constant";
  /// forward, reverse or bidir (-R/--reverse, --bidir; a sweep's --direction
  /// comma list).
  std::string direction = "forward";
  std::string flows = "1";
  std::string size;     ///< empty = the default for proto and mode
  std::string rate;     ///< empty = unlimited
  std::string bitrate;  ///< empty = unlimited
  /// -b (iperf3's meaning): bits/s per flow, the total being it times the
  /// flows; empty = not given.
  std::string bitrate_per_flow;
  std::string duration = "5s";
  bool duration_given = false;  ///< --duration was on the command line
  std::uint64_t count = 0;
  bool count_given = false;  ///< --count was on the command line
  /// A point of a sweep: flags that apply to some points only (--batch for
  /// UDP, --threads for the multiplexers) are not refused per point.
  bool sweep_point = false;
  std::string warmup = "0s";
  std::string interval = "1s";
  std::uint32_t outstanding = 1;
  /// A sweep's --outstanding LIST (comma list); empty = not given.
  std::string outstanding_list;
  std::string close;  ///< --close fin|rst; empty = fin
  std::uint32_t threads = 1;
  std::string sender_threads = "1";  ///< --sender-threads K|auto
  std::uint32_t batch = 1;
  bool busy_poll = false;      ///< --busy-poll: spin instead of sleeping
  std::string pacing;          ///< --pacing sleep|spin ("": the default, sleep)
  bool gso = false;            ///< --gso: UDP_SEGMENT sends, UDP_GRO receives
  bool zerocopy = false;       ///< --zerocopy: MSG_ZEROCOPY sends
  bool skip_rx_copy = false;   ///< --skip-rx-copy: MSG_TRUNC receives
  std::string cpu;             ///< --cpu SENDER[,RECEIVER] CPU lists; empty = not pinned
  bool nodelay = false;        ///< --nodelay: TCP_NODELAY in every mode
  bool no_nodelay = false;     ///< --no-nodelay: no TCP_NODELAY, even for echo
  std::string stats = "full";  ///< --stats full|counts
  /// --per-flow auto|full|summary|none
  std::string per_flow = "auto";
  std::string coalesce = "0";  ///< --coalesce: receiver pause before each wait
  bool v4 = false;
  bool v6 = false;
  std::string buffer;
  std::string congestion;       ///< --congestion ALGO; empty = the kernel's default
  std::string tos;              ///< --tos V (0-255, decimal or 0x hex); empty = not set
  std::string dscp;             ///< --dscp V (0-63): --tos V << 2; empty = not set
  std::string mss;              ///< --mss N (TCP_MAXSEG); empty = the kernel's
  std::string fq_rate;          ///< --fq-rate R bits/s per socket; empty = none
  std::string cport;            ///< --cport P: source port of flow 0 (flow i: P + i); empty = any
  std::string bind_dev;         ///< --bind-dev IF: SO_BINDTODEVICE; empty = any interface
  std::string probe;            ///< --probe RATE: latency probe requests/s; empty = none
  std::uint32_t receivers = 1;  ///< --receivers N: fan-out receivers
  bool receivers_given =
      false;                 ///< --receivers was given (a remote fan-out's count is --connect's)
  std::string multicast;     ///< --multicast GROUP; empty = none
  bool broadcast = false;    ///< --broadcast
  std::string receiver_dev;  ///< --receiver-dev IF,IF,...; empty = none
  std::string bind;
  int port = 0;
  /// -p (iperf3's meaning): with --connect, the server's port unless
  /// HOST:PORT names one; without, the receiver's port (--port). -1 = not given.
  int short_port = -1;
  bool json = false;
  std::string output;
  bool quiet = false;
  bool json_lines = false;      ///< single run: one JSON event per line on stdout
  std::string connect;          ///< HOST[:PORT] of a netbench serve; empty = paired run
  std::string auth_token;       ///< --auth-token / NETBENCH_AUTH_TOKEN for --connect; empty = none
  bool plain_echo = false;      ///< --connect names a foreign RFC 862 echo server
  std::string start_at;         ///< --start-at TIME (single runs); empty = at once
  std::string repeat;           ///< --repeat N|auto; empty = one run
  std::string ci_width = "5%";  ///< --ci-width of --repeat auto
  std::string seed;             ///< --seed; empty = drawn at random and recorded
  std::string cooldown = "0s";  ///< --cooldown between repeated runs
};

/// How add_run_options() describes the flags that take one value per run.
enum class RunOptionStyle : std::uint8_t {
  kSingle,  ///< `netbench [options]`: one value each
  kSweep,   ///< `netbench sweep`: proto, model, mode, flows, size, rate, bitrate take comma lists
};

/// Registers every flag of a run on `app` (or a subcommand), bound to `a`,
/// which must outlive the parse. --plain-echo is not among them: only a
/// single run takes it.
void add_run_options(CLI::App& app, RunArgs& a, RunOptionStyle style);

/// Checks `a` (one value per flag) and turns it into a validated spec.
/// Throws UsageError with a one-line message naming the flag.
[[nodiscard]] TestSpec make_spec(const RunArgs& a);

/// Farthest `--start-at` may lie from now, either way, ns (a day): beyond
/// it the time is a typo, not a plan.
inline constexpr std::uint64_t kStartAtHorizonNs = 86'400'000'000'000ULL;

/// `--start-at TEXT` as ns since the Unix epoch, checked against `now_unix_ns`
/// (the wall clock): throws UsageError naming the flag when TEXT is no time
/// parse_wall_time() reads or lies more than kStartAtHorizonNs away. A time
/// that has just passed is accepted: the run starts at once and its
/// start skew says how late.
[[nodiscard]] std::uint64_t start_at_of(const std::string& text, std::uint64_t now_unix_ns);

/// `text` as a duration in ns; throws UsageError naming `flag` otherwise.
[[nodiscard]] std::uint64_t duration_of(const std::string& flag, const std::string& text,
                                        bool allow_zero);

/// Splits "host", "host:port", "[v6]:port" or a bare IPv6 address of
/// --connect; `fallback` when no port is given. Throws UsageError.
[[nodiscard]] std::pair<std::string, std::uint16_t> split_host_port(const std::string& text,
                                                                    std::uint16_t fallback);

/// The host and port --connect (and -p) of `a` name; `fallback` when neither
/// gives a port. Throws UsageError when both give one and they differ.
[[nodiscard]] std::pair<std::string, std::uint16_t> connect_target(const RunArgs& a,
                                                                   std::uint16_t fallback);

/// Every server of a comma-separated --connect list (remote fan-out), in
/// order, each as connect_target() reads one (`-p` is the port of those
/// without one). One element when --connect names one server. Throws
/// UsageError (an empty element, a bad host or port).
[[nodiscard]] std::vector<std::pair<std::string, std::uint16_t>> connect_targets(
    const RunArgs& a, std::uint16_t fallback);

}  // namespace netbench::app
