#pragma once

#include <string>
#include <string_view>

namespace netbench::app {

/// `text` made safe to print on a terminal: control characters (C0, DEL and
/// the C1 range U+0080..U+009F, bidirectional overrides U+202A..U+202E and
/// U+2066..U+2069) become `\xNN` or `\uNNNN`, bytes that
/// are not valid UTF-8 become `\xNN`, and a backslash stays as it is (the
/// result is for a human, not for parsing back). Printable UTF-8 passes
/// unchanged. For every string a peer chose (a server's `error`, a message
/// `type`) before it reaches stderr, a report or a JSON document (whose
/// writer refuses invalid UTF-8). Pure; thread-safe.
[[nodiscard]] std::string printable(std::string_view text);

}  // namespace netbench::app
