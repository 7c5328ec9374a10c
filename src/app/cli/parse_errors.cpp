#include "app/cli/parse_errors.hpp"

#include <algorithm>
#include <array>
#include <cstddef>
#include <regex>
#include <string_view>
#include <utility>

namespace netbench::app {
namespace {

/// Optimal string alignment distance: insertions, deletions, substitutions
/// and swaps of two adjacent characters each cost one.
std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::vector<std::size_t>> d(a.size() + 1, std::vector<std::size_t>(b.size() + 1));
  for (std::size_t i = 0; i <= a.size(); ++i) {
    d[i][0] = i;
  }
  for (std::size_t j = 0; j <= b.size(); ++j) {
    d[0][j] = j;
  }
  for (std::size_t i = 1; i <= a.size(); ++i) {
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
      d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) {
        d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
      }
    }
  }
  return d[a.size()][b.size()];
}

/// iperf3's flags that netbench spells otherwise or does not have, and what
/// to do instead.
constexpr std::array<std::pair<std::string_view, std::string_view>, 5> kForeignFlags{{
    {"-s", "netbench's server is a subcommand: run 'netbench serve'"},
    {"--server", "netbench's server is a subcommand: run 'netbench serve'"},
    {"-D", "run 'netbench serve' under systemd or nohup; it has no daemon mode"},
    {"-n", "netbench counts messages, not bytes: use -k/--count N (messages of --size bytes)"},
    {"-i", "netbench's reporting interval is --interval, e.g. --interval 1s"},
}};

/// The flag part of a command-line word: "--flows" of "--flows=3"; empty
/// for a word that is no flag (a value, "-", a negative number).
std::string flag_of(const std::string& word) {
  if (word.size() < 2 || word[0] != '-' || (word[1] >= '0' && word[1] <= '9')) {
    return {};
  }
  return word.substr(0, word.find('='));
}

}  // namespace

std::string nearest_flag(const std::string& flag, const std::vector<std::string>& candidates) {
  const std::string_view bare = std::string_view(flag).substr(flag.find_first_not_of('-'));
  if (bare.size() < 2) {
    return {};  // a one-letter flag is too short to guess from
  }
  std::string best;
  std::size_t best_distance = std::max<std::size_t>(1, bare.size() / 3) + 1;
  for (const std::string& c : candidates) {
    const std::string_view name = std::string_view(c).substr(c.find_first_not_of('-'));
    if (name.size() < 2) {
      continue;
    }
    const bool extends = (bare.size() > name.size() && bare.substr(0, name.size()) == name) ||
                         (name.size() > bare.size() && name.substr(0, bare.size()) == bare);
    const std::size_t d = extends && name.size() >= 4 ? 1 : edit_distance(bare, name);
    if (d < best_distance) {
      best_distance = d;
      best = c;
    }
  }
  return best;
}

std::string explain_parse_error(const std::string& what, const std::vector<std::string>& args,
                                const std::vector<FlagInfo>& flags) {
  std::vector<std::string> names;
  for (const FlagInfo& f : flags) {
    names.push_back(f.name);
  }
  if (what.starts_with("The following argument")) {
    for (const std::string& word : args) {
      const std::string flag = flag_of(word);
      if (flag.empty() || std::find(names.begin(), names.end(), flag) != names.end()) {
        continue;
      }
      for (const auto& [foreign, advice] : kForeignFlags) {
        if (flag == foreign) {
          return flag + ": " + std::string(advice);
        }
      }
      const std::string near = nearest_flag(flag, names);
      return "unknown flag " + flag + (near.empty() ? "" : "; did you mean " + near + "?");
    }
    return what;
  }
  static const std::regex kConvert(R"(Could not convert: (\S+) = (.*))");
  static const std::regex kMissing(R"((\S+): \d+ required (\S+) missing)");
  static const std::regex kExcludes(R"((\S+) excludes (\S+))");
  std::smatch m;
  if (std::regex_match(what, m, kConvert)) {
    const std::string flag = m[1].str();
    const auto it = std::find_if(flags.begin(), flags.end(),
                                 [&flag](const FlagInfo& f) { return f.name == flag; });
    const std::string type = it == flags.end() ? "" : it->type;
    const std::string kind = type == "UINT"    ? "a whole number (0 or more)"
                             : type == "INT"   ? "a whole number"
                             : type == "FLOAT" ? "a number"
                                               : "a valid value";
    return flag + " '" + m[2].str() + "' is not " + kind;
  }
  if (std::regex_match(what, m, kExcludes)) {
    return "give " + m[2].str() + " or " + m[1].str() + ", not both";
  }
  if (std::regex_match(what, m, kMissing)) {
    return m[1].str() + " needs a value (" + m[2].str() + ")";
  }
  return what;
}

}  // namespace netbench::app
