// json_web_key_set.cpp: JWK members to OpenSSL EVP_PKEY (OpenSSL 3 "fromdata"), then to PEM. No
// signature code here: libjwt and OpenSSL verify.
#include "auth/json_web_key_set.h"

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>

#include <nlohmann/json.hpp>

#include "auth/base64url.h"

namespace inventory {
namespace {

template <typename T, void (*Free)(T*)>
struct Deleter {
  void operator()(T* pointer) const { Free(pointer); }
};
using ParamBuilder = std::unique_ptr<OSSL_PARAM_BLD, Deleter<OSSL_PARAM_BLD, OSSL_PARAM_BLD_free>>;
using Params = std::unique_ptr<OSSL_PARAM, Deleter<OSSL_PARAM, OSSL_PARAM_free>>;
using KeyContext = std::unique_ptr<EVP_PKEY_CTX, Deleter<EVP_PKEY_CTX, EVP_PKEY_CTX_free>>;
using Key = std::unique_ptr<EVP_PKEY, Deleter<EVP_PKEY, EVP_PKEY_free>>;
using BigNumber = std::unique_ptr<BIGNUM, Deleter<BIGNUM, BN_free>>;
using Bio = std::unique_ptr<BIO, Deleter<BIO, BIO_free_all>>;

std::string Member(const nlohmann::json& jwk, const char* name) {
  const auto found = jwk.find(name);
  if (found == jwk.end() || !found->is_string())
    throw JwksError(std::string("member \"") + name + "\" is missing or not a string");
  auto decoded = Base64UrlDecode(found->get<std::string>());
  if (!decoded || decoded->empty())
    throw JwksError(std::string("member \"") + name + "\" is not base64url");
  return *decoded;
}

Key FromData(const char* type, OSSL_PARAM_BLD* builder) {
  Params params(OSSL_PARAM_BLD_to_param(builder));
  KeyContext context(EVP_PKEY_CTX_new_from_name(nullptr, type, nullptr));
  EVP_PKEY* key = nullptr;
  if (!params || !context || EVP_PKEY_fromdata_init(context.get()) <= 0 ||
      EVP_PKEY_fromdata(context.get(), &key, EVP_PKEY_PUBLIC_KEY, params.get()) <= 0) {
    throw JwksError(std::string("OpenSSL refused the ") + type + " key");
  }
  return Key(key);
}

Key RsaKey(const nlohmann::json& jwk) {
  const std::string modulus = Member(jwk, "n");
  const std::string exponent = Member(jwk, "e");
  BigNumber n(
      BN_bin2bn(reinterpret_cast<const unsigned char*>(modulus.data()), static_cast<int>(modulus.size()), nullptr));
  BigNumber e(
      BN_bin2bn(reinterpret_cast<const unsigned char*>(exponent.data()), static_cast<int>(exponent.size()), nullptr));
  ParamBuilder builder(OSSL_PARAM_BLD_new());
  if (!n || !e || !builder || !OSSL_PARAM_BLD_push_BN(builder.get(), OSSL_PKEY_PARAM_RSA_N, n.get()) ||
      !OSSL_PARAM_BLD_push_BN(builder.get(), OSSL_PKEY_PARAM_RSA_E, e.get())) {
    throw JwksError("cannot build the RSA key");
  }
  auto key = FromData("RSA", builder.get());
  if (EVP_PKEY_get_bits(key.get()) < 2048)
    throw JwksError("RSA keys must have at least 2048 bits");
  return key;
}

Key EcKey(const nlohmann::json& jwk) {
  if (!jwk.contains("crv") || jwk["crv"] != "P-256")
    throw JwksError("only the EC curve P-256 (ES256) is supported");
  const std::string x = Member(jwk, "x");
  const std::string y = Member(jwk, "y");
  if (x.size() != 32 || y.size() != 32)
    throw JwksError("P-256 coordinates must be 32 bytes");
  const std::string point = std::string(1, '\x04') + x + y;
  ParamBuilder builder(OSSL_PARAM_BLD_new());
  if (!builder || !OSSL_PARAM_BLD_push_utf8_string(builder.get(), OSSL_PKEY_PARAM_GROUP_NAME, "prime256v1", 0) ||
      !OSSL_PARAM_BLD_push_octet_string(builder.get(), OSSL_PKEY_PARAM_PUB_KEY, point.data(), point.size())) {
    throw JwksError("cannot build the EC key");
  }
  return FromData("EC", builder.get());
}

std::string Pem(EVP_PKEY* key) {
  Bio bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_PUBKEY(bio.get(), key) != 1)
    throw JwksError("cannot write the key as PEM");
  char* data = nullptr;
  const long size = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<std::size_t>(size));
}

VerificationKey ToVerificationKey(const nlohmann::json& jwk) {
  if (!jwk.is_object())
    throw JwksError("a key is not a JSON object");
  if (jwk.contains("use") && jwk["use"] != "sig")
    throw JwksError("not a signing key (use is not \"sig\")");
  for (const char* member : {"kty", "kid", "alg"})
    if (jwk.contains(member) && !jwk[member].is_string())
      throw JwksError(std::string(member) + " is not a string");
  const std::string type = jwk.value("kty", "");
  VerificationKey key;
  if (jwk.contains("kid"))
    key.key_id = jwk["kid"].get<std::string>();
  const std::string algorithm = jwk.value("alg", "");
  if (type == "RSA") {
    if (!algorithm.empty() && algorithm != "RS256")
      throw JwksError("RSA key for " + algorithm.substr(0, 20) + ", only RS256 is accepted");
    key.algorithm = "RS256";
    key.pem = Pem(RsaKey(jwk).get());
  } else if (type == "EC") {
    if (!algorithm.empty() && algorithm != "ES256")
      throw JwksError("EC key for " + algorithm.substr(0, 20) + ", only ES256 is accepted");
    key.algorithm = "ES256";
    key.pem = Pem(EcKey(jwk).get());
  } else {
    throw JwksError("key type \"" + type.substr(0, 20) + "\" is not RSA or EC");
  }
  return key;
}

}  // namespace

std::shared_ptr<const VerificationKey> KeySet::Find(const std::string& key_id, const std::string& algorithm) const {
  std::shared_ptr<const VerificationKey> only;
  int candidates = 0;
  for (const auto& key : keys) {
    if (key->algorithm != algorithm)
      continue;
    if (!key_id.empty() && key->key_id == key_id)
      return key;
    ++candidates;
    only = key;
  }
  return key_id.empty() && candidates == 1 ? only : nullptr;
}

KeySet ParseJwks(const std::string& document) {
  const auto json = nlohmann::json::parse(document, nullptr, false);
  if (json.is_discarded() || !json.is_object() || !json.contains("keys") || !json["keys"].is_array())
    throw JwksError("not a JWKS document (expected an object with a \"keys\" array)");
  KeySet set;
  for (const auto& jwk : json["keys"]) {
    try {
      set.keys.push_back(std::make_shared<const VerificationKey>(ToVerificationKey(jwk)));
    } catch (const JwksError& error) {
      const std::string kid = jwk.is_object() && jwk.contains("kid") && jwk["kid"].is_string()
                                  ? jwk["kid"].get<std::string>().substr(0, 80)
                                  : "?";
      set.skipped.push_back("key " + kid + ": " + error.what());
    }
  }
  return set;
}

}  // namespace inventory
