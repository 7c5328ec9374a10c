#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace netbench::app {

/// Base64 of bytes (RFC 4648), for serialized histograms.
[[nodiscard]] std::string base64(const std::vector<std::byte>& bytes);
/// Bytes of canonical base64 (RFC 4648 §4, what base64() writes): nullopt
/// unless the length is a multiple of 4, every character is in the alphabet,
/// `=` appears only as the last one or two, and the bits padding leaves over
/// are zero (§3.5), so each byte string has exactly one accepted text.
[[nodiscard]] std::optional<std::vector<std::byte>> unbase64(std::string_view text);

}  // namespace netbench::app
