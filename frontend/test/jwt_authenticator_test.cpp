// jwt_authenticator_test.cpp: JWT verification against keys from a JWKS: RS256 and ES256 accepted,
// every kind of bad token refused with a reason, unknown kids trigger a background refresh.
#include "auth/jwt_authenticator.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "auth/json_web_key_set.h"
#include "jwt_test_support.h"

namespace inventory {
namespace {

using testing::GeneratePrivateKeyPem;
using testing::PublicJwk;
using testing::SignToken;

constexpr std::int64_t kNow = 1'800'000'000;

class JwtAuthenticatorTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    rsa_key = new std::string(GeneratePrivateKeyPem("RSA"));
    ec_key = new std::string(GeneratePrivateKeyPem("EC"));
    other_rsa_key = new std::string(GeneratePrivateKeyPem("RSA"));
  }

  JwtAuthenticatorTest() {
    jwks = nlohmann::json{{"keys", {PublicJwk(*rsa_key, "rsa-1"), PublicJwk(*ec_key, "ec-1")}}}.dump();
    keys.Refresh();
  }

  static nlohmann::json Claims() {
    return {{"iss", "https://idp.test/realms/shop"},
            {"aud", nlohmann::json::array({"account", "inventory-svc"})},
            {"sub", "user-42"},
            {"exp", kNow + 300},
            {"nbf", kNow - 10},
            {"scope", "openid inventory:write"}};
  }

  AuthenticationResult Check(const std::string& token) const { return authenticator.Authenticate("Bearer " + token); }

  static std::string* rsa_key;
  static std::string* ec_key;
  static std::string* other_rsa_key;
  std::string jwks;
  std::int64_t now = kNow;
  std::atomic<int> fetches{0};
  JwksKeyStore keys{[this] {
                      ++fetches;
                      return jwks;
                    },
                    KeyStoreSettings{std::chrono::seconds(3600), std::chrono::seconds(0)}, nullptr};
  JwtAuthenticator authenticator{
      keys, JwtSettings{"https://idp.test/realms/shop", "inventory-svc", std::chrono::seconds(30), "sub"},
      [this] { return now; }};
};

std::string* JwtAuthenticatorTest::rsa_key = nullptr;
std::string* JwtAuthenticatorTest::ec_key = nullptr;
std::string* JwtAuthenticatorTest::other_rsa_key = nullptr;

TEST_F(JwtAuthenticatorTest, AcceptsRs256AndEs256) {
  for (const auto& [key, alg, kid] : {std::tuple{rsa_key, "RS256", "rsa-1"}, std::tuple{ec_key, "ES256", "ec-1"}}) {
    const auto result = Check(SignToken(*key, alg, kid, Claims()));
    ASSERT_TRUE(result.principal) << alg << ": " << result.failure;
    EXPECT_EQ(result.principal->subject, "user-42");
    EXPECT_EQ(result.principal->scopes, (std::set<std::string>{"openid", "inventory:write"}));
  }
}

TEST_F(JwtAuthenticatorTest, MissingHeaderIsNotAFailureOfATokenButNoCredentials) {
  const auto result = authenticator.Authenticate("");
  EXPECT_FALSE(result.principal);
  EXPECT_FALSE(result.credentials_present);
}

TEST_F(JwtAuthenticatorTest, RefusesBadTokens) {
  auto claims = [](auto change) {
    auto value = Claims();
    change(value);
    return value;
  };
  struct Case {
    std::string name;
    std::string token;
    std::string reason;  // a part of the failure text
  };
  const std::vector<Case> cases = {
      {"expired", SignToken(*rsa_key, "RS256", "rsa-1", claims([](auto& c) { c["exp"] = kNow - 31; })), "expired"},
      {"no exp", SignToken(*rsa_key, "RS256", "rsa-1", claims([](auto& c) { c.erase("exp"); })), "exp"},
      {"exp as text", SignToken(*rsa_key, "RS256", "rsa-1", claims([](auto& c) { c["exp"] = "never"; })), "exp"},
      {"not yet valid", SignToken(*rsa_key, "RS256", "rsa-1", claims([](auto& c) { c["nbf"] = kNow + 31; })),
       "not valid yet"},
      {"other issuer", SignToken(*rsa_key, "RS256", "rsa-1", claims([](auto& c) { c["iss"] = "https://evil"; })),
       "issuer"},
      {"other audience", SignToken(*rsa_key, "RS256", "rsa-1", claims([](auto& c) { c["aud"] = "account"; })),
       "audience"},
      {"no subject", SignToken(*rsa_key, "RS256", "rsa-1", claims([](auto& c) { c.erase("sub"); })), "sub"},
      {"signed by another key", SignToken(*other_rsa_key, "RS256", "rsa-1", Claims()), "signature"},
      {"RSA kid with EC alg", SignToken(*ec_key, "ES256", "rsa-1", Claims()), "kid"},
      {"unsigned (alg none)", SignToken(*rsa_key, "none", "rsa-1", Claims()), "RS256 or ES256"},
      {"HS256 with the public key as secret", SignToken(keys.Find("rsa-1", "RS256")->pem, "HS256", "rsa-1", Claims()),
       "RS256 or ES256"},
      {"unknown kid", SignToken(*rsa_key, "RS256", "rsa-9", Claims()), "kid"},
      {"garbage", "not.a.token", "header"},
      {"two segments", "abc.def", "compact"},
      {"spaces", "a b.c.d", "compact"},
  };
  for (const auto& [name, token, reason] : cases) {
    const auto result = Check(token);
    EXPECT_FALSE(result.principal) << name;
    EXPECT_TRUE(result.credentials_present) << name;
    EXPECT_NE(result.failure.find(reason), std::string::npos) << name << ": " << result.failure;
  }
  EXPECT_FALSE(authenticator.Authenticate("Basic dXNlcjpwYXNz").principal);
}

TEST_F(JwtAuthenticatorTest, ClockSkewIsTolerated) {
  auto claims = Claims();
  claims["exp"] = kNow - 29;
  claims["nbf"] = kNow + 29;
  EXPECT_TRUE(Check(SignToken(*rsa_key, "RS256", "rsa-1", claims)).principal);
}

TEST_F(JwtAuthenticatorTest, ACachedTokenStillExpires) {
  const auto token = SignToken(*rsa_key, "RS256", "rsa-1", Claims());
  EXPECT_TRUE(Check(token).principal);
  EXPECT_TRUE(Check(token).principal);  // from the cache
  now = kNow + 300 + 31;
  EXPECT_FALSE(Check(token).principal);
}

TEST_F(JwtAuthenticatorTest, ACachedTokenIsRefusedOnceItsKeyLeavesTheSet) {
  const auto token = SignToken(*rsa_key, "RS256", "rsa-1", Claims());
  EXPECT_TRUE(Check(token).principal);
  jwks = nlohmann::json{{"keys", {PublicJwk(*ec_key, "ec-1")}}}.dump();
  ASSERT_TRUE(keys.Refresh());
  EXPECT_FALSE(Check(token).principal);
}

TEST_F(JwtAuthenticatorTest, TamperedPayloadFailsTheSignature) {
  const auto token = SignToken(*rsa_key, "RS256", "rsa-1", Claims());
  auto tampered_claims = Claims();
  tampered_claims["scope"] = "inventory:admin";
  const auto first_dot = token.find('.');
  const auto second_dot = token.find('.', first_dot + 1);
  const std::string tampered =
      token.substr(0, first_dot + 1) + testing::Base64UrlEncode(tampered_claims.dump()) + token.substr(second_dot);
  EXPECT_FALSE(Check(tampered).principal);
}

TEST_F(JwtAuthenticatorTest, UnknownKidTriggersOneBackgroundRefreshThenWorks) {
  const std::string new_key = GeneratePrivateKeyPem("RSA");
  const auto token = SignToken(new_key, "RS256", "rsa-2", Claims());
  keys.Start();
  const int before = fetches.load();
  EXPECT_FALSE(Check(token).principal);  // refused at once, never waits for the fetch
  jwks = nlohmann::json{{"keys", {PublicJwk(*rsa_key, "rsa-1"), PublicJwk(new_key, "rsa-2")}}}.dump();
  bool accepted = false;
  for (int attempt = 0; attempt < 200 && !accepted; ++attempt) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
    accepted = Check(token).principal.has_value();
  }
  keys.Stop();
  EXPECT_TRUE(accepted);
  EXPECT_GT(fetches.load(), before);
}

TEST(JsonWebKeySet, SkipsUnusableKeysAndRefusesNonSets) {
  EXPECT_THROW(ParseJwks("[]"), JwksError);
  EXPECT_THROW(ParseJwks("{\"keys\": 5}"), JwksError);
  const auto set = ParseJwks(R"({"keys": [{"kty": "RSA", "use": "enc", "n": "AQAB", "e": "AQAB"},
                                          {"kty": "RSA", "n": "AQAB", "e": "AQAB"},
                                          {"kty": "oct", "k": "c2VjcmV0"},
                                          {"kty": "EC", "crv": "P-384", "x": "AA", "y": "AA"}, 7]})");
  EXPECT_TRUE(set.keys.empty());
  EXPECT_EQ(set.skipped.size(), 5u);
}

// Found by fuzz_jwks: a member of the wrong JSON type made the parser throw past its callers.
TEST(JsonWebKeySet, SkipsKeysWhoseMembersAreNotStrings) {
  const auto set = ParseJwks(R"({"keys": [{"kty": 7777777777777}, {"kty": "RSA", "alg": 1},
                                          {"kty": "EC", "kid": []}]})");
  EXPECT_TRUE(set.keys.empty());
  EXPECT_EQ(set.skipped.size(), 3u);
}

}  // namespace
}  // namespace inventory
