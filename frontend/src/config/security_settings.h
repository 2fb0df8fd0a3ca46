// security_settings.h: authentication (AUTH_*), TLS (TLS_*) and the internal listener (INTERNAL_*),
// read from environment variables and validated at start like the rest of ServiceConfig.
// Authentication is on (JWT) unless AUTH_MODE=off is set explicitly.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

#include "config/service_config.h"

namespace inventory {

enum class AuthMode { Jwt, Off };

struct TlsFiles {
  std::string certificate_file;  // PEM certificate chain
  std::string key_file;          // PEM private key
};

struct SecuritySettings {
  AuthMode auth_mode = AuthMode::Jwt;               // AUTH_MODE: jwt (default) or off
  std::string jwks_file;                            // AUTH_JWKS_FILE   } exactly one of the two
  std::string jwks_url;                             // AUTH_JWKS_URL    } with AUTH_MODE=jwt
  std::string issuer;                               // AUTH_ISSUER (required with jwt)
  std::string audience;                             // AUTH_AUDIENCE (required with jwt)
  std::chrono::seconds clock_skew{30};              // AUTH_CLOCK_SKEW_S (0..300)
  std::string actor_claim = "sub";                  // AUTH_ACTOR_CLAIM
  bool stock_reads_public = false;                  // AUTH_PUBLIC_STOCK_READS (true/false)
  std::chrono::seconds jwks_refresh_interval{300};  // AUTH_JWKS_REFRESH_S
  std::chrono::seconds jwks_min_refresh_gap{10};    // AUTH_JWKS_MIN_REFRESH_GAP_S
  std::optional<TlsFiles> tls;                      // TLS_CERT_FILE + TLS_KEY_FILE: HTTPS
  std::optional<std::uint16_t> internal_port;       // INTERNAL_HTTP_PORT: the internal listener
  std::string internal_host = "127.0.0.1";          // INTERNAL_HTTP_HOST
  std::string internal_client_ca_file;              // INTERNAL_TLS_CLIENT_CA_FILE: mTLS
};

SecuritySettings LoadSecuritySettings(const EnvironmentLookup& environment);

// The contents of a secret file (a Kubernetes Secret mounted as a file), without the trailing
// newline. ConfigError names the variable, never the contents.
std::string ReadSecretFile(const std::string& variable, const std::string& path);

}  // namespace inventory
