#include "sys/uring.hpp"

#include <sys/mman.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <memory>
#include <mutex>
#include <string_view>
#include <thread>

#include "netbench/error.hpp"

namespace netbench::sys {
namespace {

constexpr std::string_view kOther = ", or pick another --model";

/// "Seccomp:" of /proc/self/status: 0 none, 1 strict, 2 filter; -1 unknown.
int seccomp_mode() {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("Seccomp:", 0) == 0) {
      return std::atoi(line.c_str() + 8);
    }
  }
  return -1;
}

/// kernel.io_uring_disabled (6.6+); -1 where the kernel has no such sysctl.
int io_uring_disabled() {
  std::ifstream in("/proc/sys/kernel/io_uring_disabled");
  int v = -1;
  return (in >> v) ? v : -1;
}

/// The running kernel's release, e.g. "6.18.44"; major and minor parsed.
std::string kernel_release(int& major, int& minor) {
  utsname u{};
  major = minor = 0;
  if (::uname(&u) != 0) {
    return "?";
  }
  std::sscanf(u.release, "%d.%d", &major, &minor);  // NOLINT(cert-err34-c)
  return u.release;
}

bool release_at_least(int major, int minor, int want_major, int want_minor) noexcept {
  return major > want_major || (major == want_major && minor >= want_minor);
}

std::string too_old(const std::string& release, std::string_view lacks) {
  return "io_uring: kernel " + release + " is too old for --model uring (it lacks " +
         std::string(lacks) + "; needs " + std::to_string(kUringMinMajor) + "." +
         std::to_string(kUringMinMinor) + " or later)" + std::string(kOther);
}

}  // namespace

bool kernel_at_least(int major, int minor) noexcept {
  int have_major = 0;
  int have_minor = 0;
  try {
    (void)kernel_release(have_major, have_minor);
  } catch (...) {
    return false;
  }
  return release_at_least(have_major, have_minor, major, minor);
}

std::vector<std::string> uring_feature_names(std::uint32_t features) {
  // The kernel's IORING_FEAT_* bits, in order (include/uapi/linux/io_uring.h).
  static constexpr std::string_view kNames[] = {
      "single_mmap", "nodrop",      "submit_stable",   "rw_cur_pos",   "cur_personality",
      "fast_poll",   "poll_32bits", "sqpoll_nonfixed", "ext_arg",      "native_workers",
      "rsrc_tags",   "cqe_skip",    "linked_file",     "reg_reg_ring", "recvsend_bundle",
      "min_timeout", "rw_attr",     "no_iowait"};
  std::vector<std::string> out;
  for (unsigned bit = 0; bit < 32; ++bit) {
    if ((features & (std::uint32_t{1} << bit)) == 0) {
      continue;
    }
    out.emplace_back(bit < std::size(kNames) ? std::string(kNames[bit])
                                             : "bit_" + std::to_string(bit));
  }
  return out;
}

std::string explain_uring_setup_error(int err, int seccomp, int disabled) {
  const std::string e = std::strerror(err);  // NOLINT(concurrency-mt-unsafe)
  if (err == EPERM && disabled == 2) {
    return "io_uring is disabled on this host by sysctl kernel.io_uring_disabled=2 (" + e +
           "): set it to 0" + std::string(kOther);
  }
  if (err == EPERM && disabled == 1) {
    return "io_uring is restricted by sysctl kernel.io_uring_disabled=1 and this process is "
           "neither privileged nor in kernel.io_uring_group (" +
           e + "): join that group or set the sysctl to 0" + std::string(kOther);
  }
  if ((err == EPERM || err == ENOSYS || err == EACCES) && seccomp == 2) {
    return "io_uring is blocked by this process's seccomp filter (io_uring_setup: " + e +
           "; common in containers): allow io_uring_setup, io_uring_enter and "
           "io_uring_register" +
           std::string(kOther);
  }
  if (err == ENOSYS) {
    return "io_uring: this kernel has none (io_uring_setup: " + e +
           "; built without CONFIG_IO_URING or older than 5.1)" + std::string(kOther);
  }
  if (err == ENOMEM) {
    return "io_uring_setup: " + e + " (raise the locked-memory limit, ulimit -l)" +
           std::string(kOther);
  }
  return "io_uring_setup: " + e + std::string(kOther);
}

namespace {

std::string probe_uring() {
  io_uring ring{};
  const int rc = io_uring_queue_init(8, &ring, 0);
  if (rc < 0) {
    return explain_uring_setup_error(-rc, seccomp_mode(), io_uring_disabled());
  }
  const std::unique_ptr<io_uring, void (*)(io_uring*)> guard(&ring, io_uring_queue_exit);
  int major = 0;
  int minor = 0;
  const std::string release = kernel_release(major, minor);
  if (!release_at_least(major, minor, kUringMinMajor, kUringMinMinor)) {
    return too_old(release, "IORING_FEAT_EXT_ARG");
  }
  if ((ring.features & IORING_FEAT_EXT_ARG) == 0) {
    return too_old(release, "IORING_FEAT_EXT_ARG");
  }
  // io_uring_enter may be filtered apart from io_uring_setup: try one.
  io_uring_sqe* sqe = io_uring_get_sqe(&ring);
  io_uring_prep_nop(sqe);
  if (const int e = io_uring_submit_and_wait(&ring, 1); e < 0) {
    return seccomp_mode() == 2 ? explain_uring_setup_error(-e, 2, -1)
                               : "io_uring_enter: " + std::string(std::strerror(-e)) +  // NOLINT
                                     std::string(kOther);
  }
  io_uring_probe* probe = io_uring_get_probe_ring(&ring);
  if (probe == nullptr) {
    return seccomp_mode() == 2 ? explain_uring_setup_error(EPERM, 2, -1)
                               : too_old(release, "IORING_REGISTER_PROBE");
  }
  const std::unique_ptr<io_uring_probe, void (*)(io_uring_probe*)> probe_guard(probe,
                                                                               io_uring_free_probe);
  for (const auto& [op, name] : {std::pair{IORING_OP_RECVMSG, "IORING_OP_RECVMSG"},
                                 {IORING_OP_RECV, "IORING_OP_RECV"},
                                 {IORING_OP_SEND, "IORING_OP_SEND"},
                                 {IORING_OP_SENDMSG, "IORING_OP_SENDMSG"},
                                 {IORING_OP_ACCEPT, "IORING_OP_ACCEPT"},
                                 {IORING_OP_POLL_ADD, "IORING_OP_POLL_ADD"},
                                 {IORING_OP_ASYNC_CANCEL, "IORING_OP_ASYNC_CANCEL"}}) {
    if (io_uring_opcode_supported(probe, op) == 0) {
      return too_old(release, name);
    }
  }
  // Provided-buffer rings (5.19) and multishot receive (6.0) are not
  // needed: without them each loop receives one request at a time.
  return "";
}

}  // namespace

std::string uring_unavailable_reason() {
  // One probe at a time (two receivers may start at once under --bidir):
  // liburing maps a ring with raw system calls, so a sanitizer does not see
  // the previous probe's ring unmapped when the next one gets its address,
  // and would take the two for a race.
  static std::mutex probing;
  const std::lock_guard lock(probing);
  // On a thread of its own: tearing a ring down can leave task work for the
  // thread that made it, which then interrupts that thread's next blocking
  // call with a timeout (EINTR); the probing thread ends instead.
  std::string why;
  std::jthread([&why] { why = probe_uring(); }).join();
  return why;
}

Ring::Ring(unsigned sq_entries, unsigned cq_entries) {
  // Newest first: one issuer whose completions run only when it asks for
  // them (fewest interruptions), then cooperative task work, then plain.
  struct Choice {
    unsigned flags;
    const char* name;
  };
  static constexpr Choice kChoices[] = {
      {IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN, "single_issuer+defer_taskrun"},
      {IORING_SETUP_COOP_TASKRUN, "coop_taskrun"},
      {0, "plain"},
  };
  int rc = -EINVAL;
  for (const Choice& c : kChoices) {
    io_uring_params p{};
    p.flags = c.flags | IORING_SETUP_CQSIZE;
    p.cq_entries = cq_entries;
    rc = io_uring_queue_init_params(sq_entries, &ring_, &p);
    if (rc == 0) {
      setup_ = c.name;
      return;
    }
    if (rc != -EINVAL) {
      break;  // not a missing feature: the next choice would fail alike
    }
  }
  throw SystemError("io_uring_setup", "", -rc);
}

Ring::~Ring() { io_uring_queue_exit(&ring_); }

io_uring_sqe* Ring::sqe() {
  io_uring_sqe* s = io_uring_get_sqe(&ring_);
  if (s == nullptr) {
    io_uring_submit(&ring_);  // the queue is full: hand it over, then take one
    s = io_uring_get_sqe(&ring_);
  }
  if (s == nullptr) {
    throw SystemError("io_uring_get_sqe", "", EBUSY);
  }
  return s;
}

int Ring::submit_and_wait(int wait_ms) noexcept {
  // liburing 2.3's io_uring_submit_and_wait_timeout() skips the system call
  // when a completion is already there; this always makes exactly one, so
  // that the wake-ups counted are the io_uring_enter calls made. The queue
  // flush is liburing's __io_uring_flush_sq for a ring without SQPOLL.
  io_uring_sq& sq = ring_.sq;
  const unsigned tail = sq.sqe_tail;
  if (sq.sqe_head != tail) {
    sq.sqe_head = tail;
    io_uring_smp_store_release(sq.ktail, tail);
  }
  const unsigned to_submit = tail - *sq.khead;
  __kernel_timespec ts{wait_ms / 1000, static_cast<long long>(wait_ms % 1000) * 1'000'000};
  io_uring_getevents_arg arg{};
  arg.sigmask_sz = _NSIG / 8;
  arg.ts = wait_ms > 0 ? reinterpret_cast<std::uintptr_t>(&ts) : 0;  // NOLINT: kernel ABI
  const int rc =
      io_uring_enter2(static_cast<unsigned>(ring_.ring_fd), to_submit, wait_ms > 0 ? 1U : 0U,
                      IORING_ENTER_GETEVENTS | IORING_ENTER_EXT_ARG,
                      reinterpret_cast<sigset_t*>(&arg),  // NOLINT: kernel ABI
                      sizeof arg);
  return rc < 0 ? rc : 0;
}

BufferRing::BufferRing(unsigned count, std::size_t size) : count_(count), size_(size) {
  const auto page = static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
  ring_bytes_ = (count * sizeof(io_uring_buf) + page - 1) / page * page;
  data_bytes_ = (std::size_t{count} * size + page - 1) / page * page;
  void* mem =
      ::mmap(nullptr, ring_bytes_, PROT_READ | PROT_WRITE, MAP_ANONYMOUS | MAP_PRIVATE, -1, 0);
  if (mem == MAP_FAILED) {
    throw SystemError("mmap", "io_uring buffer ring", errno);
  }
  ring_ = static_cast<io_uring_buf_ring*>(mem);
  void* data =
      ::mmap(nullptr, data_bytes_, PROT_READ | PROT_WRITE, MAP_ANONYMOUS | MAP_PRIVATE, -1, 0);
  if (data == MAP_FAILED) {
    const int err = errno;
    ::munmap(ring_, ring_bytes_);
    throw SystemError("mmap", "io_uring buffers", err);
  }
  data_ = static_cast<std::byte*>(data);
  io_uring_buf_ring_init(ring_);
}

BufferRing::~BufferRing() {
  ::munmap(data_, data_bytes_);
  ::munmap(ring_, ring_bytes_);
}

void BufferRing::attach(Ring& ring, std::uint16_t group) {
  io_uring_buf_reg reg{};
  reg.ring_addr = reinterpret_cast<std::uintptr_t>(ring_);  // NOLINT: kernel ABI
  reg.ring_entries = count_;
  reg.bgid = group;
  if (const int rc = io_uring_register_buf_ring(ring.get(), &reg, 0); rc < 0) {
    throw SystemError("io_uring_register_buf_ring", "", -rc);
  }
  for (unsigned id = 0; id < count_; ++id) {
    recycle(static_cast<std::uint16_t>(id));
  }
  publish();
}

void BufferRing::recycle(std::uint16_t id) noexcept {
  const std::span<std::byte> b = buffer(id);
  io_uring_buf_ring_add(ring_, b.data(), static_cast<unsigned>(b.size()), id,
                        io_uring_buf_ring_mask(count_), pending_++);
}

void BufferRing::publish() noexcept {
  if (pending_ > 0) {
    io_uring_buf_ring_advance(ring_, pending_);
    pending_ = 0;
  }
}

}  // namespace netbench::sys
