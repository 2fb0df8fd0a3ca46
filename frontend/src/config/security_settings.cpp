// security_settings.cpp: parsing and consistency checks of the security settings.
#include "config/security_settings.h"

#include <fstream>
#include <sstream>

namespace inventory {
namespace {

std::string NonEmpty(const EnvironmentLookup& environment, const std::string& name) {
  const auto value = environment(name);
  return value ? *value : "";
}

std::int64_t ReadWhole(const EnvironmentLookup& environment, const std::string& name, std::int64_t fallback,
                       std::int64_t minimum, std::int64_t maximum) {
  const auto value = environment(name);
  if (!value)
    return fallback;
  const std::string range = "between " + std::to_string(minimum) + " and " + std::to_string(maximum);
  if (value->empty() || value->size() > 9 || value->find_first_not_of("0123456789") != std::string::npos)
    throw ConfigError(name, "must be a whole number " + range + ", got '" + *value + "'");
  const std::int64_t number = std::stoll(*value);
  if (number < minimum || number > maximum)
    throw ConfigError(name, "must be " + range + ", got " + *value);
  return number;
}

bool ReadBoolean(const EnvironmentLookup& environment, const std::string& name) {
  const auto value = environment(name);
  if (!value || *value == "false" || *value == "0" || value->empty())
    return false;
  if (*value == "true" || *value == "1")
    return true;
  throw ConfigError(name, "must be true or false, got '" + *value + "'");
}

void RequireReadable(const std::string& name, const std::string& path) {
  if (!std::ifstream(path))
    throw ConfigError(name, "cannot read the file '" + path + "'");
}

}  // namespace

std::string ReadSecretFile(const std::string& variable, const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  if (!file)
    throw ConfigError(variable, "cannot read the file '" + path + "'");
  std::ostringstream content;
  content << file.rdbuf();
  std::string secret = content.str();
  while (!secret.empty() && (secret.back() == '\n' || secret.back() == '\r'))
    secret.pop_back();
  if (secret.empty())
    throw ConfigError(variable, "the file '" + path + "' is empty");
  return secret;
}

SecuritySettings LoadSecuritySettings(const EnvironmentLookup& environment) {
  SecuritySettings settings;
  const auto mode = environment("AUTH_MODE");
  if (!mode || *mode == "jwt") {
    settings.auth_mode = AuthMode::Jwt;
  } else if (*mode == "off") {
    settings.auth_mode = AuthMode::Off;
  } else {
    throw ConfigError("AUTH_MODE", "must be jwt (the default) or off, got '" + *mode + "'");
  }

  if (settings.auth_mode == AuthMode::Jwt) {
    settings.jwks_file = NonEmpty(environment, "AUTH_JWKS_FILE");
    settings.jwks_url = NonEmpty(environment, "AUTH_JWKS_URL");
    if (settings.jwks_file.empty() == settings.jwks_url.empty()) {
      throw ConfigError("AUTH_JWKS_FILE",
                        "set exactly one of AUTH_JWKS_FILE and AUTH_JWKS_URL (authentication is on by "
                        "default; AUTH_MODE=off switches it off)");
    }
    if (!settings.jwks_url.empty() && settings.jwks_url.rfind("https://", 0) != 0 &&
        settings.jwks_url.rfind("http://", 0) != 0) {
      throw ConfigError("AUTH_JWKS_URL", "must be an http:// or https:// URL");
    }
    if (!settings.jwks_file.empty())
      RequireReadable("AUTH_JWKS_FILE", settings.jwks_file);
    settings.issuer = NonEmpty(environment, "AUTH_ISSUER");
    if (settings.issuer.empty())
      throw ConfigError("AUTH_ISSUER", "is required with AUTH_MODE=jwt, e.g. https://keycloak.example/realms/shop");
    settings.audience = NonEmpty(environment, "AUTH_AUDIENCE");
    if (settings.audience.empty())
      throw ConfigError("AUTH_AUDIENCE", "is required with AUTH_MODE=jwt, e.g. inventory-svc");
  }
  settings.clock_skew = std::chrono::seconds(ReadWhole(environment, "AUTH_CLOCK_SKEW_S", 30, 0, 300));
  if (const auto claim = environment("AUTH_ACTOR_CLAIM")) {
    if (claim->empty())
      throw ConfigError("AUTH_ACTOR_CLAIM", "must name a claim, e.g. sub or preferred_username");
    settings.actor_claim = *claim;
  }
  settings.stock_reads_public = ReadBoolean(environment, "AUTH_PUBLIC_STOCK_READS");
  settings.jwks_refresh_interval = std::chrono::seconds(ReadWhole(environment, "AUTH_JWKS_REFRESH_S", 300, 10, 86400));
  settings.jwks_min_refresh_gap =
      std::chrono::seconds(ReadWhole(environment, "AUTH_JWKS_MIN_REFRESH_GAP_S", 10, 0, 3600));

  const std::string certificate = NonEmpty(environment, "TLS_CERT_FILE");
  const std::string key = NonEmpty(environment, "TLS_KEY_FILE");
  if (certificate.empty() != key.empty())
    throw ConfigError(certificate.empty() ? "TLS_CERT_FILE" : "TLS_KEY_FILE",
                      "TLS_CERT_FILE and TLS_KEY_FILE go together");
  if (!certificate.empty()) {
    RequireReadable("TLS_CERT_FILE", certificate);
    RequireReadable("TLS_KEY_FILE", key);
    settings.tls = TlsFiles{certificate, key};
  }

  if (environment("INTERNAL_HTTP_PORT")) {
    settings.internal_port = static_cast<std::uint16_t>(ReadWhole(environment, "INTERNAL_HTTP_PORT", 0, 0, 65535));
  }
  if (const auto host = environment("INTERNAL_HTTP_HOST")) {
    if (host->empty() || host->find_first_not_of("0123456789.") != std::string::npos)
      throw ConfigError("INTERNAL_HTTP_HOST", "must be an IPv4 address, got '" + *host + "'");
    settings.internal_host = *host;
  }
  settings.internal_client_ca_file = NonEmpty(environment, "INTERNAL_TLS_CLIENT_CA_FILE");
  if (!settings.internal_client_ca_file.empty()) {
    if (!settings.internal_port)
      throw ConfigError("INTERNAL_TLS_CLIENT_CA_FILE", "needs INTERNAL_HTTP_PORT (the internal listener)");
    if (!settings.tls)
      throw ConfigError("INTERNAL_TLS_CLIENT_CA_FILE", "needs TLS_CERT_FILE and TLS_KEY_FILE (the server side)");
    RequireReadable("INTERNAL_TLS_CLIENT_CA_FILE", settings.internal_client_ca_file);
  }
  return settings;
}

}  // namespace inventory
