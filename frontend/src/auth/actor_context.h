// actor_context.h: the authenticated subject of the request the current thread is serving, so the
// PostgreSQL adapter can record it (inventory.actor) without every domain signature carrying it.
// Pistache serves a request on one thread from start to finish; ActorScope sets the actor for the
// length of a request and restores the previous value, so nothing leaks into the next request.
#pragma once

#include <optional>
#include <string>

namespace inventory {

// The actor of the current thread's request; nullopt when unauthenticated (auth off, public route).
const std::optional<std::string>& CurrentActor();

class ActorScope {
 public:
  explicit ActorScope(std::optional<std::string> actor);
  ~ActorScope();
  ActorScope(const ActorScope&) = delete;
  ActorScope& operator=(const ActorScope&) = delete;

 private:
  std::optional<std::string> previous_;
};

}  // namespace inventory
