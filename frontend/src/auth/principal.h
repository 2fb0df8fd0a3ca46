// principal.h: who is calling, as the service sees it after authentication: the subject recorded
// as the actor of every change, and the scopes granted by the token. No library types.
#pragma once

#include <set>
#include <string>

namespace inventory {

// The three scopes of the REST API. Each one includes the ones below it: admin ⊇ write ⊇ read.
namespace scope {
inline constexpr const char* kRead = "inventory:read";
inline constexpr const char* kWrite = "inventory:write";
inline constexpr const char* kAdmin = "inventory:admin";
}  // namespace scope

struct Principal {
  std::string subject;           // the actor: the token's subject claim (AUTH_ACTOR_CLAIM)
  std::set<std::string> scopes;  // as granted by the token ("scope" or "scp")
};

}  // namespace inventory
