#include "netbench/sender.hpp"

#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <stop_token>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "netbench/endpoint.hpp"
#include "netbench/fd.hpp"
#include "netbench/results.hpp"
#include "netbench/test_spec.hpp"
#include "netbench/wire_header.hpp"
#include "sys/socket_ops.hpp"

namespace netbench {
namespace {

/// A plain UDP socket as the receiver; it reads what the sender sends and
/// checks every datagram's header.
struct Sink {
  Fd fd = sys::bind_udp(loopback(Family::kV4, 0));
  Endpoint at = sys::local_endpoint(fd.get());
  std::uint64_t good = 0;
  std::uint64_t bad = 0;

  /// Reads one datagram (100 ms at most); false when none came.
  bool read_one(std::size_t size, sockaddr_storage* from = nullptr) {
    std::vector<std::byte> buf(size + 1);
    pollfd p{fd.get(), POLLIN, 0};
    if (::poll(&p, 1, 100) != 1) {
      return false;
    }
    socklen_t len = sizeof(sockaddr_storage);
    const ssize_t n = ::recvfrom(fd.get(), buf.data(), buf.size(), 0,
                                 reinterpret_cast<sockaddr*>(from),  // NOLINT: sockets API
                                 from != nullptr ? &len : nullptr);
    if (n < 0) {
      return false;
    }
    const DecodeResult r = decode_datagram({buf.data(), static_cast<std::size_t>(n)});
    (r.ok() && static_cast<std::size_t>(n) == size ? good : bad) += 1;
    return true;
  }
};

TestSpec udp_stream(std::uint64_t count, std::uint32_t size) {
  TestSpec s;
  s.proto = Proto::kUdp;
  s.mode = Mode::kStream;
  s.flows = 1;
  s.count = count;
  s.size_bytes = size;
  s.socket_buffer_bytes = 4U << 20;
  return s;
}

// A UDP stream sender keeps its socket out of its epoll set (no waiter on
// the socket: no wake-up call per datagram). What reaches that socket anyway
// is still counted, when the flow ends.
TEST(SenderTest, UdpStreamCountsStrayDatagramsWhenTheFlowEnds) {
  Sink sink;
  TestSpec spec = udp_stream(200, 128);
  spec.rate_msgs_per_s = 2000;  // 100 ms: room to answer mid-run
  Sender sender(spec, {sink.at}, false);
  std::jthread run([&sender](std::stop_token stop) { sender.run(stop); });
  sockaddr_storage from{};
  ASSERT_TRUE(sink.read_one(spec.message_bytes(), &from));
  constexpr int kStray = 3;
  for (int i = 0; i < kStray; ++i) {
    const std::array<std::byte, 10> junk{};
    ASSERT_EQ(::sendto(sink.fd.get(), junk.data(), junk.size(), 0,
                       reinterpret_cast<const sockaddr*>(&from),  // NOLINT: sockets API
                       sizeof(sockaddr_in)),
              static_cast<ssize_t>(junk.size()));
  }
  while (sink.read_one(spec.message_bytes())) {
  }
  run.join();
  RunResult r;
  sender.collect(r);
  ASSERT_EQ(r.sender_flows.size(), 1U);
  EXPECT_EQ(r.sender_flows[0].messages, spec.count);
  EXPECT_EQ(r.sender_flows[0].replies_malformed, static_cast<std::uint64_t>(kStray));
  EXPECT_EQ(sink.good, spec.count);
  EXPECT_EQ(sink.bad, 0U);
}

// --batch lays a batch out as whole datagrams, one iovec each, when it fits
// in 1 MiB, and as header + shared filler otherwise: both give datagrams of
// exactly the message size with valid headers, in sequence.
TEST(SenderTest, BatchedDatagramsAreWholeInBothLayouts) {
  for (const std::uint32_t size : {64U, 40'000U}) {  // 32 x 40,000 B is over 1 MiB
    SCOPED_TRACE(size);
    Sink sink;
    // Unpaced: the sink's buffer holds the whole run (as root; skipped
    // where the kernel caps the buffer below that).
    sys::set_buffer(sink.fd.get(), true, 16U << 20);
    int rcvbuf = 0;
    socklen_t len = sizeof rcvbuf;
    ::getsockopt(sink.fd.get(), SOL_SOCKET, SO_RCVBUF, &rcvbuf, &len);
    TestSpec spec = udp_stream(96, size);
    spec.batch = 32;
    if (static_cast<std::uint64_t>(rcvbuf) < 4 * spec.count * spec.message_bytes()) {
      GTEST_SKIP() << "receive buffer capped at " << rcvbuf << " bytes (not root?)";
    }
    Sender sender(spec, {sink.at}, false);
    std::jthread run([&sender](std::stop_token stop) { sender.run(stop); });
    while (sink.read_one(spec.message_bytes())) {
    }
    run.join();
    RunResult r;
    sender.collect(r);
    ASSERT_EQ(r.sender_flows.size(), 1U);
    EXPECT_EQ(r.sender_flows[0].messages, spec.count);
    EXPECT_EQ(r.sender_flows[0].send_failures, 0U);
    EXPECT_EQ(sink.good, spec.count);
    EXPECT_EQ(sink.bad, 0U);
  }
}

}  // namespace
}  // namespace netbench
