// json_web_key_set.h: a JWKS document (RFC 7517, as Keycloak publishes it at
// /realms/<realm>/protocol/openid-connect/certs) turned into public keys in PEM form, which is what
// libjwt verifies with. Only signing keys for RS256 (RSA, at least 2048 bits) and ES256 (EC P-256)
// are kept; encryption keys and other algorithms are skipped.
#pragma once

#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

namespace inventory {

struct VerificationKey {
  std::string key_id;     // "kid"; may be empty when the set has a single key
  std::string algorithm;  // "RS256" or "ES256"
  std::string pem;        // SubjectPublicKeyInfo PEM
};

class JwksError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct KeySet {
  std::vector<std::shared_ptr<const VerificationKey>> keys;
  std::vector<std::string> skipped;  // why keys were left out, for the log

  // The key for kid and algorithm; with an empty kid, the only key of that algorithm.
  std::shared_ptr<const VerificationKey> Find(const std::string& key_id, const std::string& algorithm) const;
};

// Throws JwksError when the document is not a JWKS at all; single unusable keys are skipped.
KeySet ParseJwks(const std::string& document);

}  // namespace inventory
