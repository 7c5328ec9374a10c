// --reverse and --bidir in paired runs: the client still opens every data
// connection, the server sends over them (reverse), or both directions run
// at once on connections of their own (bidir). Exact counts on both sides,
// over every protocol × receiver model × mode.
#include <cctype>
#include <ostream>
#include <string>
#include <string_view>
#include <tuple>

#include <gtest/gtest.h>

#include "exact_counts.hpp"
#include "netbench/error.hpp"
#include "netbench/paired_run.hpp"
#include "netbench/results.hpp"
#include "netbench/test_spec.hpp"

namespace netbench {

void PrintTo(Proto p, std::ostream* os) { *os << to_string(p); }
void PrintTo(ModelKind m, std::ostream* os) { *os << to_string(m); }
void PrintTo(Mode m, std::ostream* os) { *os << to_string(m); }

namespace {

using test_support::expect_exact;
using test_support::make_spec;
using test_support::run;

using DirectionParams = std::tuple<Proto, ModelKind, Mode>;

class DirectionRunTest : public ::testing::TestWithParam<DirectionParams> {
 protected:
  [[nodiscard]] TestSpec spec(Direction d) const {
    const auto [proto, model, mode] = GetParam();
    TestSpec s = make_spec(proto, model, mode);
    s.direction = d;
    return s;
  }
};

TEST_P(DirectionRunTest, ReverseMovesExactlyKMessagesFromServerToClient) {
  const TestSpec s = spec(Direction::kReverse);
  const RunResult r = run(s);
  expect_exact(r, s);
  EXPECT_EQ(r.spec.direction, Direction::kReverse);
  EXPECT_TRUE(r.reverse.empty());
  // --model is the receiving engine's: the client's, under --reverse.
  EXPECT_EQ(r.receiver.uring.has_value(), s.model == ModelKind::kUring);
}

TEST_P(DirectionRunTest, BidirMovesExactlyKMessagesEachWay) {
  const TestSpec s = spec(Direction::kBidir);
  const RunResult r = run(s);
  EXPECT_EQ(r.spec.direction, Direction::kBidir);
  TestSpec forward = s;
  forward.direction = Direction::kForward;
  expect_exact(r, forward);
  ASSERT_EQ(r.reverse.size(), 1U);
  const RunResult& back = r.reverse.front();
  EXPECT_EQ(back.spec.direction, Direction::kReverse);
  EXPECT_TRUE(back.reverse.empty());
  TestSpec reverse = s;
  reverse.direction = Direction::kReverse;
  expect_exact(back, reverse);
}

std::string title_case(std::string_view name) {
  std::string out(name);
  if (!out.empty()) {
    out[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(out[0])));
  }
  return out;
}

INSTANTIATE_TEST_SUITE_P(AllModels, DirectionRunTest,
                         ::testing::Combine(::testing::Values(Proto::kTcp, Proto::kUdp),
                                            ::testing::ValuesIn(kModelKinds),
                                            ::testing::Values(Mode::kStream, Mode::kEcho)),
                         [](const ::testing::TestParamInfo<DirectionParams>& p) {
                           return title_case(to_string(std::get<0>(p.param))) + "_" +
                                  title_case(to_string(std::get<1>(p.param))) + "_" +
                                  title_case(to_string(std::get<2>(p.param)));
                         });

TEST(DirectionSpecTest, ReverseRefusesConnectModeByName) {
  TestSpec s;
  s.mode = Mode::kConnect;
  s.direction = Direction::kReverse;
  try {
    validate(s);
    FAIL() << "validate() accepted --reverse --mode connect";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("--reverse"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("--mode connect"), std::string::npos) << e.what();
  }
}

TEST(DirectionSpecTest, DirectionNamesRoundTrip) {
  for (const Direction d : {Direction::kForward, Direction::kReverse, Direction::kBidir}) {
    Direction back = Direction::kForward;
    ASSERT_TRUE(parse(to_string(d), back)) << to_string(d);
    EXPECT_EQ(back, d);
  }
  Direction unused = Direction::kForward;
  EXPECT_FALSE(parse("backward", unused));
}

}  // namespace
}  // namespace netbench
