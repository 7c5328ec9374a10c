#include "sender/send_loop.hpp"

#include <sched.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/socket.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <exception>

#include "netbench/clock.hpp"
#include "netbench/error.hpp"
#include "sys/socket_ops.hpp"

namespace netbench::sender {
namespace {

/// Echo: how long to wait for outstanding replies once sending has ended.
constexpr std::uint64_t kDrainNs = 2'000'000'000;
/// No send completed and no reply came for this long: the peer is stuck.
constexpr std::uint64_t kStallNs = 10'000'000'000;
/// --pacing spin: waits shorter than this are spun (epoll_wait with a zero
/// timeout), since a sleeping wake-up is tens of µs late on a loaded VM.
/// The default (--pacing sleep) sleeps to the deadline and sends what is due
/// then in one go (send_due): the lateness grows by a wake-up, the CPU cost
/// falls from a core to what the sends cost (results/pacing.md).
constexpr std::uint64_t kSpinNs = 60'000;
/// Sends per pass before the loop looks at its sockets again.
constexpr unsigned kSendBatch = 64;
/// --pacing sleep: at most one wake-up per this long, ns. Below it the
/// sender sleeps past the next deadline and sends everything then due in
/// one go: a wake-up costs several µs of CPU, so waking for every message at
/// 50k msg/s would cost about half a core; the price is up to this much
/// lateness at rates above 1/kSleepQuantumNs per loop.
constexpr std::uint64_t kSleepQuantumNs = 100'000;
/// The longest sleep in one wait, ns.
constexpr std::uint64_t kMaxWaitNs = 100'000'000;

}  // namespace

SendLoop::SendLoop(SenderState& state, unsigned index)
    : state_(state),
      index_(index),
      live_(std::make_unique<LoopLive>()),
      ledger_(state, *live_),
      replies_(state, ledger_),
      ep_(::epoll_create1(EPOLL_CLOEXEC)) {
  if (!ep_) {
    throw SystemError("epoll_create1", "sender", errno);
  }
  if (state.tcp()) {
    tcp_.emplace(ledger_, state.size());
  } else {
    udp_.emplace(state, ledger_);
  }
}

void SendLoop::add(std::uint32_t flow_id, Fd fd, std::uint64_t quota) {
  SendFlow& f = flows_.emplace_back();
  f.id = flow_id;
  f.stats.flow_id = flow_id;
  f.quota = quota;
  f.fd = std::move(fd);
  if (state_.spec().zerocopy && f.fd) {
    enable_zerocopy(f.fd.get());
    f.zc = make_zerocopy_flow(state_.spec(), udp_ ? udp_->slots() : 1);
  }
  if (!always_watched() || state_.connect()) {
    return;  // connect mode: each transaction brings its own socket
  }
  epoll_event ev{};
  ev.events = EPOLLIN | EPOLLRDHUP;
  ev.data.u32 = static_cast<std::uint32_t>(flows_.size() - 1);
  if (::epoll_ctl(ep_.get(), EPOLL_CTL_ADD, f.fd.get(), &ev) != 0) {
    throw SystemError("epoll_ctl", "sender flow " + std::to_string(flow_id), errno);
  }
  f.watched = true;
}

void SendLoop::watch(SendFlow& f, std::uint32_t index, bool out, bool errors) {
  epoll_event ev{};
  // EPOLLERR (the error queue holds completions) is reported whatever is asked.
  ev.events = EPOLLIN | EPOLLRDHUP | (out ? EPOLLOUT : 0U);
  ev.data.u32 = index;
  int op = EPOLL_CTL_MOD;
  if (!always_watched()) {
    const bool want = out || errors;
    op = want ? EPOLL_CTL_ADD : EPOLL_CTL_DEL;
    if (want == f.watched) {
      return;
    }
    f.watched = want;
  }
  ::epoll_ctl(ep_.get(), op, f.fd.get(), &ev);
}

void SendLoop::schedule(std::uint32_t index, std::uint64_t due_ns) {
  heap_.push({due_ns, order_++, index});
}

SendResult SendLoop::write(SendFlow& f, std::uint64_t now) {
  return tcp_ ? tcp_->write(f, now) : udp_->write(f, now);
}

void SendLoop::after_send(std::uint32_t index) {
  SendFlow& f = flows_[index];
  const TestSpec& spec = state_.spec();
  if (state_.echo() && !spec.open_loop() && f.outstanding >= spec.outstanding) {
    f.parked = true;  // closed loop: a reply will unpark it
    return;
  }
  schedule(index);
}

void SendLoop::finish_flow(SendFlow& f) {
  f.done = true;
  if (state_.tcp() && !f.shut && !f.closed && !state_.echo()) {
    // Stream over TCP: the receiver sees EOF after the last message.
    ::shutdown(f.fd.get(), SHUT_WR);
    f.shut = true;
  }
}

void SendLoop::on_event(std::uint32_t index, std::uint32_t events) {
  SendFlow& f = flows_[index];
  if (f.zc && (events & EPOLLERR) != 0) {
    f.zc->reap(f.fd.get());  // completions: level-triggered until read
  }
  // With --zerocopy, EPOLLERR alone is a completion, read above.
  const std::uint32_t readable =
      EPOLLIN | EPOLLRDHUP | EPOLLHUP | (f.zc ? 0U : static_cast<std::uint32_t>(EPOLLERR));
  if ((events & readable) != 0 && replies_.read(f)) {
    schedule(index);
  }
  if (f.blocked && !f.closed && (events & (EPOLLOUT | EPOLLERR | EPOLLHUP)) != 0) {
    f.blocked = false;
    watch(f, index, false);
    schedule(index, 0);  // finish the message now, then catch up
  }
}

void SendLoop::send_due() {
  std::uint64_t now = now_ns();
  for (unsigned sends = 0; sends < kSendBatch && !heap_.empty() && heap_.top().due_ns <= now;
       ++sends) {
    const std::uint32_t index = heap_.top().flow;
    SendFlow& f = flows_[index];
    heap_.pop();
    if (f.done || f.closed || f.blocked) {
      continue;
    }
    switch (write(f, now)) {
      case SendResult::kSent:
        after_send(index);
        break;
      case SendResult::kBlocked:
        f.blocked = true;
        watch(f, index, true);
        break;
      case SendResult::kNothing:
        finish_flow(f);
        break;
      case SendResult::kBroken:
        f.closed = true;
        break;
      case SendResult::kWaitCompletions:
        // Not EPOLLOUT, which would wake at once: EPOLLERR, when the
        // error queue gets a completion.
        f.blocked = true;
        watch(f, index, false, true);
        break;
    }
    now = now_ns();
  }
  if (!ledger_.sending()) {
    // Time is up: flows between messages are finished.
    for (SendFlow& f : flows_) {
      if (!f.done && !f.in_progress) {
        finish_flow(f);
      }
    }
  }
}

bool SendLoop::all_done() const noexcept {
  return std::all_of(flows_.begin(), flows_.end(),
                     [](const SendFlow& f) { return f.done || f.closed; });
}

void SendLoop::run(std::stop_token stop) {
  const TestSpec& spec = state_.spec();
  // Loop i on the i-th CPU of --cpu's sender list, round robin. The CPUs
  // were checked at setup (check_cpus_available); a refusal now leaves the
  // thread where the scheduler puts it.
  sys::pin_current_thread(sys::cpu_of_thread(spec.sender_cpus, index_));
  const bool paced = spec.rate_msgs_per_s > 0;
  if (paced) {
    // Precise sleeps: the default 50 µs timer slack would blur the schedule.
    ::prctl(PR_SET_TIMERSLACK, 1UL, 0UL, 0UL, 0UL);
  }
  const std::uint64_t t0 = state_.t0_ns();
  ledger_.progress(t0);
  // The total rate is split evenly over every flow of the test, whichever
  // loop it is on; constant schedules are staggered by flow id.
  const double per_flow_rate = spec.rate_msgs_per_s / static_cast<double>(spec.flows);
  for (std::uint32_t i = 0; i < flows_.size(); ++i) {
    SendFlow& f = flows_[i];
    const auto stagger = paced && spec.pattern == Pattern::kConstant
                             ? static_cast<std::uint64_t>(1e9 / spec.rate_msgs_per_s * f.id)
                             : 0;
    f.pacer = Pacer(spec.pattern, per_flow_rate, t0, stagger, 0x9E3779B97F4A7C15ULL * (f.id + 1));
    schedule(i);
  }
  if (state_.connect()) {
    try {
      TransactionLoop transactions(state_, ledger_, flows_, transactions_);
      const std::string why = transactions.run(stop);
      if (!why.empty()) {
        fail(why);
      }
    } catch (const std::exception& e) {
      fail(e.what());  // a socket that could not be made (EMFILE ...)
    }
    finish_flows();
    ledger_.flush();
    cpu_ = sys::thread_cpu_usage();
    state_.loop_finished();
    return;
  }
  std::array<epoll_event, 256> events{};
  std::uint64_t drain_deadline = UINT64_MAX;
  const std::uint64_t end_ns = state_.end_ns();
  std::uint64_t last_wake_ns = 0;  // when the last wait returned

  for (;;) {
    if (stop.stop_requested()) {
      fail("interrupted");
      break;
    }
    std::uint64_t now = now_ns();
    if (ledger_.sending() && now >= end_ns) {
      ledger_.stop_sending();
    }
    send_due();
    now = now_ns();
    const bool sends_over = all_done();
    if (sends_over) {
      const bool waiting =
          state_.echo() && std::any_of(flows_.begin(), flows_.end(), [](const SendFlow& f) {
            return !f.closed && f.outstanding > 0;
          });
      // A --duration run covers its whole schedule: a paced flow that sent
      // its last message early (--rate 1 --duration 1s) still ends at the
      // end of the duration, so that the run, its intervals and its rates
      // span the period asked for.
      const bool schedule_left =
          spec.count == 0 && now < end_ns &&
          std::any_of(flows_.begin(), flows_.end(), [](const SendFlow& f) { return !f.closed; });
      if (!waiting && !schedule_left) {
        break;
      }
      if (!waiting) {
        // Nothing to send or await before the end of the schedule: sleep
        // until then (the wait below is bounded by end_ns).
      } else if (drain_deadline == UINT64_MAX) {
        drain_deadline = now + kDrainNs;
      }
      if (waiting && now >= drain_deadline) {
        break;  // unanswered requests are lost (UDP) or stuck (TCP)
      }
    }
    if (now - ledger_.last_progress_ns() > kStallNs && !sends_over) {
      fail("no progress for 10 s: the receiver stopped reading or answering");
      break;
    }
    // How long may we wait for the sockets?
    std::uint64_t wait_ns = kMaxWaitNs;
    if (!heap_.empty()) {
      const std::uint64_t due = heap_.top().due_ns;
      wait_ns = due > now ? std::min(wait_ns, due - now) : 0;
    }
    if (ledger_.sending() && end_ns != UINT64_MAX) {
      wait_ns = std::min(wait_ns, end_ns > now ? end_ns - now : 0);
    }
    if (drain_deadline != UINT64_MAX) {
      wait_ns = std::min(wait_ns, drain_deadline > now ? drain_deadline - now : 0);
    }
    if (paced && !spec.pacing_spin && !spec.busy_poll && wait_ns > 0 &&
        now - last_wake_ns < kSleepQuantumNs) {
      // Not again before a quantum has passed since the last wake-up.
      wait_ns = std::max(wait_ns, last_wake_ns + kSleepQuantumNs - now);
    }
    int n = 0;
    if (spec.busy_poll || wait_ns == 0 || (spec.pacing_spin && wait_ns < kSpinNs)) {
      // --busy-poll: never sleep, for sends and echo replies alike.
      n = ::epoll_wait(ep_.get(), events.data(), static_cast<int>(events.size()), 0);
    } else {
      // --pacing spin: wake a little early and spin the rest.
      const std::uint64_t sleep_ns = spec.pacing_spin ? wait_ns - kSpinNs / 2 : wait_ns;
      const timespec ts{static_cast<time_t>(sleep_ns / 1'000'000'000),
                        static_cast<long>(sleep_ns % 1'000'000'000)};
      n = ::epoll_pwait2(ep_.get(), events.data(), static_cast<int>(events.size()), &ts, nullptr);
    }
    last_wake_ns = now_ns();
    if (n == 0 && spec.busy_poll) {
      // An empty spin round: let a runnable peer thread (the receiver, on a
      // machine with fewer cores than spinners) have the CPU, if there is one.
      ::sched_yield();
    }
    if (n < 0 && errno != EINTR) {
      fail(std::string("epoll_wait: ") + std::strerror(errno));
      break;
    }
    for (int i = 0; i < n; ++i) {
      const epoll_event& ev = events[static_cast<std::size_t>(i)];
      on_event(ev.data.u32, ev.events);
    }
    ledger_.maybe_flush(now_ns());
  }
  drain_completions();
  finish_flows();
  ledger_.flush();
  cpu_ = sys::thread_cpu_usage();
  state_.loop_finished();
}

void SendLoop::drain_completions() {
  for (SendFlow& f : flows_) {
    if (!f.zc) {
      continue;
    }
    ZeroCopyFlow& zc = *f.zc;
    // Until every send has completed, while completions keep coming: the
    // kernel may still read the headers, which die with the loop. Data
    // still queued behind a slow link completes as it is acknowledged.
    std::uint64_t quiet_since = now_ns();
    while (f.fd && zc.tracker.outstanding() > 0 && now_ns() - quiet_since < kDrainNs) {
      if (zc.reap(f.fd.get()) > 0) {
        quiet_since = now_ns();
      } else {
        wait_error_queue(f.fd.get(), 10);
      }
    }
    zc.tracker.stats().outstanding_at_end = zc.tracker.outstanding();
    f.stats.zerocopy = zc.tracker.stats();
  }
}

void SendLoop::finish_flows() {
  const TestSpec& spec = state_.spec();
  for (SendFlow& f : flows_) {
    if (state_.tcp() && f.fd) {
      f.stats.tcp = sys::read_tcp_info(f.fd.get());
    }
    if (!always_watched() && !f.closed) {
      // What reached the unwatched socket (bounded by its receive buffer).
      replies_.read(f, 1U << 20);
    }
    if (state_.echo() && spec.full_stats()) {
      f.stats.reply_loss = f.replies.finalize(f.stats.messages);
      f.stats.reply_reorder_extents = f.replies.reorder_extents();
    }
  }
}

}  // namespace netbench::sender
