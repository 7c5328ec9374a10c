#include "app/serve/pair_book.hpp"

#include "receiver/receiver_state.hpp"

namespace netbench::app {

RegistrationToken PairBook::open(const Endpoint& host) {
  const RegistrationToken token = random_token();
  const std::lock_guard lock(mutex_);
  open_[token] = host;
  return token;
}

void PairBook::close(const RegistrationToken& token) noexcept {
  const std::lock_guard lock(mutex_);
  open_.erase(token);
}

bool PairBook::claim(const RegistrationToken& token, const sockaddr_storage& host) {
  const std::lock_guard lock(mutex_);
  const auto it = open_.find(token);
  if (it == open_.end() || !receiver::same_host(it->second.addr, host)) {
    return false;
  }
  open_.erase(it);
  return true;
}

}  // namespace netbench::app
