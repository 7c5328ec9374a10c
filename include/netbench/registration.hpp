#pragma once

#include <array>
#include <cstddef>
#include <span>

namespace netbench {

/// A UDP flow of a remote test registers its source address by sending this
/// datagram from its socket: 8 bytes "NBREG" 0x00 'v' '1', then the 16-byte
/// token the server handed out over the control connection. Only then does
/// the server's flow socket connect() to that address — it echoes to no one
/// who has not proven they hold the token.
inline constexpr std::size_t kRegistrationBytes = 24;
using RegistrationToken = std::array<std::byte, 16>;
using RegistrationDatagram = std::array<std::byte, kRegistrationBytes>;

/// The datagram carrying `token`.
[[nodiscard]] RegistrationDatagram registration_datagram(const RegistrationToken& token) noexcept;
/// True if `bytes` is a registration datagram (any token).
[[nodiscard]] bool is_registration(std::span<const std::byte> bytes) noexcept;
/// True if `bytes` is the registration datagram of exactly `token`.
[[nodiscard]] bool matches(std::span<const std::byte> bytes,
                           const RegistrationToken& token) noexcept;
/// A token from the kernel's random source (getrandom).
[[nodiscard]] RegistrationToken random_token();

}  // namespace netbench
