// jwt_test_support.h: keys, JWKS documents and signed tokens for tests, made with OpenSSL and
// libjwt (the issuing side that an identity provider plays in production).
#pragma once

#include <nlohmann/json.hpp>
#include <string>

namespace inventory::testing {

// A fresh private key as PKCS#8 PEM: "RSA" (2048 bits) or "EC" (P-256).
std::string GeneratePrivateKeyPem(const std::string& type);
// The public JWK of a private or public PEM key, with kid and alg (RS256 for RSA, ES256 for EC).
nlohmann::json PublicJwk(const std::string& pem, const std::string& kid);
// A compact JWS of claims, signed with the private key; kid is omitted when empty. alg is passed
// to libjwt as it is (RS256, ES256, HS256 with the PEM as the secret, none).
std::string SignToken(const std::string& private_pem, const std::string& alg, const std::string& kid,
                      const nlohmann::json& claims);
std::string Base64UrlEncode(const std::string& bytes);

}  // namespace inventory::testing
