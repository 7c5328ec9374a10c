#include "netbench/registration.hpp"

#include <sys/random.h>

#include <algorithm>
#include <cerrno>

#include "netbench/error.hpp"

namespace netbench {
namespace {

constexpr std::array<std::byte, 8> kMagic{std::byte{'N'}, std::byte{'B'}, std::byte{'R'},
                                          std::byte{'E'}, std::byte{'G'}, std::byte{0},
                                          std::byte{'v'}, std::byte{'1'}};

}  // namespace

RegistrationDatagram registration_datagram(const RegistrationToken& token) noexcept {
  RegistrationDatagram d{};
  std::copy(kMagic.begin(), kMagic.end(), d.begin());
  std::copy(token.begin(), token.end(), d.begin() + kMagic.size());
  return d;
}

bool is_registration(std::span<const std::byte> bytes) noexcept {
  return bytes.size() == kRegistrationBytes &&
         std::equal(kMagic.begin(), kMagic.end(), bytes.begin());
}

bool matches(std::span<const std::byte> bytes, const RegistrationToken& token) noexcept {
  return is_registration(bytes) &&
         std::equal(token.begin(), token.end(),
                    bytes.begin() + static_cast<std::ptrdiff_t>(kMagic.size()));
}

RegistrationToken random_token() {
  RegistrationToken t{};
  std::size_t got = 0;
  while (got < t.size()) {
    const ssize_t n = ::getrandom(t.data() + got, t.size() - got, 0);
    if (n < 0) {
      if (errno == EINTR) {
        continue;
      }
      throw SystemError("getrandom", "", errno);
    }
    got += static_cast<std::size_t>(n);
  }
  return t;
}

}  // namespace netbench
