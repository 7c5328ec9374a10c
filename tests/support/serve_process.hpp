// `netbench serve` in a child process, and the client run as a command: for
// the app tests of remote runs. Needs NETBENCH_BINARY (the test's target
// defines it).
#pragma once

#include <poll.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

namespace netbench::test {

/// `netbench serve --port 0` in a child process for the duration of a test;
/// the port it chose is read from its first log line, so parallel tests
/// never race for a port.
class Server {
 public:
  /// `auth_token`: passed as --auth-token when not null; the child never
  /// inherits NETBENCH_AUTH_TOKEN either way. `extra`: more serve flags.
  /// `nofile`: the child's RLIMIT_NOFILE (soft and hard) when not 0.
  explicit Server(const char* auth_token = nullptr, std::vector<std::string> extra = {},
                  rlim_t nofile = 0) {
    // --max-buffer 4MiB: the tests ask for 4 MiB buffers, above a stock
    // kernel's rmem_max (the server still sets them without forcing).
    std::vector<std::string> args = {NETBENCH_BINARY, "serve", "--bind",         "127.0.0.1",
                                     "--port",        "0",     "--idle-timeout", "2s",
                                     "--max-buffer",  "4MiB"};
    if (auth_token != nullptr) {
      args.insert(args.end(), {"--auth-token", auth_token});
    }
    args.insert(args.end(), extra.begin(), extra.end());
    std::vector<char*> argv;
    for (std::string& a : args) {
      argv.push_back(a.data());
    }
    argv.push_back(nullptr);
    std::array<int, 2> pipe_fds{};
    if (::pipe(pipe_fds.data()) != 0) {
      return;
    }
    pid_ = ::fork();
    if (pid_ == 0) {
      ::dup2(pipe_fds[1], STDERR_FILENO);
      ::close(pipe_fds[0]);
      ::close(pipe_fds[1]);
      ::unsetenv("NETBENCH_AUTH_TOKEN");
      if (nofile != 0) {
        const rlimit lim{nofile, nofile};
        ::setrlimit(RLIMIT_NOFILE, &lim);
      }
      ::execv(NETBENCH_BINARY, argv.data());
      ::_exit(127);
    }
    ::close(pipe_fds[1]);
    log_fd_ = pipe_fds[0];
    // "netbench serve: listening on 127.0.0.1:PORT (...)", within 10 s.
    // (Lines before it, e.g. limits lowered to fit, are skipped.)
    std::string line;
    pollfd p{log_fd_, POLLIN, 0};
    while (line.find("listening on") == std::string::npos ||
           line.find('\n', line.find("listening on")) == std::string::npos) {
      char c = 0;
      if (::poll(&p, 1, 10'000) <= 0 || ::read(log_fd_, &c, 1) != 1) {
        break;
      }
      line += c;
    }
    const auto at = line.find("127.0.0.1:", line.find("listening on"));
    if (at != std::string::npos) {
      port_ = std::atoi(line.c_str() + at + 10);
    }
  }
  /// Ends the server at once, as a crash would (SIGKILL).
  void kill_now() { ::kill(pid_, SIGKILL); }
  /// Waits up to `timeout_ms` for the server to exit on its own; its exit
  /// code, or -1 if it is still running (or died of a signal).
  int wait_exit(int timeout_ms) {
    for (int waited = 0; waited < timeout_ms; waited += 50) {
      int status = 0;
      if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        reaped_ = true;
        return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return -1;
  }
  ~Server() {
    if (!reaped_) {
      ::kill(pid_, SIGTERM);
      int status = 0;
      ::waitpid(pid_, &status, 0);
    }
    ::close(log_fd_);
  }
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  [[nodiscard]] int port() const noexcept { return port_; }
  [[nodiscard]] bool listening() const { return port_ > 0; }
  /// Reads the server's log until a line holding `needle` has arrived
  /// (true) or `timeout_ms` passed without one (false).
  bool wait_log(const std::string& needle, int timeout_ms) {
    std::string seen;
    pollfd p{log_fd_, POLLIN, 0};
    const auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
    while (seen.find(needle) == std::string::npos) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                            until - std::chrono::steady_clock::now())
                            .count();
      char c = 0;
      if (left <= 0 || ::poll(&p, 1, static_cast<int>(left)) <= 0 || ::read(log_fd_, &c, 1) != 1) {
        return false;
      }
      seen += c;
    }
    return true;
  }
  [[nodiscard]] bool alive() const { return ::waitpid(pid_, nullptr, WNOHANG) == 0; }

 private:
  pid_t pid_ = -1;
  bool reaped_ = false;
  int log_fd_ = -1;
  int port_ = 0;
};

struct Outcome {
  int code = -1;
  std::string out;
};

/// Runs the client with `args`; `env` (e.g. "NETBENCH_AUTH_TOKEN=x") is set
/// for it alone, and NETBENCH_AUTH_TOKEN is otherwise unset.
inline Outcome run_client(const std::string& args, const std::string& env = "") {
  const std::string cmd = "env -u NETBENCH_AUTH_TOKEN " + env + " timeout 60 " + NETBENCH_BINARY +
                          " " + args + " 2>/dev/null";
  Outcome o;
  std::FILE* p = ::popen(cmd.c_str(), "r");
  std::array<char, 4096> buf{};
  while (const std::size_t n = std::fread(buf.data(), 1, buf.size(), p)) {
    o.out.append(buf.data(), n);
  }
  const int status = ::pclose(p);
  o.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return o;
}

}  // namespace netbench::test
