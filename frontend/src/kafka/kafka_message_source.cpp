// kafka_message_source.cpp: the librdkafka consumer, with manual offset commits.
#include "kafka/kafka_message_source.h"

#include <algorithm>

#include <librdkafka/rdkafkacpp.h>

#include <stdexcept>

#include "kafka/kafka_properties.h"

namespace inventory {
namespace {

void CommitOffsets(RdKafka::KafkaConsumer& consumer, const ConsumedOffsets& offsets, bool synchronous) {
  std::vector<RdKafka::TopicPartition*> partitions;
  for (const auto& [position, next_offset] : offsets)
    partitions.push_back(RdKafka::TopicPartition::create(position.first, position.second, next_offset));
  if (synchronous)
    consumer.commitSync(partitions);
  else
    consumer.commitAsync(partitions);
  RdKafka::TopicPartition::destroy(partitions);
}

}  // namespace

KafkaMessageSource::KafkaMessageSource(const KafkaClientSettings& settings, const std::vector<std::string>& topics,
                                       ErrorHandler on_error)
    : on_error_(std::move(on_error)) {
  std::vector<std::pair<std::string, std::string>> properties = {
      {"bootstrap.servers", settings.bootstrap_servers},
      {"client.id", settings.client_id},
      {"group.id", settings.group_id},
      {"enable.auto.commit", "false"},
      {"enable.auto.offset.store", "false"},
      {"auto.offset.reset", "earliest"},
      {"session.timeout.ms", std::to_string(settings.session_timeout.count())},
      {"heartbeat.interval.ms", std::to_string(std::max<long>(100, settings.session_timeout.count() / 10))},
      {"topic.metadata.refresh.interval.ms", "5000"},
      {"socket.nagle.disable", "true"},  // small fetch requests go out at once
  };
  properties.insert(properties.end(), settings.extra_properties.begin(), settings.extra_properties.end());
  auto conf = BuildKafkaConf(properties);
  std::string error;
  consumer_.reset(RdKafka::KafkaConsumer::create(conf.get(), error));
  if (!consumer_)
    throw std::runtime_error("cannot create the Kafka consumer: " + error);
  const RdKafka::ErrorCode result = consumer_->subscribe(topics);
  if (result != RdKafka::ERR_NO_ERROR)
    throw std::runtime_error("cannot subscribe to the order topics: " + RdKafka::err2str(result));
}

KafkaMessageSource::~KafkaMessageSource() { Close(); }

std::optional<InboundMessage> KafkaMessageSource::Poll(std::chrono::milliseconds timeout) {
  std::unique_ptr<RdKafka::Message> message(consumer_->consume(static_cast<int>(timeout.count())));
  if (!message)
    return std::nullopt;
  switch (message->err()) {
    case RdKafka::ERR_NO_ERROR: {
      InboundMessage inbound;
      inbound.topic = message->topic_name();
      inbound.partition = message->partition();
      inbound.offset = message->offset();
      if (message->key_pointer() != nullptr)
        inbound.key = std::string(static_cast<const char*>(message->key_pointer()), message->key_len());
      if (message->payload() != nullptr)
        inbound.payload.assign(static_cast<const char*>(message->payload()), message->len());
      return inbound;
    }
    case RdKafka::ERR__TIMED_OUT:
    case RdKafka::ERR__PARTITION_EOF:
      return std::nullopt;
    default:
      if (on_error_)
        on_error_(message->errstr());
      return std::nullopt;
  }
}

void KafkaMessageSource::Commit(const ConsumedOffsets& offsets) {
  if (offsets.empty())
    return;
  for (const auto& [position, next_offset] : offsets) {
    processed_[position] = next_offset;
    RecordLag(position.first, position.second, next_offset);
  }
  CommitOffsets(*consumer_, offsets, false);
}

// The high watermark comes from librdkafka's cache of the last fetch response: no broker round trip.
void KafkaMessageSource::RecordLag(const std::string& topic, int partition, std::int64_t next_offset) {
  std::int64_t low = 0;
  std::int64_t high = 0;
  if (consumer_->get_watermark_offsets(topic, partition, &low, &high) != RdKafka::ERR_NO_ERROR || high < 0)
    return;
  lag_[std::make_pair(topic, partition)] = std::max<std::int64_t>(0, high - next_offset);
  std::int64_t total = 0;
  for (const auto& [position, lag] : lag_)
    total += lag;
  total_lag_ = total;
}

std::int64_t KafkaMessageSource::Lag() const { return total_lag_; }

void KafkaMessageSource::Close() {
  if (closed_ || !consumer_)
    return;
  closed_ = true;
  if (!processed_.empty())
    CommitOffsets(*consumer_, processed_, true);
  consumer_->close();
}

}  // namespace inventory
