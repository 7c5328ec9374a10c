#include "receiver/models/epoll_model.hpp"
#include "receiver/models/poll_model.hpp"
#include "receiver/models/select_model.hpp"
#include "receiver/models/thread_model.hpp"
#include "receiver/server_model.hpp"

namespace netbench::receiver {

std::unique_ptr<ServerModel> make_server_model(ModelKind kind, ReceiverState& state) {
  switch (kind) {
    case ModelKind::kThread:
      return std::make_unique<ThreadModel>(state);
    case ModelKind::kSelect:
      return std::make_unique<SelectModel>(state);
    case ModelKind::kPoll:
      return std::make_unique<PollModel>(state);
    case ModelKind::kEpoll:
      return std::make_unique<EpollModel>(state);
  }
  return nullptr;
}

unsigned loop_count(const TestSpec& spec) noexcept {
  return spec.model == ModelKind::kThread ? 1U : std::max(1U, spec.threads);
}

}  // namespace netbench::receiver
