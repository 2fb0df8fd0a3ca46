// order_event.cpp: JSON decoding and checks of order events.
#include "domain/order_event.h"

#include <limits>
#include <nlohmann/json.hpp>

#include "domain/validation.h"

namespace inventory {
namespace {

using nlohmann::json;

// A product or order identifier: a non-empty string, or an integer written as its decimal form.
std::optional<std::string> IdentifierOf(const json& value) {
  if (value.is_string()) {
    const auto text = value.get<std::string>();
    if (text.empty())
      return std::nullopt;
    return text;
  }
  if (value.is_number_integer())
    return value.dump();
  return std::nullopt;
}

const json* FirstPresent(const json& object, std::initializer_list<const char*> names) {
  for (const char* name : names) {
    const auto found = object.find(name);
    if (found != object.end() && !found->is_null())
      return &*found;
  }
  return nullptr;
}

OrderEventLine DecodeLine(const json& item, std::size_t index) {
  const std::string where = "items[" + std::to_string(index) + "]";
  if (!item.is_object())
    throw MalformedMessage(where + " must be an object");
  const json* product = FirstPresent(item, {"productId", "bookId", "product_id"});
  if (product == nullptr)
    throw MalformedMessage(where + " has no productId (or bookId, product_id)");
  auto product_id = IdentifierOf(*product);
  if (!product_id)
    throw MalformedMessage(where + ".productId must be a non-empty string or an integer");
  const json* quantity = FirstPresent(item, {"quantity"});
  if (quantity == nullptr)
    throw MalformedMessage(where + " has no quantity");
  if (!quantity->is_number_integer() ||
      (quantity->is_number_unsigned() &&
       quantity->get<std::uint64_t>() > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) ||
      quantity->get<std::int64_t>() < 1) {
    throw MalformedMessage(where + ".quantity must be a whole number of at least 1, got " + quantity->dump());
  }
  OrderEventLine line{std::move(*product_id), quantity->get<std::int64_t>(), std::nullopt};
  if (const json* warehouse = FirstPresent(item, {"warehouse"})) {
    if (!warehouse->is_string() || warehouse->get<std::string>().empty())
      throw MalformedMessage(where + ".warehouse must be a non-empty string");
    line.warehouse = warehouse->get<std::string>();
  }
  return line;
}

}  // namespace

const char* OrderActionName(OrderAction action) {
  switch (action) {
    case OrderAction::Reserve:
      return "reserve";
    case OrderAction::Confirm:
      return "confirm";
    case OrderAction::Release:
      return "release";
    case OrderAction::Ship:
      return "ship";
  }
  return "unknown";
}

OrderEvent DecodeOrderEvent(OrderAction action, const std::string& payload) {
  json document;
  try {
    document = json::parse(payload);
  } catch (const json::exception& error) {  // parse_error, and out_of_range for numbers like 1e400
    throw MalformedMessage(std::string("payload is not JSON: ") + error.what());
  }
  if (!document.is_object())
    throw MalformedMessage("payload must be a JSON object");
  OrderEvent event;
  event.action = action;
  const json* order = FirstPresent(document, {"orderId", "order_id"});
  if (order == nullptr)
    throw MalformedMessage("payload has no orderId");
  auto order_id = IdentifierOf(*order);
  if (!order_id)
    throw MalformedMessage("orderId must be a non-empty string or an integer");
  // Both become part of the message's identity, an index key: their length is bounded.
  if (order_id->size() > kMaxIdBytes)
    throw MalformedMessage("orderId is longer than " + std::to_string(kMaxIdBytes) + " bytes");
  event.order_id = std::move(*order_id);
  if (const json* event_id = FirstPresent(document, {"eventId"}); event_id != nullptr && event_id->is_string()) {
    if (event_id->get_ref<const std::string&>().size() > kMaxIdBytes)
      throw MalformedMessage("eventId is longer than " + std::to_string(kMaxIdBytes) + " bytes");
    event.event_id = event_id->get<std::string>();
  }

  if (action != OrderAction::Reserve)
    return event;
  const json* items = FirstPresent(document, {"items", "lines"});
  if (items == nullptr || !items->is_array())
    throw MalformedMessage("order.created needs an items array");
  if (items->empty())
    throw MalformedMessage("order.created has no items");
  if (items->size() > kMaxOrderLines)
    throw MalformedMessage("order.created has " + std::to_string(items->size()) + " items, more than " +
                           std::to_string(kMaxOrderLines));
  for (std::size_t i = 0; i < items->size(); ++i)
    event.lines.push_back(DecodeLine((*items)[i], i));
  return event;
}

std::optional<OrderAction> OrderTopics::ActionOf(const std::string& topic) const {
  if (topic == created)
    return OrderAction::Reserve;
  for (const auto& name : confirmed) {
    if (topic == name)
      return OrderAction::Confirm;
  }
  if (topic == cancelled)
    return OrderAction::Release;
  if (topic == shipped)
    return OrderAction::Ship;
  return std::nullopt;
}

std::vector<std::string> OrderTopics::All() const {
  std::vector<std::string> topics{created};
  topics.insert(topics.end(), confirmed.begin(), confirmed.end());
  topics.push_back(cancelled);
  topics.push_back(shipped);
  return topics;
}

}  // namespace inventory
