// kafka_settings_test.cpp: SERVICE_ROLES and the Kafka variables.
#include "config/kafka_settings.h"

#include <gtest/gtest.h>

#include <map>

using namespace inventory;

namespace {
EnvironmentLookup Env(std::map<std::string, std::string> values) {
  return [values](const std::string& name) -> std::optional<std::string> {
    const auto found = values.find(name);
    if (found == values.end())
      return std::nullopt;
    return found->second;
  };
}
}  // namespace

TEST(KafkaSettings, DefaultsRunEverythingWhenKafkaIsConfigured) {
  const auto settings = LoadKafkaSettings(Env({}), true);
  EXPECT_TRUE(settings.roles.rest && settings.roles.consumer && settings.roles.relay);
  EXPECT_EQ(settings.order_created_topic, "order.created");
  EXPECT_EQ(settings.order_confirmed_topics, (std::vector<std::string>{"order.confirmed", "order.paid"}));
  EXPECT_EQ(settings.dead_letter_topic, "inventory.dead-letter");
  EXPECT_FALSE(settings.cdc_products_topic);
  EXPECT_EQ(settings.consumer_batch_size, 500);
  EXPECT_EQ(settings.park_timeout, std::chrono::minutes(10));
  EXPECT_EQ(settings.identity_retention, std::chrono::hours(168));
  EXPECT_EQ(settings.relay_poll_interval, std::chrono::milliseconds(20));
  EXPECT_EQ(settings.relay_notify_channel, "");  // polling only; LISTEN when a channel is named
  EXPECT_EQ(settings.worker_session_timeout, std::chrono::seconds(15));
  EXPECT_EQ(settings.worker_statement_timeout, std::chrono::seconds(10));
}

TEST(KafkaSettings, WithoutKafkaOnlyRestRuns) {
  const auto settings = LoadKafkaSettings(Env({}), false);
  EXPECT_TRUE(settings.roles.rest);
  EXPECT_FALSE(settings.roles.consumer || settings.roles.relay);
}

TEST(KafkaSettings, RolesAndTopicsAreRead) {
  const auto settings = LoadKafkaSettings(Env({{"SERVICE_ROLES", "relay, consumer"},
                                               {"KAFKA_GROUP_ID", "g"},
                                               {"KAFKA_ORDER_CONFIRMED_TOPICS", "paid"},
                                               {"KAFKA_DEAD_LETTER_TOPIC", "dlq"},
                                               {"KAFKA_EXTRA_CONFIG", "security.protocol=ssl;ssl.ca.location=/ca"}}),
                                          true);
  EXPECT_FALSE(settings.roles.rest);
  EXPECT_TRUE(settings.roles.relay && settings.roles.consumer);
  EXPECT_EQ(settings.group_id, "g");
  EXPECT_EQ(settings.order_confirmed_topics, (std::vector<std::string>{"paid"}));
  EXPECT_EQ(settings.dead_letter_topic, "dlq");
  ASSERT_EQ(settings.extra_properties.size(), 2u);
  EXPECT_EQ(settings.extra_properties[1].second, "/ca");
}

TEST(KafkaSettings, BadValuesNameTheVariable) {
  const std::vector<std::pair<std::map<std::string, std::string>, std::string>> cases = {
      {{{"SERVICE_ROLES", "rest,cron"}}, "SERVICE_ROLES"},
      {{{"SERVICE_ROLES", ""}}, "SERVICE_ROLES"},
      {{{"KAFKA_DEAD_LETTER_TOPIC", "bad topic"}}, "KAFKA_DEAD_LETTER_TOPIC"},
      {{{"RELAY_BATCH_SIZE", "0"}}, "RELAY_BATCH_SIZE"},
      {{{"KAFKA_CONSUMER_BATCH_SIZE", "5001"}}, "KAFKA_CONSUMER_BATCH_SIZE"},
      {{{"KAFKA_PARK_TIMEOUT_MS", "10"}}, "KAFKA_PARK_TIMEOUT_MS"},
      {{{"KAFKA_IDENTITY_RETENTION_HOURS", "0"}}, "KAFKA_IDENTITY_RETENTION_HOURS"},
      {{{"WORKER_SESSION_TIMEOUT_MS", "soon"}}, "WORKER_SESSION_TIMEOUT_MS"},
      {{{"RELAY_MAX_IN_FLIGHT", "0"}}, "RELAY_MAX_IN_FLIGHT"},
      {{{"KAFKA_EXTRA_CONFIG", "novalue"}}, "KAFKA_EXTRA_CONFIG"},
  };
  for (const auto& [values, variable] : cases) {
    try {
      LoadKafkaSettings(Env(values), true);
      ADD_FAILURE() << variable;
    } catch (const ConfigError& error) {
      EXPECT_EQ(error.variable(), variable);
    }
  }
  try {
    LoadKafkaSettings(Env({{"SERVICE_ROLES", "consumer"}}), false);
    ADD_FAILURE() << "consumer without Kafka accepted";
  } catch (const ConfigError& error) {
    EXPECT_EQ(error.variable(), "KAFKA_BOOTSTRAP_SERVERS");
  }
}
