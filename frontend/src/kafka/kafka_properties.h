// kafka_properties.h: builds a librdkafka configuration from key/value pairs, turning refusals
// into exceptions that name the property.
#pragma once

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <librdkafka/rdkafkacpp.h>

namespace inventory {

std::unique_ptr<RdKafka::Conf> BuildKafkaConf(const std::vector<std::pair<std::string, std::string>>& properties);

}  // namespace inventory
