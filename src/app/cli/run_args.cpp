#include "app/cli/run_args.hpp"

#include <arpa/inet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <string>
#include <vector>

#include "app/cli/copy_args.hpp"
#include "app/cli/exit_codes.hpp"
#include "app/cli/fanout_args.hpp"
#include "app/cli/units.hpp"
#include "netbench/clock.hpp"
#include "netbench/error.hpp"

namespace netbench::app {
namespace {

[[noreturn]] void usage_error(const std::string& text) { throw UsageError(text); }

template <typename E>
E parse_enum(const std::string& flag, const std::string& text, const std::string& choices) {
  E out{};
  if (!parse(text, out)) {
    usage_error(flag + " '" + text + "' is not one of " + choices);
  }
  return out;
}

std::uint32_t flows_of(const std::string& text) {
  // Digits only: strtoul would take "-1", " 4" or "4x".
  const bool digits =
      !text.empty() && text.size() <= 10 &&
      std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
  const unsigned long long n = digits ? std::strtoull(text.c_str(), nullptr, 10) : 0;
  if (!digits || n > UINT32_MAX) {
    usage_error("--flows '" + text + "' is not a number of flows; use e.g. 1, 16, 256");
  }
  return static_cast<std::uint32_t>(n);
}

/// One side of --cpu: "3", "0-3" or "0+2+4-5"; empty = unpinned.
std::vector<std::uint32_t> cpu_list_of(const std::string& all, const std::string& text) {
  std::vector<std::uint32_t> out;
  const auto bad = [&all]() {
    usage_error("--cpu '" + all +
                "' is not SENDER[,RECEIVER] CPU lists; use e.g. 0,1 or 0-1 or 0+2,1+3");
  };
  const auto number = [&bad](const std::string& t) {
    if (t.empty() || t.size() > 4 ||
        !std::all_of(t.begin(), t.end(), [](char c) { return c >= '0' && c <= '9'; })) {
      bad();
    }
    return static_cast<std::uint32_t>(std::strtoul(t.c_str(), nullptr, 10));
  };
  std::size_t start = 0;
  while (start <= text.size()) {
    const std::size_t plus = std::min(text.find('+', start), text.size());
    const std::string item = text.substr(start, plus - start);
    const std::size_t dash = item.find('-');
    const std::uint32_t lo = number(item.substr(0, dash));
    const std::uint32_t hi = dash == std::string::npos ? lo : number(item.substr(dash + 1));
    if (hi < lo || hi - lo > 1024) {
      bad();
    }
    for (std::uint32_t c = lo; c <= hi; ++c) {
      if (std::find(out.begin(), out.end(), c) == out.end()) {
        out.push_back(c);
      }
    }
    start = plus + 1;
  }
  return out;
}

/// A whole number of --tos, --dscp or --mss: decimal, or hex with 0x;
/// nullopt unless it is one in 0..`max`.
std::optional<std::uint32_t> number_up_to(const std::string& text, std::uint32_t max) {
  const bool hex = text.size() > 2 && text[0] == '0' && (text[1] == 'x' || text[1] == 'X');
  const std::string digits = hex ? text.substr(2) : text;
  const auto is_digit = [hex](char c) {
    return (c >= '0' && c <= '9') || (hex && ((c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')));
  };
  if (digits.empty() || digits.size() > 8 || !std::all_of(digits.begin(), digits.end(), is_digit)) {
    return std::nullopt;
  }
  const unsigned long n = std::strtoul(digits.c_str(), nullptr, hex ? 16 : 10);
  if (n > max) {
    return std::nullopt;
  }
  return static_cast<std::uint32_t>(n);
}

/// The socket knobs (--congestion, --tos/--dscp, --mss, --fq-rate) into `s`.
/// A sweep's UDP points drop the TCP-only ones, as they drop --batch's
/// counterpart for TCP.
void socket_knobs_of(const RunArgs& a, TestSpec& s) {
  const bool skip_tcp_only = a.sweep_point && s.proto != Proto::kTcp;
  if (!a.congestion.empty() && !skip_tcp_only) {
    s.congestion = a.congestion;
  }
  if (!a.tos.empty() && !a.dscp.empty()) {
    usage_error(
        "give --tos or --dscp, not both: --dscp V is --tos V<<2 (e.g. --dscp 46 = --tos "
        "184)");
  }
  if (!a.tos.empty()) {
    const auto tos = number_up_to(a.tos, 255);
    if (!tos) {
      usage_error("--tos '" + a.tos + "' is not a TOS byte; use 0-255, e.g. 0x20 or 184");
    }
    s.tos = static_cast<std::int32_t>(*tos);
  }
  if (!a.dscp.empty()) {
    const auto dscp = number_up_to(a.dscp, 63);
    if (!dscp) {
      usage_error("--dscp '" + a.dscp + "' is not a DSCP; use 0-63, e.g. 46 (EF) or 8 (CS1)");
    }
    s.tos = static_cast<std::int32_t>(*dscp << 2);
  }
  if (!a.mss.empty() && !skip_tcp_only) {
    const auto mss = number_up_to(a.mss, kMaxMssBytes);
    if (!mss || *mss < kMinMssBytes) {
      usage_error("--mss '" + a.mss + "' is not a TCP segment size; use " +
                  std::to_string(kMinMssBytes) + "-" + std::to_string(kMaxMssBytes) +
                  " bytes, e.g. 1000");
    }
    s.mss_bytes = *mss;
  }
  if (!a.cport.empty()) {
    const auto port = number_up_to(a.cport, 65'535);
    if (!port || *port == 0) {
      usage_error("--cport '" + a.cport +
                  "' is not a port; use 1-65535 (flow i then sends from port P + i)");
    }
    s.client_port = static_cast<std::uint16_t>(*port);
  }
  if (!a.bind_dev.empty()) {
    if (::if_nametoindex(a.bind_dev.c_str()) == 0) {
      usage_error("--bind-dev '" + a.bind_dev +
                  "' is not an interface of this host; 'ip link' lists them (e.g. lo, eth0)");
    }
    s.bind_device = a.bind_dev;
  }
  if (!a.probe.empty()) {
    const auto rate = parse_rate(a.probe);
    if (!rate || *rate <= 0) {
      usage_error("--probe '" + a.probe + "' is not a rate of requests/s; use e.g. 10 or 100");
    }
    s.probe_rate_msgs_per_s = *rate;
  }
  if (!a.fq_rate.empty()) {
    const auto bits = parse_rate(a.fq_rate);
    if (!bits || *bits < 8 || *bits > 8e15) {
      usage_error("--fq-rate '" + a.fq_rate +
                  "' is not a bit rate per flow; use e.g. 100M, 1G (at least 8, at most 8P)");
    }
    s.fq_rate_bps = static_cast<std::uint64_t>(*bits);
  }
}

}  // namespace

std::uint64_t duration_of(const std::string& flag, const std::string& text, bool allow_zero) {
  const auto ns = parse_duration_ns(text);
  if (!ns || (!allow_zero && *ns == 0)) {
    usage_error(flag + " '" + text + "' is not a " + (allow_zero ? "" : "positive ") +
                "duration; use e.g. 5s, 250ms");
  }
  return *ns;
}

std::pair<std::string, std::uint16_t> split_host_port(const std::string& text,
                                                      std::uint16_t fallback) {
  std::string host = text;
  std::string port;
  if (!text.empty() && text.front() == '[') {
    const auto close = text.find(']');
    if (close == std::string::npos) {
      usage_error("--connect '" + text + "': missing ']'");
    }
    host = text.substr(1, close - 1);
    if (close + 1 < text.size()) {
      if (text[close + 1] != ':') {
        usage_error("--connect '" + text + "': expected [ADDRESS]:PORT");
      }
      port = text.substr(close + 2);
    }
  } else if (std::count(text.begin(), text.end(), ':') > 1) {
    // An IPv6 address: whole, or with a port that needs brackets.
    in6_addr a6{};
    const std::size_t last = text.rfind(':');
    if (::inet_pton(AF_INET6, text.c_str(), &a6) != 1 &&
        ::inet_pton(AF_INET6, text.substr(0, last).c_str(), &a6) == 1) {
      usage_error("--connect '" + text + "': an IPv6 address with a port needs brackets: [" +
                  text.substr(0, last) + "]:" + text.substr(last + 1));
    }
  } else if (std::count(text.begin(), text.end(), ':') == 1) {
    host = text.substr(0, text.find(':'));
    port = text.substr(text.find(':') + 1);
  }
  if (host.empty()) {
    usage_error("--connect '" + text + "': no host");
  }
  if (port.empty()) {
    return {host, fallback};
  }
  char* end = nullptr;
  const unsigned long p = std::strtoul(port.c_str(), &end, 10);
  if (end == port.c_str() || *end != '\0' || p == 0 || p > 65535) {
    usage_error("--connect '" + text + "': port must be 1-65535");
  }
  return {host, static_cast<std::uint16_t>(p)};
}

std::pair<std::string, std::uint16_t> connect_target(const RunArgs& a, std::uint16_t fallback) {
  if (a.short_port < 0) {
    return split_host_port(a.connect, fallback);
  }
  if (a.short_port == 0 || a.short_port > 65535) {
    usage_error("-p " + std::to_string(a.short_port) + " is not a server port; use 1-65535");
  }
  const auto given = static_cast<std::uint16_t>(a.short_port);
  auto target = split_host_port(a.connect, given);
  if (target.second != given) {
    usage_error("-p " + std::to_string(given) + " and --connect " + a.connect +
                " name different ports: give one");
  }
  return target;
}

std::vector<std::pair<std::string, std::uint16_t>> connect_targets(const RunArgs& a,
                                                                   std::uint16_t fallback) {
  if (a.connect.find(',') == std::string::npos) {
    return {connect_target(a, fallback)};
  }
  std::vector<std::pair<std::string, std::uint16_t>> out;
  std::size_t from = 0;
  for (;;) {
    const std::size_t comma = a.connect.find(',', from);
    RunArgs one = a;
    one.connect = a.connect.substr(from, comma == std::string::npos ? comma : comma - from);
    if (one.connect.empty()) {
      usage_error("--connect '" + a.connect +
                  "': an empty server in the list; give HOST[:PORT],HOST[:PORT],...");
    }
    if (a.short_port > 0 && one.connect.find(':') != std::string::npos) {
      one.short_port = -1;  // -p is the port of the servers that name none
    }
    out.push_back(connect_target(one, fallback));
    if (comma == std::string::npos) {
      return out;
    }
    from = comma + 1;
  }
}

namespace {

/// A flag that has no effect in this combination is a usage error that
/// says why, as --gso --proto tcp is (test_spec's validate()).
void refuse_ineffective(const TestSpec& s) {
  if (s.batch > 1 && s.proto == Proto::kTcp) {
    usage_error("--batch " + std::to_string(s.batch) +
                " batches UDP datagrams (sendmmsg); a TCP stream is already coalesced by the "
                "kernel: drop --batch or use --proto udp");
  }
  if (s.threads > 1 && s.model == ModelKind::kThread) {
    usage_error("--threads " + std::to_string(s.threads) +
                " sets the event loops of select, poll and epoll; --model thread runs a thread "
                "per connection: drop --threads or pick another --model");
  }
  if (s.outstanding != 1 && !s.replies()) {
    usage_error("--outstanding " + std::to_string(s.outstanding) +
                " is the requests in flight per flow: it needs --mode echo or connect");
  }
  if (s.pattern == Pattern::kPoisson && s.rate_msgs_per_s <= 0) {
    usage_error("--pattern poisson spaces a paced schedule: give --rate or --bitrate too");
  }
}

/// -o FILE must be writable before a run starts, not after it: its
/// directory exists and is a directory we may write into.
void check_output_path(const std::string& path) {
  if (path.empty()) {
    return;
  }
  const std::size_t slash = path.find_last_of('/');
  const std::string dir = slash == std::string::npos ? "."
                          : slash == 0               ? "/"
                                                     : path.substr(0, slash);
  struct stat st {};
  if (::stat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
    usage_error("-o '" + path + "': directory '" + dir +
                "' does not exist; create it first (mkdir -p " + dir + ")");
  }
  if (::access(dir.c_str(), W_OK) != 0) {
    usage_error("-o '" + path + "': directory '" + dir + "' is not writable");
  }
}

}  // namespace

std::uint64_t start_at_of(const std::string& text, std::uint64_t now_unix_ns) {
  const auto at = parse_wall_time(text);
  if (!at) {
    usage_error("--start-at '" + text +
                "' is not a time; give epoch seconds (e.g. 1764498600.5) or ISO 8601 with a "
                "zone (e.g. 2026-11-30T10:30:00Z)");
  }
  const std::uint64_t gap = *at > now_unix_ns ? *at - now_unix_ns : now_unix_ns - *at;
  if (gap > kStartAtHorizonNs) {
    usage_error("--start-at " + text + " is " + std::to_string(gap / 3'600'000'000'000ULL) + " h " +
                (*at > now_unix_ns ? "from now" : "ago") + " (now is " +
                format_wall_time(now_unix_ns) + "); give a time within a day of now");
  }
  return *at;
}

TestSpec make_spec(const RunArgs& a) {
  check_output_path(a.output);
  TestSpec s;
  if (!a.start_at.empty()) {
    s.start_at_unix_ns = start_at_of(a.start_at, wall_ns());
  }
  s.proto = parse_enum<Proto>("--proto", a.proto, "tcp, udp");
  s.model = parse_enum<ModelKind>("--model", a.model, model_names());
  s.mode = parse_enum<Mode>("--mode", a.mode, "stream, echo, connect");
  if (!a.close.empty()) {
    s.close = parse_enum<Close>("--close", a.close, "fin, rst");
    if (s.mode != Mode::kConnect || s.proto != Proto::kTcp) {
      usage_error(
          "--close says how a --mode connect TCP transaction ends: add --mode connect "
          "--proto tcp, or drop --close");
    }
  }
  s.pattern = parse_enum<Pattern>("--pattern", a.pattern, "constant, poisson");
  s.flows = flows_of(a.flows);
  if (!a.size.empty()) {
    const auto size = parse_size(a.size);
    if (!size || *size == 0 || *size > UINT32_MAX) {
      usage_error("--size '" + a.size + "' is not a message size; use e.g. 64, 1400, 128KiB");
    }
    s.size_bytes = static_cast<std::uint32_t>(*size);
  }
  if (static_cast<int>(!a.rate.empty()) + static_cast<int>(!a.bitrate.empty()) +
          static_cast<int>(!a.bitrate_per_flow.empty()) >
      1) {
    usage_error("give one of --rate, --bitrate (in total) or -b (per flow), not several");
  }
  if (!a.rate.empty()) {
    const auto rate = parse_rate(a.rate);
    if (!rate || *rate < 0) {
      usage_error("--rate '" + a.rate + "' is not a message rate; use e.g. 100k (0: unlimited)");
    }
    s.rate_msgs_per_s = *rate;  // 0: unlimited, as in sweeps and iperf3's -b 0
  }
  if (!a.bitrate.empty()) {
    const auto bits = parse_rate(a.bitrate);
    if (!bits || *bits < 0) {
      usage_error("--bitrate '" + a.bitrate +
                  "' is not a bit rate; use e.g. 500M, 10G (0: unlimited)");
    }
    s.rate_msgs_per_s = *bits / (8.0 * s.message_bytes());
  }
  if (!a.bitrate_per_flow.empty()) {
    const auto bits = parse_rate(a.bitrate_per_flow);
    if (!bits || *bits < 0) {
      usage_error("-b '" + a.bitrate_per_flow +
                  "' is not a bit rate per flow; use e.g. 100M (0: unlimited)");
    }
    s.rate_msgs_per_s = *bits * s.flows / (8.0 * s.message_bytes());
  }
  if (a.count_given && a.count == 0) {
    usage_error("--count 0 sends nothing; give at least 1, or --duration to run for a time");
  }
  if (a.count_given && a.duration_given) {
    usage_error("give --count or --duration, not both: a run ends after a count or a time");
  }
  s.duration_ns = duration_of("--duration", a.duration, false);
  s.count = a.count;
  s.warmup_ns = duration_of("--warmup", a.warmup, true);
  s.interval_ns = duration_of("--interval", a.interval, false);
  s.outstanding = a.outstanding;
  s.threads = a.threads;
  if (a.sender_threads == "auto") {
    s.sender_threads = 0;
  } else {
    const auto k = parse_size(a.sender_threads);
    if (!k || *k == 0 || *k > 256) {
      usage_error("--sender-threads '" + a.sender_threads +
                  "' is not a thread count; use 1-256 or auto (one per flow, up to the CPUs)");
    }
    s.sender_threads = static_cast<std::uint32_t>(*k);
  }
  s.batch = a.batch;
  s.busy_poll = a.busy_poll;
  if (!a.pacing.empty()) {
    if (a.pacing != "sleep" && a.pacing != "spin") {
      usage_error("--pacing '" + a.pacing + "': use sleep or spin");
    }
    if (s.rate_msgs_per_s <= 0) {
      usage_error("--pacing " + a.pacing +
                  " sets how a paced sender waits: give --rate or --bitrate, or drop --pacing");
    }
    s.pacing_spin = a.pacing == "spin";
  }
  s.gso = a.gso;
  if (a.nodelay && a.no_nodelay) {
    usage_error("give --nodelay or --no-nodelay, not both");
  }
  s.nodelay = a.nodelay ? Toggle::kOn : a.no_nodelay ? Toggle::kOff : Toggle::kAuto;
  s.stats = parse_enum<StatsLevel>("--stats", a.stats, "full, counts");
  s.per_flow = parse_enum<PerFlowOutput>("--per-flow", a.per_flow, "auto, full, summary, none");
  if (s.per_flow != PerFlowOutput::kAuto && !a.json && a.output.empty() && !a.json_lines) {
    usage_error("--per-flow " + a.per_flow +
                " shapes the JSON document: add --json, -o FILE or --json-lines, or drop "
                "--per-flow");
  }
  s.coalesce_ns = duration_of("--coalesce", a.coalesce, true);
  if (!a.cpu.empty()) {
    const std::size_t comma = a.cpu.find(',');
    s.sender_cpus = cpu_list_of(a.cpu, a.cpu.substr(0, comma));
    s.receiver_cpus =
        comma == std::string::npos ? s.sender_cpus : cpu_list_of(a.cpu, a.cpu.substr(comma + 1));
    try {
      check_cpus_available(s.sender_cpus, "--cpu");
      if (a.connect.empty()) {
        // A remote receiver's CPUs are the server's to check.
        check_cpus_available(s.receiver_cpus, "--cpu");
      }
    } catch (const ConfigError& e) {
      usage_error(e.what());
    }
  }
  if (a.v4 && a.v6) {
    usage_error("give -4 or -6, not both");
  }
  s.family = a.v4 ? Family::kV4 : a.v6 ? Family::kV6 : Family::kAny;
  if (!a.buffer.empty()) {
    const auto bytes = parse_size(a.buffer);
    if (!bytes || *bytes == 0 || *bytes > (1U << 30)) {
      usage_error("--buffer '" + a.buffer +
                  "' is not a socket buffer size up to 1GiB; use e.g. 4MiB");
    }
    s.socket_buffer_bytes = static_cast<std::uint32_t>(*bytes);
  }
  if (!parse(a.direction, s.direction)) {
    usage_error("--direction '" + a.direction + "' is not forward, reverse or bidir");
  }
  socket_knobs_of(a, s);
  copy_options_of(a, s);
  fanout_options_of(a, s);
  s.bind_address = a.bind;
  if (a.port < 0 || a.port > 65535) {
    usage_error("--port " + std::to_string(a.port) + " is out of range 0-65535");
  }
  s.port = static_cast<std::uint16_t>(a.port);
  if (a.short_port >= 0 && a.connect.empty()) {
    if (a.port != 0) {
      usage_error("-p and --port both name the receiver's port: give one");
    }
    if (a.short_port > 65535) {
      usage_error("-p " + std::to_string(a.short_port) + " is out of range 0-65535");
    }
    s.port = static_cast<std::uint16_t>(a.short_port);
  }
  if (!a.sweep_point) {
    refuse_ineffective(s);
  }
  try {
    validate(s);
  } catch (const ConfigError& e) {
    usage_error(e.what());
  }
  return s;
}

}  // namespace netbench::app
