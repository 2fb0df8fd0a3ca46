// kafka_settings.cpp: parsing and checks of the Kafka-related environment variables.
#include "config/kafka_settings.h"

#include <sstream>

namespace inventory {
namespace {

std::vector<std::string> SplitList(const std::string& text) {
  std::vector<std::string> items;
  std::stringstream stream(text);
  std::string item;
  while (std::getline(stream, item, ',')) {
    const auto first = item.find_first_not_of(" \t");
    const auto last = item.find_last_not_of(" \t");
    if (first != std::string::npos)
      items.push_back(item.substr(first, last - first + 1));
  }
  return items;
}

// Kafka topic names: 1..249 characters of [a-zA-Z0-9._-].
std::string ReadTopic(const EnvironmentLookup& environment, const std::string& name, const std::string& fallback) {
  const auto value = environment(name);
  if (!value)
    return fallback;
  if (value->empty() || value->size() > 249 ||
      value->find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") !=
          std::string::npos) {
    throw ConfigError(name, "must be a Kafka topic name (letters, digits, '.', '_', '-'), got '" + *value + "'");
  }
  return *value;
}

std::optional<std::string> ReadOptionalTopic(const EnvironmentLookup& environment, const std::string& name) {
  const auto value = environment(name);
  if (!value || value->empty())
    return std::nullopt;
  return ReadTopic(environment, name, "");
}

std::int64_t ReadNumber(const EnvironmentLookup& environment, const std::string& name, std::int64_t fallback,
                        std::int64_t minimum, std::int64_t maximum) {
  const auto value = environment(name);
  if (!value)
    return fallback;
  const std::string range = "between " + std::to_string(minimum) + " and " + std::to_string(maximum);
  const bool negative = !value->empty() && (*value)[0] == '-';
  const std::string digits = negative ? value->substr(1) : *value;
  if (digits.empty() || digits.size() > 18 || digits.find_first_not_of("0123456789") != std::string::npos) {
    throw ConfigError(name, "must be a whole number " + range + ", got '" + *value + "'");
  }
  const std::int64_t number = std::stoll(*value);
  if (number < minimum || number > maximum)
    throw ConfigError(name, "must be " + range + ", got " + *value);
  return number;
}

}  // namespace

KafkaSettings LoadKafkaSettings(const EnvironmentLookup& environment, bool bootstrap_configured) {
  KafkaSettings settings;
  if (const auto roles = environment("SERVICE_ROLES")) {
    settings.roles = ServiceRoles{false, false, false};
    const auto names = SplitList(*roles);
    if (names.empty())
      throw ConfigError("SERVICE_ROLES", "must name at least one of rest, consumer, relay");
    for (const auto& role : names) {
      if (role == "rest")
        settings.roles.rest = true;
      else if (role == "consumer")
        settings.roles.consumer = true;
      else if (role == "relay")
        settings.roles.relay = true;
      else
        throw ConfigError("SERVICE_ROLES", "must be a comma-separated list of rest, consumer, relay; got '" +
                                               role + "'");
    }
    if ((settings.roles.consumer || settings.roles.relay) && !bootstrap_configured) {
      throw ConfigError("KAFKA_BOOTSTRAP_SERVERS",
                        "is required when SERVICE_ROLES includes consumer or relay (got '" + *roles + "')");
    }
  } else if (!bootstrap_configured) {
    settings.roles = ServiceRoles{true, false, false};
  }

  if (const auto group = environment("KAFKA_GROUP_ID")) {
    if (group->empty())
      throw ConfigError("KAFKA_GROUP_ID", "must not be empty");
    settings.group_id = *group;
  }
  if (const auto client = environment("KAFKA_CLIENT_ID")) {
    if (client->empty())
      throw ConfigError("KAFKA_CLIENT_ID", "must not be empty");
    settings.client_id = *client;
  }
  settings.order_created_topic = ReadTopic(environment, "KAFKA_ORDER_CREATED_TOPIC", settings.order_created_topic);
  if (const auto confirmed = environment("KAFKA_ORDER_CONFIRMED_TOPICS")) {
    settings.order_confirmed_topics.clear();
    for (const auto& topic : SplitList(*confirmed)) {
      settings.order_confirmed_topics.push_back(
          ReadTopic([&topic](const std::string&) { return std::optional<std::string>(topic); },
                    "KAFKA_ORDER_CONFIRMED_TOPICS", ""));
    }
    if (settings.order_confirmed_topics.empty())
      throw ConfigError("KAFKA_ORDER_CONFIRMED_TOPICS", "must name at least one topic");
  }
  settings.order_cancelled_topic =
      ReadTopic(environment, "KAFKA_ORDER_CANCELLED_TOPIC", settings.order_cancelled_topic);
  settings.order_shipped_topic = ReadTopic(environment, "KAFKA_ORDER_SHIPPED_TOPIC", settings.order_shipped_topic);
  settings.dead_letter_topic = ReadTopic(environment, "KAFKA_DEAD_LETTER_TOPIC", settings.dead_letter_topic);
  settings.cdc_products_topic = ReadOptionalTopic(environment, "KAFKA_CDC_PRODUCTS_TOPIC");
  settings.cdc_order_items_topic = ReadOptionalTopic(environment, "KAFKA_CDC_ORDER_ITEMS_TOPIC");
  if (const auto warehouse = environment("KAFKA_CDC_WAREHOUSE")) {
    if (warehouse->empty())
      throw ConfigError("KAFKA_CDC_WAREHOUSE", "must not be empty");
    settings.cdc_warehouse = *warehouse;
  }
  settings.session_timeout =
      std::chrono::milliseconds(ReadNumber(environment, "KAFKA_SESSION_TIMEOUT_MS", 10000, 1000, 300000));
  settings.consumer_batch_size =
      static_cast<int>(ReadNumber(environment, "KAFKA_CONSUMER_BATCH_SIZE", 500, 1, 5000));
  settings.park_timeout =
      std::chrono::milliseconds(ReadNumber(environment, "KAFKA_PARK_TIMEOUT_MS", 600000, 1000, 604800000));
  settings.identity_retention =
      std::chrono::hours(ReadNumber(environment, "KAFKA_IDENTITY_RETENTION_HOURS", 168, 1, 87600));
  settings.relay_batch_size = static_cast<int>(ReadNumber(environment, "RELAY_BATCH_SIZE", 1000, 1, 10000));
  settings.relay_max_in_flight = static_cast<int>(ReadNumber(environment, "RELAY_MAX_IN_FLIGHT", 4, 1, 64));
  settings.relay_poll_interval =
      std::chrono::milliseconds(ReadNumber(environment, "RELAY_POLL_INTERVAL_MS", 20, 1, 60000));
  settings.worker_session_timeout =
      std::chrono::milliseconds(ReadNumber(environment, "WORKER_SESSION_TIMEOUT_MS", 15000, 1000, 3600000));
  settings.worker_statement_timeout =
      std::chrono::milliseconds(ReadNumber(environment, "WORKER_STATEMENT_TIMEOUT_MS", 10000, 100, 3600000));
  settings.relay_lock_key = ReadNumber(environment, "RELAY_LOCK_KEY", settings.relay_lock_key,
                                       -999999999999999999LL, 999999999999999999LL);
  settings.delivery_timeout =
      std::chrono::milliseconds(ReadNumber(environment, "KAFKA_DELIVERY_TIMEOUT_MS", 30000, 1000, 600000));
  if (const auto channel = environment("RELAY_NOTIFY_CHANNEL"))
    settings.relay_notify_channel = *channel;
  if (const auto extra = environment("KAFKA_EXTRA_CONFIG")) {
    std::stringstream stream(*extra);
    std::string pair;
    while (std::getline(stream, pair, ';')) {
      if (pair.find_first_not_of(" \t") == std::string::npos)
        continue;
      const auto equals = pair.find('=');
      if (equals == std::string::npos || equals == 0)
        throw ConfigError("KAFKA_EXTRA_CONFIG", "must be name=value pairs separated by ';', got '" + pair + "'");
      settings.extra_properties.emplace_back(pair.substr(0, equals), pair.substr(equals + 1));
    }
  }
  return settings;
}

}  // namespace inventory
