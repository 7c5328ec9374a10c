// The pure admission checks of `netbench serve` (serve_admission.hpp,
// admission_policy.hpp): test limits, the auth token setting, and which
// handshake makes room when the table is full.
#include "app/serve/serve_admission.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "app/serve/admission_policy.hpp"

namespace netbench::app {
namespace {

nlohmann::json test_message(const TestSpec& spec) {
  Test t;
  t.spec = spec;
  return encode(t);
}

TestSpec small_spec() {
  TestSpec s;
  s.proto = Proto::kTcp;
  s.flows = 1;
  s.duration_ns = 1'000'000'000;
  return s;
}

TEST(ServeAdmissionTest, AWarmupNear2To64IsRefusedNotWrappedIntoAShortTest) {
  ServeOptions o;  // at most 600 s
  nlohmann::json m = test_message(small_spec());
  // warm-up + duration = 2^64 + 1 s - 1000 ns: wraps to under a second if added.
  m["config"]["warmup_ns"] = UINT64_MAX - 999;
  TestSpec spec;
  const Refusal r = check_test(m, o, spec);
  EXPECT_TRUE(r.refused());
  EXPECT_NE(r.reply.find("at most 600 s"), std::string::npos) << r.reply;
  m["config"]["warmup_ns"] = std::uint64_t{1'000'000'000};
  EXPECT_FALSE(check_test(m, o, spec).refused()) << check_test(m, o, spec).reply;
}

TEST(ServeAdmissionTest, OnlyACongestionAlgorithmTheServerHasLoadedIsAccepted) {
  // A privileged server that set an unloaded algorithm would load its
  // module: a stranger must not choose kernel modules.
  ServeOptions o;
  TestSpec s = small_spec();
  s.congestion = "reno";  // built in, always loaded
  TestSpec spec;
  EXPECT_FALSE(check_test(test_message(s), o, spec).refused())
      << check_test(test_message(s), o, spec).reply;
  EXPECT_EQ(spec.congestion, "reno");
  s.congestion = "no_such_cc";
  const Refusal r = check_test(test_message(s), o, spec);
  EXPECT_TRUE(r.refused());
  EXPECT_NE(r.reply.find("not loaded on this server"), std::string::npos) << r.reply;
  EXPECT_NE(r.reply.find("reno"), std::string::npos) << r.reply;
}

TEST(ServeAdmissionTest, ABufferAboveMaxBufferIsRefusedByName) {
  ServeOptions o;
  o.max_buffer_bytes = 212'992;  // 208 KiB, a common net.core.rmem_max
  TestSpec s = small_spec();
  s.socket_buffer_bytes = 1U << 30;
  TestSpec spec;
  const Refusal r = check_test(test_message(s), o, spec);
  EXPECT_EQ(r.reply, "--buffer 1GiB is above this server's --max-buffer 208KiB");
  s.socket_buffer_bytes = 212'992;
  EXPECT_FALSE(check_test(test_message(s), o, spec).refused());
}

TEST(ServeAdmissionTest, BytesReadAsPeopleWriteThem) {
  EXPECT_EQ(bytes_text(212'992), "208KiB");
  EXPECT_EQ(bytes_text(1ULL << 30), "1GiB");
  EXPECT_EQ(bytes_text(4ULL << 20), "4MiB");
  EXPECT_EQ(bytes_text(1000), "1000 bytes");
}

TEST(ServeAdmissionTest, TheSystemMaxBufferIsReadFromProc) { EXPECT_GT(system_max_buffer(1), 1U); }

TEST(ServeAdmissionTest, AnEmptyAuthTokenIsRefusedNotTakenAsNoAuthentication) {
  EXPECT_NE(check_auth_token_setting(true, "").find("empty"), std::string::npos);
  EXPECT_EQ(check_auth_token_setting(true, "secret"), "");
  EXPECT_EQ(check_auth_token_setting(false, ""), "");
}

Endpoint v4(const char* text) {
  Endpoint e;
  auto* in = reinterpret_cast<sockaddr_in*>(&e.addr);  // NOLINT: sockets API
  in->sin_family = AF_INET;
  in->sin_port = htons(4242);
  EXPECT_EQ(::inet_pton(AF_INET, text, &in->sin_addr), 1);
  e.len = sizeof *in;
  return e;
}

Endpoint v6(const char* text) {
  Endpoint e;
  auto* in6 = reinterpret_cast<sockaddr_in6*>(&e.addr);  // NOLINT: sockets API
  in6->sin6_family = AF_INET6;
  EXPECT_EQ(::inet_pton(AF_INET6, text, &in6->sin6_addr), 1);
  e.len = sizeof *in6;
  return e;
}

TEST(AdmissionPolicyTest, SourcesAreIPv4AddressesAndIPv6Slash64s) {
  EXPECT_EQ(source_key(v4("127.0.0.2")), "127.0.0.2");
  EXPECT_EQ(source_key(v6("::ffff:10.1.2.3")), "10.1.2.3");
  EXPECT_EQ(source_key(v6("2001:db8:1:2:aaaa::1")), source_key(v6("2001:db8:1:2:bbbb::9")));
  EXPECT_NE(source_key(v6("2001:db8:1:2::1")), source_key(v6("2001:db8:1:3::1")));
}

TEST(AdmissionPolicyTest, AChurningSourceEvictsOnlyItsOwnHandshakes) {
  // 127.0.0.2 churns: it holds 6 places, a real client on 127.0.0.1 one.
  std::vector<AdmissionSlot> table;
  table.push_back({"127.0.0.1", true, false});  // the oldest: the real client
  for (int i = 0; i < 6; ++i) {
    table.push_back({"127.0.0.2", true, false});
  }
  EXPECT_EQ(pick_eviction(table, "127.0.0.2"), 1U);  // its own oldest, not the real client
  EXPECT_EQ(pick_eviction(table, "127.0.0.3"), 1U);  // a third source too
  EXPECT_EQ(pick_eviction(table, "127.0.0.1"), 1U);
}

TEST(AdmissionPolicyTest, AProgressedHandshakeGoesAfterUnprogressedOnesOfItsSource) {
  const std::vector<AdmissionSlot> table{{"a", true, true}, {"a", true, false}, {"b", true, false}};
  EXPECT_EQ(pick_eviction(table, "b"), 1U);
}

TEST(AdmissionPolicyTest, TiesGoToUnprogressedThenTheOldest) {
  // Many sources with one place each (a spread attack): the authenticated
  // (progressed) handshake is kept.
  const std::vector<AdmissionSlot> table{{"a", true, true}, {"b", true, false}, {"c", true, false}};
  EXPECT_EQ(pick_eviction(table, "d"), 1U);
}

TEST(AdmissionPolicyTest, ANewcomerWhoseSourceHoldsMostIsRefusedWhenItHasNothingToEvict) {
  // Source "a" holds three tests waiting to start (not evictable); "b" one handshake.
  const std::vector<AdmissionSlot> table{
      {"a", false, true}, {"a", false, true}, {"a", false, true}, {"b", true, false}};
  EXPECT_EQ(pick_eviction(table, "a"), std::nullopt);
  EXPECT_EQ(pick_eviction(table, "b"), 3U);  // b's own, the only one evictable
}

TEST(AdmissionPolicyTest, NothingEvictableRefusesTheNewcomer) {
  const std::vector<AdmissionSlot> table{{"a", false, true}, {"b", false, true}};
  EXPECT_EQ(pick_eviction(table, "c"), std::nullopt);
}

}  // namespace
}  // namespace netbench::app
