// service_config.cpp: parsing and range checks of the environment variables.
#include "config/service_config.h"

#include <cstdlib>
#include <limits>

namespace inventory {
namespace {

// Reads a whole decimal number within [minimum, maximum], or the default when unset.
std::int64_t ReadInteger(const EnvironmentLookup& environment, const std::string& name, std::int64_t fallback,
                         std::int64_t minimum, std::int64_t maximum) {
  const auto value = environment(name);
  if (!value)
    return fallback;
  const std::string range = "between " + std::to_string(minimum) + " and " + std::to_string(maximum);
  if (value->empty() || value->size() > 18 || value->find_first_not_of("0123456789") != std::string::npos) {
    throw ConfigError(name, "must be a whole number " + range + ", got '" + *value + "'");
  }
  const std::int64_t number = std::stoll(*value);
  if (number < minimum || number > maximum) {
    throw ConfigError(name, "must be " + range + ", got " + *value);
  }
  return number;
}

LogLevel ReadLogLevel(const EnvironmentLookup& environment) {
  const auto value = environment("LOG_LEVEL");
  if (!value || *value == "info")
    return LogLevel::Info;
  if (*value == "debug")
    return LogLevel::Debug;
  if (*value == "warn")
    return LogLevel::Warn;
  if (*value == "error")
    return LogLevel::Error;
  throw ConfigError("LOG_LEVEL", "must be one of debug, info, warn, error; got '" + *value + "'");
}

}  // namespace

ServiceConfig LoadServiceConfig(const EnvironmentLookup& environment) {
  ServiceConfig config;

  const auto auth_mode = environment("AUTH_MODE");
  if (!auth_mode || *auth_mode != "off") {
    throw ConfigError(
        "AUTH_MODE",
        "must be set to 'off' explicitly: JWT authentication is not available in this version (got " +
            (auth_mode ? "'" + *auth_mode + "'" : std::string("nothing")) + ")");
  }
  config.auth_disabled = true;

  const auto database_url = environment("DATABASE_URL");
  if (!database_url || database_url->empty()) {
    throw ConfigError("DATABASE_URL", "is required, for instance postgresql://user@127.0.0.1:5432/inventory");
  }
  config.database_url = *database_url;

  if (const auto host = environment("HTTP_HOST")) {
    if (host->empty() || host->find_first_not_of("0123456789.") != std::string::npos) {
      throw ConfigError("HTTP_HOST",
                        "must be an IPv4 address such as 127.0.0.1 or 0.0.0.0, got '" + *host + "'");
    }
    config.http_host = *host;
  }
  config.http_port = static_cast<std::uint16_t>(ReadInteger(environment, "HTTP_PORT", 8080, 0, 65535));
  config.http_threads = static_cast<int>(ReadInteger(environment, "HTTP_THREADS", 4, 1, 256));
  config.db_pool_size = static_cast<int>(ReadInteger(environment, "DB_POOL_SIZE", 8, 1, 1000));
  config.db_acquire_timeout =
      std::chrono::milliseconds(ReadInteger(environment, "DB_ACQUIRE_TIMEOUT_MS", 2000, 1, 600000));
  config.db_statement_timeout =
      std::chrono::milliseconds(ReadInteger(environment, "DB_STATEMENT_TIMEOUT_MS", 5000, 0, 3600000));
  config.db_connect_timeout_seconds =
      static_cast<int>(ReadInteger(environment, "DB_CONNECT_TIMEOUT_S", 3, 1, 600));
  config.max_body_bytes = static_cast<std::size_t>(
      ReadInteger(environment, "MAX_BODY_BYTES", 1024 * 1024, 1024, 256 * 1024 * 1024));
  config.shutdown_timeout = std::chrono::seconds(ReadInteger(environment, "SHUTDOWN_TIMEOUT_S", 20, 1, 3600));
  config.retry_after_seconds = static_cast<int>(ReadInteger(environment, "RETRY_AFTER_S", 2, 1, 3600));
  config.log_level = ReadLogLevel(environment);

  config.expected_extension_version = INVENTORY_EXTENSION_VERSION;
  if (const auto version = environment("EXPECTED_EXTENSION_VERSION")) {
    if (version->empty())
      throw ConfigError("EXPECTED_EXTENSION_VERSION", "must not be empty");
    config.expected_extension_version = *version;
  }
  if (const auto kafka = environment("KAFKA_BOOTSTRAP_SERVERS"); kafka && !kafka->empty()) {
    config.kafka_bootstrap_servers = *kafka;
  }
  return config;
}

EnvironmentLookup ProcessEnvironment() {
  return [](const std::string& name) -> std::optional<std::string> {
    const char* value = std::getenv(name.c_str());
    if (value == nullptr)
      return std::nullopt;
    return std::string(value);
  };
}

}  // namespace inventory
