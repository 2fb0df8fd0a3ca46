// kafka_settings.h: the settings of the Kafka side of inventory-svc (roles, topics, consumer group,
// relay pacing), read from environment variables and validated at start like the rest of
// ServiceConfig. KAFKA_BOOTSTRAP_SERVERS unset turns the consumer and relay roles off.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "config/service_config.h"

namespace inventory {

// SERVICE_ROLES: a comma-separated subset of rest, consumer, relay (default: all three).
struct ServiceRoles {
  bool rest = true;
  bool consumer = true;
  bool relay = true;
};

struct KafkaSettings {
  ServiceRoles roles;                                   // SERVICE_ROLES
  std::string group_id = "inventory-svc";               // KAFKA_GROUP_ID
  std::string client_id = "inventory-svc";              // KAFKA_CLIENT_ID
  std::string order_created_topic = "order.created";    // KAFKA_ORDER_CREATED_TOPIC
  std::vector<std::string> order_confirmed_topics = {"order.confirmed", "order.paid"};  // KAFKA_ORDER_CONFIRMED_TOPICS
  std::string order_cancelled_topic = "order.cancelled";  // KAFKA_ORDER_CANCELLED_TOPIC
  std::string order_shipped_topic = "order.shipped";      // KAFKA_ORDER_SHIPPED_TOPIC
  std::string dead_letter_topic = "inventory.dead-letter";  // KAFKA_DEAD_LETTER_TOPIC
  std::optional<std::string> cdc_products_topic;        // KAFKA_CDC_PRODUCTS_TOPIC (unset: off)
  std::optional<std::string> cdc_order_items_topic;     // KAFKA_CDC_ORDER_ITEMS_TOPIC (unset: off)
  std::string cdc_warehouse = "main";                   // KAFKA_CDC_WAREHOUSE
  std::chrono::milliseconds session_timeout{10000};     // KAFKA_SESSION_TIMEOUT_MS
  int consumer_batch_size = 500;                        // KAFKA_CONSUMER_BATCH_SIZE (messages per transaction)
  std::chrono::milliseconds park_timeout{600000};       // KAFKA_PARK_TIMEOUT_MS (how long early events wait)
  std::chrono::hours identity_retention{168};           // KAFKA_IDENTITY_RETENTION_HOURS
  int relay_batch_size = 1000;                          // RELAY_BATCH_SIZE
  int relay_max_in_flight = 4;                          // RELAY_MAX_IN_FLIGHT (batches handed to Kafka at once)
  std::chrono::milliseconds relay_poll_interval{20};    // RELAY_POLL_INTERVAL_MS (idle probe)
  std::int64_t relay_lock_key = 7461923001;             // RELAY_LOCK_KEY (advisory lock that elects the relay)
  std::chrono::milliseconds delivery_timeout{30000};    // KAFKA_DELIVERY_TIMEOUT_MS
  std::string relay_notify_channel;                     // RELAY_NOTIFY_CHANNEL (empty: no LISTEN, polling only)
  // The relay's, consumer's and dead-letter publisher's database sessions: idle limits (and the
  // relay leader's lease) and statement timeout.
  std::chrono::milliseconds worker_session_timeout{15000};    // WORKER_SESSION_TIMEOUT_MS
  std::chrono::milliseconds worker_statement_timeout{10000};  // WORKER_STATEMENT_TIMEOUT_MS
  // KAFKA_EXTRA_CONFIG: librdkafka properties for both clients, "name=value;name=value" (TLS, SASL).
  std::vector<std::pair<std::string, std::string>> extra_properties;
};

// Reads the Kafka settings; bootstrap_configured tells whether KAFKA_BOOTSTRAP_SERVERS is set.
// Asking explicitly for the consumer or relay role without bootstrap servers is a ConfigError.
KafkaSettings LoadKafkaSettings(const EnvironmentLookup& environment, bool bootstrap_configured);

}  // namespace inventory
