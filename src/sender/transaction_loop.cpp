#include "sender/transaction_loop.hpp"

#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "netbench/clock.hpp"
#include "netbench/error.hpp"
#include "netbench/sender.hpp"
#include "sender/flow_socket.hpp"
#include "sys/proc_net.hpp"

namespace netbench {

std::uint32_t transactions_per_flow(const TestSpec& spec) noexcept {
  return spec.open_loop() ? kOpenLoopTransactionsPerFlow : spec.outstanding;
}

}  // namespace netbench

namespace netbench::sender {
namespace {

/// After the last start, how long the open transactions may take to end.
constexpr std::uint64_t kDrainNs = 2'000'000'000;
/// No transaction began or ended for this long: the server is stuck.
constexpr std::uint64_t kStallNs = 10'000'000'000;
/// A TCP connect not established by then fails (the kernel would retry its
/// SYN for two minutes).
constexpr std::uint64_t kConnectTimeoutNs = 5'000'000'000;
/// A UDP request whose reply has not come by then is lost.
constexpr std::uint64_t kUdpReplyTimeoutNs = 1'000'000'000;
/// How often open transactions are checked against their deadlines.
constexpr std::uint64_t kExpireEveryNs = 10'000'000;
/// The longest sleep in one wait, ns.
constexpr std::uint64_t kMaxWaitNs = 10'000'000;

}  // namespace

TransactionLoop::TransactionLoop(SenderState& state, MessageLedger& ledger,
                                 std::vector<SendFlow>& flows, TransactionStats& stats)
    : state_(state),
      ledger_(ledger),
      flows_(flows),
      stats_(stats),
      per_flow_(transactions_per_flow(state.spec())),
      open_(flows.size(), 0),
      buffer_(std::max<std::size_t>(state.size(), 64U * 1024U), std::byte{0}),
      ep_(::epoll_create1(EPOLL_CLOEXEC)) {
  if (!ep_) {
    throw SystemError("epoll_create1", "sender", errno);
  }
  slots_.resize(std::size_t{per_flow_} * flows.size());
  free_.reserve(slots_.size());
  for (std::size_t i = slots_.size(); i-- > 0;) {
    free_.push_back(static_cast<std::uint32_t>(i));
  }
}

void TransactionLoop::watch(std::uint32_t slot, std::uint32_t events, bool add) {
  epoll_event ev{};
  ev.events = events;
  ev.data.u32 = slot;
  if (::epoll_ctl(ep_.get(), add ? EPOLL_CTL_ADD : EPOLL_CTL_MOD, slots_[slot].fd.get(), &ev) !=
      0) {
    throw SystemError("epoll_ctl", "transaction socket", errno);
  }
}

bool TransactionLoop::begin(std::uint32_t index, std::uint64_t due_now) {
  SendFlow& f = flows_[index];
  // A fresh reading: a pass that begins many transactions must not stamp
  // the later ones with the time the pass began.
  const std::uint64_t now = std::max(due_now, now_ns());
  const TestSpec& spec = state_.spec();
  // The request is taken now, stamped with this time: the transaction's
  // latency runs from here (and from its intended time), connect included.
  MessageCursor c{f.pacer, f.warm_seq, f.issued};
  std::array<std::byte, kWireHeaderBytes> header{};
  const std::optional<Outgoing> m = ledger_.take(f, c, now, true, header);
  if (!m) {
    return false;
  }
  f.pacer = c.pacer;
  f.warm_seq = c.warm_seq;
  f.issued = c.seq;
  const std::uint32_t slot = free_.back();
  Txn& t = slots_[slot];
  t.fd = open_flow_socket(spec, state_.target().family());
  if (state_.tcp() && spec.close == Close::kRst) {
    // close() then resets the connection: no FIN handshake, no TIME_WAIT.
    const linger l{1, 0};
    ::setsockopt(t.fd.get(), SOL_SOCKET, SO_LINGER, &l, sizeof l);
  }
  free_.pop_back();
  ++open_[index];
  t.flow = index;
  t.message = *m;
  t.header = header;
  t.begin_ns = now;
  t.offset = 0;
  t.decoder = FrameDecoder{};
  const Endpoint& target = state_.target();
  int rc = ::connect(t.fd.get(), target.sa(), target.len);
  while (rc != 0 && errno == EINTR) {
    rc = ::connect(t.fd.get(), target.sa(), target.len);
  }
  if (rc != 0 && errno == EADDRNOTAVAIL) {
    fatal_ = sys::ephemeral_ports_exhausted(target.to_string());
    end(slot, Outcome::kConnectFailed);
    return true;
  }
  if (rc != 0 && errno != EINPROGRESS) {
    end(slot, Outcome::kConnectFailed);
    return true;
  }
  if (rc != 0) {
    t.phase = Phase::kConnecting;
    t.deadline_ns = now + kConnectTimeoutNs;
    watch(slot, EPOLLOUT, true);
    return true;
  }
  t.phase = Phase::kSending;
  watch(slot, EPOLLIN, true);
  on_connected(slot, now_ns());
  return true;
}

void TransactionLoop::on_connected(std::uint32_t slot, std::uint64_t now) {
  Txn& t = slots_[slot];
  if (!t.message.warm && state_.spec().full_stats()) {
    stats_.connect_latency.record(now > t.begin_ns ? now - t.begin_ns : 0);
  }
  t.phase = Phase::kSending;
  send_request(slot, now);
}

void TransactionLoop::send_request(std::uint32_t slot, std::uint64_t now) {
  Txn& t = slots_[slot];
  const std::size_t size = state_.size();
  std::memcpy(buffer_.data(), t.header.data(), kWireHeaderBytes);
  while (t.offset < size) {
    const std::size_t from = t.offset;
    if (from < kWireHeaderBytes) {
      std::memcpy(buffer_.data(), t.header.data(), kWireHeaderBytes);
    }
    const ssize_t n =
        ::send(t.fd.get(), buffer_.data() + from, size - from, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n > 0) {
      t.offset += static_cast<std::size_t>(n);
      if (!state_.tcp()) {
        t.offset = size;  // a datagram goes whole
      }
      continue;
    }
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      SendFlow& f = flows_[t.flow];
      ++f.stats.would_block;
      watch(slot, EPOLLOUT, false);
      return;
    }
    if (!state_.tcp()) {
      ++flows_[t.flow].stats.send_failures;
    }
    end(slot, Outcome::kFailed);
    return;
  }
  // Booked against the time the transaction began: its pacing lateness is
  // how late it began, not how long it took to connect.
  ledger_.book(flows_[t.flow], t.begin_ns, t.message);
  ledger_.progress(now);
  t.phase = Phase::kReading;
  if (!state_.tcp()) {
    t.deadline_ns = now + kUdpReplyTimeoutNs;
  }
  watch(slot, EPOLLIN | EPOLLRDHUP, false);
}

void TransactionLoop::on_reply(std::uint32_t slot) {
  Txn& t = slots_[slot];
  SendFlow& f = flows_[t.flow];
  for (int i = 0; i < 64; ++i) {
    const ssize_t n = ::recv(t.fd.get(), buffer_.data(), buffer_.size(), MSG_DONTWAIT);
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      return;
    }
    if (n <= 0 && state_.tcp()) {
      end(slot, Outcome::kFailed);  // reset or closed before the whole reply
      return;
    }
    if (n < 0) {
      end(slot, Outcome::kFailed);  // UDP: ECONNREFUSED, an ICMP error
      return;
    }
    const std::uint64_t now = now_ns();
    const std::span<const std::byte> got(buffer_.data(), static_cast<std::size_t>(n));
    bool replied = false;
    if (state_.tcp()) {
      if (!t.decoder.feed(got, [&](const WireHeader& h) {
            replied = true;
            ledger_.reply(f, h, now);
          })) {
        ++f.stats.replies_malformed;
        end(slot, Outcome::kFailed);
        return;
      }
    } else if (const DecodeResult r = decode_datagram(got);
               r.ok() && r.header.flow_id == f.id && r.header.send_ns == t.begin_ns) {
      replied = true;
      ledger_.reply(f, r.header, now);
    } else {
      ++f.stats.replies_malformed;
      continue;
    }
    if (replied) {
      end(slot, Outcome::kDone);
      return;
    }
  }
}

void TransactionLoop::on_event(std::uint32_t slot, std::uint32_t events) {
  Txn& t = slots_[slot];
  switch (t.phase) {
    case Phase::kFree:
      return;
    case Phase::kConnecting: {
      int err = 0;
      socklen_t len = sizeof err;
      if (::getsockopt(t.fd.get(), SOL_SOCKET, SO_ERROR, &err, &len) != 0 || err != 0 ||
          (events & (EPOLLERR | EPOLLHUP)) != 0) {
        if (err == EADDRNOTAVAIL) {
          fatal_ = sys::ephemeral_ports_exhausted(state_.target().to_string());
        }
        end(slot, Outcome::kConnectFailed);
        return;
      }
      on_connected(slot, now_ns());
      return;
    }
    case Phase::kSending:
      send_request(slot, now_ns());
      return;
    case Phase::kReading:
      on_reply(slot);
      return;
  }
}

void TransactionLoop::end(std::uint32_t slot, Outcome how) {
  Txn& t = slots_[slot];
  SendFlow& f = flows_[t.flow];
  const bool measured = !t.message.warm;
  switch (how) {
    case Outcome::kDone:
      break;
    case Outcome::kConnectFailed:
      stats_.connect_failures += measured ? 1 : 0;
      break;
    case Outcome::kFailed:
      stats_.transaction_failures += measured ? 1 : 0;
      break;
    case Outcome::kTimedOut:
      if (t.phase == Phase::kConnecting) {
        stats_.connect_failures += measured ? 1 : 0;
      } else {
        stats_.reply_timeouts += measured ? 1 : 0;
      }
      break;
  }
  if (how != Outcome::kDone && t.phase == Phase::kReading && f.outstanding > 0) {
    --f.outstanding;  // booked as sent; its reply will never be
  }
  // Closing removes the socket from the epoll set; with --close rst its
  // SO_LINGER 0 makes this a reset.
  t.fd.reset();
  t.phase = Phase::kFree;
  free_.push_back(slot);
  --open_[t.flow];
  ledger_.progress(now_ns());
}

void TransactionLoop::start_due(std::uint64_t now) {
  if (!fatal_.empty()) {
    return;
  }
  if (!state_.spec().open_loop()) {
    for (std::uint32_t i = 0; i < flows_.size(); ++i) {
      SendFlow& f = flows_[i];
      while (!f.done && open_[i] < per_flow_ && fatal_.empty()) {
        if (!begin(i, now)) {
          f.done = true;
        }
      }
    }
    return;
  }
  // Starts held back by a full flow go first, at their intended times.
  for (std::size_t k = 0; k < waiting_.size();) {
    const std::uint32_t i = waiting_[k];
    if (open_[i] >= per_flow_) {
      ++k;
      continue;
    }
    waiting_[k] = waiting_.back();
    waiting_.pop_back();
    if (!begin(i, now)) {
      flows_[i].done = true;
    } else {
      heap_.push({flows_[i].pacer.next_ns(), i});
    }
  }
  while (!heap_.empty() && heap_.top().due_ns <= now && fatal_.empty()) {
    const std::uint32_t i = heap_.top().flow;
    heap_.pop();
    if (flows_[i].done) {
      continue;
    }
    if (open_[i] >= per_flow_) {
      waiting_.push_back(i);
      continue;
    }
    if (!begin(i, now)) {
      flows_[i].done = true;
      continue;
    }
    heap_.push({flows_[i].pacer.next_ns(), i});
  }
}

void TransactionLoop::expire(std::uint64_t now) {
  for (std::uint32_t slot = 0; slot < slots_.size(); ++slot) {
    const Txn& t = slots_[slot];
    const bool timed =
        t.phase == Phase::kConnecting || (t.phase == Phase::kReading && !state_.tcp());
    if (timed && now >= t.deadline_ns) {
      end(slot, Outcome::kTimedOut);
    }
  }
}

bool TransactionLoop::all_done() const noexcept {
  for (std::uint32_t i = 0; i < flows_.size(); ++i) {
    if (!flows_[i].done || open_[i] > 0) {
      return false;
    }
  }
  return true;
}

std::string TransactionLoop::run(std::stop_token stop) {
  const TestSpec& spec = state_.spec();
  if (spec.open_loop()) {
    for (std::uint32_t i = 0; i < flows_.size(); ++i) {
      heap_.push({flows_[i].pacer.next_ns(), i});
    }
  }
  std::array<epoll_event, 256> events{};
  const std::uint64_t end_ns = state_.end_ns();
  std::uint64_t drain_deadline = UINT64_MAX;
  std::uint64_t next_expire = 0;
  for (;;) {
    if (stop.stop_requested()) {
      return "interrupted";
    }
    std::uint64_t now = now_ns();
    if (ledger_.sending() && now >= end_ns) {
      ledger_.stop_sending();
    }
    start_due(now);
    if (!fatal_.empty()) {
      return fatal_;
    }
    if (!ledger_.sending()) {
      for (SendFlow& f : flows_) {
        f.done = true;
      }
    }
    now = now_ns();
    if (all_done()) {
      // A paced --duration run covers its whole schedule.
      if (spec.count != 0 || now >= end_ns || !spec.open_loop()) {
        return {};
      }
    }
    const bool starts_over =
        std::all_of(flows_.begin(), flows_.end(), [](const SendFlow& f) { return f.done; });
    if (starts_over && open_count() > 0) {
      if (drain_deadline == UINT64_MAX) {
        drain_deadline = now + kDrainNs;
      }
      if (now >= drain_deadline) {
        // What has not ended by now never will: count it as failed.
        for (std::uint32_t slot = 0; slot < slots_.size(); ++slot) {
          if (slots_[slot].phase != Phase::kFree) {
            end(slot, Outcome::kTimedOut);
          }
        }
        return {};
      }
    }
    if (now > ledger_.last_progress_ns() && now - ledger_.last_progress_ns() > kStallNs) {
      return "no progress for 10 s: the server stopped accepting or answering";
    }
    if (now >= next_expire) {
      expire(now);
      next_expire = now + kExpireEveryNs;
    }
    std::uint64_t wait_ns = kMaxWaitNs;
    if (!heap_.empty()) {
      const std::uint64_t due = heap_.top().due_ns;
      wait_ns = std::min(wait_ns, due > now ? due - now : 0);
    }
    if (ledger_.sending() && end_ns != UINT64_MAX) {
      wait_ns = std::min(wait_ns, end_ns > now ? end_ns - now : 0);
    }
    const timespec ts{static_cast<time_t>(wait_ns / 1'000'000'000),
                      static_cast<long>(wait_ns % 1'000'000'000)};
    const int n = spec.busy_poll
                      ? ::epoll_wait(ep_.get(), events.data(), static_cast<int>(events.size()), 0)
                      : ::epoll_pwait2(ep_.get(), events.data(), static_cast<int>(events.size()),
                                       &ts, nullptr);
    if (n < 0 && errno != EINTR) {
      return std::string("epoll_wait: ") + std::strerror(errno);
    }
    for (int i = 0; i < n; ++i) {
      const epoll_event& ev = events[static_cast<std::size_t>(i)];
      on_event(ev.data.u32, ev.events);
    }
    if (!fatal_.empty()) {
      return fatal_;
    }
    ledger_.maybe_flush(now_ns());
  }
}

}  // namespace netbench::sender
