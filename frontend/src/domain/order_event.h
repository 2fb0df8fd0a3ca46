// order_event.h: decoding of the order events that inventory-svc consumes from Kafka (DESIGN §5)
// into plain structs. Which action a message asks for comes from its topic; the payload carries
// orderId and, for order.created, the items. A message that cannot be read raises
// MalformedMessage with the reason that goes to the dead-letter table. No Kafka types here.
#pragma once

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace inventory {

enum class OrderAction { Reserve, Confirm, Release, Ship };

const char* OrderActionName(OrderAction action);

struct OrderEventLine {
  std::string product_id;
  std::int64_t quantity = 0;
  std::optional<std::string> warehouse;
};

struct OrderEvent {
  OrderAction action = OrderAction::Reserve;
  std::string order_id;
  std::vector<OrderEventLine> lines;  // only for Reserve
  std::optional<std::string> event_id;  // eventId when the producer sent one (informational)
};

// A message that can never be processed; its reason is stored with the dead letter.
class MalformedMessage : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Reads a payload for the action its topic stands for. Accepts productId, bookId and product_id
// for an item's product, as strings or integers; quantity must be a whole number >= 1.
OrderEvent DecodeOrderEvent(OrderAction action, const std::string& payload);

// Topic names per action, from the configuration.
struct OrderTopics {
  std::string created;
  std::vector<std::string> confirmed;
  std::string cancelled;
  std::string shipped;

  std::optional<OrderAction> ActionOf(const std::string& topic) const;
  std::vector<std::string> All() const;
};

}  // namespace inventory
