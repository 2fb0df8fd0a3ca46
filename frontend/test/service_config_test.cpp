// service_config_test.cpp: environment variables are validated and named when wrong.
#include "config/service_config.h"

#include <gtest/gtest.h>

#include <unistd.h>

#include <cstdlib>
#include <map>

namespace inventory {
namespace {

EnvironmentLookup From(std::map<std::string, std::string> values) {
  return [values](const std::string& name) -> std::optional<std::string> {
    const auto it = values.find(name);
    if (it == values.end())
      return std::nullopt;
    return it->second;
  };
}

std::map<std::string, std::string> Minimal() {
  return {{"AUTH_MODE", "off"}, {"DATABASE_URL", "postgresql://u@127.0.0.1/db"}};
}

std::string FailingVariable(std::map<std::string, std::string> values) {
  try {
    LoadServiceConfig(From(values));
  } catch (const ConfigError& error) {
    return error.variable();
  }
  return "";
}

TEST(ServiceConfig, MinimalConfigurationHasDefaults) {
  const auto config = LoadServiceConfig(From(Minimal()));
  EXPECT_EQ(config.database_url, "postgresql://u@127.0.0.1/db");
  EXPECT_EQ(config.http_port, 8080);
  EXPECT_EQ(config.max_body_bytes, 1024u * 1024u);
  EXPECT_FALSE(config.kafka_bootstrap_servers.has_value());
}

TEST(ServiceConfig, DatabaseUrlAndPasswordFromFiles) {
  char url_path[] = "/tmp/service_config_url_XXXXXX";
  char password_path[] = "/tmp/service_config_password_XXXXXX";
  const int url_fd = mkstemp(url_path);
  const int password_fd = mkstemp(password_path);
  ASSERT_GE(url_fd, 0);
  ASSERT_GE(password_fd, 0);
  ASSERT_EQ(write(url_fd, "postgresql://svc@127.0.0.1/db\n", 30), 30);
  ASSERT_EQ(write(password_fd, "p@ss w'rd\n", 10), 10);
  close(url_fd);
  close(password_fd);
  auto values = Minimal();
  values.erase("DATABASE_URL");
  values["DATABASE_URL_FILE"] = url_path;
  values["DATABASE_PASSWORD_FILE"] = password_path;
  EXPECT_EQ(LoadServiceConfig(From(values)).database_url, "postgresql://svc@127.0.0.1/db?password=p%40ss%20w%27rd");
  values.erase("DATABASE_URL_FILE");
  values["DATABASE_URL"] = "host=127.0.0.1 user=svc";
  EXPECT_EQ(LoadServiceConfig(From(values)).database_url, "host=127.0.0.1 user=svc password='p@ss w\\'rd'");
  values["DATABASE_URL_FILE"] = url_path;
  EXPECT_EQ(FailingVariable(values), "DATABASE_URL_FILE");
  values.erase("DATABASE_URL");
  values["DATABASE_URL_FILE"] = "/nonexistent/secret";
  try {
    LoadServiceConfig(From(values));
    ADD_FAILURE() << "no error for a missing secret file";
  } catch (const ConfigError& error) {
    EXPECT_EQ(error.variable(), "DATABASE_URL_FILE");
    EXPECT_EQ(std::string(error.what()).find("p@ss"), std::string::npos);
  }
  unlink(url_path);
  unlink(password_path);
}

TEST(ServiceConfig, DatabaseUrlIsRequired) {
  auto values = Minimal();
  values.erase("DATABASE_URL");
  EXPECT_EQ(FailingVariable(values), "DATABASE_URL");
}

TEST(ServiceConfig, BadNumbersNameTheirVariable) {
  for (const auto& [name, value] : std::map<std::string, std::string>{{"HTTP_PORT", "http"},
                                                                      {"HTTP_PORT", "70000"},
                                                                      {"DB_POOL_SIZE", "0"},
                                                                      {"MAX_BODY_BYTES", "-5"},
                                                                      {"HTTP_THREADS", ""},
                                                                      {"DB_ACQUIRE_TIMEOUT_MS", "1.5"}}) {
    auto values = Minimal();
    values[name] = value;
    EXPECT_EQ(FailingVariable(values), name) << name << "=" << value;
  }
}

TEST(ServiceConfig, LogLevelAndHostAreChecked) {
  auto values = Minimal();
  values["LOG_LEVEL"] = "loud";
  EXPECT_EQ(FailingVariable(values), "LOG_LEVEL");
  values = Minimal();
  values["HTTP_HOST"] = "localhost";
  EXPECT_EQ(FailingVariable(values), "HTTP_HOST");
}

TEST(ServiceConfig, ReadsEveryOverride) {
  auto values = Minimal();
  values["HTTP_PORT"] = "0";
  values["DB_POOL_SIZE"] = "16";
  values["MAX_BODY_BYTES"] = "2048";
  values["LOG_LEVEL"] = "warn";
  values["KAFKA_BOOTSTRAP_SERVERS"] = "127.0.0.1:9092";
  const auto config = LoadServiceConfig(From(values));
  EXPECT_EQ(config.http_port, 0);
  EXPECT_EQ(config.db_pool_size, 16);
  EXPECT_EQ(config.max_body_bytes, 2048u);
  EXPECT_EQ(config.log_level, LogLevel::Warn);
  EXPECT_EQ(config.kafka_bootstrap_servers, "127.0.0.1:9092");
}

std::map<std::string, std::string> With(std::map<std::string, std::string> extra) {
  auto values = std::map<std::string, std::string>{{"AUTH_MODE", "off"},
                                                   {"DATABASE_URL", "postgresql://u@127.0.0.1/db"}};
  for (auto& [name, value] : extra)
    values[name] = value;
  return values;
}

TEST(ServiceConfigConcurrency, DefaultsFollowThePool) {
  const auto config = LoadServiceConfig(From(With({{"DB_POOL_SIZE", "6"}})));
  EXPECT_EQ(config.reservation_lanes, 3u);
  EXPECT_EQ(config.reservation_batch_max, 128u);
  EXPECT_EQ(config.db_queue_size, 1024u);
  EXPECT_EQ(config.db_queue_timeout, std::chrono::milliseconds(2000));
  EXPECT_EQ(config.http_max_connections, 4096u);
  EXPECT_EQ(config.http_header_timeout, std::chrono::milliseconds(10000));
  EXPECT_EQ(LoadServiceConfig(From(With({{"DB_POOL_SIZE", "1"}}))).reservation_lanes, 1u);
}

TEST(ServiceConfigConcurrency, HttpThreadsAndPoolAreIndependent) {
  const auto config = LoadServiceConfig(From(With({{"HTTP_THREADS", "2"}, {"DB_POOL_SIZE", "32"}})));
  EXPECT_EQ(config.http_threads, 2);
  EXPECT_EQ(config.db_pool_size, 32);
}

TEST(ServiceConfigConcurrency, BadValuesNameTheirVariable) {
  EXPECT_EQ(FailingVariable(With({{"RESERVATION_LANES", "9"}})), "RESERVATION_LANES");  // more than the pool
  EXPECT_EQ(FailingVariable(With({{"RESERVATION_BATCH_MAX", "501"}})), "RESERVATION_BATCH_MAX");
  EXPECT_EQ(FailingVariable(With({{"RESERVATION_QUEUE_SIZE", "0"}})), "RESERVATION_QUEUE_SIZE");
  EXPECT_EQ(FailingVariable(With({{"DB_QUEUE_SIZE", "many"}})), "DB_QUEUE_SIZE");
  EXPECT_EQ(FailingVariable(With({{"DB_QUEUE_TIMEOUT_MS", "0"}})), "DB_QUEUE_TIMEOUT_MS");
  EXPECT_EQ(FailingVariable(With({{"HTTP_MAX_CONNECTIONS", "0"}})), "HTTP_MAX_CONNECTIONS");
  EXPECT_EQ(FailingVariable(With({{"HTTP_KEEPALIVE_TIMEOUT_MS", "5"}})), "HTTP_KEEPALIVE_TIMEOUT_MS");
}

TEST(ServiceConfigConcurrency, HeaderAndBodyTimeoutsOutlastTheLongestServiceWait) {
  EXPECT_EQ(FailingVariable(With({{"HTTP_HEADER_TIMEOUT_MS", "7000"}})), "HTTP_HEADER_TIMEOUT_MS");
  EXPECT_EQ(FailingVariable(With({{"HTTP_BODY_TIMEOUT_MS", "7000"}})), "HTTP_BODY_TIMEOUT_MS");
  EXPECT_NO_THROW(LoadServiceConfig(From(With({{"HTTP_HEADER_TIMEOUT_MS", "7001"}}))));
  EXPECT_NO_THROW(LoadServiceConfig(From(With({{"HTTP_HEADER_TIMEOUT_MS", "500"},
                                               {"DB_STATEMENT_TIMEOUT_MS", "0"},
                                               {"DB_QUEUE_TIMEOUT_MS", "100"}}))));
}

}  // namespace
}  // namespace inventory
