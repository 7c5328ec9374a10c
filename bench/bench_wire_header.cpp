#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include <benchmark/benchmark.h>

#include "netbench/frame_decoder.hpp"
#include "netbench/wire_header.hpp"

namespace {

using netbench::WireHeader;

WireHeader bench_header(std::uint32_t length) {
  WireHeader h;
  h.flags = static_cast<std::uint8_t>(netbench::MessageFlag::kLast);
  h.flow_id = 3;
  h.seq = 0x0123456789ABCDEF;
  h.send_ns = 0x0FEDCBA987654321;
  h.intended_ns = 0x0FEDCBA987650000;
  h.length = length;
  return h;
}

// One header written per iteration, as a sender does before each send().
void BM_WireHeader_Encode(benchmark::State& state) {
  std::array<std::byte, netbench::kWireHeaderBytes> buf{};
  WireHeader h = bench_header(64);
  for (auto _ : state) {
    benchmark::DoNotOptimize(h);  // new "input" each time: no hoisting out of the loop
    const bool ok = netbench::encode_header(h, buf);
    benchmark::DoNotOptimize(ok);
    benchmark::ClobberMemory();
    ++h.seq;
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(buf.size()));
}
BENCHMARK(BM_WireHeader_Encode);

// One datagram header checked and parsed per iteration, as a UDP receiver does.
void BM_WireHeader_Decode(benchmark::State& state) {
  std::array<std::byte, netbench::kWireHeaderBytes> buf{};
  netbench::encode_header(bench_header(64), buf);
  for (auto _ : state) {
    benchmark::DoNotOptimize(buf.data());
    netbench::DecodeResult r = netbench::decode_header(buf);
    benchmark::DoNotOptimize(r);
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(buf.size()));
}
BENCHMARK(BM_WireHeader_Decode);

// A TCP receive buffer holding `state.range(0)` back-to-back 64-byte messages
// fed at once; with range 1 the time per iteration is the cost of one feed().
void BM_FrameDecoder_Feed(benchmark::State& state) {
  constexpr std::uint32_t kMessageBytes = 64;
  const auto messages = static_cast<std::size_t>(state.range(0));
  std::vector<std::byte> stream(messages * kMessageBytes);
  for (std::size_t i = 0; i < messages; ++i) {
    WireHeader h = bench_header(kMessageBytes);
    h.seq = i;
    netbench::encode_header(h, std::span(stream).subspan(i * kMessageBytes));
  }
  netbench::FrameDecoder decoder;
  std::uint64_t seq_sum = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(stream.data());
    const bool ok = decoder.feed(stream, [&seq_sum](const WireHeader& h) { seq_sum += h.seq; });
    benchmark::DoNotOptimize(ok);
  }
  benchmark::DoNotOptimize(seq_sum);
  if (decoder.failed() || !decoder.at_boundary()) {
    state.SkipWithError("decoder lost the message boundaries");
  }
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(messages));
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(stream.size()));
}
BENCHMARK(BM_FrameDecoder_Feed)->Arg(1)->Arg(1024);

}  // namespace
