// service_config.h: every setting of inventory-svc, read once from environment variables at start
// and validated; a bad value raises ConfigError naming the variable.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <stdexcept>
#include <string>

#include "observability/log_level.h"

namespace inventory {

struct ServiceConfig {
  std::string database_url;  // DATABASE_URL or DATABASE_URL_FILE, + DATABASE_PASSWORD_FILE (secret: never log)
  std::string http_host = "127.0.0.1";                   // HTTP_HOST
  std::uint16_t http_port = 8080;                        // HTTP_PORT (0: any free port)
  int http_threads = 4;                                  // HTTP_THREADS (I/O threads: parse and answer)
  std::size_t http_max_connections = 4096;               // HTTP_MAX_CONNECTIONS
  std::chrono::milliseconds http_header_timeout{10000};  // HTTP_HEADER_TIMEOUT_MS
  std::chrono::milliseconds http_body_timeout{30000};    // HTTP_BODY_TIMEOUT_MS
  std::chrono::milliseconds http_keepalive_timeout{60000};  // HTTP_KEEPALIVE_TIMEOUT_MS
  int db_pool_size = 8;                                     // DB_POOL_SIZE (also the database workers)
  std::size_t db_queue_size = 1024;                         // DB_QUEUE_SIZE
  std::chrono::milliseconds db_queue_timeout{2000};         // DB_QUEUE_TIMEOUT_MS
  std::size_t reservation_lanes = 4;                        // RESERVATION_LANES (default: DB_POOL_SIZE / 2)
  std::size_t reservation_batch_max = 128;                  // RESERVATION_BATCH_MAX
  std::size_t reservation_queue_size = 2048;                // RESERVATION_QUEUE_SIZE
  std::chrono::milliseconds db_acquire_timeout{2000};    // DB_ACQUIRE_TIMEOUT_MS
  std::chrono::milliseconds db_statement_timeout{5000};  // DB_STATEMENT_TIMEOUT_MS
  int db_connect_timeout_seconds = 3;                    // DB_CONNECT_TIMEOUT_S
  std::size_t max_body_bytes = 1024 * 1024;              // MAX_BODY_BYTES
  std::chrono::seconds shutdown_timeout{20};             // SHUTDOWN_TIMEOUT_S
  int retry_after_seconds = 2;                           // RETRY_AFTER_S
  LogLevel log_level = LogLevel::Info;                   // LOG_LEVEL
  std::string expected_extension_version;                // EXPECTED_EXTENSION_VERSION (default: the build's)
  // Authentication, TLS and the internal listener: config/security_settings.h.
  std::optional<std::string> kafka_bootstrap_servers;    // KAFKA_BOOTSTRAP_SERVERS (unset: Kafka off)
};

class ConfigError : public std::runtime_error {
 public:
  ConfigError(std::string variable, const std::string& message)
      : std::runtime_error(variable + ": " + message), variable_(std::move(variable)) {}
  const std::string& variable() const noexcept { return variable_; }

 private:
  std::string variable_;
};

using EnvironmentLookup = std::function<std::optional<std::string>(const std::string& name)>;

ServiceConfig LoadServiceConfig(const EnvironmentLookup& environment);
// The process environment, for main.cpp.
EnvironmentLookup ProcessEnvironment();

}  // namespace inventory
