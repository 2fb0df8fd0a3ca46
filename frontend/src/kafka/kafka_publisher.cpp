// kafka_publisher.cpp: the idempotent producer and its delivery reports. Every produced message
// carries its ticket and index; librdkafka reports each message exactly once (at the latest after
// message.timeout.ms, or at once when purged), on the thread that polls.
#include "kafka/kafka_publisher.h"

#include <librdkafka/rdkafkacpp.h>

#include <stdexcept>

#include "kafka/kafka_properties.h"

namespace inventory {
namespace {

// Where one message's delivery report goes.
struct DeliverySlot {
  std::shared_ptr<PublishTicket> ticket;
  std::size_t index = 0;
};

}  // namespace

class KafkaPublisher::DeliveryReports : public RdKafka::DeliveryReportCb {
 public:
  void dr_cb(RdKafka::Message& message) override {
    std::unique_ptr<DeliverySlot> slot(static_cast<DeliverySlot*>(message.msg_opaque()));
    if (slot)
      slot->ticket->Report(slot->index, message.err() == RdKafka::ERR_NO_ERROR ? std::string() : message.errstr());
  }
};

KafkaPublisher::KafkaPublisher(const KafkaClientSettings& settings) : reports_(std::make_unique<DeliveryReports>()) {
  std::vector<std::pair<std::string, std::string>> properties = {
      {"bootstrap.servers", settings.bootstrap_servers},
      {"client.id", settings.client_id},
      {"enable.idempotence", "true"},
      {"acks", "all"},
      {"linger.ms", "1"},
      {"message.timeout.ms", std::to_string(settings.delivery_timeout.count())},
      // A topic that is missing or refused is looked up again soon, so publishing resumes within
      // seconds once it can be written.
      {"topic.metadata.refresh.interval.ms", "5000"},
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

std::shared_ptr<PublishTicket> KafkaPublisher::Publish(const std::vector<OutboundMessage>& messages) {
  auto ticket = std::make_shared<PublishTicket>(messages.size());
  for (std::size_t i = 0; i < messages.size(); ++i) {
    const auto& message = messages[i];
    auto slot = std::make_unique<DeliverySlot>(DeliverySlot{ticket, i});
    for (;;) {
      RdKafka::Headers* headers = RdKafka::Headers::create();
      for (const auto& [name, value] : message.headers)
        headers->add(name, value);
      const RdKafka::ErrorCode result = producer_->produce(
          message.topic, RdKafka::Topic::PARTITION_UA, RdKafka::Producer::RK_MSG_COPY,
          const_cast<char*>(message.payload.data()), message.payload.size(), message.key.data(), message.key.size(),
          0, headers, slot.get());
      if (result == RdKafka::ERR_NO_ERROR) {
        slot.release();  // the delivery report owns it now
        break;
      }
      delete headers;  // librdkafka owns the headers only when produce succeeded
      if (result == RdKafka::ERR__QUEUE_FULL) {
        producer_->poll(10);
        continue;
      }
      ticket->Report(i, RdKafka::err2str(result));
      break;
    }
  }
  return ticket;
}

void KafkaPublisher::Poll(std::chrono::milliseconds timeout) {
  producer_->poll(static_cast<int>(timeout.count()));
}

void KafkaPublisher::Purge() {
  producer_->purge(RdKafka::Producer::PURGE_QUEUE | RdKafka::Producer::PURGE_INFLIGHT);
  producer_->poll(0);
}

int KafkaPublisher::Flush(std::chrono::milliseconds timeout) {
  producer_->flush(static_cast<int>(timeout.count()));
  return producer_->outq_len();
}

}  // namespace inventory
