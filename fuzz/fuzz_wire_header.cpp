// libFuzzer target: the data-message header decoders (include/netbench/wire_header.hpp).
// Whatever the input, decoding must not crash or read out of bounds; a header
// that decodes must encode back to exactly the bytes it came from.
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>

#include "netbench/wire_header.hpp"

namespace {

void check_round_trip(const netbench::DecodeResult& r, std::span<const std::byte> in) {
  if (!r.ok()) {
    return;
  }
  if (r.header.length < netbench::kWireHeaderBytes ||
      r.header.length > netbench::kMaxMessageBytes) {
    std::abort();  // decode accepted a length it documents as invalid
  }
  std::array<std::byte, netbench::kWireHeaderBytes> out{};
  if (!netbench::encode_header(r.header, out)) {
    std::abort();
  }
  for (std::size_t i = 0; i < out.size(); ++i) {
    if (out[i] != in[i]) {
      std::abort();  // every accepted header is canonical: reserved zero, known flags
    }
  }
  const netbench::DecodeResult again = netbench::decode_header(out);
  if (!again.ok() || !(again.header == r.header)) {
    std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::span<const std::byte> in(reinterpret_cast<const std::byte*>(data), size);
  const netbench::DecodeResult h = netbench::decode_header(in);
  check_round_trip(h, in);
  const netbench::DecodeResult d = netbench::decode_datagram(in);
  check_round_trip(d, in);
  if (d.ok()) {
    // A valid datagram is a valid stream header with the same fields.
    if (!h.ok() || !(h.header == d.header) || d.header.length != size) {
      std::abort();
    }
  }
  if (size < netbench::kWireHeaderBytes &&
      (h.status != netbench::DecodeStatus::kTooShort || d.ok())) {
    std::abort();
  }
  (void)netbench::to_string(h.status);
  (void)netbench::to_string(d.status);
  return 0;
}
