// jwt_test_support.cpp: OpenSSL key generation and parameter export, libjwt signing.
#include "jwt_test_support.h"

#include <jwt.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#include <memory>
#include <stdexcept>

namespace inventory::testing {
namespace {

using Key = std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)>;
using Bio = std::unique_ptr<BIO, decltype(&BIO_free_all)>;

Key LoadKey(const std::string& pem) {
  Bio bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())), BIO_free_all);
  EVP_PKEY* key = PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr);
  if (key == nullptr) {
    Bio again(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())), BIO_free_all);
    key = PEM_read_bio_PUBKEY(again.get(), nullptr, nullptr, nullptr);
  }
  if (key == nullptr)
    throw std::runtime_error("not a PEM key");
  return Key(key, EVP_PKEY_free);
}

std::string BigNumberParameter(EVP_PKEY* key, const char* name) {
  BIGNUM* number = nullptr;
  if (EVP_PKEY_get_bn_param(key, name, &number) != 1)
    throw std::runtime_error(std::string("no parameter ") + name);
  std::string bytes(static_cast<std::size_t>(BN_num_bytes(number)), '\0');
  BN_bn2bin(number, reinterpret_cast<unsigned char*>(bytes.data()));
  BN_free(number);
  return bytes;
}

}  // namespace

std::string Base64UrlEncode(const std::string& bytes) {
  static const char* alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string out;
  std::size_t i = 0;
  for (; i + 2 < bytes.size(); i += 3) {
    const unsigned value = (static_cast<unsigned char>(bytes[i]) << 16) |
                           (static_cast<unsigned char>(bytes[i + 1]) << 8) | static_cast<unsigned char>(bytes[i + 2]);
    out += alphabet[(value >> 18) & 63];
    out += alphabet[(value >> 12) & 63];
    out += alphabet[(value >> 6) & 63];
    out += alphabet[value & 63];
  }
  if (i + 1 == bytes.size()) {
    const unsigned value = static_cast<unsigned char>(bytes[i]) << 16;
    out += alphabet[(value >> 18) & 63];
    out += alphabet[(value >> 12) & 63];
  } else if (i + 2 == bytes.size()) {
    const unsigned value =
        (static_cast<unsigned char>(bytes[i]) << 16) | (static_cast<unsigned char>(bytes[i + 1]) << 8);
    out += alphabet[(value >> 18) & 63];
    out += alphabet[(value >> 12) & 63];
    out += alphabet[(value >> 6) & 63];
  }
  return out;
}

std::string GeneratePrivateKeyPem(const std::string& type) {
  EVP_PKEY* raw = type == "RSA" ? EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", static_cast<size_t>(2048))
                                : EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256");
  if (raw == nullptr)
    throw std::runtime_error("key generation failed");
  Key key(raw, EVP_PKEY_free);
  Bio bio(BIO_new(BIO_s_mem()), BIO_free_all);
  PEM_write_bio_PrivateKey(bio.get(), key.get(), nullptr, nullptr, 0, nullptr, nullptr);
  char* data = nullptr;
  const long size = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<std::size_t>(size));
}

nlohmann::json PublicJwk(const std::string& pem, const std::string& kid) {
  const Key key = LoadKey(pem);
  nlohmann::json jwk = {{"kid", kid}, {"use", "sig"}};
  if (EVP_PKEY_is_a(key.get(), "RSA")) {
    jwk["kty"] = "RSA";
    jwk["alg"] = "RS256";
    jwk["n"] = Base64UrlEncode(BigNumberParameter(key.get(), OSSL_PKEY_PARAM_RSA_N));
    jwk["e"] = Base64UrlEncode(BigNumberParameter(key.get(), OSSL_PKEY_PARAM_RSA_E));
  } else {
    const std::string x = BigNumberParameter(key.get(), OSSL_PKEY_PARAM_EC_PUB_X);
    const std::string y = BigNumberParameter(key.get(), OSSL_PKEY_PARAM_EC_PUB_Y);
    jwk["kty"] = "EC";
    jwk["alg"] = "ES256";
    jwk["crv"] = "P-256";
    jwk["x"] = Base64UrlEncode(std::string(32 - x.size(), '\0') + x);
    jwk["y"] = Base64UrlEncode(std::string(32 - y.size(), '\0') + y);
  }
  return jwk;
}

std::string SignToken(const std::string& private_pem, const std::string& alg, const std::string& kid,
                      const nlohmann::json& claims) {
  jwt_t* jwt = nullptr;
  if (jwt_new(&jwt) != 0)
    throw std::runtime_error("jwt_new failed");
  std::unique_ptr<jwt_t, decltype(&jwt_free)> owned(jwt, jwt_free);
  if (jwt_add_grants_json(jwt, claims.dump().c_str()) != 0)
    throw std::runtime_error("claims refused");
  if (!kid.empty())
    jwt_add_header(jwt, "kid", kid.c_str());
  const jwt_alg_t algorithm = jwt_str_alg(alg.c_str());
  const bool unsigned_token = algorithm == JWT_ALG_NONE;
  if (jwt_set_alg(jwt, algorithm, unsigned_token ? nullptr : reinterpret_cast<const unsigned char*>(private_pem.data()),
                  unsigned_token ? 0 : static_cast<int>(private_pem.size())) != 0) {
    throw std::runtime_error("jwt_set_alg failed for " + alg);
  }
  char* token = jwt_encode_str(jwt);
  if (token == nullptr)
    throw std::runtime_error("jwt_encode_str failed");
  std::string result(token);
  free(token);
  return result;
}

}  // namespace inventory::testing
