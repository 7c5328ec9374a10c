// UDP flow registration of a remote test (Receiver::register_udp_by_token):
// who may register a flow, and what a late registration retry counts as.
#include <netinet/in.h>
#include <sys/socket.h>

#include <array>
#include <cerrno>
#include <chrono>
#include <cstddef>
#include <cstring>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "netbench/clock.hpp"
#include "netbench/endpoint.hpp"
#include "netbench/fd.hpp"
#include "netbench/receiver.hpp"
#include "netbench/registration.hpp"
#include "netbench/results.hpp"
#include "netbench/test_spec.hpp"
#include "netbench/wire_header.hpp"

namespace netbench {
namespace {

constexpr std::uint32_t kSize = 64;

TestSpec udp_spec(ModelKind model, Mode mode) {
  TestSpec s;
  s.proto = Proto::kUdp;
  s.model = model;
  s.mode = mode;
  s.flows = 1;
  s.size_bytes = kSize;
  s.bind_address = "127.0.0.1";
  return s;
}

/// A UDP socket bound to 127.0.0.`last_octet` and connected to flow 0 of `rx`.
Fd udp_client(const Receiver& rx, std::uint8_t last_octet) {
  Fd fd(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  EXPECT_TRUE(fd.valid()) << std::strerror(errno);
  const timeval tv{5, 0};
  ::setsockopt(fd.get(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  sockaddr_in from{};
  from.sin_family = AF_INET;
  from.sin_addr.s_addr = htonl(0x7F000000U | last_octet);
  EXPECT_EQ(::bind(fd.get(), reinterpret_cast<sockaddr*>(&from), sizeof from), 0)  // NOLINT
      << std::strerror(errno);
  Endpoint to = rx.local();
  to.set_port(rx.ports().at(0));
  EXPECT_EQ(::connect(fd.get(), to.sa(), to.len), 0) << std::strerror(errno);
  return fd;
}

void send_bytes(int fd, std::span<const std::byte> bytes) {
  EXPECT_EQ(::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL),
            static_cast<ssize_t>(bytes.size()))
      << std::strerror(errno);
}

std::vector<std::byte> message(std::uint64_t seq) {
  std::vector<std::byte> out(kSize, std::byte{0x5A});
  WireHeader h;
  h.seq = seq;
  h.send_ns = now_ns();
  h.intended_ns = h.send_ns;
  h.length = kSize;
  EXPECT_TRUE(encode_header(h, out));
  return out;
}

class UdpRegistrationTest : public ::testing::TestWithParam<ModelKind> {};

TEST_P(UdpRegistrationTest, ARegistrationFromAnotherHostIsRefusedWhateverItsToken) {
  Receiver rx(udp_spec(GetParam(), Mode::kEcho));
  const RegistrationToken token = random_token();
  // The token leaked to (or is spoofed from) 127.0.0.2; the control client is 127.0.0.1.
  Fd elsewhere = udp_client(rx, 2);
  send_bytes(elsewhere.get(), registration_datagram(token));
  const Endpoint control_host = loopback(Family::kV4, 0);
  EXPECT_EQ(rx.register_udp_by_token(token, 300, &control_host), 0U);
  EXPECT_EQ(rx.unregistered_datagrams(), 1U);
  // The control client's own host still registers afterwards.
  Fd client = udp_client(rx, 1);
  send_bytes(client.get(), registration_datagram(token));
  EXPECT_EQ(rx.register_udp_by_token(token, 5'000, &control_host), 1U);
}

TEST_P(UdpRegistrationTest, RetriesAfterTheFlowConnectedAreNeitherMalformedNorEchoed) {
  Receiver rx(udp_spec(GetParam(), Mode::kEcho));
  const RegistrationToken token = random_token();
  Fd client = udp_client(rx, 1);
  send_bytes(client.get(), registration_datagram(token));
  const Endpoint control_host = loopback(Family::kV4, 0);
  ASSERT_EQ(rx.register_udp_by_token(token, 5'000, &control_host), 1U);
  rx.start();
  // Retries sent before "registered" reached the client (a slow control
  // path) land on the connected flow socket, then the test's data.
  for (int i = 0; i < 3; ++i) {
    send_bytes(client.get(), registration_datagram(token));
  }
  for (std::uint64_t seq = 0; seq < 5; ++seq) {
    send_bytes(client.get(), message(seq));
  }
  std::array<std::byte, 2 * kSize> buf{};
  for (int i = 0; i < 5; ++i) {
    // Only the data comes back: each echo is a whole message, never a retry.
    ASSERT_EQ(::recv(client.get(), buf.data(), buf.size(), 0), static_cast<ssize_t>(kSize)) << i;
  }
  rx.stop();
  RunResult r;
  const std::vector<std::uint64_t> sent{5};
  rx.collect(r, sent);
  ASSERT_EQ(r.receiver_flows.size(), 1U);
  EXPECT_EQ(r.receiver_flows[0].messages, 5U);
  EXPECT_EQ(r.receiver_flows[0].malformed, 0U);
}

INSTANTIATE_TEST_SUITE_P(Models, UdpRegistrationTest,
                         ::testing::Values(ModelKind::kThread, ModelKind::kPoll, ModelKind::kEpoll,
                                           ModelKind::kUring),
                         [](const ::testing::TestParamInfo<ModelKind>& p) {
                           return std::string(to_string(p.param));
                         });

}  // namespace
}  // namespace netbench
