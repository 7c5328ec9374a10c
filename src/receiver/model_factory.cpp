#include "receiver/models/epoll_model.hpp"
#include "receiver/models/poll_model.hpp"
#include "receiver/models/select_model.hpp"
#include "receiver/models/thread_model.hpp"
#include "receiver/models/uring_model.hpp"
#include "receiver/server_model.hpp"

namespace netbench::receiver {

std::unique_ptr<ServerModel> make_server_model(ModelKind kind, ReceiverState& state) {
  // No default: -Wswitch (an error in the dev preset) names an enumerator
  // of ModelKind, i.e. an entry of kModels, that has no model here.
  switch (kind) {
    case ModelKind::kThread:
      return std::make_unique<ThreadModel>(state);
    case ModelKind::kSelect:
      return std::make_unique<SelectModel>(state);
    case ModelKind::kPoll:
      return std::make_unique<PollModel>(state);
    case ModelKind::kEpoll:
      return std::make_unique<EpollModel>(state);
    case ModelKind::kUring:
      return std::make_unique<UringModel>(state);
  }
  return nullptr;  // not a ModelKind enumerator
}

unsigned loop_count(const TestSpec& spec) noexcept {
  const ModelInfo* info = find_model(spec.model);
  const bool per_connection = info != nullptr && info->family == ModelFamily::kThreadPerConnection;
  return per_connection ? 1U : std::max(1U, spec.threads);
}

}  // namespace netbench::receiver
