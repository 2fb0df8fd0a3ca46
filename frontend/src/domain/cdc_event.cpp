// cdc_event.cpp: Debezium envelope reading for the products and order_items tables.
#include "domain/cdc_event.h"

#include <nlohmann/json.hpp>

namespace inventory {
namespace {

using nlohmann::json;

// The Debezium change object ({"op", "before", "after", ...}), unwrapped from {"schema", "payload"}
// when the converter includes schemas; null for a tombstone.
json ChangeOf(const std::string& payload) {
  if (payload.empty())
    return nullptr;
  json document;
  try {
    document = json::parse(payload);
  } catch (const json::exception& error) {  // parse_error, and out_of_range for numbers like 1e400
    throw MalformedMessage(std::string("payload is not JSON: ") + error.what());
  }
  if (document.is_object() && document.contains("payload") && document.contains("schema"))
    document = document["payload"];
  if (document.is_null())
    return nullptr;
  if (!document.is_object() || !document.contains("op") || !document["op"].is_string())
    throw MalformedMessage("not a Debezium change event (no op)");
  return document;
}

std::optional<std::string> TextField(const json& row, std::initializer_list<const char*> names) {
  for (const char* name : names) {
    const auto found = row.find(name);
    if (found == row.end() || found->is_null())
      continue;
    if (found->is_string() && !found->get<std::string>().empty())
      return found->get<std::string>();
    if (found->is_number_integer())
      return found->dump();
    throw MalformedMessage(std::string(name) + " must be a non-empty string or an integer");
  }
  return std::nullopt;
}

std::optional<std::int64_t> IntegerField(const json& row, std::initializer_list<const char*> names) {
  for (const char* name : names) {
    const auto found = row.find(name);
    if (found == row.end() || found->is_null())
      continue;
    if (!found->is_number_integer())
      throw MalformedMessage(std::string(name) + " must be a whole number, got " + found->dump());
    return found->get<std::int64_t>();
  }
  return std::nullopt;
}

}  // namespace

std::optional<StockLevelChange> DecodeProductChange(const std::string& payload, const std::string& warehouse) {
  const json change = ChangeOf(payload);
  if (change.is_null())
    return std::nullopt;
  const std::string op = change["op"].get<std::string>();
  if (op == "d")
    return std::nullopt;
  if (op != "c" && op != "u" && op != "r")
    throw MalformedMessage("unknown Debezium op '" + op + "'");
  const json& row = change.contains("after") ? change["after"] : json();
  if (!row.is_object())
    throw MalformedMessage("products change has no after row");
  StockLevelChange level;
  const auto product = TextField(row, {"id", "product_id", "book_id"});
  if (!product)
    throw MalformedMessage("products row has no id");
  const auto quantity = IntegerField(row, {"stock", "stock_quantity", "quantity", "on_hand"});
  if (!quantity)
    throw MalformedMessage("products row has no stock quantity");
  if (*quantity < 0)
    throw MalformedMessage("products row has a negative stock quantity");
  level.product_id = *product;
  level.on_hand = *quantity;
  level.warehouse = TextField(row, {"warehouse"}).value_or(warehouse);
  level.name = TextField(row, {"name", "title"});
  return level;
}

std::optional<OrderEvent> DecodeOrderItemInsert(const std::string& payload) {
  const json change = ChangeOf(payload);
  if (change.is_null() || change["op"].get<std::string>() != "c")
    return std::nullopt;
  const json& row = change.contains("after") ? change["after"] : json();
  if (!row.is_object())
    throw MalformedMessage("order_items insert has no after row");
  OrderEvent event;
  event.action = OrderAction::Reserve;
  const auto order = TextField(row, {"order_id"});
  if (!order)
    throw MalformedMessage("order_items row has no order_id");
  event.order_id = *order;
  OrderEventLine line;
  const auto product = TextField(row, {"product_id", "book_id"});
  if (!product)
    throw MalformedMessage("order_items row has no product_id");
  line.product_id = *product;
  const auto quantity = IntegerField(row, {"quantity"});
  if (!quantity || *quantity < 1)
    throw MalformedMessage("order_items row needs a quantity of at least 1");
  line.quantity = *quantity;
  line.warehouse = TextField(row, {"warehouse"});
  event.lines.push_back(std::move(line));
  return event;
}

}  // namespace inventory
