// libFuzzer target: FrameDecoder::feed (include/netbench/frame_decoder.hpp),
// the TCP stream reassembler. The first bytes of the input choose the chunk
// sizes the rest is cut into, so stream splits are fuzzed as well as contents.
// Invariants: message_bytes() only grows, by exactly the reported messages'
// lengths; failed() is sticky and feed() reports it; at_boundary() is false
// once failed; every reported header is valid.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>

#include "netbench/frame_decoder.hpp"
#include "netbench/wire_header.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  // Up to 8 chunk sizes (one byte each, 0 means "a 1-byte chunk" after +1),
  // preceded by how many there are; they are used round robin.
  if (size == 0) {
    return 0;
  }
  const std::size_t n_sizes = std::min<std::size_t>(data[0] % 9, size - 1);
  const std::uint8_t* sizes = data + 1;
  const std::size_t head = 1 + n_sizes;
  const std::span<const std::byte> stream(reinterpret_cast<const std::byte*>(data) + head,
                                          size - head);

  netbench::FrameDecoder dec;
  std::uint64_t reported = 0;
  std::size_t pos = 0;
  std::size_t turn = 0;
  bool was_failed = false;
  while (pos < stream.size()) {
    std::size_t chunk = stream.size() - pos;  // no sizes: all at once
    if (n_sizes != 0) {
      // Sizes 1..256, scaled up by 64 when the top bit is set so large
      // payloads also get skipped across chunks.
      const std::uint8_t s = sizes[turn++ % n_sizes];
      chunk = (s & 0x80U) != 0 ? (static_cast<std::size_t>(s & 0x7FU) + 1) * 64
                               : static_cast<std::size_t>(s) + 1;
      chunk = std::min(chunk, stream.size() - pos);
    }
    const std::uint64_t before = dec.message_bytes();
    const bool ok = dec.feed(stream.subspan(pos, chunk), [&](const netbench::WireHeader& h) {
      if (h.length < netbench::kWireHeaderBytes || h.length > netbench::kMaxMessageBytes) {
        std::abort();
      }
      reported += h.length;
    });
    pos += chunk;
    if (dec.message_bytes() < before || dec.message_bytes() != reported) {
      std::abort();
    }
    if (ok == dec.failed()) {
      std::abort();  // feed's result must agree with failed()
    }
    if (was_failed && !dec.failed()) {
      std::abort();  // failure is sticky
    }
    if (dec.failed()) {
      if (dec.error() == netbench::DecodeStatus::kOk || dec.at_boundary()) {
        std::abort();
      }
      if (was_failed && dec.message_bytes() != before) {
        std::abort();  // nothing is decoded after the failure
      }
    }
    was_failed = dec.failed();
  }
  // Feeding once more after a failure keeps it failed and changes nothing.
  if (dec.failed()) {
    const std::uint64_t before = dec.message_bytes();
    if (dec.feed(stream, [](const netbench::WireHeader&) { std::abort(); }) || !dec.failed() ||
        dec.message_bytes() != before) {
      std::abort();
    }
  }
  return 0;
}
