// printable() (app/report/printable.hpp): what a server chose to say reaches
// the terminal without control characters or invalid UTF-8.
#include "app/report/printable.hpp"

#include <string>

#include <gtest/gtest.h>

namespace netbench::app {
namespace {

TEST(PrintableTest, PlainTextAndUtf8PassUnchanged) {
  EXPECT_EQ(printable("busy: 3 tests running"), "busy: 3 tests running");
  EXPECT_EQ(printable("d\xc3\xa9j\xc3\xa0 vu \xe2\x82\xac \xf0\x9f\x98\x80"),
            "d\xc3\xa9j\xc3\xa0 vu \xe2\x82\xac \xf0\x9f\x98\x80");
  EXPECT_EQ(printable(""), "");
  EXPECT_EQ(printable("a\\b"), "a\\b");
}

TEST(PrintableTest, EscapeSequencesAreEscaped) {
  EXPECT_EQ(printable("\x1b[2J\x1b]0;owned\x07"), "\\x1b[2J\\x1b]0;owned\\x07");
  EXPECT_EQ(printable("line\nbreak\r\t\x7f"), "line\\x0abreak\\x0d\\x09\\x7f");
  EXPECT_EQ(printable(std::string("nul\0here", 8)), "nul\\x00here");
}

TEST(PrintableTest, C1ControlsAndBidiOverridesAreEscaped) {
  EXPECT_EQ(printable("\xc2\x9b"
                      "31m"),
            "\\u009b31m");  // CSI
  EXPECT_EQ(printable("a\xe2\x80\xae"
                      "b"),
            "a\\u202eb");  // RIGHT-TO-LEFT OVERRIDE
  EXPECT_EQ(printable("\xe2\x81\xa6"), "\\u2066");
}

TEST(PrintableTest, InvalidUtf8BecomesHexBytes) {
  EXPECT_EQ(printable("\xff\xfe"), "\\xff\\xfe");
  EXPECT_EQ(printable("\xc3"), "\\xc3");                             // truncated
  EXPECT_EQ(printable("\xc0\xaf"), "\\xc0\\xaf");                    // overlong '/'
  EXPECT_EQ(printable("\xed\xa0\x80"), "\\xed\\xa0\\x80");           // surrogate
  EXPECT_EQ(printable("\xf4\x90\x80\x80"), "\\xf4\\x90\\x80\\x80");  // > U+10FFFF
  EXPECT_EQ(printable("ok\xe2\x82"
                      "x"),
            "ok\\xe2\\x82x");
}

TEST(PrintableTest, OutputHasNoControlByteForAnyInputByte) {
  for (int b = 0; b < 256; ++b) {
    const std::string out = printable(std::string(1, static_cast<char>(b)) + "x");
    for (const char c : out) {
      const auto u = static_cast<unsigned char>(c);
      EXPECT_FALSE(u < 0x20 || u == 0x7f || u >= 0x80) << "byte " << b;
    }
  }
}

}  // namespace
}  // namespace netbench::app
