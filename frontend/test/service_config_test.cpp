// service_config_test.cpp: environment variables are validated and named when wrong.
#include "config/service_config.h"

#include <gtest/gtest.h>

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
  EXPECT_TRUE(config.auth_disabled);
  EXPECT_FALSE(config.kafka_bootstrap_servers.has_value());
}

TEST(ServiceConfig, AuthModeMustBeExplicitlyOff) {
  auto values = Minimal();
  values.erase("AUTH_MODE");
  EXPECT_EQ(FailingVariable(values), "AUTH_MODE");
  values["AUTH_MODE"] = "jwt";
  EXPECT_EQ(FailingVariable(values), "AUTH_MODE");
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

}  // namespace
}  // namespace inventory
