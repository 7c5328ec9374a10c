#pragma once

#include <liburing.h>

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace netbench::sys {

/// Oldest kernel the uring model serves on: 5.11, the first with
/// IORING_FEAT_EXT_ARG (a wait with a timeout in one io_uring_enter). Newer
/// features are used where present, each with its nearest older path:
/// multishot receive into a provided-buffer ring (6.0) else one receive at a
/// time into the connection's buffer; multishot accept and cancelling every
/// request at once (5.19) else one accept at a time and one cancel per request.
inline constexpr int kUringMinMajor = 5;
inline constexpr int kUringMinMinor = 11;

/// Whether the running kernel's release is at least `major`.`minor`.
[[nodiscard]] bool kernel_at_least(int major, int minor) noexcept;

/// The names of the IORING_FEAT_* bits set in `features` (io_uring_params),
/// lower case without the prefix ("single_mmap", "ext_arg", ...), in bit
/// order; a bit this build does not know is "bit_N". Pure.
[[nodiscard]] std::vector<std::string> uring_feature_names(std::uint32_t features);

/// Why io_uring cannot serve in this process, as one line naming the cause
/// (kernel.io_uring_disabled, a seccomp filter, too old a kernel, ...), or
/// "" when it can. Sets up and tears down a small ring (and buffer ring) to
/// find out, so it answers for this process as it is, filters included.
[[nodiscard]] std::string uring_unavailable_reason();

/// The cause of a failed io_uring_setup with errno `err`, as one line, from
/// the sysctl and the process's seccomp mode (`seccomp_mode`, "Seccomp:" of
/// /proc/self/status; `disabled`, kernel.io_uring_disabled, -1 if absent).
/// Pure: the reasoning of uring_unavailable_reason(), testable.
[[nodiscard]] std::string explain_uring_setup_error(int err, int seccomp_mode, int disabled);

/// One io_uring instance. Owned by one thread (the one that made it: the
/// ring is set up single-issuer where the kernel allows). Move-less.
class Ring {
 public:
  /// A ring of `sq_entries` submissions and `cq_entries` completions. Tries
  /// IORING_SETUP_SINGLE_ISSUER|DEFER_TASKRUN (6.1), then COOP_TASKRUN
  /// (5.19), then none; setup() names the one taken. Throws SystemError.
  Ring(unsigned sq_entries, unsigned cq_entries);
  ~Ring();
  Ring(const Ring&) = delete;
  Ring& operator=(const Ring&) = delete;

  [[nodiscard]] io_uring* get() noexcept { return &ring_; }
  /// "single_issuer+defer_taskrun", "coop_taskrun" or "plain".
  [[nodiscard]] const char* setup() const noexcept { return setup_; }
  /// io_uring_params.features of the ring (IORING_FEAT_*).
  [[nodiscard]] std::uint32_t features() const noexcept { return ring_.features; }
  /// A free submission entry, submitting queued ones first if the queue is
  /// full. Throws SystemError if none can be had.
  io_uring_sqe* sqe();
  /// One io_uring_enter: submits what is queued and, if `wait_ms` > 0,
  /// waits up to `wait_ms` for one completion. Returns 0 or -errno
  /// (-ETIME: the wait timed out; -EINTR). Needs IORING_FEAT_EXT_ARG.
  int submit_and_wait(int wait_ms) noexcept;

 private:
  io_uring ring_{};
  const char* setup_ = "plain";
};

/// A provided-buffer ring (IORING_REGISTER_PBUF_RING, 5.19): `count`
/// buffers of `size` bytes each that the kernel picks from for multishot
/// receives. liburing 2.3 has no io_uring_setup_buf_ring (2.4): this is it.
/// The memory outlives the registration: destroy the Ring first.
class BufferRing {
 public:
  /// `count` must be a power of two <= 32768. Throws SystemError.
  BufferRing(unsigned count, std::size_t size);
  ~BufferRing();
  BufferRing(const BufferRing&) = delete;
  BufferRing& operator=(const BufferRing&) = delete;

  /// Registers the ring with `ring` as group `group` and hands the kernel
  /// every buffer. Throws SystemError.
  void attach(Ring& ring, std::uint16_t group);
  /// Buffer `id`'s memory (the whole buffer).
  [[nodiscard]] std::span<std::byte> buffer(std::uint16_t id) noexcept {
    return {data_ + std::size_t{id} * size_, size_};
  }
  [[nodiscard]] std::size_t buffer_bytes() const noexcept { return size_; }
  [[nodiscard]] unsigned count() const noexcept { return count_; }
  /// Gives buffer `id` back to the kernel (visible after publish()).
  void recycle(std::uint16_t id) noexcept;
  /// Publishes the buffers recycled since the last call.
  void publish() noexcept;

 private:
  io_uring_buf_ring* ring_ = nullptr;  // mmap'd, page aligned
  std::size_t ring_bytes_ = 0;
  unsigned count_;
  std::size_t size_;
  // The buffers: mmap'd rather than from the heap, so that their memory
  // goes back to the system when the ring ends (a heap block this size
  // would stay in the process after the test: a server's RSS would grow).
  std::byte* data_ = nullptr;
  std::size_t data_bytes_ = 0;
  int pending_ = 0;  // recycled, not yet published
};

}  // namespace netbench::sys
