// authenticator.h: turns the Authorization header of a request into a Principal, or says why it
// cannot. The JWT adapter (jwt_authenticator.h) implements it; unit tests use fakes.
#pragma once

#include <optional>
#include <string>

#include "auth/principal.h"

namespace inventory {

struct AuthenticationResult {
  std::optional<Principal> principal;  // set on success
  bool credentials_present = false;    // false: no bearer token at all (RFC 6750: no error code)
  std::string failure;                 // why the token was refused, safe to show the client
};

class Authenticator {
 public:
  virtual ~Authenticator() = default;
  // authorization_header is the raw header value ("Bearer <token>"), empty when absent.
  virtual AuthenticationResult Authenticate(const std::string& authorization_header) const = 0;
};

}  // namespace inventory
