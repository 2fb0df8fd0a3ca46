// kafka_message_source.h: MessageSource over a librdkafka consumer in a consumer group. Offsets are
// never committed automatically: Commit() is called after a batch's database transaction has
// committed (asynchronously, once per batch), and Close() commits synchronously what was
// processed before leaving the group.
#pragma once

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "domain/messaging.h"
#include "kafka/kafka_client_settings.h"

namespace RdKafka {
class KafkaConsumer;
}

namespace inventory {

class KafkaMessageSource : public MessageSource {
 public:
  using ErrorHandler = std::function<void(const std::string& error)>;

  KafkaMessageSource(const KafkaClientSettings& settings, const std::vector<std::string>& topics,
                     ErrorHandler on_error);
  ~KafkaMessageSource() override;
  KafkaMessageSource(const KafkaMessageSource&) = delete;
  KafkaMessageSource& operator=(const KafkaMessageSource&) = delete;

  std::optional<InboundMessage> Poll(std::chrono::milliseconds timeout) override;
  void Commit(const ConsumedOffsets& offsets) override;
  void Close() override;
  std::int64_t Lag() const override;

 private:
  void RecordLag(const std::string& topic, int partition, std::int64_t next_offset);

  std::unique_ptr<RdKafka::KafkaConsumer> consumer_;
  ErrorHandler on_error_;
  ConsumedOffsets processed_;  // next offset per topic/partition
  std::map<std::pair<std::string, int>, std::int64_t> lag_;  // per topic/partition, consumer thread only
  std::atomic<std::int64_t> total_lag_{0};
  bool closed_ = false;
};

}  // namespace inventory
