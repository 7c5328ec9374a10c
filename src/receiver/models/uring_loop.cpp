#include "receiver/models/uring_loop.hpp"

#include <poll.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <optional>
#include <utility>

#include "netbench/clock.hpp"
#include "netbench/error.hpp"
#include "sys/socket_ops.hpp"
#include "sys/uring.hpp"

namespace netbench::receiver {
namespace {

/// The test hook NETBENCH_URING_FORCE_FALLBACK=single-shot: serve with the
/// oldest kernels' path (single-shot accept and receive, one cancel per
/// request) on a kernel that has the newer one, so that tests can run it.
bool forced_fallback() noexcept {
  const char* v = std::getenv("NETBENCH_URING_FORCE_FALLBACK");  // NOLINT(concurrency-mt-unsafe)
  return v != nullptr && std::strcmp(v, "single-shot") == 0;
}

/// Largest power of two <= `n` (n >= 1).
unsigned floor_pow2(std::size_t n) noexcept {
  unsigned p = 1;
  while (std::size_t{p} * 2 <= n && p < 32768) {
    p *= 2;
  }
  return p;
}

}  // namespace

using uring_detail::kBufferBudget;
using uring_detail::kCqEntries;
using uring_detail::kDrainMs;
using uring_detail::kGroup;
using uring_detail::kSingleTcpBufferBytes;
using uring_detail::kSqEntries;
using uring_detail::kTcpBufferBytes;
using uring_detail::tag;

UringModel::Loop::Loop(UringModel& model, ThreadState& thread)
    : model_(&model),
      thread_(&thread),
      tcp_(model.state().spec().proto == Proto::kTcp),
      echo_(model.state().spec().replies()),
      ring_(kSqEntries, kCqEntries) {
  // The newest path the kernel has, per feature (UringPath).
  const bool forced = forced_fallback();
  const bool v5_19 = !forced && sys::kernel_at_least(5, 19);
  path_.setup = ring_.setup();
  path_.forced = forced;
  path_.features = sys::uring_feature_names(ring_.features());
  path_.multishot_accept = v5_19;
  cancel_any_ = v5_19;
  path_.multishot_receive = !forced && sys::kernel_at_least(6, 0);
  if (path_.multishot_receive) {
    const TestSpec& spec = model.state().spec();
    try {
      bufs_.emplace(buffer_count(spec), buffer_bytes(spec));
      bufs_->attach(ring_, kGroup);
      holds_.assign(bufs_->count(), 0);
      echo_records_.assign(bufs_->count(), nullptr);
    } catch (const SystemError& e) {
      if (e.error_code() != EINVAL) {
        throw;
      }
      bufs_.reset();  // no provided-buffer rings after all: single-shot receives
      path_.multishot_receive = false;
    }
  }
  model.state().note_uring(path_);
}

void UringModel::Loop::run(ServeSet part, int wake_fd, std::stop_token stop) {
  arm(Op::kWake, 0, [&](io_uring_sqe* s) { io_uring_prep_poll_add(s, wake_fd, POLLIN); });
  listeners_ = std::move(part.tcp_listeners);
  for (std::size_t i = 0; i < listeners_.size(); ++i) {
    // Requests wait in the kernel, not in a non-blocking retry.
    sys::set_nonblocking(listeners_[i].get(), false);
    arm_accept(static_cast<std::uint32_t>(i));
  }
  for (FlowSocket& f : part.udp_flows) {
    Connection c = model_->udp_connection(std::move(f), *thread_);
    sys::set_nonblocking(c.fd(), false);
    add(std::move(c));
  }
  for (Fd& fd : part.tcp_connections) {
    // Blocking, as accepted ones: requests wait in the kernel.
    sys::set_nonblocking(fd.get(), false);
    add(model_->tcp_connection(std::move(fd), *thread_));
  }
  const UringModel& m = *model_;
  const int timeout = m.wait_ms();
  const std::uint64_t coalesce = m.coalesce_ns();
  enter(0);  // the standing requests in the kernel: from now on nothing waits on setup
  model_->serving(*thread_);
  while (!stop.stop_requested()) {
    coalesce_pause(coalesce);
    enter(timeout);
    const unsigned n = reap();
    thread_->maybe_flush(now_ns());
    if (n == 0) {
      if (timeout == 0) {
        spin_pause();
      }
      continue;
    }
    ++thread_->loop.wakeups;  // an io_uring_enter that returned completions
    thread_->loop.ready_events += n;
  }
  shutdown();
}

std::size_t UringModel::Loop::buffer_bytes(const TestSpec& spec) noexcept {
  if (spec.proto == Proto::kTcp) {
    return kTcpBufferBytes;
  }
  // A recvmsg buffer holds its header, the source's address (connect mode:
  // the socket is not connected), the ancillary data and the datagram.
  const std::size_t b =
      sizeof(io_uring_recvmsg_out) + name_bytes(spec) + kUdpControlBytes + udp_slot_bytes(spec);
  return (b + 63) & ~std::size_t{63};
}

/// Room for a datagram's source in a recvmsg buffer: a connect-mode
/// socket answers each request there; a flow socket is connected.
socklen_t UringModel::Loop::name_bytes(const TestSpec& spec) noexcept {
  return spec.mode == Mode::kConnect ? sizeof(sockaddr_storage) : 0;
}

unsigned UringModel::Loop::buffer_count(const TestSpec& spec) noexcept {
  return std::max(64U, floor_pow2(kBufferBudget / buffer_bytes(spec)));
}

/// One io_uring_enter: submits and waits. Throws on a fatal error.
void UringModel::Loop::enter(int wait_ms) {
  const int rc = ring_.submit_and_wait(wait_ms);
  // ETIME: the wait timed out; EINTR: a signal; EBUSY/EAGAIN: the
  // completion queue is full or memory short, and the reap frees it.
  if (rc < 0 && rc != -ETIME && rc != -EINTR && rc != -EBUSY && rc != -EAGAIN) {
    throw SystemError("io_uring_enter", "", -rc);
  }
}

/// Handles every completion present, in one batch. Returns how many.
unsigned UringModel::Loop::reap() {
  const std::uint64_t now = now_ns();  // one clock read per batch, as recvmmsg
  unsigned head = 0;
  unsigned n = 0;
  io_uring_cqe* cqe = nullptr;
  io_uring_for_each_cqe(ring_.get(), head, cqe) {
    ++n;
    dispatch(*cqe, now);
  }
  io_uring_cq_advance(ring_.get(), n);
  if (bufs_) {
    bufs_->publish();
  }
  return n;
}

void UringModel::Loop::arm_accept(std::uint32_t i) {
  const int fd = listeners_[i].get();
  arm(Op::kAccept, i, [fd, multishot = path_.multishot_accept](io_uring_sqe* s) {
    if (multishot) {
      io_uring_prep_multishot_accept(s, fd, nullptr, nullptr, 0);
    } else {
      io_uring_prep_accept(s, fd, nullptr, nullptr, 0);  // one; re-armed as it completes
    }
  });
}

void UringModel::Loop::arm_recv(std::uint32_t i) {
  Peer& p = *peers_[i];
  if (stopping_ || p.closing || p.paused || p.recv_armed) {
    return;
  }
  if (!bufs_) {
    arm_single_recv(i);
    return;
  }
  p.recv_armed = true;
  arm(Op::kRecv, i, [&](io_uring_sqe* s) {
    if (tcp_) {
      io_uring_prep_recv_multishot(s, p.conn.fd(), nullptr, 0, 0);
    } else {
      io_uring_prep_recvmsg_multishot(s, p.conn.fd(), &p.msg, 0);
    }
    s->flags |= IOSQE_BUFFER_SELECT;
    s->buf_group = kGroup;
  });
}

/// Single-shot path: one receive into the peer's own buffer, re-armed as
/// it completes. A UDP one waits for the echoes still sent from that buffer.
void UringModel::Loop::arm_single_recv(std::uint32_t i) {
  Peer& p = *peers_[i];
  if (!tcp_ && p.sends > 0) {
    return;  // re-armed by the last echo's completion
  }
  if (p.buf.empty()) {
    const TestSpec& spec = model_->state().spec();
    p.buf.resize(tcp_ ? kSingleTcpBufferBytes : udp_slot_bytes(spec));
  }
  p.recv_armed = true;
  arm(Op::kRecv, i, [&](io_uring_sqe* s) {
    if (tcp_) {
      io_uring_prep_recv(s, p.conn.fd(), p.buf.data(), p.buf.size(), 0);
      return;
    }
    p.iov = {p.buf.data(), p.buf.size()};
    p.msg.msg_iov = &p.iov;
    p.msg.msg_iovlen = 1;
    p.msg.msg_name = p.conn.shares_udp() ? &p.from : nullptr;
    p.msg.msg_namelen = p.conn.shares_udp() ? sizeof p.from : 0;
    p.msg.msg_control = p.control.data();
    p.msg.msg_controllen = p.control.size();
    p.msg.msg_flags = 0;
    io_uring_prep_recvmsg(s, p.conn.fd(), &p.msg, 0);
  });
}

void UringModel::Loop::cancel(Op op, std::uint32_t i) {
  arm(Op::kCancel, i, [i, op](io_uring_sqe* s) { io_uring_prep_cancel64(s, tag(op, i), 0); });
}

void UringModel::Loop::add(Connection c) {
  std::uint32_t i = 0;
  if (free_.empty()) {
    i = static_cast<std::uint32_t>(peers_.size());
    peers_.emplace_back();
  } else {
    i = free_.back();
    free_.pop_back();
  }
  peers_[i] = std::make_unique<Peer>(std::move(c));
  // Room for SO_RXQ_OVFL and UDP_GRO, and the source address on a
  // connect-mode socket (a connected flow socket has none).
  peers_[i]->msg.msg_controllen = kUdpControlBytes;
  peers_[i]->msg.msg_namelen =
      peers_[i]->conn.shares_udp() ? name_bytes(model_->state().spec()) : 0;
  arm_recv(i);
}

/// Drops peer `i`: retired now, freed (its socket closed) once its
/// requests have ended.
void UringModel::Loop::close(std::uint32_t i) {
  Peer& p = *peers_[i];
  if (p.closing) {
    return;
  }
  p.closing = true;
  p.conn.retire();
  if (p.recv_armed) {
    cancel(Op::kRecv, i);
  }
  if (tcp_ && p.sends > 0) {
    cancel(Op::kSend, i);
  }
  maybe_free(i);
}

void UringModel::Loop::maybe_free(std::uint32_t i) {
  const Peer& p = *peers_[i];
  if (p.closing && !p.recv_armed && p.sends == 0) {
    peers_[i].reset();
    free_.push_back(i);
  }
}

void UringModel::Loop::dispatch(const io_uring_cqe& cqe, std::uint64_t now) {
  const auto op = static_cast<Op>(cqe.user_data >> 56);
  const auto index = static_cast<std::uint32_t>(cqe.user_data);
  const bool more = (cqe.flags & IORING_CQE_F_MORE) != 0;
  if (!more) {
    --outstanding_;  // the request's last completion
  }
  switch (op) {
    case Op::kAccept:
      on_accept(index, cqe.res, more);
      return;
    case Op::kRecv: {
      Peer& p = *peers_[index];
      p.recv_armed = more;
      if (tcp_) {
        on_tcp_recv(index, cqe);
      } else {
        on_udp_recv(index, cqe, now);
      }
      if (!more && peers_[index]) {
        arm_recv(index);  // a multishot receive that ended (ENOBUFS, ...) goes on
        maybe_free(index);
      }
      return;
    }
    case Op::kSend:
      on_tcp_sent(index, cqe.res);
      return;
    case Op::kEcho:
    case Op::kMeasuredEcho: {
      Peer& p = *peers_[index];
      --p.sends;
      const auto buffer = static_cast<std::uint16_t>(cqe.user_data >> 32);
      if (op == Op::kMeasuredEcho) {
        // A datagram leaves whole or not at all.
        const auto size = static_cast<std::size_t>(std::max(cqe.res, 0));
        FlowState* record = bufs_ ? echo_records_[buffer] : p.echoes[buffer].record;
        Connection::on_udp_echo_sent(*record, size, cqe.res > 0 ? cqe.res : -1);
      }
      if (bufs_) {
        release(buffer);
      } else if (p.sends == 0) {
        p.echoes.clear();  // the buffer is free: receive into it again
        arm_recv(index);
      }
      maybe_free(index);
      return;
    }
    case Op::kWake:  // the stop request: the loop sees its token
    case Op::kCancel:
      return;
  }
}

void UringModel::Loop::on_accept(std::uint32_t listener, int res, bool more) {
  if (res == -EINVAL && path_.multishot_accept) {
    // A kernel without multishot accept after all: one at a time.
    path_.multishot_accept = false;
    model_->state().note_uring(path_);
  }
  if (!more && !stopping_) {
    arm_accept(listener);  // a single-shot accept, or a multishot one that ended: again
  }
  if (res < 0) {
    // As accept4 in the readiness models: a connection gone before it was
    // taken is skipped, anything else (EMFILE ...) fails the test.
    if (res == -ECANCELED || res == -ECONNABORTED || res == -EPROTO || res == -EINTR ||
        res == -EAGAIN || (res == -EINVAL && !path_.multishot_accept)) {
      return;
    }
    throw SystemError("io_uring accept", "tcp listener", -res);
  }
  Fd fd(res);
  sockaddr_storage from{};
  socklen_t len = sizeof from;
  if (::getpeername(fd.get(), reinterpret_cast<sockaddr*>(&from), &len) != 0 ||  // NOLINT
      !model_->state().admit_tcp(from)) {
    return;  // gone already, or a stranger's: closed here, never a flow
  }
  if (stopping_) {
    return;
  }
  add(model_->tcp_connection(std::move(fd), *thread_));
}

/// Cancels every outstanding request and reaps until all have ended (at
/// most kDrainMs), then retires the flows still open.
void UringModel::Loop::shutdown() {
  stopping_ = true;
  if (cancel_any_) {
    arm(Op::kCancel, 0,
        [](io_uring_sqe* s) { io_uring_prep_cancel64(s, 0, IORING_ASYNC_CANCEL_ANY); });
  } else {
    cancel_each();
  }
  const std::uint64_t deadline = now_ns() + std::uint64_t{kDrainMs} * 1'000'000;
  while (outstanding_ > 0 && now_ns() < deadline) {
    enter(10);
    reap();
  }
  for (auto& p : peers_) {
    if (p && !p->closing) {
      p->conn.retire();
    }
  }
}

/// Before 5.19 (IORING_ASYNC_CANCEL_ANY): one cancel per standing
/// request (each user_data names one). UDP echoes, sent with
/// MSG_DONTWAIT, end by themselves.
void UringModel::Loop::cancel_each() {
  cancel(Op::kWake, 0);
  for (std::size_t i = 0; i < listeners_.size(); ++i) {
    cancel(Op::kAccept, static_cast<std::uint32_t>(i));
  }
  for (std::size_t i = 0; i < peers_.size(); ++i) {
    const Peer* p = peers_[i].get();
    if (p == nullptr) {
      continue;
    }
    if (p->recv_armed) {
      cancel(Op::kRecv, static_cast<std::uint32_t>(i));
    }
    if (tcp_ && p->sends > 0) {
      cancel(Op::kSend, static_cast<std::uint32_t>(i));
    }
  }
}

}  // namespace netbench::receiver
