#pragma once

#include <string>
#include <vector>

namespace netbench::app {

/// The flag of `candidates` ("--flows", "-P", ...) nearest to the unknown
/// `flag`: one the unknown is a prefix or an extension of (--proto for
/// --protocol), or one within a small edit distance (adjacent swaps count
/// one), ties to the first; empty when none is close.
[[nodiscard]] std::string nearest_flag(const std::string& flag,
                                       const std::vector<std::string>& candidates);

/// A flag of the command being parsed: its name and CLI11's type name of
/// its value (UINT, INT, TEXT, ...; empty for a switch).
struct FlagInfo {
  std::string name;
  std::string type;
};

/// One line for a command line CLI11 could not parse, flag before value:
/// `what` is CLI11's message, `args` the words after the program name,
/// `flags` every flag of the (sub)command being parsed. Unknown flags get
/// the nearest known one as a suggestion, iperf3's flags that netbench
/// spells otherwise get their netbench form, and "Could not convert" and
/// "required ... missing" become "--flag 'value' is not ..." and "--flag
/// needs a value".
[[nodiscard]] std::string explain_parse_error(const std::string& what,
                                              const std::vector<std::string>& args,
                                              const std::vector<FlagInfo>& flags);

}  // namespace netbench::app
