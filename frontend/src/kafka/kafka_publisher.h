// kafka_publisher.h: MessagePublisher over an idempotent librdkafka producer (enable.idempotence,
// acks=all), so retries inside librdkafka never duplicate or reorder messages of one partition.
// One instance per thread: Poll serves the producer's delivery reports on the calling thread.
#pragma once

#include <memory>

#include "domain/messaging.h"
#include "kafka/kafka_client_settings.h"

namespace RdKafka {
class Producer;
}

namespace inventory {

class KafkaPublisher : public MessagePublisher {
 public:
  // Throws std::runtime_error when librdkafka refuses the configuration.
  explicit KafkaPublisher(const KafkaClientSettings& settings);
  ~KafkaPublisher() override;
  KafkaPublisher(const KafkaPublisher&) = delete;
  KafkaPublisher& operator=(const KafkaPublisher&) = delete;

  std::shared_ptr<PublishTicket> Publish(const std::vector<OutboundMessage>& messages) override;
  void Poll(std::chrono::milliseconds timeout) override;
  void Purge() override;
  bool Prepare(std::chrono::milliseconds timeout) override;
  std::string TopicError(const std::string& topic, std::chrono::milliseconds timeout) override;
  // Waits up to timeout for messages still queued; returns how many are left.
  int Flush(std::chrono::milliseconds timeout);

 private:
  class DeliveryReports;
  std::unique_ptr<DeliveryReports> reports_;
  std::unique_ptr<RdKafka::Producer> producer_;
};

}  // namespace inventory
