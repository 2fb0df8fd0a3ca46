// request_authorizer.h: the access decision for one request: which access the route needs, whether
// the caller is authenticated and holds the scope, and whether the route may be served on this
// listener (with an internal listener configured, write and admin routes are served only there).
// Failures are AccessDenied with the HTTP status (401/403) and the RFC 6750 WWW-Authenticate value.
#pragma once

#include <optional>
#include <stdexcept>
#include <string>

#include "auth/access_policy.h"
#include "auth/authenticator.h"

namespace inventory {

class AccessDenied : public std::runtime_error {
 public:
  AccessDenied(int status, const std::string& detail, std::string www_authenticate)
      : std::runtime_error(detail), status_(status), www_authenticate_(std::move(www_authenticate)) {}
  int status() const noexcept { return status_; }
  const std::string& www_authenticate() const noexcept { return www_authenticate_; }

 private:
  int status_;
  std::string www_authenticate_;
};

struct AuthorizerSettings {
  AccessPolicySettings policy;
  bool internal_listener_enabled = false;  // write and admin routes only on the internal listener
};

class RequestAuthorizer {
 public:
  // authenticator == nullptr means authentication is off (AUTH_MODE=off): every caller may do
  // everything, and no actor is recorded. The listener rule still applies.
  RequestAuthorizer(const Authenticator* authenticator, AuthorizerSettings settings);

  // The authorizer of a service without authentication and without an internal listener.
  static const RequestAuthorizer& AuthenticationOff();

  bool authentication_enabled() const { return authenticator_ != nullptr; }

  // Returns the principal (nullopt for public routes and with authentication off) or throws
  // AccessDenied.
  std::optional<Principal> Authorize(const std::string& method, const std::string& route_pattern,
                                     const std::string& authorization_header, bool internal_listener) const;

 private:
  const Authenticator* authenticator_;
  AuthorizerSettings settings_;
};

}  // namespace inventory
