// decoded_message.h: one Kafka input message as the consumer hands it to the database: where it was
// read, its identity and content (domain/message_identity.h), and what it asks for, or why it
// cannot be processed. Plain data; no Kafka or libpqxx types.
#pragma once

#include <optional>
#include <string>

#include "domain/cdc_event.h"
#include "domain/message_identity.h"
#include "domain/messaging.h"
#include "domain/order_event.h"

namespace inventory {

struct DecodedMessage {
  InboundMessage message;
  MessageIdentity identity;
  // At most one of these is set; none means the message asks for nothing (a CDC delete).
  std::optional<OrderEvent> order_event;
  std::optional<StockLevelChange> stock_level;
  std::optional<std::string> malformed_reason;
};

// Which topic means what.
struct InputTopics {
  OrderTopics orders;
  std::optional<std::string> cdc_products;
  std::optional<std::string> cdc_order_items;
  std::string cdc_warehouse = "main";
};

// Decodes a message by its topic; never throws (what cannot be read is malformed, with the reason).
DecodedMessage DecodeMessage(const InboundMessage& message, const InputTopics& topics);

// What became of a message in the database.
enum class MessageOutcome { Applied, Duplicate, Parked, DeadLetter };

struct MessageResult {
  MessageOutcome outcome = MessageOutcome::Applied;
  std::string error_code;  // dead letters: the SQLSTATE, "malformed" or "parked_timeout"
  std::string reason;
  bool position_regressed = false;  // a new message below the partition's recorded position
  int parked_applied = 0;           // parked events this message let through
};

}  // namespace inventory
