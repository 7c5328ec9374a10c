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

void ReceiverState::restrict_tcp(const Endpoint& host) noexcept { tcp_host_ = host; }

bool ReceiverState::admit_tcp(const sockaddr_storage& peer) noexcept {
  if (!tcp_host_) {
    return true;
  }
  // A connection from another host, or one more than the test's flows,
  // is a stranger's: it would add a flow (or a descriptor) to the test.
  if (same_host(peer, tcp_host_->addr) &&
      tcp_admitted_.fetch_add(1, std::memory_order_relaxed) < spec_.flows) {
    return true;
  }
  tcp_refused_.fetch_add(1, std::memory_order_relaxed);
  return false;
}

FlowState& ReceiverState::add_flow() {
  const std::lock_guard lock(mutex_);
  return flows_.emplace_back();
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
  ThreadState& t = threads_.emplace_back(exchange_);
  t.delay = std::move(delay);
  t.delay_actual = std::move(delay_actual);
  t.ipdv = std::move(ipdv);
  if (measures_delay() && pooled) {
    t.pool = &pooled_;
  }
  return t;
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
  return out;
}

void ReceiverState::collect(RunResult& out, std::span<const std::uint64_t> sent_by_flow) const {
  const std::lock_guard lock(mutex_);
  out.receiver_flows.clear();
  out.receiver_flows.reserve(flows_.size());
  for (const FlowState& f : flows_) {
    FlowRecvStats s = f.stats;
    s.messages = f.live_messages.load(std::memory_order_relaxed);
    s.bytes = f.live_bytes.load(std::memory_order_relaxed);
    s.unique = f.tracker.unique();
    s.duplicates = f.tracker.duplicates();
    s.reordered = f.tracker.reordered();
    s.beyond_window = f.tracker.beyond_window();
    s.reorder_extents = f.tracker.reorder_extents();
    s.jitter_ns = f.jitter.jitter_ns();
    if (spec_.mode == Mode::kStream && spec_.full_stats() && s.flow_id < sent_by_flow.size()) {
      s.loss = f.tracker.finalize(sent_by_flow[s.flow_id]);
      s.socket_drops = f.drops.finalize(sent_by_flow[s.flow_id], f.tracker.next_expected());
    } else {
      s.socket_drops = f.drops.datagrams();
    }
    if (!f.flow_id_known && s.messages == 0 && s.warmup_messages == 0 && s.malformed == 0) {
      continue;  // a connection that never said anything (e.g. a port probe)
    }
    out.receiver_flows.push_back(s);
  }
  std::sort(out.receiver_flows.begin(), out.receiver_flows.end(),
            [](const FlowRecvStats& a, const FlowRecvStats& b) { return a.flow_id < b.flow_id; });
  pooled_.merge_into(out);
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
