#include "netbench/sender.hpp"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <netinet/udp.h>
#include <poll.h>
#include <sched.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/select.h>
#include <sys/socket.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <optional>
#include <queue>
#include <span>

#include "sender/pacer.hpp"
#include "measure/latency_exchange.hpp"
#include "sys/socket_ops.hpp"
#include "netbench/clock.hpp"
#include "netbench/error.hpp"
#include "netbench/frame_decoder.hpp"
#include "netbench/sequence_tracker.hpp"
#include "netbench/wire_header.hpp"

namespace netbench {
namespace {

constexpr std::uint64_t kConnectTimeoutMs = 5'000;
/// Echo: how long to wait for outstanding replies once sending has ended.
constexpr std::uint64_t kDrainNs = 2'000'000'000;
/// No send completed and no reply came for this long: the peer is stuck.
constexpr std::uint64_t kStallNs = 10'000'000'000;
/// Waits shorter than this are spun (epoll_wait with a zero timeout):
/// a sleeping wake-up is tens of µs late on a loaded VM.
constexpr std::uint64_t kSpinNs = 60'000;
/// Sends per pass before the loop looks at its sockets again.
constexpr unsigned kSendBatch = 64;
/// A sendmmsg batch up to this size is laid out as whole datagrams.
constexpr std::size_t kMaxContiguousBatchBytes = 1U << 20;

void bump(std::atomic<std::uint64_t>& c, std::uint64_t n = 1) noexcept {
  c.store(c.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
}

Fd connect_flow(const TestSpec& spec, const Endpoint& target) {
  const int type = spec.proto == Proto::kTcp ? SOCK_STREAM : SOCK_DGRAM;
  Fd fd = sys::make_socket(target.family(), type);
  if (spec.proto == Proto::kTcp && spec.tcp_nodelay()) {
    sys::set_int_option(fd.get(), IPPROTO_TCP, TCP_NODELAY, 1, "TCP_NODELAY");
  }
  sys::set_buffer(fd.get(), true, spec.socket_buffer_bytes);
  sys::set_buffer(fd.get(), false, spec.socket_buffer_bytes);
  sys::set_nonblocking(fd.get(), true);
  const std::string where =
      std::string(spec.proto == Proto::kTcp ? "tcp " : "udp ") + target.to_string();
  sys::connect_with_timeout(fd.get(), target, where, kConnectTimeoutMs);
  return fd;
}

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

struct Flow {
  std::uint32_t id = 0;
  Fd fd;
  sender::Pacer pacer;
  std::uint64_t quota = UINT64_MAX;  // measured messages to send
  std::uint64_t warm_seq = 0;
  // The message being sent (TCP may take several sends).
  bool in_progress = false;
  bool current_warm = false;
  std::uint64_t current_intended = 0;
  std::array<std::byte, kWireHeaderBytes> header{};
  std::size_t offset = 0;
  // State.
  bool blocked = false;  // waiting for EPOLLOUT
  bool watched = false;  // in the sender's epoll set
  bool parked = false;   // echo closed loop: K requests in flight
  bool done = false;     // sent its share
  bool closed = false;   // the connection broke
  bool shut = false;     // write side shut down
  std::uint64_t outstanding = 0;
  FrameDecoder decoder;     // echo over TCP
  SequenceTracker replies;  // echo: reply order and loss
  FlowSendStats stats;
};

/// One datagram of a sendmmsg batch.
struct BatchSlot {
  std::array<std::byte, kWireHeaderBytes> header{};
  std::array<iovec, 2> iov{};
  bool warm = false;
  std::uint64_t intended = 0;
};

struct Due {
  std::uint64_t due_ns;
  std::uint64_t order;  // ties in due time go round robin
  std::uint32_t flow;
  bool operator>(const Due& o) const noexcept {
    return due_ns != o.due_ns ? due_ns > o.due_ns : order > o.order;
  }
};

}  // namespace

struct Sender::Impl {
  Impl(const TestSpec& s) : spec(s), size(s.message_bytes()), interval(exchange) {}

  TestSpec spec;
  std::uint32_t size;
  std::vector<Flow> flows;
  // One message's worth of filler shared by all flows; TCP sends the part
  // after the header, UDP first copies the flow's header into its front.
  std::vector<std::byte> payload;
  std::vector<std::byte> rx;  // echo replies
  Fd ep;
  std::vector<BatchSlot> batch_;  // UDP: spec.batch slots (gso_segments_ under --gso)
  std::vector<mmsghdr> mmsg_;
  // Whole datagrams back to back, each header written in place (the filler
  // after each header stays zero): the --gso super-datagram, and the
  // sendmmsg batch when it fits in kMaxContiguousBatchBytes, so that each
  // datagram is one iovec (the kernel's single-segment fast path) instead
  // of header + shared filler.
  std::vector<std::byte> dgram_buf_;
  std::size_t gso_segments_ = 0;
  /// Writes batch_[i]'s header into its slot of dgram_buf_; the slot.
  std::span<std::byte> place(std::size_t i) {
    const std::span<std::byte> slot(dgram_buf_.data() + i * size, size);
    std::memcpy(slot.data(), batch_[i].header.data(), kWireHeaderBytes);
    return slot;
  }
  std::priority_queue<Due, std::vector<Due>, std::greater<>> heap;
  std::uint64_t order = 0;

  std::uint64_t warm_end_ns = 0;
  std::uint64_t end_ns = UINT64_MAX;  // no sends intended at or after this
  bool sending = true;
  std::uint64_t last_progress_ns = 0;
  std::uint64_t last_send_ns = 0;
  std::uint64_t last_reply_ns = 0;

  LatencyExchange exchange;
  IntervalLatency interval;
  LatencyHistogram rtt;         // echo: from intended send time
  LatencyHistogram rtt_actual;  // echo: from actual send time
  PacingStats pacing;
  CpuUsage cpu;
  std::string error;
  bool aborted = false;

  std::atomic<std::uint64_t> live_messages{0};
  std::atomic<std::uint64_t> live_bytes{0};
  std::atomic<std::uint64_t> live_replies{0};
  std::atomic<std::uint64_t> live_reply_bytes{0};
  std::atomic<std::uint64_t> live_start{0};
  std::atomic<bool> finished{false};

  [[nodiscard]] bool echo() const noexcept { return spec.mode == Mode::kEcho; }
  [[nodiscard]] bool tcp() const noexcept { return spec.proto == Proto::kTcp; }

  /// A UDP stream flow waits on nothing (no replies are expected), so its
  /// socket stays out of the epoll set except while a send is blocked: a
  /// socket with a waiter pays a wake-up call (the wait queue's spinlock and
  /// ep_poll_callback) on every datagram the loopback frees, on the sender's
  /// CPU. Stray datagrams and ICMP errors are read when the flow ends.
  [[nodiscard]] bool always_watched() const noexcept { return tcp() || echo(); }
  void watch(Flow& f, bool out) {
    epoll_event ev{};
    ev.events = EPOLLIN | EPOLLRDHUP | (out ? EPOLLOUT : 0U);
    ev.data.u32 = f.id;
    int op = EPOLL_CTL_MOD;
    if (!always_watched()) {
      op = out ? EPOLL_CTL_ADD : EPOLL_CTL_DEL;
      if (out == f.watched) {
        return;
      }
      f.watched = out;
    }
    ::epoll_ctl(ep.get(), op, f.fd.get(), &ev);
  }
  void schedule(Flow& f) { heap.push({f.pacer.next_ns(), order++, f.id}); }

  enum class SendResult : std::uint8_t { kSent, kBlocked, kNothing, kBroken };
  SendResult send_one(Flow& f, std::uint64_t now);
  SendResult send_udp(Flow& f, std::uint64_t now);
  /// Sends batch_[0, k) as one UDP_SEGMENT send; the count sent (k) or -1.
  int send_gso(Flow& f, std::size_t k);
  void complete(Flow& f, std::uint64_t now, bool warm, std::uint64_t intended);
  void after_send(Flow& f);
  void finish_flow(Flow& f);
  void on_event(Flow& f, std::uint32_t events, std::uint64_t now);
  /// Reads what is queued on the flow's socket, up to `limit` reads.
  void read_replies(Flow& f, unsigned limit = 64);
  void on_reply(Flow& f, const WireHeader& h, std::uint64_t now);
  void run(std::stop_token stop);
  [[nodiscard]] bool all_done() const noexcept;
};

Sender::Impl::SendResult Sender::Impl::send_one(Flow& f, std::uint64_t now) {
  if (!tcp()) {
    return send_udp(f, now);
  }
  if (!f.in_progress) {
    const std::uint64_t intended = f.pacer.unlimited() ? now : f.pacer.next_ns();
    const bool warm = intended < warm_end_ns;
    if (!warm && (!sending || f.stats.messages >= f.quota || intended >= end_ns)) {
      return SendResult::kNothing;
    }
    WireHeader h;
    h.flags = warm ? static_cast<std::uint8_t>(MessageFlag::kWarmup) : 0;
    h.flow_id = f.id;
    h.seq = warm ? f.warm_seq : f.stats.messages;
    h.send_ns = now;
    h.intended_ns = intended;
    h.length = size;
    encode_header(h, f.header);
    f.in_progress = true;
    f.current_warm = warm;
    f.current_intended = intended;
    f.offset = 0;
  }
  if (f.offset == 0) {
    // A fresh message goes in one plain send() of the shared buffer with the
    // header copied into its front: cheaper than sendmsg() with two iovecs
    // (no msghdr to copy in; about 5% of a 1400 B stream's sender time).
    std::memcpy(payload.data(), f.header.data(), kWireHeaderBytes);
    const ssize_t n = ::send(f.fd.get(), payload.data(), size, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n == static_cast<ssize_t>(size)) {
      complete(f, now, f.current_warm, f.current_intended);
      return SendResult::kSent;
    }
    if (n > 0) {
      f.offset = static_cast<std::size_t>(n);
      return SendResult::kBlocked;  // the rest resumes below, from the flow's own header
    }
    if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) {
      ++f.stats.would_block;
      return SendResult::kBlocked;
    }
    f.stats.closed_by_peer = true;
    return SendResult::kBroken;
  }
  // A TCP message may go in pieces: resume at f.offset, header kept per flow
  // (the shared buffer's front may hold another flow's header by now).
  std::array<iovec, 2> iov{};
  std::size_t n_iov = 0;
  if (f.offset < kWireHeaderBytes) {
    iov[n_iov++] = {f.header.data() + f.offset, kWireHeaderBytes - f.offset};
    iov[n_iov++] = {payload.data() + kWireHeaderBytes, size - kWireHeaderBytes};
  } else {
    iov[n_iov++] = {payload.data() + f.offset, size - f.offset};
  }
  msghdr msg{};
  msg.msg_iov = iov.data();
  msg.msg_iovlen = n_iov;
  const ssize_t n = ::sendmsg(f.fd.get(), &msg, MSG_NOSIGNAL | MSG_DONTWAIT);
  if (n >= 0) {
    f.offset += static_cast<std::size_t>(n);
    if (f.offset < size) {
      return SendResult::kBlocked;  // TCP took part of it: wait for room
    }
    complete(f, now, f.current_warm, f.current_intended);
    return SendResult::kSent;
  }
  if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) {
    ++f.stats.would_block;
    return SendResult::kBlocked;
  }
  f.stats.closed_by_peer = true;
  return SendResult::kBroken;
}

Sender::Impl::SendResult Sender::Impl::send_udp(Flow& f, std::uint64_t now) {
  // Up to spec.batch datagrams that are due now go in one sendmmsg (one
  // plain send when the batch is 1). The pacer is peeked on a copy: only
  // what the kernel takes is consumed.
  sender::Pacer peek = f.pacer;
  std::uint64_t warm_seq = f.warm_seq;
  std::uint64_t seq = f.stats.messages;
  std::size_t limit = spec.gso ? gso_segments_ : batch_.size();
  if (echo() && !spec.open_loop()) {
    limit = std::min<std::size_t>(
        limit, spec.outstanding - std::min<std::uint64_t>(f.outstanding, spec.outstanding));
  }
  std::size_t k = 0;
  for (; k < limit; ++k) {
    const std::uint64_t intended = peek.unlimited() ? now : peek.next_ns();
    if (k > 0 && intended > now) {
      break;  // the next one is not due yet
    }
    const bool warm = intended < warm_end_ns;
    if (!warm && (!sending || seq >= f.quota || intended >= end_ns)) {
      break;
    }
    WireHeader h;
    h.flags = warm ? static_cast<std::uint8_t>(MessageFlag::kWarmup) : 0;
    h.flow_id = f.id;
    h.seq = warm ? warm_seq++ : seq++;
    h.send_ns = now;
    h.intended_ns = intended;
    h.length = size;
    BatchSlot& b = batch_[k];
    encode_header(h, b.header);
    b.warm = warm;
    b.intended = intended;
    peek.advance();
  }
  if (k == 0) {
    return SendResult::kNothing;
  }
  int sent = 0;
  if (spec.gso && k > 1) {
    sent = send_gso(f, k);
  } else if (k == 1) {
    std::memcpy(payload.data(), batch_[0].header.data(), kWireHeaderBytes);
    sent = ::send(f.fd.get(), payload.data(), size, MSG_DONTWAIT) >= 0 ? 1 : -1;
  } else {
    for (std::size_t i = 0; i < k; ++i) {
      BatchSlot& b = batch_[i];
      mmsg_[i] = {};
      mmsg_[i].msg_hdr.msg_iov = b.iov.data();
      if (!dgram_buf_.empty()) {
        const std::span<std::byte> slot = place(i);
        b.iov[0] = {slot.data(), slot.size()};
        mmsg_[i].msg_hdr.msg_iovlen = 1;
      } else {
        b.iov[0] = {b.header.data(), kWireHeaderBytes};
        b.iov[1] = {payload.data() + kWireHeaderBytes, size - kWireHeaderBytes};
        mmsg_[i].msg_hdr.msg_iovlen = b.iov.size();
      }
    }
    sent = ::sendmmsg(f.fd.get(), mmsg_.data(), static_cast<unsigned>(k), MSG_DONTWAIT);
  }
  if (sent > 0) {
    // A short count: the kernel reports the next datagram's error next time.
    for (int i = 0; i < sent; ++i) {
      complete(f, now, batch_[static_cast<std::size_t>(i)].warm,
               batch_[static_cast<std::size_t>(i)].intended);
    }
    return SendResult::kSent;
  }
  if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) {
    ++f.stats.would_block;
    return SendResult::kBlocked;
  }
  // ENOBUFS, ECONNREFUSED (an ICMP error from an earlier datagram) ...: the
  // datagram is gone; it counts as sent and failed (loss attribution).
  ++f.stats.send_failures;
  complete(f, now, batch_[0].warm, batch_[0].intended);
  return SendResult::kSent;
}

int Sender::Impl::send_gso(Flow& f, std::size_t k) {
  for (std::size_t i = 0; i < k; ++i) {
    place(i);
  }
  iovec iov{dgram_buf_.data(), k * size};
  // The kernel cuts the buffer into datagrams of `size` bytes (gso_size).
  alignas(cmsghdr) std::array<char, CMSG_SPACE(sizeof(std::uint16_t))> control{};
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control.data();
  msg.msg_controllen = control.size();
  cmsghdr* c = CMSG_FIRSTHDR(&msg);
  c->cmsg_level = SOL_UDP;
  c->cmsg_type = UDP_SEGMENT;
  c->cmsg_len = CMSG_LEN(sizeof(std::uint16_t));
  const auto gso_size = static_cast<std::uint16_t>(size);
  std::memcpy(CMSG_DATA(c), &gso_size, sizeof gso_size);
  // All or nothing: one send carries every segment or fails as a whole.
  return ::sendmsg(f.fd.get(), &msg, MSG_DONTWAIT) >= 0 ? static_cast<int>(k) : -1;
}

void Sender::Impl::complete(Flow& f, std::uint64_t now, bool warm, std::uint64_t intended) {
  f.in_progress = false;
  last_progress_ns = now;
  if (warm) {
    ++f.warm_seq;
    ++f.stats.warmup_messages;
  } else {
    if (!f.pacer.unlimited()) {
      pacing.lateness.record(now > intended ? now - intended : 0);
    }
    ++f.stats.messages;
    f.stats.bytes += size;
    bump(live_messages);
    bump(live_bytes, size);
    if (pacing.sends++ == 0) {
      pacing.first_send_ns = now;
    }
    pacing.last_send_ns = now;
    last_send_ns = now;
  }
  if (echo()) {
    ++f.outstanding;
  }
  f.pacer.advance();
}

void Sender::Impl::after_send(Flow& f) {
  // Decide whether the flow goes back on the heap.
  if (echo() && !spec.open_loop() && f.outstanding >= spec.outstanding) {
    f.parked = true;  // closed loop: a reply will unpark it
    return;
  }
  schedule(f);
}

void Sender::Impl::finish_flow(Flow& f) {
  f.done = true;
  if (tcp() && !f.shut && !f.closed && !echo()) {
    // Stream over TCP: the receiver sees EOF after the last message.
    ::shutdown(f.fd.get(), SHUT_WR);
    f.shut = true;
  }
}

void Sender::Impl::on_reply(Flow& f, const WireHeader& h, std::uint64_t now) {
  last_progress_ns = now;
  if (f.outstanding > 0) {
    --f.outstanding;
  }
  if (!h.has(MessageFlag::kWarmup)) {
    ++f.stats.replies;
    f.stats.reply_bytes += h.length;
    bump(live_replies);
    bump(live_reply_bytes, h.length);
    last_reply_ns = now;
    if (!spec.full_stats()) {
      // --stats counts: replies are counted, nothing else (no RTT, no order).
      if (f.parked && f.outstanding < spec.outstanding && !f.done) {
        f.parked = false;
        schedule(f);
      }
      return;
    }
    // Coordinated-omission corrected: from when the request *should* have gone.
    rtt.record(now > h.intended_ns ? now - h.intended_ns : 0);
    const std::uint64_t actual = now > h.send_ns ? now - h.send_ns : 0;
    rtt_actual.record(actual);
    interval.record(spec.open_loop() ? now - std::min(now, h.intended_ns) : actual);
    switch (f.replies.on_arrival(h.seq)) {
      case Arrival::kReordered:
        ++f.stats.reply_reordered;
        break;
      case Arrival::kDuplicate:
        ++f.stats.reply_duplicates;
        break;
      default:
        break;
    }
  }
  if (f.parked && f.outstanding < spec.outstanding && !f.done) {
    f.parked = false;
    schedule(f);
  }
}

void Sender::Impl::read_replies(Flow& f, unsigned limit) {
  for (unsigned i = 0; i < limit; ++i) {
    const ssize_t n = ::recv(f.fd.get(), rx.data(), rx.size(), MSG_DONTWAIT);
    if (n < 0) {
      if (errno == EINTR) {
        continue;
      }
      if (errno == EAGAIN || errno == EWOULDBLOCK || (!tcp() && errno == ECONNREFUSED)) {
        return;
      }
      f.closed = true;
      f.stats.closed_by_peer = true;
      return;
    }
    if (n == 0 && tcp()) {
      f.closed = true;
      f.stats.closed_by_peer = !f.shut;
      return;
    }
    const std::uint64_t now = now_ns();
    const std::span<const std::byte> got(rx.data(), static_cast<std::size_t>(n));
    if (!echo()) {
      ++f.stats.replies_malformed;  // a stream receiver never writes back
      continue;
    }
    if (tcp()) {
      if (!f.decoder.feed(got, [&](const WireHeader& h) { on_reply(f, h, now); })) {
        ++f.stats.replies_malformed;
        f.closed = true;
        return;
      }
    } else if (const DecodeResult r = decode_datagram(got); r.ok() && r.header.flow_id == f.id) {
      on_reply(f, r.header, now);
    } else {
      ++f.stats.replies_malformed;
    }
  }
}

void Sender::Impl::on_event(Flow& f, std::uint32_t events, std::uint64_t now) {
  if ((events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) != 0) {
    read_replies(f);
  }
  if (f.blocked && !f.closed && (events & (EPOLLOUT | EPOLLERR | EPOLLHUP)) != 0) {
    f.blocked = false;
    watch(f, false);
    heap.push({0, order++, f.id});  // finish the message now, then catch up
  }
  (void)now;
}

bool Sender::Impl::all_done() const noexcept {
  return std::all_of(flows.begin(), flows.end(), [](const Flow& f) { return f.done || f.closed; });
}

void Sender::Impl::run(std::stop_token stop) {
  // The CPUs were checked at setup (check_cpus_available); a refusal now
  // leaves the thread where the scheduler puts it.
  sys::pin_current_thread(spec.sender_cpus);
  const bool paced = spec.rate_msgs_per_s > 0;
  if (paced) {
    // Precise sleeps: the default 50 µs timer slack would blur the schedule.
    ::prctl(PR_SET_TIMERSLACK, 1UL, 0UL, 0UL, 0UL);
  }
  const std::uint64_t t0 = now_ns();
  warm_end_ns = t0 + spec.warmup_ns;
  if (spec.count == 0) {
    end_ns = warm_end_ns + spec.duration_ns;
  }
  live_start.store(warm_end_ns, std::memory_order_relaxed);
  last_progress_ns = t0;
  const double per_flow_rate = spec.rate_msgs_per_s / static_cast<double>(flows.size());
  for (Flow& f : flows) {
    const auto stagger = paced && spec.pattern == Pattern::kConstant
                             ? static_cast<std::uint64_t>(1e9 / spec.rate_msgs_per_s * f.id)
                             : 0;
    f.pacer =
        sender::Pacer(spec.pattern, per_flow_rate, t0, stagger, 0x9E3779B97F4A7C15ULL * (f.id + 1));
    schedule(f);
  }
  std::array<epoll_event, 256> events{};
  std::uint64_t drain_deadline = UINT64_MAX;

  for (;;) {
    if (stop.stop_requested()) {
      aborted = true;
      error = "interrupted";
      break;
    }
    std::uint64_t now = now_ns();
    if (sending && now >= end_ns) {
      sending = false;
    }
    for (unsigned sends = 0; sends < kSendBatch && !heap.empty() && heap.top().due_ns <= now;
         ++sends) {
      Flow& f = flows[heap.top().flow];
      heap.pop();
      if (f.done || f.closed || f.blocked) {
        continue;
      }
      switch (send_one(f, now)) {
        case SendResult::kSent:
          after_send(f);
          break;
        case SendResult::kBlocked:
          f.blocked = true;
          watch(f, true);
          break;
        case SendResult::kNothing:
          finish_flow(f);
          break;
        case SendResult::kBroken:
          f.closed = true;
          break;
      }
      now = now_ns();
    }
    if (!sending) {
      // Time is up: flows between messages are finished.
      for (Flow& f : flows) {
        if (!f.done && !f.in_progress) {
          finish_flow(f);
        }
      }
    }
    const bool sends_over = all_done();
    if (sends_over) {
      const bool waiting = echo() && std::any_of(flows.begin(), flows.end(), [](const Flow& f) {
                             return !f.closed && f.outstanding > 0;
                           });
      if (!waiting) {
        break;
      }
      if (drain_deadline == UINT64_MAX) {
        drain_deadline = now + kDrainNs;
      }
      if (now >= drain_deadline) {
        break;  // unanswered requests are lost (UDP) or stuck (TCP)
      }
    }
    if (now - last_progress_ns > kStallNs && !sends_over) {
      error = "no progress for 10 s: the receiver stopped reading or answering";
      aborted = true;
      break;
    }
    // How long may we wait for the sockets?
    std::uint64_t wait_ns = 100'000'000;
    if (!heap.empty()) {
      const std::uint64_t due = heap.top().due_ns;
      wait_ns = due > now ? std::min(wait_ns, due - now) : 0;
    }
    if (sending && end_ns != UINT64_MAX) {
      wait_ns = std::min(wait_ns, end_ns > now ? end_ns - now : 0);
    }
    if (drain_deadline != UINT64_MAX) {
      wait_ns = std::min(wait_ns, drain_deadline > now ? drain_deadline - now : 0);
    }
    int n = 0;
    if (spec.busy_poll || wait_ns < kSpinNs) {
      // --busy-poll: never sleep, for sends and echo replies alike.
      n = ::epoll_wait(ep.get(), events.data(), static_cast<int>(events.size()), 0);
    } else {
      // Wake a little early and spin the rest: sleeping is coarse.
      const std::uint64_t sleep_ns = wait_ns - kSpinNs / 2;
      const timespec ts{static_cast<time_t>(sleep_ns / 1'000'000'000),
                        static_cast<long>(sleep_ns % 1'000'000'000)};
      n = ::epoll_pwait2(ep.get(), events.data(), static_cast<int>(events.size()), &ts, nullptr);
    }
    if (n == 0 && spec.busy_poll) {
      // An empty spin round: let a runnable peer thread (the receiver, on a
      // machine with fewer cores than spinners) have the CPU, if there is one.
      ::sched_yield();
    }
    if (n < 0 && errno != EINTR) {
      error = std::string("epoll_wait: ") + std::strerror(errno);
      aborted = true;
      break;
    }
    now = now_ns();
    for (int i = 0; i < n; ++i) {
      const epoll_event& ev = events[static_cast<std::size_t>(i)];
      on_event(flows[ev.data.u32], ev.events, now);
    }
    interval.maybe_flush(now);
  }
  for (Flow& f : flows) {
    if (tcp()) {
      f.stats.tcp = sys::read_tcp_info(f.fd.get());
    }
    if (!always_watched() && !f.closed) {
      // What reached the unwatched socket (bounded by its receive buffer).
      read_replies(f, 1U << 20);
    }
    if (echo() && spec.full_stats()) {
      f.stats.reply_loss = f.replies.finalize(f.stats.messages);
      f.stats.reply_reorder_extents = f.replies.reorder_extents();
    }
  }
  interval.flush();
  cpu = sys::thread_cpu_usage();
  finished.store(true, std::memory_order_release);
}

Sender::Sender(const TestSpec& spec, const std::vector<Endpoint>& targets, bool high_descriptors)
    : impl_(std::make_unique<Impl>(spec)) {
  validate(spec);
  Impl& s = *impl_;
  if (targets.empty() || (spec.proto == Proto::kUdp && targets.size() < spec.flows)) {
    throw ConfigError("sender: no target address for every flow");
  }
  s.payload.assign(s.size, std::byte{0});
  if (spec.gso) {
    s.gso_segments_ = std::clamp<std::size_t>(kMaxGsoBytes / s.size, 1, kMaxGsoSegments);
  }
  s.batch_.resize(std::max<std::size_t>({1, spec.batch, s.gso_segments_}));
  if (spec.proto == Proto::kUdp && s.batch_.size() > 1 &&
      (spec.gso || s.batch_.size() * s.size <= kMaxContiguousBatchBytes)) {
    s.dgram_buf_.assign(s.batch_.size() * s.size, std::byte{0});
  }
  s.mmsg_.resize(s.batch_.size());
  s.rx.resize(spec.mode == Mode::kEcho ? 256U * 1024U : 4096U);
  s.ep.reset(::epoll_create1(EPOLL_CLOEXEC));
  if (!s.ep) {
    throw SystemError("epoll_create1", "sender", errno);
  }
  s.pacing.target_msgs_per_s = spec.rate_msgs_per_s;
  s.flows.resize(spec.flows);
  const std::uint64_t per_flow = spec.count / spec.flows;
  const std::uint64_t extra = spec.count % spec.flows;
  for (std::uint32_t i = 0; i < spec.flows; ++i) {
    Flow& f = s.flows[i];
    f.id = i;
    f.stats.flow_id = i;
    if (spec.count > 0) {
      f.quota = per_flow + (i < extra ? 1 : 0);
    }
    f.fd = connect_flow(spec, targets[spec.proto == Proto::kUdp ? i : 0]);
    if (spec.gso) {
      probe_gso(f.fd.get(), s.size);
    }
    if (high_descriptors) {
      sys::move_above(f.fd, FD_SETSIZE);
    }
    if (!s.always_watched()) {
      continue;
    }
    epoll_event ev{};
    ev.events = EPOLLIN | EPOLLRDHUP;
    ev.data.u32 = i;
    if (::epoll_ctl(s.ep.get(), EPOLL_CTL_ADD, f.fd.get(), &ev) != 0) {
      throw SystemError("epoll_ctl", "sender flow " + std::to_string(i), errno);
    }
    f.watched = true;
  }
}

Sender::~Sender() = default;

Endpoint Sender::local(std::uint32_t flow) const {
  return sys::local_endpoint(impl_->flows.at(flow).fd.get());
}

void Sender::run(std::stop_token stop) { impl_->run(stop); }

void Sender::send_on_every_flow(std::span<const std::byte> datagram) {
  for (const Flow& f : impl_->flows) {
    [[maybe_unused]] const ssize_t n =
        ::send(f.fd.get(), datagram.data(), datagram.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
  }
}

SenderLive Sender::live() const {
  const Impl& s = *impl_;
  return {s.live_messages.load(std::memory_order_relaxed),
          s.live_bytes.load(std::memory_order_relaxed),
          s.live_replies.load(std::memory_order_relaxed),
          s.live_reply_bytes.load(std::memory_order_relaxed),
          s.live_start.load(std::memory_order_relaxed),
          s.finished.load(std::memory_order_acquire)};
}

LatencyHistogram Sender::take_interval_latency() { return impl_->exchange.take(); }

std::vector<std::uint64_t> Sender::sent_by_flow() const {
  std::vector<std::uint64_t> out;
  out.reserve(impl_->flows.size());
  for (const Flow& f : impl_->flows) {
    out.push_back(f.stats.messages);
  }
  return out;
}

void Sender::collect(RunResult& out) const {
  const Impl& s = *impl_;
  out.message_bytes = s.size;
  out.sender_flows.clear();
  bool broken = false;
  for (const Flow& f : s.flows) {
    out.sender_flows.push_back(f.stats);
    broken = broken || f.stats.closed_by_peer;
  }
  out.sender.cpu.add(s.cpu);
  out.pacing = s.pacing;
  // The measured period runs from the end of warm-up to the last measured
  // send (stream) or the last measured reply (echo).
  const std::uint64_t last = s.echo() ? std::max(s.last_send_ns, s.last_reply_ns) : s.last_send_ns;
  out.measured_ns = last > s.warm_end_ns ? last - s.warm_end_ns : 0;
  if (s.echo()) {
    out.latency = s.rtt;
    out.latency_from_actual = s.rtt_actual;
  }
  if (s.aborted || broken) {
    out.complete = false;
    if (out.error.empty()) {
      out.error = !s.error.empty() ? s.error : "a connection was closed by the peer mid-test";
    }
  }
}

}  // namespace netbench
