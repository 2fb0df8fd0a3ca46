// order_consumer.cpp: decode, apply exactly once, dead-letter or retry, commit.
#include "consumer/order_consumer.h"

#include <sstream>
#include <thread>
#include <variant>

#include "domain/cdc_event.h"

namespace inventory {

struct OrderConsumer::Decoded {
  std::variant<std::monostate, OrderEvent, StockLevelChange> effect;  // monostate: nothing to do
  std::optional<std::string> malformed_reason;
};

OrderConsumer::OrderConsumer(OrderConsumerSettings settings, MessageSource& source, OrderEventStore& store,
                             MessagePublisher& dead_letter_publisher, JsonLogger& logger)
    : settings_(std::move(settings)),
      source_(source),
      store_(store),
      dead_letter_publisher_(dead_letter_publisher),
      logger_(logger) {}

void OrderConsumer::Run(const std::atomic<bool>& stop) {
  while (!stop) {
    std::optional<InboundMessage> message = source_.Poll(std::chrono::milliseconds(100));
    if (!message)
      continue;
    if (!Process(*message, stop))
      break;
    source_.Commit(*message);
  }
  source_.Close();
}

OrderConsumer::Decoded OrderConsumer::Decode(const InboundMessage& message) const {
  Decoded decoded;
  try {
    if (const auto action = settings_.topics.ActionOf(message.topic)) {
      decoded.effect = DecodeOrderEvent(*action, message.payload);
    } else if (settings_.cdc_products_topic && message.topic == *settings_.cdc_products_topic) {
      if (auto level = DecodeProductChange(message.payload, settings_.cdc_warehouse))
        decoded.effect = std::move(*level);
    } else if (settings_.cdc_order_items_topic && message.topic == *settings_.cdc_order_items_topic) {
      if (auto event = DecodeOrderItemInsert(message.payload))
        decoded.effect = std::move(*event);
    } else {
      decoded.malformed_reason = "no action for topic " + message.topic;
    }
  } catch (const MalformedMessage& error) {
    decoded.malformed_reason = error.what();
  }
  return decoded;
}

bool OrderConsumer::Process(const InboundMessage& message, const std::atomic<bool>& stop) {
  const MessagePosition position{settings_.consumer_group, message.topic, message.partition, message.offset};
  Decoded decoded = Decode(message);
  std::string reason = decoded.malformed_reason.value_or("");
  std::string code = decoded.malformed_reason ? "malformed" : "";
  bool dead = decoded.malformed_reason.has_value();
  std::chrono::milliseconds delay(1);
  for (;;) {
    try {
      if (dead) {
        const bool recorded = store_.DeadLetter(position, message.key, message.payload, reason, code,
                                                [&] { PublishDeadLetter(message, reason, code); });
        if (recorded) {
          ++dead_letters_;
          logger_.Warn("message dead-lettered", {{"topic", message.topic},
                                                 {"partition", message.partition},
                                                 {"offset", message.offset},
                                                 {"reason", reason},
                                                 {"error_code", code}});
        } else {
          ++duplicates_;
        }
      } else {
        ApplyOutcome outcome = ApplyOutcome::Applied;
        if (const auto* event = std::get_if<OrderEvent>(&decoded.effect)) {
          outcome = store_.Apply(position, *event);
        } else if (const auto* level = std::get_if<StockLevelChange>(&decoded.effect)) {
          outcome = store_.ApplyStockLevel(position, *level);
        } else {
          // A change that asks for nothing (a CDC delete, a tombstone): only its position is claimed.
          outcome = store_.ClaimOnly(position);
        }
        if (outcome == ApplyOutcome::Applied)
          ++applied_;
        else
          ++duplicates_;
      }
      last_processed_unix_ms_ = std::chrono::duration_cast<std::chrono::milliseconds>(
                                    std::chrono::system_clock::now().time_since_epoch())
                                    .count();
      return true;
    } catch (const PermanentFailure& failure) {
      dead = true;
      reason = failure.what();
      code = failure.code();
    } catch (const std::exception& error) {
      ++retries_;
      logger_.Warn("message not processed yet, retrying", {{"topic", message.topic},
                                                           {"partition", message.partition},
                                                           {"offset", message.offset},
                                                           {"error", error.what()},
                                                           {"retry_in_ms", delay.count()}});
      if (!Backoff(delay, stop))
        return false;
    }
  }
}

void OrderConsumer::PublishDeadLetter(const InboundMessage& message, const std::string& reason,
                                      const std::string& code) {
  OutboundMessage dead_letter;
  dead_letter.topic = settings_.dead_letter_topic;
  dead_letter.key = message.key.value_or("");
  dead_letter.payload = message.payload;
  dead_letter.headers = {{"dlq.reason", reason},
                         {"dlq.errorCode", code},
                         {"dlq.topic", message.topic},
                         {"dlq.partition", std::to_string(message.partition)},
                         {"dlq.offset", std::to_string(message.offset)},
                         {"dlq.consumerGroup", settings_.consumer_group}};
  const auto results = dead_letter_publisher_.PublishAndWait({dead_letter});
  if (!results.at(0).empty())
    throw std::runtime_error("dead-letter topic " + settings_.dead_letter_topic + " refused: " + results[0]);
}

bool OrderConsumer::Backoff(std::chrono::milliseconds& delay, const std::atomic<bool>& stop) const {
  const auto until = std::chrono::steady_clock::now() + delay;
  while (std::chrono::steady_clock::now() < until) {
    if (stop)
      return false;
    std::this_thread::sleep_for(std::min(delay, std::chrono::milliseconds(50)));
  }
  delay = std::min(delay * 4, settings_.max_backoff);
  return !stop;
}

std::string OrderConsumer::RenderMetrics() const {
  std::ostringstream out;
  out << "# HELP inventory_consumer_messages_total Kafka input messages by outcome.\n"
      << "# TYPE inventory_consumer_messages_total counter\n"
      << "inventory_consumer_messages_total{outcome=\"applied\"} " << applied_ << "\n"
      << "inventory_consumer_messages_total{outcome=\"duplicate\"} " << duplicates_ << "\n"
      << "inventory_consumer_messages_total{outcome=\"dead_letter\"} " << dead_letters_ << "\n"
      << "# HELP inventory_consumer_retries_total Attempts that failed on the database and were retried.\n"
      << "# TYPE inventory_consumer_retries_total counter\n"
      << "inventory_consumer_retries_total " << retries_ << "\n"
      << "# HELP inventory_consumer_last_processed_timestamp_seconds When the last message was processed.\n"
      << "# TYPE inventory_consumer_last_processed_timestamp_seconds gauge\n"
      << "inventory_consumer_last_processed_timestamp_seconds " << last_processed_unix_ms_ / 1000.0 << "\n"
      << "# HELP inventory_consumer_lag_messages Messages in the assigned partitions not yet processed.\n"
      << "# TYPE inventory_consumer_lag_messages gauge\n"
      << "inventory_consumer_lag_messages " << source_.Lag() << "\n";
  return out.str();
}

}  // namespace inventory
