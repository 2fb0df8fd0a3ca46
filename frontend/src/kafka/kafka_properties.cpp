// kafka_properties.cpp: librdkafka configuration from key/value pairs.
#include "kafka/kafka_properties.h"

#include <stdexcept>

namespace inventory {

std::unique_ptr<RdKafka::Conf> BuildKafkaConf(const std::vector<std::pair<std::string, std::string>>& properties) {
  std::unique_ptr<RdKafka::Conf> conf(RdKafka::Conf::create(RdKafka::Conf::CONF_GLOBAL));
  std::string error;
  for (const auto& [name, value] : properties) {
    if (conf->set(name, value, error) != RdKafka::Conf::CONF_OK)
      throw std::runtime_error("Kafka property " + name + "=" + value + " refused: " + error);
  }
  return conf;
}

}  // namespace inventory
