#include "receiver/receiver_state.hpp"

#include <netinet/in.h>

#include <algorithm>
#include <cstring>
#include <exception>
#include <new>
#include <optional>
#include <string>
#include <utility>

#include "sys/socket_ops.hpp"

namespace netbench::receiver {

namespace {

/// The IP address of `a` as bytes (an IPv4-mapped IPv6 address as its IPv4
/// address, so that a dual-stack socket compares equal to an IPv4 one).
std::span<const std::uint8_t> ip_bytes(const sockaddr_storage& a) noexcept {
  if (a.ss_family == AF_INET) {
    const auto* in = reinterpret_cast<const sockaddr_in*>(&a);         // NOLINT: sockets API
    return {reinterpret_cast<const std::uint8_t*>(&in->sin_addr), 4};  // NOLINT
  }
  if (a.ss_family == AF_INET6) {
    const auto* in6 = reinterpret_cast<const sockaddr_in6*>(&a);             // NOLINT: sockets API
    const auto* b = reinterpret_cast<const std::uint8_t*>(&in6->sin6_addr);  // NOLINT
    return IN6_IS_ADDR_V4MAPPED(&in6->sin6_addr) ? std::span(b + 12, 4) : std::span(b, 16);
  }
  return {};
}

}  // namespace

bool same_host(const sockaddr_storage& a, const sockaddr_storage& b) noexcept {
  const auto x = ip_bytes(a);
  const auto y = ip_bytes(b);
  return !x.empty() && x.size() == y.size() && std::equal(x.begin(), x.end(), y.begin());
}

void ReceiverState::restrict_peers(const Endpoint& host) noexcept { peer_host_ = host; }

bool ReceiverState::admit_tcp(const sockaddr_storage& peer) noexcept {
  tcp_accepted_.fetch_add(1, std::memory_order_relaxed);
  if (!peer_host_) {
    return true;
  }
  // A connection from another host, or one more than the test's flows,
  // is a stranger's: it would add a flow (or a descriptor) to the test.
  // Connect mode opens a connection per transaction: the host decides.
  if (same_host(peer, peer_host_->addr) &&
      (spec_.mode == Mode::kConnect ||
       tcp_admitted_.fetch_add(1, std::memory_order_relaxed) < spec_.flows)) {
    return true;
  }
  tcp_refused_.fetch_add(1, std::memory_order_relaxed);
  return false;
}

bool ReceiverState::admit_udp_source(const sockaddr* from, socklen_t len) noexcept {
  if (!peer_host_ || from == nullptr) {
    return true;
  }
  sockaddr_storage s{};
  std::memcpy(&s, from, std::min<std::size_t>(len, sizeof s));
  if (len > 0 && same_host(s, peer_host_->addr)) {
    return true;
  }
  udp_refused_.fetch_add(1, std::memory_order_relaxed);
  return false;
}

FlowState& ReceiverState::add_flow() {
  const std::lock_guard lock(mutex_);
  if (!free_.empty()) {
    FlowState* f = free_.back();
    free_.pop_back();
    f->released = false;
    return *f;
  }
  return flows_.emplace_back();
}

namespace {

/// The counters of an echo or connect server's record (the server measures
/// no order or delay in those modes) added into `into`.
void add_counts(FlowRecvStats& into, const FlowRecvStats& from) noexcept {
  into.messages += from.messages;
  into.bytes += from.bytes;
  into.warmup_messages += from.warmup_messages;
  into.malformed += from.malformed;
  into.socket_drops += from.socket_drops;
  into.echoed_messages += from.echoed_messages;
  into.echoed_bytes += from.echoed_bytes;
  into.echo_failures += from.echo_failures;
  into.peer_closed = into.peer_closed || from.peer_closed;
  into.stream_error = into.stream_error || from.stream_error;
}

/// A flow record's figures as collect() reports them (the live counters
/// read, loss not yet finalized).
FlowRecvStats snapshot(const FlowState& f) {
  FlowRecvStats s = f.stats;
  s.messages = f.live_messages.load(std::memory_order_relaxed);
  s.bytes = f.live_bytes.load(std::memory_order_relaxed);
  s.unique = f.tracker.unique();
  s.duplicates = f.tracker.duplicates();
  s.reordered = f.tracker.reordered();
  s.beyond_window = f.tracker.beyond_window();
  s.reorder_extents = f.tracker.reorder_extents();
  s.jitter_ns = f.jitter.jitter_ns();
  s.socket_drops = f.drops.datagrams();
  return s;
}

}  // namespace

void ReceiverState::release_flow(FlowState& f) {
  const std::lock_guard lock(mutex_);
  if (f.flow_id_known) {
    const FlowRecvStats s = snapshot(f);
    FlowRecvStats& into = folded_[s.flow_id];
    into.flow_id = s.flow_id;
    add_counts(into, s);
  }
  // Back to a fresh record (the tracker, jitter and drop counter are unused
  // in connect mode, whose server only counts).
  f.stats = FlowRecvStats{};
  f.flow_id_known = false;
  f.min_transit_ns = INT64_MAX;
  f.live_messages.store(0, std::memory_order_relaxed);
  f.live_bytes.store(0, std::memory_order_relaxed);
  f.live_reordered.store(0, std::memory_order_relaxed);
  f.live_duplicates.store(0, std::memory_order_relaxed);
  f.finished.store(false, std::memory_order_relaxed);
  f.released = true;
  free_.push_back(&f);
}

ThreadState& ReceiverState::add_thread(bool pooled) {
  // Histograms first, outside the lock: if one cannot be allocated, no
  // half-built record is left behind for collect().
  std::optional<LatencyHistogram> delay;
  std::optional<LatencyHistogram> delay_actual;
  std::optional<LatencyHistogram> ipdv;
  if (measures_delay() && !pooled) {
    delay.emplace(kHistogramRows);
    delay_actual.emplace(kHistogramRows);
    ipdv.emplace(kHistogramRows);
  }
  const std::lock_guard lock(mutex_);
  if (pooled && !free_threads_.empty()) {
    ThreadState* reused = free_threads_.back();
    free_threads_.pop_back();
    return *reused;
  }
  ThreadState& t = threads_.emplace_back(exchange_);
  t.delay = std::move(delay);
  t.delay_actual = std::move(delay_actual);
  t.ipdv = std::move(ipdv);
  if (measures_delay() && pooled) {
    t.pool = &pooled_;
  }
  return t;
}

void ReceiverState::release_thread(ThreadState& t) {
  const std::lock_guard lock(mutex_);
  folded_cpu_.add(t.cpu);
  folded_loop_.add(t.loop);
  t.cpu = CpuUsage{};
  t.loop = LoopStats{};
  free_threads_.push_back(&t);
}

void PooledDelays::add(std::span<const DelaySample> samples, std::uint64_t now_ns) {
  const std::lock_guard lock(mutex_);
  for (const DelaySample& s : samples) {
    delay_.record(s.delay);
    delay_actual_.record(s.delay_actual);
    interval_.record(s.delay_actual);
    if (s.ipdv >= 0) {
      ipdv_.record(static_cast<std::uint64_t>(s.ipdv));
    }
  }
  if (now_ns != 0) {
    interval_.maybe_flush(now_ns);
  }
}

void PooledDelays::flush_interval() {
  const std::lock_guard lock(mutex_);
  interval_.flush();
}

void PooledDelays::merge_into(RunResult& out) const {
  const std::lock_guard lock(mutex_);
  out.latency.merge(delay_);
  out.latency_from_actual.merge(delay_actual_);
  out.delay_variation.merge(ipdv_);
}

void ThreadState::flush_pending(std::uint64_t now_ns) {
  const std::size_t n = pending_count_;
  pending_count_ = 0;  // handed over, or lost with the exception add() throws
  pool->add(std::span<const DelaySample>(pending_.data(), n), now_ns);
}

void ThreadState::maybe_flush(std::uint64_t now_ns) {
  if (pool == nullptr) {
    interval.maybe_flush(now_ns);
    return;
  }
  if (now_ns >= next_pool_flush_ns_) {
    flush_pending(now_ns);
    next_pool_flush_ns_ = now_ns + LatencyExchange::kFlushNs;
  }
}

void ThreadState::flush_all() {
  if (pool != nullptr) {
    flush_pending(0);
    pool->flush_interval();
  }
  interval.flush();
}

ReceiverLive ReceiverState::live_totals() const {
  const std::lock_guard lock(mutex_);
  ReceiverLive out;
  for (const FlowState& f : flows_) {
    out.messages += f.live_messages.load(std::memory_order_relaxed);
    out.bytes += f.live_bytes.load(std::memory_order_relaxed);
    out.reordered += f.live_reordered.load(std::memory_order_relaxed);
    out.duplicates += f.live_duplicates.load(std::memory_order_relaxed);
    ++out.flows;
    if (f.finished.load(std::memory_order_relaxed)) {
      ++out.finished_flows;
    }
  }
  for (const auto& [id, s] : folded_) {
    out.messages += s.messages;
    out.bytes += s.bytes;
  }
  return out;
}

void ReceiverState::note_uring(const UringPath& path) {
  const std::lock_guard lock(mutex_);
  if (!uring_) {
    uring_ = path;
    return;
  }
  uring_->multishot_accept = uring_->multishot_accept && path.multishot_accept;
  uring_->multishot_receive = uring_->multishot_receive && path.multishot_receive;
}

void ReceiverState::collect(RunResult& out, std::span<const std::uint64_t> sent_by_flow) const {
  const std::lock_guard lock(mutex_);
  out.receiver.uring = uring_;
  out.receiver_flows.clear();
  out.receiver_flows.reserve(flows_.size());
  const bool connect = spec_.mode == Mode::kConnect;
  // Connect mode: one record per flow id, whatever connections (or serving
  // sockets) it took.
  std::map<std::uint32_t, FlowRecvStats> by_flow = folded_;
  for (const FlowState& f : flows_) {
    if (f.released) {
      continue;  // released: its figures are in folded_
    }
    FlowRecvStats s = snapshot(f);
    if (spec_.mode == Mode::kStream && spec_.full_stats() && s.flow_id < sent_by_flow.size()) {
      s.loss = f.tracker.finalize(sent_by_flow[s.flow_id]);
      s.socket_drops = f.drops.finalize(sent_by_flow[s.flow_id], f.tracker.next_expected());
    }
    if (!f.flow_id_known && s.messages == 0 && s.warmup_messages == 0 && s.malformed == 0) {
      continue;  // a connection that never said anything (e.g. a port probe)
    }
    if (connect && f.flow_id_known) {
      FlowRecvStats& into = by_flow[s.flow_id];
      into.flow_id = s.flow_id;
      add_counts(into, s);
      continue;
    }
    out.receiver_flows.push_back(s);
  }
  for (const auto& [id, s] : by_flow) {
    out.receiver_flows.push_back(s);
  }
  std::sort(out.receiver_flows.begin(), out.receiver_flows.end(),
            [](const FlowRecvStats& a, const FlowRecvStats& b) { return a.flow_id < b.flow_id; });
  out.connect.server_accepts = tcp_accepted_.load(std::memory_order_relaxed);
  out.connect.server_threads_started = threads_started_.load(std::memory_order_relaxed);
  pooled_.merge_into(out);
  out.receiver.cpu.add(folded_cpu_);
  out.receiver.loop.add(folded_loop_);
  for (const ThreadState& t : threads_) {
    out.receiver.cpu.add(t.cpu);
    out.receiver.loop.add(t.loop);
    if (t.delay) {
      out.latency.merge(*t.delay);
      out.latency_from_actual.merge(*t.delay_actual);
      out.delay_variation.merge(*t.ipdv);
    }
  }
}

void ReceiverState::set_error(std::string message) {
  const std::lock_guard lock(mutex_);
  if (error_.empty()) {
    error_ = std::move(message);
  }
}

void ReceiverState::record_failure(const std::exception& e, std::uint32_t flow_id) noexcept {
  if (dynamic_cast<const std::bad_alloc*>(&e) == nullptr) {
    try {
      set_error(e.what());
      return;
    } catch (...) {
      // No memory for the message (or the lock failed): record it without
      // allocating.
    }
  }
  std::uint32_t none = kNoFlow;
  out_of_memory_flow_.compare_exchange_strong(none, flow_id);
  out_of_memory_.store(true);
}

std::string ReceiverState::error() const {
  const std::lock_guard lock(mutex_);
  if (error_.empty() && out_of_memory_.load()) {
    const std::uint32_t flow = out_of_memory_flow_.load();
    return (flow == kNoFlow ? std::string("a serving thread") : "flow " + std::to_string(flow)) +
           ": out of memory while measuring (std::bad_alloc); the test's figures are incomplete";
  }
  return error_;
}

void record_thread_exit(ThreadState& t) noexcept {
  t.cpu = sys::thread_cpu_usage();
  try {
    t.flush_all();
  } catch (const std::bad_alloc&) {
    // Out of memory merging the last interval's samples: they only feed the
    // live display, and the run's histograms are separate. Dropping them
    // beats ending the process from a noexcept function.
  }
}

}  // namespace netbench::receiver
