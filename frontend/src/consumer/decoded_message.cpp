// decoded_message.cpp: decoding by topic and the identity rule of each kind of input.
#include "consumer/decoded_message.h"

namespace inventory {

DecodedMessage DecodeMessage(const InboundMessage& message, const InputTopics& topics) {
  DecodedMessage decoded;
  decoded.message = message;
  // CDC rows and undecodable messages are known by position and content; order events by theirs.
  decoded.identity =
      IdentityOfPosition(message.topic, message.partition, message.offset, message.key, message.payload);
  try {
    if (const auto action = topics.orders.ActionOf(message.topic)) {
      decoded.order_event = DecodeOrderEvent(*action, message.payload);
      decoded.identity = IdentityOfOrderEvent(*decoded.order_event);
    } else if (topics.cdc_products && message.topic == *topics.cdc_products) {
      decoded.stock_level = DecodeProductChange(message.payload, topics.cdc_warehouse);
    } else if (topics.cdc_order_items && message.topic == *topics.cdc_order_items) {
      decoded.order_event = DecodeOrderItemInsert(message.payload);
    } else {
      decoded.malformed_reason = "no action for topic " + message.topic;
    }
  } catch (const MalformedMessage& error) {
    decoded.order_event.reset();
    decoded.stock_level.reset();
    decoded.malformed_reason = error.what();
  }
  return decoded;
}

}  // namespace inventory
