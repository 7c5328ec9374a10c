// LogLimiter: repeated log lines of one key are bounded per window and
// summed up in one line.
#include "app/serve/log_limiter.hpp"

#include <cstdint>
#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace netbench::app {
namespace {

constexpr std::uint64_t kSecond = 1'000'000'000;

TEST(LogLimiterTest, TheFirstBurstIsLoggedTheRestCountedAndSummedUp) {
  LogLimiter limiter(5, 10 * kSecond, 16);
  int logged = 0;
  for (int i = 0; i < 40'317; ++i) {
    logged += limiter.allow("refused from 127.0.0.1", kSecond + static_cast<std::uint64_t>(i));
  }
  EXPECT_EQ(logged, 5);
  EXPECT_TRUE(limiter.flush(5 * kSecond).empty());  // the window has not ended
  const std::vector<std::string> lines = limiter.flush(11 * kSecond);
  ASSERT_EQ(lines.size(), 1U);
  EXPECT_EQ(lines[0], "… 40,312 more refused from 127.0.0.1 in the last 10 s");
  EXPECT_EQ(limiter.keys(), 0U);
  // A new window logs again.
  EXPECT_TRUE(limiter.allow("refused from 127.0.0.1", 12 * kSecond));
}

TEST(LogLimiterTest, KeysAreLimitedApart) {
  LogLimiter limiter(1, 10 * kSecond, 16);
  EXPECT_TRUE(limiter.allow("refused from a", 0));
  EXPECT_FALSE(limiter.allow("refused from a", 1));
  EXPECT_TRUE(limiter.allow("refused from b", 2));
}

TEST(LogLimiterTest, AWindowWithNothingHeldBackEndsSilently) {
  LogLimiter limiter(5, 10 * kSecond, 16);
  EXPECT_TRUE(limiter.allow("k", 0));
  EXPECT_TRUE(limiter.flush(20 * kSecond).empty());
  EXPECT_EQ(limiter.keys(), 0U);
}

TEST(LogLimiterTest, TheKeyTableIsBoundedWhateverTheSources) {
  LogLimiter limiter(1, 10 * kSecond, 8);
  int logged = 0;
  for (int i = 0; i < 10'000; ++i) {
    logged += limiter.allow("refused from 10.0." + std::to_string(i), 0);
  }
  EXPECT_LE(limiter.keys(), 8U);
  EXPECT_LE(logged, 8);
}

TEST(LogLimiterTest, CommasEveryThreeDigits) {
  EXPECT_EQ(with_commas(0), "0");
  EXPECT_EQ(with_commas(999), "999");
  EXPECT_EQ(with_commas(1000), "1,000");
  EXPECT_EQ(with_commas(40'312), "40,312");
  EXPECT_EQ(with_commas(1'234'567), "1,234,567");
}

}  // namespace
}  // namespace netbench::app
