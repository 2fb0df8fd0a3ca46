// kafka_publisher.cpp: the idempotent producer and its delivery reports. Every produced message
// carries a pointer to its result slot; librdkafka reports each message exactly once, at the
// latest after message.timeout.ms, so PublishAndWait returns only when every slot is filled.
#include "kafka/kafka_publisher.h"

#include <librdkafka/rdkafkacpp.h>

#include <stdexcept>

#include "kafka/kafka_properties.h"

namespace inventory {
namespace {

struct DeliverySlot {
  bool done = false;
  std::string error;
};

}  // namespace

class KafkaPublisher::DeliveryReports : public RdKafka::DeliveryReportCb {
 public:
  void dr_cb(RdKafka::Message& message) override {
    auto* slot = static_cast<DeliverySlot*>(message.msg_opaque());
    if (slot == nullptr)
      return;
    slot->error = message.err() == RdKafka::ERR_NO_ERROR ? std::string() : message.errstr();
    slot->done = true;
    ++reported;
  }

  std::size_t reported = 0;
};

KafkaPublisher::KafkaPublisher(const KafkaClientSettings& settings) : reports_(std::make_unique<DeliveryReports>()) {
  std::vector<std::pair<std::string, std::string>> properties = {
      {"bootstrap.servers", settings.bootstrap_servers},
      {"client.id", settings.client_id},
      {"enable.idempotence", "true"},
      {"acks", "all"},
      {"linger.ms", "1"},
      {"message.timeout.ms", std::to_string(settings.delivery_timeout.count())},
  };
  properties.insert(properties.end(), settings.extra_properties.begin(), settings.extra_properties.end());
  auto conf = BuildKafkaConf(properties);
  std::string error;
  if (conf->set("dr_cb", reports_.get(), error) != RdKafka::Conf::CONF_OK)
    throw std::runtime_error("Kafka delivery report callback refused: " + error);
  producer_.reset(RdKafka::Producer::create(conf.get(), error));
  if (!producer_)
    throw std::runtime_error("cannot create the Kafka producer: " + error);
}

KafkaPublisher::~KafkaPublisher() {
  if (producer_)
    producer_->flush(5000);
}

std::vector<std::string> KafkaPublisher::PublishAndWait(const std::vector<OutboundMessage>& messages) {
  std::vector<DeliverySlot> slots(messages.size());
  std::size_t pending = 0;
  reports_->reported = 0;
  for (std::size_t i = 0; i < messages.size(); ++i) {
    const auto& message = messages[i];
    for (;;) {
      RdKafka::Headers* headers = RdKafka::Headers::create();
      for (const auto& [name, value] : message.headers)
        headers->add(name, value);
      const RdKafka::ErrorCode result = producer_->produce(
          message.topic, RdKafka::Topic::PARTITION_UA, RdKafka::Producer::RK_MSG_COPY,
          const_cast<char*>(message.payload.data()), message.payload.size(), message.key.data(), message.key.size(),
          0, headers, &slots[i]);
      if (result == RdKafka::ERR_NO_ERROR) {
        ++pending;
        break;
      }
      delete headers;  // librdkafka owns the headers only when produce succeeded
      if (result == RdKafka::ERR__QUEUE_FULL) {
        producer_->poll(10);
        continue;
      }
      slots[i].done = true;
      slots[i].error = RdKafka::err2str(result);
      break;
    }
  }
  while (reports_->reported < pending)
    producer_->poll(5);
  std::vector<std::string> results;
  results.reserve(slots.size());
  for (auto& slot : slots)
    results.push_back(std::move(slot.error));
  return results;
}

int KafkaPublisher::Flush(std::chrono::milliseconds timeout) {
  producer_->flush(static_cast<int>(timeout.count()));
  return producer_->outq_len();
}

}  // namespace inventory
