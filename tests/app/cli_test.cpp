// The netbench command: unit parsing, and the binary run as a user runs it —
// a table of command lines with the exit code and message each must give.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "app/cli/exit_codes.hpp"
#include "app/cli/parse_errors.hpp"
#include "app/cli/units.hpp"
#include "netbench/model_info.hpp"

namespace netbench::app {
namespace {

TEST(UnitsTest, SizesTakeDecimalAndBinarySuffixes) {
  EXPECT_EQ(parse_size("1400"), 1400U);
  EXPECT_EQ(parse_size("64k"), 64'000U);
  EXPECT_EQ(parse_size("1M"), 1'000'000U);
  EXPECT_EQ(parse_size("128KiB"), 131'072U);
  EXPECT_EQ(parse_size("1MiB"), 1'048'576U);
  EXPECT_EQ(parse_size("2GiB"), 2'147'483'648U);
  EXPECT_FALSE(parse_size(""));
  EXPECT_FALSE(parse_size("-5"));
  EXPECT_FALSE(parse_size("12x"));
  EXPECT_FALSE(parse_size("1.5"));  // not a whole number of bytes
  EXPECT_FALSE(parse_size("1e30"));
}

TEST(ParseErrorsTest, NearestFlagTakesTyposPrefixesAndSwapsButNotStrangers) {
  const std::vector<std::string> flags = {"--flows", "--proto", "--duration", "-P", "--port"};
  EXPECT_EQ(nearest_flag("--flow", flags), "--flows");
  EXPECT_EQ(nearest_flag("--protocol", flags), "--proto");
  EXPECT_EQ(nearest_flag("--druation", flags), "--duration");  // one swap
  EXPECT_EQ(nearest_flag("--prot", flags), "--proto");
  EXPECT_EQ(nearest_flag("--zebra", flags), "");
  EXPECT_EQ(nearest_flag("-x", flags), "");  // one letter: no guess
}

TEST(ParseErrorsTest, ExplainsCli11MessagesFlagFirst) {
  const std::vector<FlagInfo> flags = {{"--outstanding", "UINT"}, {"--flows", "TEXT"}};
  EXPECT_EQ(explain_parse_error("Could not convert: --outstanding = abc", {}, flags),
            "--outstanding 'abc' is not a whole number (0 or more)");
  EXPECT_EQ(explain_parse_error("--batch: 1 required UINT missing", {}, flags),
            "--batch needs a value (UINT)");
  EXPECT_EQ(explain_parse_error("The following arguments were not expected: 3 --flow",
                                {"--flow", "3"}, flags),
            "unknown flag --flow; did you mean --flows?");
  EXPECT_EQ(explain_parse_error("The following argument was not expected: -D", {"-D"}, flags)
                .rfind("-D: run 'netbench serve' under systemd", 0),
            0U);
  EXPECT_EQ(explain_parse_error("something else", {}, flags), "something else");
}

TEST(UnitsTest, DurationsTakeSecondsAndMilliseconds) {
  EXPECT_EQ(parse_duration_ns("5s"), 5'000'000'000U);
  EXPECT_EQ(parse_duration_ns("5"), 5'000'000'000U);
  EXPECT_EQ(parse_duration_ns("250ms"), 250'000'000U);
  EXPECT_EQ(parse_duration_ns("1.5s"), 1'500'000'000U);
  EXPECT_EQ(parse_duration_ns("100us"), 100'000U);
  EXPECT_EQ(parse_duration_ns("2m"), 120'000'000'000U);
  EXPECT_FALSE(parse_duration_ns("-1s"));
  EXPECT_FALSE(parse_duration_ns("soon"));
  EXPECT_FALSE(parse_duration_ns("5 s"));
}

TEST(UnitsTest, RatesTakeDecimalSuffixes) {
  EXPECT_DOUBLE_EQ(*parse_rate("100k"), 100'000.0);
  EXPECT_DOUBLE_EQ(*parse_rate("1.5M"), 1'500'000.0);
  EXPECT_DOUBLE_EQ(*parse_rate("10G"), 1e10);
  EXPECT_FALSE(parse_rate("fast"));
  EXPECT_FALSE(parse_rate("-3"));
}

TEST(UnitsTest, FormatsScaleToHumanUnits) {
  EXPECT_EQ(format_bits_per_second(125'000'000.0), "1.00 Gbit/s");
  EXPECT_EQ(format_bytes(1'500.0), "1.50 kB");
  EXPECT_EQ(format_ns(12'345.0), "12.3 us");
  EXPECT_EQ(format_count(250'000.0), "250 k");
}

TEST(UnitsTest, FormatsKeepThreeSignificantDigitsAndRollOverToTheNextUnit) {
  // One rule for every time: "117 us" beside "2.02 ms", not "116.7 us".
  EXPECT_EQ(format_ns(24.0), "24 ns");
  EXPECT_EQ(format_ns(999.4), "999 ns");
  EXPECT_EQ(format_ns(999.6), "1.00 us");
  EXPECT_EQ(format_ns(116'700.0), "117 us");
  EXPECT_EQ(format_ns(2'020'000.0), "2.02 ms");
  EXPECT_EQ(format_ns(999'995'000.0), "1.00 s");
  EXPECT_EQ(format_ns(992'240'000.0), "992 ms");
  EXPECT_EQ(format_ns(9'996.0), "10.0 us");
  EXPECT_EQ(format_ns(99'960.0), "100 us");
  EXPECT_EQ(format_ns(3'600e9), "3600 s");
  EXPECT_EQ(format_count(999'700.0), "1.00 M");
  EXPECT_EQ(format_count(12.0), "12.0");
  EXPECT_EQ(format_bytes(512.0), "512 B");
  EXPECT_EQ(format_bytes(999'999.0), "1.00 MB");
  EXPECT_EQ(format_bits_per_second(124'999'999.0), "1.00 Gbit/s");
}

TEST(UnitsTest, SizesReadAsTheyWereWritten) {
  EXPECT_EQ(format_size(1U << 20), "1 MiB");
  EXPECT_EQ(format_size(4U << 20), "4 MiB");
  EXPECT_EQ(format_size(212'992), "208 KiB");
  EXPECT_EQ(format_size(1500), "1,500 B");
  EXPECT_EQ(format_size(3ULL << 30), "3 GiB");
}

TEST(UnitsTest, ExactCountsAreGroupedInThrees) {
  EXPECT_EQ(format_grouped(0), "0");
  EXPECT_EQ(format_grouped(999), "999");
  EXPECT_EQ(format_grouped(1'000), "1,000");
  EXPECT_EQ(format_grouped(99'986), "99,986");
  EXPECT_EQ(format_grouped(1'234'567), "1,234,567");
  EXPECT_EQ(format_grouped(18'446'744'073'709'551'615ULL), "18,446,744,073,709,551,615");
}

struct Outcome {
  int code = -1;
  std::string out;
  std::string err;
};

/// Runs the netbench binary with `args` (a shell-quoted string), with a
/// time limit so that a hang fails the test instead of stalling it.
Outcome run_netbench(const std::string& args) {
  // One file per test process: ctest runs the table rows in parallel.
  const std::string errfile =
      ::testing::TempDir() + "netbench_cli_stderr_" + std::to_string(::getpid()) + ".txt";
  const std::string cmd =
      std::string("timeout 30 ") + NETBENCH_BINARY + " " + args + " 2>" + errfile;
  Outcome o;
  std::FILE* p = ::popen(cmd.c_str(), "r");
  if (p == nullptr) {
    return o;
  }
  std::array<char, 4096> buf{};
  while (const std::size_t n = std::fread(buf.data(), 1, buf.size(), p)) {
    o.out.append(buf.data(), n);
  }
  const int status = ::pclose(p);
  o.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  if (std::FILE* e = std::fopen(errfile.c_str(), "r")) {
    while (const std::size_t n = std::fread(buf.data(), 1, buf.size(), e)) {
      o.err.append(buf.data(), n);
    }
    std::fclose(e);
  }
  return o;
}

struct BadLine {
  const char* args;
  int code;
  const char* message;  // a part of the one line on stderr
};

class CliBadInputTest : public ::testing::TestWithParam<BadLine> {};

TEST_P(CliBadInputTest, GivesOneClearLineAndTheDocumentedExitCode) {
  const BadLine& c = GetParam();
  const Outcome o = run_netbench(c.args);
  EXPECT_EQ(o.code, c.code) << c.args << "\n" << o.err;
  EXPECT_NE(o.err.find(c.message), std::string::npos) << c.args << " said: " << o.err;
  EXPECT_EQ(std::count(o.err.begin(), o.err.end(), '\n'), 1) << o.err;
}

INSTANTIATE_TEST_SUITE_P(
    Table, CliBadInputTest,
    ::testing::Values(
        BadLine{"--proto sctp", kExitUsage, "--proto 'sctp' is not one of tcp, udp"},
        BadLine{"--model kqueue", kExitUsage, "--model 'kqueue' is not one of"},
        BadLine{"--mode both", kExitUsage, "--mode 'both'"},
        BadLine{"--proto udp --size 70000", kExitUsage, "largest UDP payload"},
        BadLine{"--size 10", kExitUsage, "below the 40-byte message header"},
        BadLine{"--cpu 1023", kExitUsage, "--cpu: CPU 1023 is not available"},
        BadLine{"--cpu 0,a", kExitUsage, "--cpu '0,a' is not SENDER[,RECEIVER]"},
        BadLine{"--stats some", kExitUsage, "--stats 'some' is not one of"},
        BadLine{"--per-flow some", kExitUsage,
                "--per-flow 'some' is not one of auto, full, summary, none"},
        BadLine{"--per-flow summary", kExitUsage, "shapes the JSON document"},
        BadLine{"--coalesce 1s", kExitUsage, "--coalesce must be at most 10ms"},
        BadLine{"--coalesce 100us --busy-poll", kExitUsage, "give one of them"},
        BadLine{"--nodelay --no-nodelay", kExitUsage, "not both"},
        BadLine{"--congestion no_such_cc", kExitUsage,
                "--congestion no_such_cc: not available on this host (available: "},
        BadLine{"--congestion 'Bad Name'", kExitUsage, "is not a congestion control name"},
        BadLine{"--proto udp --congestion reno", kExitUsage, "UDP has none"},
        BadLine{"--tos 1 --dscp 2", kExitUsage, "give --tos or --dscp, not both"},
        BadLine{"--tos 256", kExitUsage, "--tos '256' is not a TOS byte; use 0-255"},
        BadLine{"--tos 0xzz", kExitUsage, "--tos '0xzz' is not a TOS byte"},
        BadLine{"--dscp 64", kExitUsage, "--dscp '64' is not a DSCP; use 0-63"},
        BadLine{"--mss 50", kExitUsage, "--mss '50' is not a TCP segment size; use 88-32767"},
        BadLine{"--proto udp --mss 1000", kExitUsage, "UDP sends what --size says"},
        BadLine{"--fq-rate fast", kExitUsage, "--fq-rate 'fast' is not a bit rate per flow"},
        BadLine{"--skip-rx-copy --mode echo", kExitUsage,
                "--skip-rx-copy discards payloads unread, but --mode echo echoes them back"},
        BadLine{"--skip-rx-copy --proto udp --mode echo", kExitUsage,
                "use --mode stream or drop --skip-rx-copy"},
        BadLine{"--skip-rx-copy --model uring", kExitUsage,
                "--skip-rx-copy needs reads the receiver chooses the size of"},
        BadLine{"--zerocopy --mode connect", kExitUsage,
                "--zerocopy needs long-lived flow sockets"},
        BadLine{"--size lots", kExitUsage, "--size 'lots'"},
        BadLine{"--rate x", kExitUsage, "--rate 'x' is not a message rate"},
        BadLine{"--batch 32 --proto tcp", kExitUsage, "--batch 32 batches UDP"},
        BadLine{"--threads 2 --model thread", kExitUsage, "--model thread runs"},
        BadLine{"--outstanding 8", kExitUsage, "it needs --mode echo or connect"},
        BadLine{"--close rst --mode echo", kExitUsage, "add --mode connect --proto tcp"},
        BadLine{"--close rst --mode connect --proto udp", kExitUsage,
                "add --mode connect --proto tcp"},
        BadLine{"--close half --mode connect", kExitUsage, "--close 'half' is not one of fin, rst"},
        BadLine{"--mode connect --gso --proto udp", kExitUsage, "drop --gso and --batch"},
        BadLine{"--mode connect --cport 40000", kExitUsage, "last one's TIME_WAIT: drop --cport"},
        BadLine{"--pattern poisson", kExitUsage, "give --rate or --bitrate"},
        BadLine{"--count 0", kExitUsage, "--count 0 sends nothing"},
        BadLine{"--sender-threads 0", kExitUsage, "is not a thread count"},
        BadLine{"--connect ::1:41863", kExitUsage, "needs brackets: [::1]:41863"},
        BadLine{"--count 10 -o /nonexistent-dir/r.json", kExitUsage,
                "directory '/nonexistent-dir' does not exist"},
        BadLine{"--count 10 --duration 1s", kExitUsage, "not both"},
        BadLine{"--rate -5", kExitUsage, "--rate"},
        BadLine{"--duration 0", kExitUsage, "--duration '0' is not a positive"},
        BadLine{"--duration -1s", kExitUsage, "--duration"},
        BadLine{"--port 70000", kExitUsage, "--port 70000 is out of range"},
        BadLine{"--flows 0", kExitUsage, "--flows must be between"},
        BadLine{"--rate 1k --bitrate 1M", kExitUsage, "give one of --rate, --bitrate"},
        BadLine{"--rate 1k -b 1M", kExitUsage, "give one of --rate, --bitrate"},
        BadLine{"-b 1x", kExitUsage, "-b '1x' is not a bit rate per flow"},
        BadLine{"--flow 3", kExitUsage, "unknown flag --flow; did you mean --flows?"},
        BadLine{"--protocol udp", kExitUsage, "unknown flag --protocol; did you mean --proto?"},
        BadLine{"--druation 2s", kExitUsage, "did you mean --duration?"},
        BadLine{"sweep --model epoll --flws 1", kExitUsage, "did you mean --flows?"},
        BadLine{"serve --max-clientz 3", kExitUsage, "did you mean --max-clients?"},
        BadLine{"-s", kExitUsage, "netbench's server is a subcommand: run 'netbench serve'"},
        BadLine{"-c 127.0.0.1:1 -R --count 10", kExitSetup,
                "connect control 127.0.0.1:1: Connection refused: nothing listens there"},
        BadLine{"-c 127.0.0.1:1 --bidir --count 10", kExitSetup,
                "connect control 127.0.0.1:1: Connection refused"},
        BadLine{"-R --bidir", kExitUsage, "give --bidir or --reverse, not both"},
        BadLine{"-R --mode connect", kExitUsage, "--reverse runs over long-lived connections"},
        BadLine{"-R --plain-echo -c 127.0.0.1:7 --mode echo", kExitUsage,
                "--plain-echo measures a foreign echo server that only answers"},
        BadLine{"sweep --direction sideways", kExitUsage,
                "--direction 'sideways' is not forward, reverse or bidir"},
        BadLine{"--outstanding abc", kExitUsage, "--outstanding 'abc' is not a whole number"},
        BadLine{"--batch", kExitUsage, "--batch needs a value"},
        BadLine{"-u --proto tcp", kExitUsage, "give -u or --proto, not both"},
        BadLine{"--cport 0", kExitUsage, "--cport '0' is not a port"},
        BadLine{"--cport 65535 --flows 2", kExitUsage, "beyond 65535: pick a lower --cport"},
        BadLine{"--bind-dev nosuchif0", kExitUsage, "is not an interface of this host"},
        BadLine{"-p 70000 -c 127.0.0.1", kExitUsage, "-p 70000 is not a server port"},
        BadLine{"-p 5000 -c 127.0.0.1:5001", kExitUsage, "name different ports: give one"},
        BadLine{"-p 5000 --port 5001", kExitUsage, "-p and --port both name"},
        BadLine{"serve --time-limit soon", kExitUsage, "serve --time-limit 'soon' is not a"},
        BadLine{"serve --port 0 --json-log /nonexistent-dir/s.jsonl", kExitUsage,
                "cannot open it for appending"},
        BadLine{"--no-such-flag", kExitUsage, "--no-such-flag"},
        BadLine{"--model select --flows 5000 --proto udp --count 5000", kExitUsage, "FD_SETSIZE"},
        BadLine{"--bind 192.0.2.1 --count 10", kExitSetup, "bind"},
        BadLine{"--pacing spin", kExitUsage, "give --rate or --bitrate"},
        BadLine{"--pacing lazy --rate 1k", kExitUsage, "use sleep or spin"},
        BadLine{"serve --port 0 --auth-token ''", kExitUsage, "would turn authentication off"},
        BadLine{"serve --port 0 --max-buffer 0", kExitUsage,
                "serve --max-buffer '0' is not a size"},
        BadLine{"--receivers 3 --multicast 239.1.2.3", kExitUsage, "TCP cannot fan out"},
        BadLine{"--proto udp --receivers 2 --broadcast -R", kExitUsage,
                "--broadcast with --reverse: fan-out has one sender (this side) and N receivers: "
                "drop --reverse"},
        BadLine{"--proto udp --receivers 2 --multicast 239.1.2.3 --bidir", kExitUsage,
                "drop --bidir"},
        BadLine{"--proto udp --receivers 3", kExitUsage,
                "--receivers 3 needs --multicast GROUP or --broadcast"},
        BadLine{"--proto udp --multicast 10.1.2.3", kExitUsage, "not an IPv4 multicast address"},
        BadLine{"--proto udp --broadcast --multicast 239.1.2.3", kExitUsage, "give one of them"},
        BadLine{"--proto udp --broadcast --mode echo", kExitUsage, "use --mode stream"},
        BadLine{"--proto udp --broadcast --mode connect", kExitUsage, "use --mode stream"},
        BadLine{"--proto udp --receivers 2 --broadcast --connect 127.0.0.1:9", kExitUsage,
                "--receivers 2 but --connect lists 1 server: with --connect each server is one "
                "receiver; drop --receivers"},
        BadLine{"--proto udp --connect 127.0.0.1:9,127.0.0.1:10", kExitUsage,
                "--connect lists 2 servers: a list is a remote fan-out, add --multicast GROUP or "
                "--broadcast (or give one server)"},
        BadLine{"--proto udp --broadcast --connect 127.0.0.1:9,127.0.0.1:10 --receiver-dev lo,lo",
                kExitUsage, "drop --receiver-dev"},
        BadLine{"--proto udp --receivers 2 --broadcast --receiver-dev lo", kExitUsage,
                "give one per receiver"},
        BadLine{"--proto udp --receivers 2 --broadcast --receiver-dev lo,nosuchif0", kExitUsage,
                "--receiver-dev 'nosuchif0' is not an interface"},
        BadLine{"--proto udp --receiver-dev lo", kExitUsage, "--receiver-dev names the fan-out"},
        BadLine{"sweep --proto udp --broadcast --connect 127.0.0.1:9,127.0.0.1:10 -q", kExitUsage,
                "a sweep runs against one netbench serve"},
        BadLine{"--proto udp --receivers 65 --broadcast", kExitUsage,
                "--receivers must be between 1 and 64"},
        BadLine{"--proto udp --broadcast --bind 192.0.2.201 --count 10", kExitUsage,
                "--broadcast: no interface on this host holds 192.0.2.201"}),
    [](const ::testing::TestParamInfo<BadLine>& line) {
      return "Line" + std::to_string(line.index);
    });

TEST(CliTest, IperfShortOptionsMeanWhatTheyMeanInIperf3) {
  // -u -P 2 -l 200 -k 1000 -J: UDP, 2 flows, 200-byte messages, 1000 of
  // them, JSON; -b is per flow as in iperf3: 400 kbit/s x 2 flows / 1600
  // bits per message = 500 messages/s in total.
  const Outcome o = run_netbench("-u -P 2 -l 200 -k 1000 -b 400k -O 0 -J");
  ASSERT_EQ(o.code, kExitOk) << o.err;
  const auto config = nlohmann::json::parse(o.out)["run"]["config"];
  EXPECT_EQ(config["proto"], "udp");
  EXPECT_EQ(config["flows"], 2);
  EXPECT_EQ(config["size_bytes"], 200);
  EXPECT_EQ(config["count_messages"], 1000);
  EXPECT_DOUBLE_EQ(config["rate_msgs_per_s"].get<double>(), 500.0);
  EXPECT_EQ(config["client_port"], nullptr);
  EXPECT_EQ(config["bind_device"], nullptr);
}

TEST(CliTest, TcpShortOptionsAreRecorded) {
  // -t 1 would run a second; -k bounds it. -C, -S, -M, -w, -N as iperf3's.
  const Outcome o = run_netbench("-P 2 -k 200 -l 1000 -C reno -S 0x20 -M 1000 -w 256KiB -N -J");
  ASSERT_EQ(o.code, kExitOk) << o.err;
  const auto config = nlohmann::json::parse(o.out)["run"]["config"];
  EXPECT_EQ(config["congestion"], "reno");
  EXPECT_EQ(config["tos"], 0x20);
  EXPECT_EQ(config["mss_bytes"], 1000);
  EXPECT_EQ(config["socket_buffer_bytes"], 256 * 1024);
  EXPECT_EQ(config["tcp_nodelay"], true);
}

TEST(CliTest, VersionPrintsTheVersion) {
  const Outcome o = run_netbench("--version");
  EXPECT_EQ(o.code, kExitOk);
  EXPECT_NE(o.out.find("netbench "), std::string::npos);
}

TEST(CliTest, HelpAndErrorsNameEveryServerModelFromTheList) {
  const Outcome help = run_netbench("--help");
  EXPECT_EQ(help.code, kExitOk);
  EXPECT_NE(help.out.find("receiver I/O model: " + model_names()), std::string::npos) << help.out;
  const Outcome bad = run_netbench("--model kqueue");
  EXPECT_NE(bad.err.find("is not one of " + model_names()), std::string::npos) << bad.err;
}

TEST(CliTest, PortInUseIsASetupError) {
  // Hold a TCP port, then ask netbench to listen on it.
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(fd, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);  // NOLINT
  ASSERT_EQ(::listen(fd, 1), 0);
  socklen_t len = sizeof a;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);  // NOLINT
  const Outcome o =
      run_netbench("--proto tcp -4 --port " + std::to_string(ntohs(a.sin_port)) + " --count 10");
  ::close(fd);
  EXPECT_EQ(o.code, kExitSetup) << o.err;
  EXPECT_NE(o.err.find("Address already in use"), std::string::npos) << o.err;
}

TEST(CliTest, JsonRunIsAValidCompleteDocument) {
  const Outcome o =
      run_netbench("--proto udp --model poll --count 2000 --rate 20k --buffer 8MiB --json");
  ASSERT_EQ(o.code, kExitOk) << o.err;
  const auto doc = nlohmann::json::parse(o.out);
  EXPECT_EQ(doc["schema"], "netbench/1");
  EXPECT_EQ(doc["run"]["config"]["proto"], "udp");
  EXPECT_EQ(doc["run"]["config"]["model"], "poll");
  EXPECT_EQ(doc["run"]["sender"]["messages"], 2000);
  EXPECT_EQ(doc["run"]["receiver"]["messages"], 2000);
  EXPECT_EQ(doc["run"]["receiver"]["loss"]["lost"], 0);
  EXPECT_TRUE(doc["run"]["complete"].get<bool>());
}

TEST(CliTest, FanoutRunHasOneSectionPerReceiverAndTheirSumAsTheAggregate) {
  const Outcome o = run_netbench(
      "--proto udp --receivers 3 --multicast 239.77.0.3 --flows 2 --count 2000 --buffer 4MiB "
      "--json");
  ASSERT_EQ(o.code, kExitOk) << o.err;
  const auto run = nlohmann::json::parse(o.out)["run"];
  EXPECT_EQ(run["config"]["fanout"]["method"], "multicast");
  EXPECT_EQ(run["config"]["fanout"]["group"], "239.77.0.3");
  EXPECT_EQ(run["config"]["fanout"]["receivers"], 3);
  EXPECT_EQ(run["sender"]["messages"], 2000);
  EXPECT_EQ(run["receiver"]["messages"], 6000);  // deliveries
  const auto& rxs = run["fanout"]["receivers"];
  ASSERT_EQ(rxs.size(), 3U);
  for (std::size_t k = 0; k < rxs.size(); ++k) {
    EXPECT_EQ(rxs[k]["index"], k);
    EXPECT_EQ(rxs[k]["receiver"]["messages"], 2000);
    EXPECT_EQ(rxs[k]["receiver"]["unique"], 2000);
    EXPECT_EQ(rxs[k]["receiver"]["loss"]["lost"], 0);
    EXPECT_EQ(rxs[k]["receiver"]["flows"].size(), 2U);
    EXPECT_EQ(rxs[k]["one_way_delay"]["count"], 2000);
  }
}

TEST(CliTest, BadInputWithJsonStillWritesAValidDocument) {
  const Outcome o = run_netbench("--proto sctp --json");
  EXPECT_EQ(o.code, kExitUsage);
  const auto doc = nlohmann::json::parse(o.out);
  EXPECT_EQ(doc["schema"], "netbench/1");
  EXPECT_NE(doc["error"].get<std::string>().find("sctp"), std::string::npos);
}

TEST(CliTest, JsonLinesGiveOneEventPerLine) {
  const Outcome o =
      run_netbench("--proto tcp --count 3000 --rate 10k --interval 50ms --json-lines");
  ASSERT_EQ(o.code, kExitOk) << o.err;
  std::vector<nlohmann::json> events;
  std::size_t start = 0;
  while (start < o.out.size()) {
    const std::size_t end = o.out.find('\n', start);
    ASSERT_NE(end, std::string::npos) << "every event ends its line";
    events.push_back(nlohmann::json::parse(o.out.substr(start, end - start)));
    start = end + 1;
  }
  ASSERT_GE(events.size(), 3U);
  EXPECT_EQ(events.front()["event"], "start");
  EXPECT_EQ(events.front()["config"]["proto"], "tcp");
  EXPECT_EQ(events.back()["event"], "end");
  EXPECT_EQ(events.back()["document"]["run"]["receiver"]["messages"], 3000);
  std::uint64_t sent = 0;
  for (std::size_t i = 1; i + 1 < events.size(); ++i) {
    EXPECT_EQ(events[i]["event"], "interval");
    sent += events[i]["sent_messages"].get<std::uint64_t>();
  }
  EXPECT_EQ(sent, 3000U);  // the intervals account for every measured message
}

TEST(CliTest, UnknownFlagWithJsonStillWritesAValidDocument) {
  const Outcome o = run_netbench("--json --no-such-flag");
  EXPECT_EQ(o.code, kExitUsage);
  const auto doc = nlohmann::json::parse(o.out);
  EXPECT_EQ(doc["schema"], "netbench/1");
  EXPECT_NE(doc["error"].get<std::string>().find("--no-such-flag"), std::string::npos);
}

TEST(CliTest, SigintEndsARunWithPartialValidResults) {
  const std::string out =
      ::testing::TempDir() + "netbench_sigint_" + std::to_string(::getpid()) + ".json";
  const std::string cmd = std::string("sh -c '") + NETBENCH_BINARY +
                          " --proto tcp --duration 30s -q -o " + out +
                          " & pid=$!; sleep 1.5; kill -INT $pid; wait $pid; echo $?'";
  std::FILE* p = ::popen(cmd.c_str(), "r");
  ASSERT_NE(p, nullptr);
  std::array<char, 64> buf{};
  std::string code;
  while (const std::size_t n = std::fread(buf.data(), 1, buf.size(), p)) {
    code.append(buf.data(), n);
  }
  ::pclose(p);
  EXPECT_EQ(std::stoi(code), kExitInterrupted);
  std::FILE* f = std::fopen(out.c_str(), "r");
  ASSERT_NE(f, nullptr);
  std::string text;
  while (const std::size_t n = std::fread(buf.data(), 1, buf.size(), f)) {
    text.append(buf.data(), n);
  }
  std::fclose(f);
  const auto doc = nlohmann::json::parse(text);
  EXPECT_FALSE(doc["run"]["complete"].get<bool>());
  EXPECT_GT(doc["run"]["sender"]["messages"].get<std::uint64_t>(), 0U);
  EXPECT_NE(doc["error"].get<std::string>().find("SIGINT"), std::string::npos);
}

}  // namespace
}  // namespace netbench::app

namespace netbench::app {
namespace {

// Issue 14 (8): a paced run says how it waits and what the sender's CPU
// cost, beside the pacing figures; both wait modes run.
TEST(CliRateTest, PacedRunReportsItsWaitModeAndTheSenderCpuShare) {
  for (const char* mode : {"", " --pacing spin", " --pacing sleep"}) {
    const Outcome o = run_netbench(std::string("--rate 20k --count 400 --json") + mode);
    ASSERT_EQ(o.code, 0) << mode << "\n" << o.err;
    const auto run = nlohmann::json::parse(o.out)["run"];
    EXPECT_EQ(run["config"]["pacing"],
              std::string(mode).find("spin") != std::string::npos ? "spin" : "sleep")
        << mode;
    EXPECT_GE(run["sender"]["pacing"]["sender_cpu_share"].get<double>(), 0.0);
    EXPECT_EQ(run["receiver"]["messages"], 400) << mode;
  }
}

// Issue 14 (4): a rate no sender reaches is said, in the JSON and on stderr,
// and the run still completes (exit 0).
TEST(CliRateTest, AnUnreachableRateIsWarnedInTheJsonAndOnStderr) {
  const Outcome o = run_netbench("--proto udp --size 64 --rate 1G --duration 300ms --json");
  ASSERT_EQ(o.code, 0) << o.err;
  const auto run = nlohmann::json::parse(o.out)["run"];
  ASSERT_FALSE(run["warnings"].empty());
  EXPECT_NE(run["warnings"][0].get<std::string>().find("of the target"), std::string::npos)
      << run["warnings"].dump();
  EXPECT_NE(o.err.find("netbench: warning: achieved"), std::string::npos) << o.err;
}

TEST(CliRateTest, RateZeroMeansUnlimitedAsInSweepsAndIperf3) {
  for (const char* args : {"--rate 0 --count 200 -q", "--bitrate 0 --count 200 -q"}) {
    const Outcome o = run_netbench(args);
    EXPECT_EQ(o.code, 0) << args << "\n" << o.err;
  }
}

}  // namespace
}  // namespace netbench::app
