// order_consumer.h: the Kafka input loop (DESIGN §5). For each message, in partition order: decode
// it, apply it with its position claimed in the same transaction, then commit the offset. A message
// that can never be processed goes to the dead-letter topic and table and the partition moves on;
// a database failure is retried with backoff (1 ms doubling to 5 s) and never skips the message.
// On stop, the message in progress is left uncommitted (Kafka delivers it again) and the offsets
// of processed messages are committed before leaving the group.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

#include "consumer/order_event_store.h"
#include "domain/messaging.h"
#include "domain/order_event.h"
#include "observability/json_logger.h"

namespace inventory {

struct OrderConsumerSettings {
  std::string consumer_group;
  OrderTopics topics;
  std::string dead_letter_topic;
  std::optional<std::string> cdc_products_topic;
  std::optional<std::string> cdc_order_items_topic;
  std::string cdc_warehouse = "main";
  std::chrono::milliseconds max_backoff{5000};
};

class OrderConsumer {
 public:
  OrderConsumer(OrderConsumerSettings settings, MessageSource& source, OrderEventStore& store,
                MessagePublisher& dead_letter_publisher, JsonLogger& logger);

  // Runs until stop is set; then commits and closes the source.
  void Run(const std::atomic<bool>& stop);
  // Processes one message; false when stop interrupted a retry (the message was not processed).
  bool Process(const InboundMessage& message, const std::atomic<bool>& stop);

  std::string RenderMetrics() const;

 private:
  enum class Outcome { Applied, Duplicate, DeadLetter };
  // The effect of a message, decoded; a MalformedMessage leaves it empty with the reason.
  struct Decoded;
  Decoded Decode(const InboundMessage& message) const;
  void PublishDeadLetter(const InboundMessage& message, const std::string& reason, const std::string& code);
  bool Backoff(std::chrono::milliseconds& delay, const std::atomic<bool>& stop) const;

  const OrderConsumerSettings settings_;
  MessageSource& source_;
  OrderEventStore& store_;
  MessagePublisher& dead_letter_publisher_;
  JsonLogger& logger_;
  std::atomic<std::uint64_t> applied_{0};
  std::atomic<std::uint64_t> duplicates_{0};
  std::atomic<std::uint64_t> dead_letters_{0};
  std::atomic<std::uint64_t> retries_{0};
  std::atomic<std::int64_t> last_processed_unix_ms_{0};
};

}  // namespace inventory
