// actor_context.cpp: one thread-local slot.
#include "auth/actor_context.h"

#include <utility>

namespace inventory {
namespace {

thread_local std::optional<std::string> current_actor;

}  // namespace

const std::optional<std::string>& CurrentActor() {
  return current_actor;
}

ActorScope::ActorScope(std::optional<std::string> actor) : previous_(std::move(current_actor)) {
  current_actor = std::move(actor);
}

ActorScope::~ActorScope() {
  current_actor = std::move(previous_);
}

}  // namespace inventory
