// request_authorizer.cpp: the order of the checks: listener, public routes, authentication (401),
// scope (403).
#include "auth/request_authorizer.h"

namespace inventory {
namespace {

constexpr const char* kRealm = "Bearer realm=\"inventory\"";

// Quotes are not allowed inside an RFC 6750 auth-param value; the descriptions are our own text.
std::string Sanitized(const std::string& text) {
  std::string out;
  for (char c : text.substr(0, 200)) {
    out += (c == '"' || c == '\\' || static_cast<unsigned char>(c) < 0x20) ? '\'' : c;
  }
  return out;
}

}  // namespace

RequestAuthorizer::RequestAuthorizer(const Authenticator* authenticator, AuthorizerSettings settings)
    : authenticator_(authenticator), settings_(settings) {}

const RequestAuthorizer& RequestAuthorizer::AuthenticationOff() {
  static const RequestAuthorizer off(nullptr, AuthorizerSettings{});
  return off;
}

std::optional<Principal> RequestAuthorizer::Authorize(const std::string& method, const std::string& route_pattern,
                                                      const std::string& authorization_header,
                                                      bool internal_listener) const {
  const Access access = RequiredAccess(method, route_pattern, settings_.policy);
  if (settings_.internal_listener_enabled && !internal_listener &&
      (access == Access::Write || access == Access::Admin)) {
    throw AccessDenied(403, method + " " + route_pattern + " is served only on the internal listener", "");
  }
  if (access == Access::Public || authenticator_ == nullptr)
    return std::nullopt;

  auto result = authenticator_->Authenticate(authorization_header);
  if (!result.principal) {
    if (!result.credentials_present)
      throw AccessDenied(401, "this route needs a bearer token", kRealm);
    throw AccessDenied(
        401, "the bearer token was refused: " + result.failure,
        std::string(kRealm) + ", error=\"invalid_token\", error_description=\"" + Sanitized(result.failure) + "\"");
  }
  if (!Grants(*result.principal, access)) {
    const std::string needed = ScopeOf(access);
    throw AccessDenied(403, "this route needs the scope " + needed,
                       std::string(kRealm) + ", error=\"insufficient_scope\", scope=\"" + needed + "\"");
  }
  return result.principal;
}

}  // namespace inventory
