// kafka_client_settings.h: what the librdkafka adapters need to connect: bootstrap servers, client
// and group ids, timeouts and extra librdkafka properties (KAFKA_EXTRA_CONFIG) for production
// clusters (TLS, SASL).
#pragma once

#include <chrono>
#include <string>
#include <utility>
#include <vector>

namespace inventory {

struct KafkaClientSettings {
  std::string bootstrap_servers;
  std::string client_id = "inventory-svc";
  std::string group_id = "inventory-svc";
  std::chrono::milliseconds session_timeout{10000};
  std::chrono::milliseconds delivery_timeout{30000};
  std::vector<std::pair<std::string, std::string>> extra_properties;
};

}  // namespace inventory
