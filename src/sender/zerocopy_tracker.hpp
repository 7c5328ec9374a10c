#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <utility>
#include <vector>

#include "netbench/results.hpp"
#include "netbench/wire_header.hpp"

namespace netbench::sender {

/// The books of one socket's MSG_ZEROCOPY sends: the kernel numbers every
/// send call it takes (a 32-bit counter per socket, from 0, wrapping) and
/// reports completed ids as ranges [ee_info, ee_data] on the error queue,
/// in any order. The tracker keeps ids 64-bit (unwrapped against the oldest
/// incomplete id, so up to 2^31 may be in flight) and knows the watermark
/// below which every id has completed. Pure; one thread.
class ZeroCopyTracker {
 public:
  /// `first_id`: the id the kernel gives the socket's next zero-copy send
  /// (0 for a fresh socket).
  explicit ZeroCopyTracker(std::uint64_t first_id = 0) noexcept
      : next_(first_id), done_(first_id) {}

  /// The id the kernel gave the send call it just took (64-bit); counted.
  std::uint64_t issue() noexcept {
    ++stats_.sends;
    return next_++;
  }
  /// One notification: ids `lo`..`hi` (the 32-bit ee_info and ee_data, the
  /// range inclusive and possibly wrapping past 2^32) completed; `copied`:
  /// the kernel copied their data (SO_EE_CODE_ZEROCOPY_COPIED). Ids never
  /// issued, or completed before, are counted as unexpected and ignored.
  void complete(std::uint32_t lo, std::uint32_t hi, bool copied);
  /// Every id below this has completed.
  [[nodiscard]] std::uint64_t done_below() const noexcept { return done_; }
  /// Ids issued and not yet completed.
  [[nodiscard]] std::uint64_t outstanding() const noexcept { return next_ - done_ - ahead_; }
  [[nodiscard]] const ZeroCopyStats& stats() const noexcept { return stats_; }
  [[nodiscard]] ZeroCopyStats& stats() noexcept { return stats_; }

 private:
  std::uint64_t next_;       // the next id to issue
  std::uint64_t done_;       // every id below has completed
  std::uint64_t ahead_ = 0;  // ids completed above done_ (in ranges_)
  // Completed ranges [first, second) above done_, sorted, disjoint: a
  // completion that arrived before an older one.
  std::vector<std::pair<std::uint64_t, std::uint64_t>> ranges_;
  ZeroCopyStats stats_;
};

/// Message buffers of one flow's zero-copy sends: the kernel sends from the
/// caller's pages until it reports completion, so a buffer may not be
/// rewritten before then. A FIFO ring of slots, each a header (TCP, whose
/// filler is shared) or a whole datagram (UDP: header and filler side by
/// side, so that a datagram is one page fragment and a UDP_SEGMENT send of
/// consecutive slots one range, within the kernel's 17 fragments per
/// packet); each slot is released when its message is fully handed over
/// (closed) and the last id of a send that read it has completed. One thread.
class HeaderRing {
 public:
  /// `capacity` slots (at least 1) of `slot_bytes` (at least a header),
  /// zero-filled, the first starting on a page.
  explicit HeaderRing(std::size_t capacity, std::size_t slot_bytes = kWireHeaderBytes);

  [[nodiscard]] std::size_t capacity() const noexcept { return ids_.size(); }
  [[nodiscard]] std::size_t used() const noexcept { return used_; }
  [[nodiscard]] std::size_t free() const noexcept { return ids_.size() - used_; }
  /// Takes the next free header (the caller checked free() > 0): its index.
  std::size_t acquire() noexcept;
  /// Gives back the `n` headers acquired last, unsent.
  void unacquire(std::size_t n) noexcept;
  /// The header at the front of slot `i`.
  [[nodiscard]] std::span<std::byte, kWireHeaderBytes> header(std::size_t i) noexcept {
    return slot(i).first<kWireHeaderBytes>();
  }
  /// Slot `i`, all of its bytes.
  [[nodiscard]] std::span<std::byte> slot(std::size_t i) noexcept {
    return {storage_.data() + base_ + i * slot_bytes_, slot_bytes_};
  }
  /// A send that read header `i` got notification id `id` (ids grow).
  void stamp(std::size_t i, std::uint64_t id) noexcept { ids_[i] = id; }
  /// Header `i`'s message is handed over: no further send will read it.
  void close(std::size_t i) noexcept { open_[i] = false; }
  /// Releases the oldest headers that are closed and whose last id is below
  /// `done_below` (or that no zero-copy send read); how many.
  std::size_t release(std::uint64_t done_below) noexcept;

  /// No id was stamped on a header.
  static constexpr std::uint64_t kNoId = UINT64_MAX;

 private:
  std::size_t slot_bytes_;
  std::vector<std::byte> storage_;
  std::size_t base_ = 0;  // the first slot's offset in storage_ (page-aligned)
  std::vector<std::uint64_t> ids_;
  std::vector<bool> open_;
  std::size_t tail_ = 0;  // the oldest header in use
  std::size_t used_ = 0;
};

}  // namespace netbench::sender
