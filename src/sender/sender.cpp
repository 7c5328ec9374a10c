#include "netbench/sender.hpp"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <netinet/udp.h>
#include <sys/select.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <functional>
#include <thread>

#include "netbench/clock.hpp"
#include "netbench/error.hpp"
#include "sender/flow_socket.hpp"
#include "sender/send_loop.hpp"
#include "sender/sender_state.hpp"
#include "sys/socket_ops.hpp"

namespace netbench {
namespace {

/// Throws ConfigError if the kernel refuses UDP_SEGMENT on `fd` (kernels
/// before 4.18, or a socket that cannot offload).
void probe_gso(int fd, std::uint32_t size) {
  int gso_size = static_cast<int>(size);
  if (::setsockopt(fd, SOL_UDP, UDP_SEGMENT, &gso_size, sizeof gso_size) != 0) {
    throw ConfigError(std::string("--gso: the kernel refuses UDP_SEGMENT (") +
                      std::strerror(errno) + "); drop --gso");
  }
  // Only the probe: each send says its own segment size in a cmsg.
  gso_size = 0;
  ::setsockopt(fd, SOL_UDP, UDP_SEGMENT, &gso_size, sizeof gso_size);
}

}  // namespace

unsigned sender_loop_count(const TestSpec& spec) noexcept {
  unsigned k = spec.sender_threads;
  if (k == 0) {
    k = spec.sender_cpus.empty() ? sys::available_cpus()
                                 : static_cast<unsigned>(spec.sender_cpus.size());
  }
  return std::max(1U, std::min(k, spec.flows));
}

std::uint64_t measured_period_ns(const TestSpec& spec, std::uint64_t warm_end_ns,
                                 std::uint64_t last_activity_ns, bool ended_early) noexcept {
  const std::uint64_t active = last_activity_ns > warm_end_ns ? last_activity_ns - warm_end_ns : 0;
  if (spec.rate_msgs_per_s <= 0 || ended_early) {
    return active;
  }
  // A paced run covers its schedule: the duration, or count / rate (N
  // messages at rate r are r⁻¹ apart and span N gaps, the first one's
  // included), unless it took longer than that.
  const double scheduled =
      spec.count == 0 ? static_cast<double>(spec.duration_ns)
                      : std::ceil(static_cast<double>(spec.count) * 1e9 / spec.rate_msgs_per_s);
  return std::max(active, static_cast<std::uint64_t>(std::min(scheduled, 1.8e19)));
}

struct Sender::Impl {
  explicit Impl(const TestSpec& spec) : state(spec) {}

  sender::SenderState state;
  std::vector<std::unique_ptr<sender::SendLoop>> loops;
  /// Flow id -> (loop, index in that loop's flows).
  std::vector<std::pair<std::uint32_t, std::uint32_t>> where;
  std::vector<std::jthread> threads;
  /// TCP_CONGESTION read back from flow 0 once connected; empty for UDP.
  std::string congestion;

  /// Makes the send loops and deals them spec.flows flows, flow i's
  /// socket from `open(i)` (not called in connect mode).
  void add_flows(const TestSpec& spec, bool high_descriptors,
                 const std::function<Fd(std::uint32_t)>& open);

  [[nodiscard]] const sender::SendFlow& flow(std::uint32_t id) const {
    const auto [loop, index] = where.at(id);
    return loops[loop]->flows()[index];
  }
};

Sender::Sender(const TestSpec& spec, const std::vector<Endpoint>& targets, bool high_descriptors)
    : impl_(std::make_unique<Impl>(spec)) {
  validate(spec);
  const bool connect = spec.mode == Mode::kConnect;
  if (targets.empty() || (spec.proto == Proto::kUdp && !connect && targets.size() < spec.flows)) {
    throw ConfigError("sender: no target address for every flow");
  }
  if (connect) {
    // Each transaction opens its own socket to the one target.
    impl_->state.set_target(targets[0]);
  }
  impl_->add_flows(spec, high_descriptors, [&](std::uint32_t i) {
    return connect
               ? Fd{}
               : sender::connect_flow_socket(spec, targets[spec.proto == Proto::kUdp ? i : 0], i);
  });
}

Sender::Sender(const TestSpec& spec, std::vector<Fd> opened, bool high_descriptors)
    : impl_(std::make_unique<Impl>(spec)) {
  validate(spec);
  if (spec.mode == Mode::kConnect || opened.size() != spec.flows) {
    throw ConfigError("sender: no connected socket for every flow");
  }
  impl_->add_flows(spec, high_descriptors, [&](std::uint32_t i) {
    Fd fd = std::move(opened[i]);
    sys::set_nonblocking(fd.get(), true);
    if (spec.proto == Proto::kTcp && spec.tcp_nodelay()) {
      sys::set_int_option(fd.get(), IPPROTO_TCP, TCP_NODELAY, 1, "TCP_NODELAY");
    }
    return fd;
  });
}

void Sender::Impl::add_flows(const TestSpec& spec, bool high_descriptors,
                             const std::function<Fd(std::uint32_t)>& open) {
  const bool connect = spec.mode == Mode::kConnect;
  const unsigned count = sender_loop_count(spec);
  for (unsigned i = 0; i < count; ++i) {
    loops.push_back(std::make_unique<sender::SendLoop>(state, i));
  }
  const std::uint64_t per_flow = spec.count / spec.flows;
  const std::uint64_t extra = spec.count % spec.flows;
  for (std::uint32_t i = 0; i < spec.flows; ++i) {
    const std::uint64_t quota = spec.count > 0 ? per_flow + (i < extra ? 1 : 0) : UINT64_MAX;
    // Dealt round robin, as a receiver deals its flows to its loops.
    sender::SendLoop& loop = *loops[i % count];
    if (connect) {
      where.emplace_back(i % count, static_cast<std::uint32_t>(loop.flows().size()));
      loop.add(i, Fd{}, quota);
      continue;
    }
    Fd fd = open(i);
    if (i == 0 && spec.proto == Proto::kTcp) {
      congestion = sys::congestion_of(fd.get());
    }
    if (spec.gso) {
      probe_gso(fd.get(), state.size());
    }
    if (high_descriptors) {
      sys::move_above(fd, FD_SETSIZE);
    }
    where.emplace_back(i % count, static_cast<std::uint32_t>(loop.flows().size()));
    loop.add(i, std::move(fd), quota);
  }
}

Sender::~Sender() { join(); }

Endpoint Sender::local(std::uint32_t flow) const {
  return sys::local_endpoint(impl_->flow(flow).fd.get());
}

void Sender::send_on_every_flow(std::span<const std::byte> datagram) {
  for (const auto& loop : impl_->loops) {
    for (const sender::SendFlow& f : loop->flows()) {
      [[maybe_unused]] const ssize_t n =
          ::send(f.fd.get(), datagram.data(), datagram.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
    }
  }
}

void Sender::start(std::stop_token stop) {
  Impl& s = *impl_;
  s.state.begin(now_ns());
  for (const auto& loop : s.loops) {
    s.threads.emplace_back([l = loop.get(), stop] { l->run(stop); });
  }
}

bool Sender::finished() const {
  return impl_->state.finished(static_cast<unsigned>(impl_->loops.size()));
}

bool Sender::wait_finished_until(std::uint64_t deadline_ns) const {
  return impl_->state.wait_finished_until(static_cast<unsigned>(impl_->loops.size()), deadline_ns);
}

void Sender::join() noexcept {
  if (!impl_) {
    return;
  }
  for (std::jthread& t : impl_->threads) {
    if (t.joinable()) {
      t.join();
    }
  }
  impl_->threads.clear();
}

void Sender::run(std::stop_token stop) {
  start(std::move(stop));
  join();
}

SenderLive Sender::live() const {
  const Impl& s = *impl_;
  SenderLive out;
  for (const auto& loop : s.loops) {
    const sender::LoopLive& l = loop->live();
    out.messages += l.messages.load(std::memory_order_relaxed);
    out.bytes += l.bytes.load(std::memory_order_relaxed);
    out.replies += l.replies.load(std::memory_order_relaxed);
    out.reply_bytes += l.reply_bytes.load(std::memory_order_relaxed);
  }
  out.measured_start_ns = s.state.measured_start_ns();
  out.finished = finished();
  return out;
}

LatencyHistogram Sender::take_interval_latency() { return impl_->state.exchange().take(); }

std::vector<std::uint64_t> Sender::sent_by_flow() const {
  std::vector<std::uint64_t> out;
  out.reserve(impl_->where.size());
  for (std::uint32_t id = 0; id < impl_->where.size(); ++id) {
    out.push_back(impl_->flow(id).stats.messages);
  }
  return out;
}

void Sender::collect(RunResult& out) const {
  const Impl& s = *impl_;
  out.message_bytes = s.state.size();
  out.sender.tcp_congestion = s.congestion;
  out.sender_flows.clear();
  bool broken = false;
  out.zerocopy.reset();
  if (s.state.spec().zerocopy) {
    out.zerocopy.emplace();
  }
  for (std::uint32_t id = 0; id < s.where.size(); ++id) {
    const sender::SendFlow& f = s.flow(id);
    out.sender_flows.push_back(f.stats);
    broken = broken || f.stats.closed_by_peer;
    if (out.zerocopy) {
      out.zerocopy->add(f.stats.zerocopy);
    }
  }
  out.pacing = PacingStats{};
  out.pacing.target_msgs_per_s = s.state.spec().rate_msgs_per_s;
  if (s.state.echo()) {
    out.latency = LatencyHistogram{};
    out.latency_from_actual = LatencyHistogram{};
  }
  std::uint64_t last = 0;
  std::string error;
  bool aborted = false;
  out.send_loops.clear();
  for (const auto& loop : s.loops) {
    SendLoopStats ls;
    const std::vector<std::uint32_t> cpu =
        sys::cpu_of_thread(s.state.spec().sender_cpus, loop->index());
    ls.cpu = cpu.empty() ? -1 : static_cast<std::int32_t>(cpu.front());
    ls.flows = static_cast<std::uint32_t>(loop->flows().size());
    ls.messages = loop->live().messages.load(std::memory_order_relaxed);
    ls.cpu_usage = loop->cpu();
    out.send_loops.push_back(ls);
    out.sender.cpu.add(loop->cpu());
    const PacingStats& p = loop->ledger().pacing();
    out.pacing.lateness.merge(p.lateness);
    if (p.sends > 0) {
      out.pacing.first_send_ns = out.pacing.sends == 0
                                     ? p.first_send_ns
                                     : std::min(out.pacing.first_send_ns, p.first_send_ns);
      out.pacing.last_send_ns = std::max(out.pacing.last_send_ns, p.last_send_ns);
    }
    out.pacing.sends += p.sends;
    last = std::max(last, loop->ledger().last_activity_ns());
    if (s.state.echo()) {
      out.latency.merge(loop->ledger().rtt());
      out.latency_from_actual.merge(loop->ledger().rtt_actual());
    }
    if (s.state.connect()) {
      const sender::TransactionStats& t = loop->transactions();
      out.connect.connect_latency.merge(t.connect_latency);
      out.connect.connect_failures += t.connect_failures;
      out.connect.transaction_failures += t.transaction_failures;
      out.connect.reply_timeouts += t.reply_timeouts;
    }
    if (loop->aborted() && !aborted) {
      aborted = true;
      error = loop->error();
    }
  }
  if (s.state.connect()) {
    out.connect.transactions = 0;
    for (const FlowSendStats& f : out.sender_flows) {
      out.connect.transactions += f.replies;
    }
  }
  out.measured_ns = measured_period_ns(s.state.spec(), s.state.warm_end_ns(), last, aborted);
  if (aborted || broken) {
    out.complete = false;
    if (out.error.empty()) {
      out.error = !error.empty() ? error : "a connection was closed by the peer mid-test";
    }
  }
}

}  // namespace netbench
