// jwt_authenticator.cpp: header checks, key choice, libjwt verification, then claim checks. The
// claims are read from the payload segment that libjwt has just verified.
#include "auth/jwt_authenticator.h"

#include <jwt.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <memory>
#include <nlohmann/json.hpp>
#include <sstream>

#include "auth/base64url.h"

namespace inventory {
namespace {

AuthenticationResult Refuse(const std::string& why) {
  AuthenticationResult result;
  result.credentials_present = true;
  result.failure = why;
  return result;
}

bool IsTokenCharacter(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.';
}

// A segment of the compact serialization as a JSON object, or a discarded value.
nlohmann::json DecodeSegment(const std::string& segment) {
  const auto text = Base64UrlDecode(segment);
  if (!text)
    return nlohmann::json(nlohmann::json::value_t::discarded);
  auto json = nlohmann::json::parse(*text, nullptr, false);
  if (json.is_discarded() || !json.is_object())
    return nlohmann::json(nlohmann::json::value_t::discarded);
  return json;
}

std::optional<double> NumericDate(const nlohmann::json& claims, const char* name) {
  const auto found = claims.find(name);
  if (found == claims.end() || !found->is_number())
    return std::nullopt;
  const double value = found->get<double>();
  if (!std::isfinite(value))
    return std::nullopt;
  return value;
}

bool AudienceMatches(const nlohmann::json& claims, const std::string& audience) {
  const auto found = claims.find("aud");
  if (found == claims.end())
    return false;
  if (found->is_string())
    return found->get<std::string>() == audience;
  if (found->is_array()) {
    return std::any_of(found->begin(), found->end(),
                       [&](const nlohmann::json& item) { return item.is_string() && item == audience; });
  }
  return false;
}

// Scopes from "scope" (space-separated string, RFC 8693, Keycloak) or "scp" (string or array).
std::set<std::string> ScopesOf(const nlohmann::json& claims) {
  std::set<std::string> scopes;
  auto add_words = [&](const std::string& text) {
    std::istringstream words(text);
    std::string word;
    while (words >> word)
      scopes.insert(word);
  };
  for (const char* name : {"scope", "scp"}) {
    const auto found = claims.find(name);
    if (found == claims.end())
      continue;
    if (found->is_string())
      add_words(found->get<std::string>());
    else if (found->is_array())
      for (const auto& item : *found)
        if (item.is_string())
          scopes.insert(item.get<std::string>());
  }
  return scopes;
}

struct JwtDeleter {
  void operator()(jwt_t* jwt) const { jwt_free(jwt); }
};

}  // namespace

JwtAuthenticator::JwtAuthenticator(JwksKeyStore& keys, JwtSettings settings, Clock clock)
    : keys_(keys), settings_(std::move(settings)), clock_(std::move(clock)) {}

JwtAuthenticator::Clock JwtAuthenticator::SystemClock() {
  return [] {
    return static_cast<std::int64_t>(
        std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count());
  };
}

AuthenticationResult JwtAuthenticator::Authenticate(const std::string& authorization_header) const {
  if (authorization_header.empty())
    return AuthenticationResult{};
  const std::string scheme = "bearer ";
  if (authorization_header.size() <= scheme.size() ||
      !std::equal(scheme.begin(), scheme.end(), authorization_header.begin(),
                  [](char a, char b) { return a == std::tolower(static_cast<unsigned char>(b)); })) {
    return Refuse("the Authorization header must be \"Bearer <token>\"");
  }
  const std::string token = authorization_header.substr(scheme.size());
  if (token.size() > settings_.max_token_bytes)
    return Refuse("the token is too long");
  if (!std::all_of(token.begin(), token.end(), IsTokenCharacter) || std::count(token.begin(), token.end(), '.') != 2) {
    return Refuse("the token is not a compact JWS (three base64url segments)");
  }
  const double now = static_cast<double>(clock_());
  const std::uint64_t generation = keys_.Generation();
  if (auto cached = FromCache(token, now, generation)) {
    AuthenticationResult result;
    result.credentials_present = true;
    result.principal = std::move(cached);
    return result;
  }
  double expires = 0;
  auto result = Verify(token, now, expires);
  if (result.principal)
    Remember(token, *result.principal, expires, generation);
  return result;
}

std::optional<Principal> JwtAuthenticator::FromCache(const std::string& token, double now,
                                                     std::uint64_t generation) const {
  std::lock_guard<std::mutex> lock(cache_mutex_);
  const auto found = cache_.find(token);
  if (found == cache_.end())
    return std::nullopt;
  if (found->second.key_generation != generation || now > found->second.expires) {
    cache_.erase(found);
    return std::nullopt;
  }
  return found->second.principal;
}

void JwtAuthenticator::Remember(const std::string& token, const Principal& principal, double expires,
                                std::uint64_t generation) const {
  if (settings_.cache_entries == 0)
    return;
  std::lock_guard<std::mutex> lock(cache_mutex_);
  // Full: start over rather than track recency; the cost is one verification per live token.
  if (cache_.size() >= settings_.cache_entries)
    cache_.clear();
  cache_[token] = CachedToken{principal, expires, generation};
}

AuthenticationResult JwtAuthenticator::Verify(const std::string& token, double now, double& expires_at) const {
  const auto first_dot = token.find('.');
  const auto second_dot = token.find('.', first_dot + 1);
  const auto header = DecodeSegment(token.substr(0, first_dot));
  if (header.is_discarded())
    return Refuse("the token header is not base64url JSON");
  const auto alg = header.find("alg");
  if (alg == header.end() || !alg->is_string() || (*alg != "RS256" && *alg != "ES256"))
    return Refuse("the token must be signed with RS256 or ES256");
  const std::string algorithm = alg->get<std::string>();
  std::string key_id;
  if (const auto kid = header.find("kid"); kid != header.end()) {
    if (!kid->is_string())
      return Refuse("the token's kid is not a string");
    key_id = kid->get<std::string>();
  }
  if (header.contains("crit"))
    return Refuse("the token has critical header parameters this service does not understand");

  const auto key = keys_.Find(key_id, algorithm);
  if (!key) {
    keys_.RequestRefresh();
    return Refuse("no " + algorithm + " key with this kid in the JWKS (it is being refreshed)");
  }

  jwt_t* decoded = nullptr;
  const int failed = jwt_decode(&decoded, token.c_str(), reinterpret_cast<const unsigned char*>(key->pem.data()),
                                static_cast<int>(key->pem.size()));
  std::unique_ptr<jwt_t, JwtDeleter> verified(decoded);
  if (failed != 0 || !verified)
    return Refuse("the signature does not verify");
  const jwt_alg_t expected = algorithm == "RS256" ? JWT_ALG_RS256 : JWT_ALG_ES256;
  if (jwt_get_alg(verified.get()) != expected)
    return Refuse("the signature does not verify");

  const auto claims = DecodeSegment(token.substr(first_dot + 1, second_dot - first_dot - 1));
  if (claims.is_discarded())
    return Refuse("the token payload is not a JSON object");
  const double skew = static_cast<double>(settings_.clock_skew.count());
  const auto expires = NumericDate(claims, "exp");
  if (!expires)
    return Refuse("the token has no numeric exp claim");
  if (now > *expires + skew)
    return Refuse("the token has expired");
  if (claims.contains("nbf")) {
    const auto not_before = NumericDate(claims, "nbf");
    if (!not_before)
      return Refuse("the token's nbf claim is not a number");
    if (now + skew < *not_before)
      return Refuse("the token is not valid yet");
  }
  if (!claims.contains("iss") || !claims["iss"].is_string() || claims["iss"] != settings_.issuer)
    return Refuse("the token was issued by another issuer");
  if (!AudienceMatches(claims, settings_.audience))
    return Refuse("the token is meant for another audience");
  const auto actor = claims.find(settings_.actor_claim);
  if (actor == claims.end() || !actor->is_string() || actor->get<std::string>().empty())
    return Refuse("the token has no " + settings_.actor_claim + " claim");
  const std::string subject = actor->get<std::string>();
  if (std::any_of(subject.begin(), subject.end(),
                  [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7f; }))
    return Refuse("the token's " + settings_.actor_claim + " claim has control characters");

  AuthenticationResult result;
  result.credentials_present = true;
  result.principal = Principal{subject.substr(0, 256), ScopesOf(claims)};
  expires_at = *expires + skew;
  return result;
}

}  // namespace inventory
