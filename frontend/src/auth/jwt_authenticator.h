// jwt_authenticator.h: Authenticator for bearer JWTs signed with RS256 or ES256 by a key of the
// JWKS. libjwt (with OpenSSL) checks the signature; this class picks the key (by kid, and only for
// the algorithm the key was published for, so an HS256 token cannot use a public key as an HMAC
// secret) and checks exp, nbf, iss and aud with a small clock skew.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>

#include "auth/authenticator.h"
#include "auth/jwks_key_store.h"

namespace inventory {

struct JwtSettings {
  std::string issuer;                   // AUTH_ISSUER: must equal the "iss" claim
  std::string audience;                 // AUTH_AUDIENCE: must be in the "aud" claim
  std::chrono::seconds clock_skew{30};  // AUTH_CLOCK_SKEW_S
  std::string actor_claim = "sub";      // AUTH_ACTOR_CLAIM: the claim recorded as the actor
  std::size_t max_token_bytes = 16 * 1024;
};

class JwtAuthenticator final : public Authenticator {
 public:
  using Clock = std::function<std::int64_t()>;  // seconds since the epoch

  JwtAuthenticator(JwksKeyStore& keys, JwtSettings settings, Clock clock = SystemClock());
  AuthenticationResult Authenticate(const std::string& authorization_header) const override;

  static Clock SystemClock();

 private:
  JwksKeyStore& keys_;
  const JwtSettings settings_;
  const Clock clock_;
};

}  // namespace inventory
