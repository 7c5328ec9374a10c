// --model uring where io_uring is unavailable: one line naming the cause,
// exit 3, never a crash or a silent fallback; a sweep records the point as
// failed and goes on. The unavailability is real: the netbench binary runs
// in a child under a seccomp filter that fails io_uring_setup, as many
// container runtimes' default profiles do.
#include <fcntl.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstddef>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "app/cli/exit_codes.hpp"
#include "gtest/gtest.h"
#include "sys/uring.hpp"

namespace netbench::app {
namespace {

/// Fails io_uring_setup with `err` for this thread and every process it
/// execs (no_new_privs lets an unprivileged process install it). Only
/// io_uring_setup: the rest of the process runs as before.
bool block_io_uring_setup(int err) {
  std::array<sock_filter, 7> code{{
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, arch)),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),  // another ABI: leave it be
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, nr)),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_io_uring_setup, 0, 1),
      BPF_STMT(BPF_RET | BPF_K,
               SECCOMP_RET_ERRNO | (static_cast<unsigned>(err) & SECCOMP_RET_DATA)),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
  }};
  sock_fprog prog{static_cast<unsigned short>(code.size()), code.data()};
  return ::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == 0 &&
         ::prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog) == 0;
}

struct Outcome {
  int code = -1;
  std::string err;
};

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

/// Runs the netbench binary with `args` under a filter failing
/// io_uring_setup with `err`; at most 60 s.
Outcome run_blocked(int err, std::vector<std::string> args) {
  const std::string errfile =
      ::testing::TempDir() + "netbench_uring_refusal_" + std::to_string(::getpid()) + ".txt";
  const pid_t pid = ::fork();
  if (pid == 0) {
    const int fd = ::open(errfile.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (fd < 0 || ::dup2(fd, 2) < 0 || !block_io_uring_setup(err)) {
      ::_exit(120);
    }
    args.insert(args.begin(), NETBENCH_BINARY);
    std::vector<char*> argv;
    for (std::string& a : args) {
      argv.push_back(a.data());
    }
    argv.push_back(nullptr);
    ::execv(NETBENCH_BINARY, argv.data());
    ::_exit(121);
  }
  Outcome o;
  int status = 0;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (::waitpid(pid, &status, WNOHANG) == 0) {
    if (std::chrono::steady_clock::now() > deadline) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, &status, 0);
      return o;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  o.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  o.err = read_file(errfile);
  return o;
}

std::size_t lines(const std::string& s) {
  return static_cast<std::size_t>(std::count(s.begin(), s.end(), '\n'));
}

class UringRefusalTest : public ::testing::TestWithParam<int> {};

TEST_P(UringRefusalTest, ARunUnderSeccompRefusesInOneLineWithExitThree) {
  const Outcome o = run_blocked(
      GetParam(), {"--proto", "udp", "--model", "uring", "--count", "100", "--flows", "2"});
  EXPECT_EQ(o.code, kExitSetup) << o.err;
  EXPECT_EQ(lines(o.err), 1U) << o.err;
  EXPECT_NE(o.err.find("seccomp"), std::string::npos) << o.err;
  EXPECT_NE(o.err.find("pick another --model"), std::string::npos) << o.err;
}

TEST_P(UringRefusalTest, ASweepRecordsTheUringPointAsFailedAndRunsTheOthers) {
  const std::string out =
      ::testing::TempDir() + "netbench_uring_sweep_" + std::to_string(::getpid()) + ".json";
  const Outcome o = run_blocked(GetParam(), {"sweep", "--proto", "tcp", "--model", "uring,epoll",
                                             "--flows", "1", "--count", "200", "-q", "-o", out});
  const auto doc = nlohmann::json::parse(read_file(out));
  ASSERT_EQ(doc["runs"].size(), 2U) << doc.dump();
  EXPECT_EQ(doc["sweep"]["failed"].get<int>(), 1);
  EXPECT_EQ(doc["sweep"]["completed"].get<int>(), 1);
  // Matrix order: uring first; its entry is {point, config, error}.
  const auto& refused = doc["runs"][0];
  EXPECT_EQ(refused["config"]["model"].get<std::string>(), "uring");
  EXPECT_FALSE(refused.contains("run"));
  EXPECT_NE(refused["error"].get<std::string>().find("seccomp"), std::string::npos)
      << refused.dump();
  const auto& ran = doc["runs"][1]["run"];
  EXPECT_EQ(ran["config"]["model"].get<std::string>(), "epoll");
  EXPECT_TRUE(ran["complete"].get<bool>()) << ran.dump();
  EXPECT_EQ(ran["receiver"]["messages"].get<std::uint64_t>(), 200U);
  EXPECT_NE(o.code, kExitOk);  // a point failed
  EXPECT_NE(o.code, -1);       // and the sweep ended by itself
}

// EPERM (Docker's default profile) and ENOSYS (others, and kernels without
// io_uring) both say seccomp when the process runs under a filter.
INSTANTIATE_TEST_SUITE_P(Errnos, UringRefusalTest, ::testing::Values(EPERM, ENOSYS),
                         [](const ::testing::TestParamInfo<int>& p) {
                           return p.param == EPERM ? std::string("EPERM") : std::string("ENOSYS");
                         });

TEST(UringRefusalTest, ExplainsTheSysctlBeforeSeccomp) {
  const std::string two = sys::explain_uring_setup_error(EPERM, 0, 2);
  EXPECT_NE(two.find("kernel.io_uring_disabled=2"), std::string::npos) << two;
  const std::string one = sys::explain_uring_setup_error(EPERM, 2, 1);
  EXPECT_NE(one.find("kernel.io_uring_disabled=1"), std::string::npos) << one;
  EXPECT_NE(one.find("io_uring_group"), std::string::npos) << one;
}

TEST(UringRefusalTest, TellsAKernelWithoutIoUringFromAFilter) {
  const std::string none = sys::explain_uring_setup_error(ENOSYS, 0, -1);
  EXPECT_NE(none.find("this kernel has none"), std::string::npos) << none;
  const std::string filtered = sys::explain_uring_setup_error(ENOSYS, 2, -1);
  EXPECT_NE(filtered.find("seccomp"), std::string::npos) << filtered;
  for (const std::string& s : {none, filtered, sys::explain_uring_setup_error(ENOMEM, 0, 0)}) {
    EXPECT_EQ(s.find('\n'), std::string::npos) << s;
    EXPECT_NE(s.find("pick another --model"), std::string::npos) << s;
  }
}

TEST(UringRefusalTest, ThisProcessCanUseIoUring) {
  // The host the suite runs on is one where the uring model works (the
  // parameterised model suites run it): any reason here is a setup problem.
  EXPECT_EQ(sys::uring_unavailable_reason(), "");
}

TEST(UringPathTest, NamesTheKernelsFeatureBitsInOrder) {
  EXPECT_TRUE(sys::uring_feature_names(0).empty());
  EXPECT_EQ(sys::uring_feature_names(IORING_FEAT_SINGLE_MMAP | IORING_FEAT_EXT_ARG),
            (std::vector<std::string>{"single_mmap", "ext_arg"}));
  EXPECT_EQ(sys::uring_feature_names(1U << 12), (std::vector<std::string>{"linked_file"}));
  EXPECT_EQ(sys::uring_feature_names(1U << 17), (std::vector<std::string>{"no_iowait"}));
  // A bit newer than this build: named by its number, not dropped.
  EXPECT_EQ(sys::uring_feature_names(1U << 31), (std::vector<std::string>{"bit_31"}));
  EXPECT_EQ(sys::uring_feature_names(0xFFFFFFFFU).size(), 32U);
}

TEST(UringPathTest, ComparesKernelReleases) {
  EXPECT_TRUE(sys::kernel_at_least(2, 6));
  EXPECT_TRUE(sys::kernel_at_least(sys::kUringMinMajor, sys::kUringMinMinor));
  EXPECT_FALSE(sys::kernel_at_least(99, 0));
}

}  // namespace
}  // namespace netbench::app
