// service_config.cpp: parsing and range checks of the environment variables.
#include "config/service_config.h"

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <limits>
#include <utility>

#include "config/security_settings.h"

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

bool IsUnreserved(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.' || c == '_' || c == '~';
}

// Adds the password to a URI (as a percent-encoded query parameter) or to a key/value string (as
// a quoted value), the two forms libpq accepts.
std::string WithPassword(const std::string& conninfo, const std::string& password) {
  const bool is_uri = conninfo.rfind("postgresql://", 0) == 0 || conninfo.rfind("postgres://", 0) == 0;
  std::string encoded;
  if (is_uri) {
    static const char* hex = "0123456789ABCDEF";
    for (unsigned char c : password) {
      if (IsUnreserved(static_cast<char>(c))) {
        encoded += static_cast<char>(c);
      } else {
        encoded += '%';
        encoded += hex[c >> 4];
        encoded += hex[c & 15];
      }
    }
    return conninfo + (conninfo.find('?') == std::string::npos ? "?" : "&") + "password=" + encoded;
  }
  for (char c : password) {
    if (c == '\\' || c == '\'')
      encoded += '\\';
    encoded += c;
  }
  return conninfo + " password='" + encoded + "'";
}

// DATABASE_URL or DATABASE_URL_FILE (a mounted secret), plus DATABASE_PASSWORD_FILE when the URL
// carries no password. Error messages never repeat a URL or a password.
std::string ReadDatabaseUrl(const EnvironmentLookup& environment) {
  const auto inline_url = environment("DATABASE_URL");
  const auto url_file = environment("DATABASE_URL_FILE");
  if (inline_url && !inline_url->empty() && url_file && !url_file->empty())
    throw ConfigError("DATABASE_URL_FILE", "set DATABASE_URL or DATABASE_URL_FILE, not both");
  std::string url;
  if (url_file && !url_file->empty()) {
    url = ReadSecretFile("DATABASE_URL_FILE", *url_file);
  } else if (inline_url && !inline_url->empty()) {
    url = *inline_url;
  } else {
    throw ConfigError("DATABASE_URL",
                      "is required (or DATABASE_URL_FILE), for instance postgresql://user@127.0.0.1:5432/inventory");
  }
  if (const auto password_file = environment("DATABASE_PASSWORD_FILE"); password_file && !password_file->empty())
    url = WithPassword(url, ReadSecretFile("DATABASE_PASSWORD_FILE", *password_file));
  return url;
}

// The executor, the reservation coalescer and the HTTP limits. Pistache counts a request's wait for
// its answer against the header timeout, so that timeout must outlast the longest wait the service
// itself allows (queue, then statement), or slow requests would end in Pistache's bare 408.
void ReadConcurrency(const EnvironmentLookup& environment, ServiceConfig& config) {
  config.http_max_connections =
      static_cast<std::size_t>(ReadInteger(environment, "HTTP_MAX_CONNECTIONS", 4096, 1, 1000000));
  config.http_header_timeout =
      std::chrono::milliseconds(ReadInteger(environment, "HTTP_HEADER_TIMEOUT_MS", 10000, 100, 3600000));
  config.http_body_timeout =
      std::chrono::milliseconds(ReadInteger(environment, "HTTP_BODY_TIMEOUT_MS", 30000, 100, 3600000));
  config.http_keepalive_timeout =
      std::chrono::milliseconds(ReadInteger(environment, "HTTP_KEEPALIVE_TIMEOUT_MS", 60000, 100, 3600000));
  config.db_queue_size =
      static_cast<std::size_t>(ReadInteger(environment, "DB_QUEUE_SIZE", 1024, 1, 1000000));
  config.db_queue_timeout =
      std::chrono::milliseconds(ReadInteger(environment, "DB_QUEUE_TIMEOUT_MS", 2000, 1, 600000));
  config.reservation_lanes = static_cast<std::size_t>(ReadInteger(
      environment, "RESERVATION_LANES", std::max(1, config.db_pool_size / 2), 1, config.db_pool_size));
  config.reservation_batch_max =
      static_cast<std::size_t>(ReadInteger(environment, "RESERVATION_BATCH_MAX", 128, 1, 500));
  config.reservation_queue_size =
      static_cast<std::size_t>(ReadInteger(environment, "RESERVATION_QUEUE_SIZE", 2048, 1, 1000000));
  if (config.db_statement_timeout.count() > 0) {
    const auto longest_wait = config.db_queue_timeout + config.db_statement_timeout;
    for (const auto& [name, timeout] : {std::pair{"HTTP_HEADER_TIMEOUT_MS", config.http_header_timeout},
                                        std::pair{"HTTP_BODY_TIMEOUT_MS", config.http_body_timeout}}) {
      if (timeout <= longest_wait) {
        throw ConfigError(name, "must be more than DB_QUEUE_TIMEOUT_MS + DB_STATEMENT_TIMEOUT_MS (" +
                                    std::to_string(longest_wait.count()) + "), got " +
                                    std::to_string(timeout.count()));
      }
    }
  }
}

}  // namespace

ServiceConfig LoadServiceConfig(const EnvironmentLookup& environment) {
  ServiceConfig config;

  config.database_url = ReadDatabaseUrl(environment);

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
  ReadConcurrency(environment, config);
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
