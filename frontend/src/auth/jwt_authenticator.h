// jwt_authenticator.h: Authenticator for bearer JWTs signed with RS256 or ES256 by a key of the
// JWKS. libjwt (with OpenSSL) checks the signature; this class picks the key (by kid, and only for
// the algorithm the key was published for, so an HS256 token cannot use a public key as an HMAC
// secret) and checks exp, nbf, iss and aud with a small clock skew.
// A verification costs 0.3-0.4 ms (libjwt parses the PEM key on every call, and OpenSSL 3's
// decoders are slow); a cached token about 2 us. Verified tokens are cached by their exact text
// until they expire or the key set changes: clients send the same token for many requests.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

#include "auth/authenticator.h"
#include "auth/jwks_key_store.h"

namespace inventory {

struct JwtSettings {
  std::string issuer;                   // AUTH_ISSUER: must equal the "iss" claim
  std::string audience;                 // AUTH_AUDIENCE: must be in the "aud" claim
  std::chrono::seconds clock_skew{30};  // AUTH_CLOCK_SKEW_S
  std::string actor_claim = "sub";      // AUTH_ACTOR_CLAIM: the claim recorded as the actor
  std::size_t max_token_bytes = 16 * 1024;
  std::size_t cache_entries = 4096;  // verified tokens kept; 0 disables the cache
};

class JwtAuthenticator final : public Authenticator {
 public:
  using Clock = std::function<std::int64_t()>;  // seconds since the epoch

  JwtAuthenticator(JwksKeyStore& keys, JwtSettings settings, Clock clock = SystemClock());
  AuthenticationResult Authenticate(const std::string& authorization_header) const override;

  static Clock SystemClock();

 private:
  struct CachedToken {
    Principal principal;
    double expires = 0;  // exp plus the clock skew
    std::uint64_t key_generation = 0;
  };

  // Everything after the header's shape checks: key, signature, claims. Sets expires on success.
  AuthenticationResult Verify(const std::string& token, double now, double& expires) const;
  std::optional<Principal> FromCache(const std::string& token, double now, std::uint64_t generation) const;
  void Remember(const std::string& token, const Principal& principal, double expires,
                std::uint64_t generation) const;

  JwksKeyStore& keys_;
  const JwtSettings settings_;
  const Clock clock_;
  mutable std::mutex cache_mutex_;
  mutable std::unordered_map<std::string, CachedToken> cache_;
};

}  // namespace inventory
