#include "netbench/test_spec.hpp"

#include <sched.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <string>
#include <utility>

#include "netbench/error.hpp"
#include "netbench/wire_header.hpp"

namespace netbench {
namespace {

constexpr std::array<std::pair<Proto, std::string_view>, 2> kProtos{
    {{Proto::kTcp, "tcp"}, {Proto::kUdp, "udp"}}};
constexpr std::array<std::pair<Mode, std::string_view>, 3> kModes{
    {{Mode::kStream, "stream"}, {Mode::kEcho, "echo"}, {Mode::kConnect, "connect"}}};
constexpr std::array<std::pair<Close, std::string_view>, 2> kCloses{
    {{Close::kFin, "fin"}, {Close::kRst, "rst"}}};
constexpr std::array<std::pair<Pattern, std::string_view>, 2> kPatterns{
    {{Pattern::kConstant, "constant"}, {Pattern::kPoisson, "poisson"}}};
constexpr std::array<std::pair<StatsLevel, std::string_view>, 2> kStatsLevels{
    {{StatsLevel::kFull, "full"}, {StatsLevel::kCounts, "counts"}}};
constexpr std::array<std::pair<PerFlowOutput, std::string_view>, 4> kPerFlowOutputs{
    {{PerFlowOutput::kAuto, "auto"},
     {PerFlowOutput::kFull, "full"},
     {PerFlowOutput::kSummary, "summary"},
     {PerFlowOutput::kNone, "none"}}};

constexpr std::array<std::pair<Direction, std::string_view>, 3> kDirections{
    {{Direction::kForward, "forward"},
     {Direction::kReverse, "reverse"},
     {Direction::kBidir, "bidir"}}};

template <typename E, std::size_t N>
std::string_view name_of(const std::array<std::pair<E, std::string_view>, N>& table, E e) noexcept {
  for (const auto& [value, name] : table) {
    if (value == e) {
      return name;
    }
  }
  return "?";
}

template <typename E, std::size_t N>
bool value_of(const std::array<std::pair<E, std::string_view>, N>& table, std::string_view text,
              E& out) noexcept {
  for (const auto& [value, name] : table) {
    if (name == text) {
      out = value;
      return true;
    }
  }
  return false;
}

/// Largest UDP/TCP message netbench accepts (bytes).
constexpr std::uint32_t kMaxTcpMessageBytes = 16U << 20;
/// Most flows one test may open (descriptors and threads stay bounded).
constexpr std::uint32_t kMaxFlows = 65'536;

}  // namespace

std::uint32_t TestSpec::message_bytes() const noexcept {
  if (size_bytes != 0) {
    return size_bytes;
  }
  if (replies()) {
    return 64;
  }
  return proto == Proto::kTcp ? 128U * 1024U : 1400U;
}

void validate(const TestSpec& spec) {
  const auto fail = [](const std::string& text) { throw ConfigError(text); };
  if (spec.flows == 0 || spec.flows > kMaxFlows) {
    fail("--flows must be between 1 and " + std::to_string(kMaxFlows) + ", got " +
         std::to_string(spec.flows));
  }
  const std::uint32_t size = spec.message_bytes();
  if (size < kWireHeaderBytes) {
    fail("--size " + std::to_string(size) + " is below the " + std::to_string(kWireHeaderBytes) +
         "-byte message header; use --size " + std::to_string(kWireHeaderBytes) + " or more");
  }
  if (spec.proto == Proto::kUdp && size > kMaxUdpPayloadBytes) {
    fail("--size " + std::to_string(size) + " is above the largest UDP payload (" +
         std::to_string(kMaxUdpPayloadBytes) + " bytes); use a smaller --size or --proto tcp");
  }
  if (spec.proto == Proto::kTcp && size > kMaxTcpMessageBytes) {
    fail("--size " + std::to_string(size) + " is above the largest message (" +
         std::to_string(kMaxTcpMessageBytes) + " bytes)");
  }
  if (!(spec.rate_msgs_per_s >= 0) || !std::isfinite(spec.rate_msgs_per_s)) {
    fail("--rate must be a positive number of messages per second");
  }
  if (spec.count == 0 && spec.duration_ns == 0) {
    fail("--duration must be positive (or give --count)");
  }
  if (!(spec.probe_rate_msgs_per_s >= 0) || spec.probe_rate_msgs_per_s > kMaxProbeRate) {
    fail("--probe must be a rate of requests/s up to " +
         std::to_string(static_cast<int>(kMaxProbeRate)) +
         " (a probe is a low-rate flow beside the test's), e.g. 10 or 100");
  }
  if (spec.probe_rate_msgs_per_s > 0 && spec.start_at_unix_ns != 0) {
    fail(
        "--probe runs its idle phase before the test, so the test could not start at its "
        "--start-at: drop one of them");
  }
  if (spec.probe_rate_msgs_per_s > 0 && spec.count > 0) {
    fail(
        "--probe runs beside the test's measured period, which a --count run does not know in "
        "advance: give --duration instead of --count");
  }
  if (spec.interval_ns < 10'000'000) {
    fail("--interval must be at least 10ms");
  }
  if (spec.replies() && (spec.outstanding == 0 || spec.outstanding > 65'536)) {
    fail("--outstanding must be between 1 and 65536");
  }
  if (spec.mode == Mode::kConnect) {
    if (std::uint64_t{spec.flows} * spec.outstanding > kMaxFlows) {
      fail("--mode connect opens --flows x --outstanding connections at once (" +
           std::to_string(std::uint64_t{spec.flows} * spec.outstanding) + "); keep it at most " +
           std::to_string(kMaxFlows));
    }
    if (spec.gso || spec.batch > 1) {
      fail("--mode connect sends one request per socket: drop --gso and --batch");
    }
    if (spec.client_port != 0) {
      fail(
          "--cport fixes each flow's source port, but --mode connect opens a fresh socket per "
          "transaction, whose port would collide with the last one's TIME_WAIT: drop --cport");
    }
  }
  if (spec.direction != Direction::kForward) {
    const std::string flag = spec.direction == Direction::kReverse ? "--reverse" : "--bidir";
    if (spec.mode == Mode::kConnect) {
      fail(flag +
           " runs over long-lived connections the client opens, but --mode connect opens a "
           "fresh one per transaction from the client: use --mode stream or echo, or drop " +
           flag);
    }
    if (spec.probe_rate_msgs_per_s > 0) {
      fail("--probe measures the client's own echo flow beside a forward test: drop " + flag +
           " or --probe");
    }
  }
  if (spec.close != Close::kFin && (spec.mode != Mode::kConnect || spec.proto != Proto::kTcp)) {
    fail(
        "--close says how a --mode connect TCP transaction ends: give --mode connect --proto tcp "
        "or drop --close");
  }
  if (spec.batch == 0 || spec.batch > 1024) {
    fail("--batch must be between 1 and 1024");
  }
  if (spec.gso && spec.proto != Proto::kUdp) {
    fail("--gso is for UDP only; add --proto udp or drop --gso");
  }
  if (spec.gso && spec.batch > 1) {
    fail("--gso already sends many datagrams per call; give --gso or --batch, not both");
  }
  if (spec.zerocopy && spec.mode == Mode::kConnect) {
    fail(
        "--zerocopy needs long-lived flow sockets, but --mode connect sends one request per "
        "fresh socket: drop --zerocopy or use --mode stream or echo");
  }
  if (spec.skip_rx_copy && spec.mode != Mode::kStream) {
    fail("--skip-rx-copy discards payloads unread, but --mode " +
         std::string(to_string(spec.mode)) +
         " echoes them back: use --mode stream or drop --skip-rx-copy");
  }
  if (spec.skip_rx_copy && spec.model == ModelKind::kUring) {
    fail(
        "--skip-rx-copy needs reads the receiver chooses the size of, but --model uring reads "
        "into provided buffers: pick another --model or drop --skip-rx-copy");
  }
  if (spec.coalesce_ns > 10'000'000) {
    fail("--coalesce must be at most 10ms (the receive buffer must hold what arrives meanwhile)");
  }
  if (spec.coalesce_ns > 0 && spec.busy_poll) {
    fail("--coalesce sleeps and --busy-poll spins: give one of them");
  }
  if (spec.sender_threads > 256) {
    fail("--sender-threads must be between 1 and 256, or auto");
  }
  if (spec.threads == 0 || spec.threads > 256) {
    fail("--threads must be between 1 and 256");
  }
  for (const auto* cpus : {&spec.sender_cpus, &spec.receiver_cpus}) {
    for (const std::uint32_t cpu : *cpus) {
      if (cpu >= CPU_SETSIZE) {
        fail("--cpu " + std::to_string(cpu) + " is not a CPU number (0-" +
             std::to_string(CPU_SETSIZE - 1) + ")");
      }
    }
  }
  if (spec.congestion.size() > kMaxCongestionNameBytes ||
      !std::all_of(spec.congestion.begin(), spec.congestion.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
      })) {
    fail("--congestion '" + spec.congestion +
         "' is not a congestion control name; use e.g. cubic, reno, bbr");
  }
  if (!spec.congestion.empty() && spec.proto != Proto::kTcp) {
    fail("--congestion " + spec.congestion +
         " sets TCP congestion control; UDP has none: drop --congestion or use --proto tcp");
  }
  if (spec.tos < -1 || spec.tos > 255) {
    fail("--tos " + std::to_string(spec.tos) + " is out of range 0-255 (--dscp: 0-63)");
  }
  if (spec.mss_bytes != 0 && (spec.mss_bytes < kMinMssBytes || spec.mss_bytes > kMaxMssBytes)) {
    fail("--mss " + std::to_string(spec.mss_bytes) + " is out of range " +
         std::to_string(kMinMssBytes) + "-" + std::to_string(kMaxMssBytes));
  }
  if (spec.mss_bytes != 0 && spec.proto != Proto::kTcp) {
    fail("--mss " + std::to_string(spec.mss_bytes) +
         " sets the TCP segment size; UDP sends what --size says: drop --mss or use --proto tcp");
  }
  if (spec.fq_rate_bps != 0 && spec.fq_rate_bps < 8) {
    fail("--fq-rate " + std::to_string(spec.fq_rate_bps) +
         " is below 1 byte/s (8 bits/s); use e.g. 100M, 1G");
  }
  if (spec.client_port != 0 && std::uint64_t{spec.client_port} + spec.flows - 1 > 65'535) {
    fail("--cport " + std::to_string(spec.client_port) + " with --flows " +
         std::to_string(spec.flows) + " needs ports up to " +
         std::to_string(std::uint64_t{spec.client_port} + spec.flows - 1) +
         ", beyond 65535: pick a lower --cport");
  }
  if (spec.bind_device.size() >= kMaxInterfaceNameBytes) {
    fail("--bind-dev '" + spec.bind_device + "' is longer than an interface name (" +
         std::to_string(kMaxInterfaceNameBytes - 1) + " bytes at most)");
  }
  validate_fanout(spec);
  if (spec.count > 0 && spec.count < spec.flows) {
    fail("--count " + std::to_string(spec.count) + " is less than --flows " +
         std::to_string(spec.flows) + ": every flow needs at least one message");
  }
}

void check_cpus_available(const std::vector<std::uint32_t>& cpus, const std::string& what) {
  if (cpus.empty()) {
    return;
  }
  cpu_set_t set;
  CPU_ZERO(&set);
  if (::sched_getaffinity(0, sizeof set, &set) != 0) {
    throw ConfigError(what + ": cannot read the CPUs this process may use");
  }
  std::string allowed;
  for (std::size_t c = 0; c < CPU_SETSIZE; ++c) {
    if (CPU_ISSET(c, &set)) {
      allowed += (allowed.empty() ? "" : ",") + std::to_string(c);
    }
  }
  for (const std::uint32_t cpu : cpus) {
    if (cpu >= CPU_SETSIZE || !CPU_ISSET(std::size_t{cpu}, &set)) {
      throw ConfigError(what + ": CPU " + std::to_string(cpu) + " is not available; use " +
                        allowed);
    }
  }
}

std::string_view to_string(Proto p) noexcept { return name_of(kProtos, p); }
std::string_view to_string(ModelKind m) noexcept {
  const ModelInfo* info = find_model(m);
  return info != nullptr ? info->name : "?";
}
std::string_view to_string(Mode m) noexcept { return name_of(kModes, m); }
std::string_view to_string(Close c) noexcept { return name_of(kCloses, c); }
bool parse(std::string_view text, Close& out) noexcept { return value_of(kCloses, text, out); }
std::string_view to_string(Pattern p) noexcept { return name_of(kPatterns, p); }
std::string_view to_string(StatsLevel l) noexcept { return name_of(kStatsLevels, l); }
bool parse(std::string_view text, StatsLevel& out) noexcept {
  return value_of(kStatsLevels, text, out);
}
std::string_view to_string(PerFlowOutput p) noexcept { return name_of(kPerFlowOutputs, p); }
std::string_view to_string(Direction d) noexcept { return name_of(kDirections, d); }
bool parse(std::string_view text, Direction& out) noexcept {
  return value_of(kDirections, text, out);
}
bool parse(std::string_view text, PerFlowOutput& out) noexcept {
  return value_of(kPerFlowOutputs, text, out);
}
std::string_view to_string(Family f) noexcept {
  return f == Family::kV4 ? "ipv4" : f == Family::kV6 ? "ipv6" : "any";
}
bool parse(std::string_view text, Proto& out) noexcept { return value_of(kProtos, text, out); }
bool parse(std::string_view text, ModelKind& out) noexcept {
  const ModelInfo* info = find_model(text);
  if (info != nullptr) {
    out = info->kind;
  }
  return info != nullptr;
}
bool parse(std::string_view text, Mode& out) noexcept { return value_of(kModes, text, out); }
bool parse(std::string_view text, Pattern& out) noexcept { return value_of(kPatterns, text, out); }

}  // namespace netbench
