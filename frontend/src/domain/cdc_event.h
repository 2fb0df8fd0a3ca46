// cdc_event.h: decoding of Debezium change events from a catalogue database (optional input,
// DESIGN §5): a products row carries a stock quantity (sets stock), an order_items insert takes
// stock for its order. Accepts envelopes with or without Debezium's schema wrapper.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "domain/order_event.h"

namespace inventory {

// A stock level taken from a catalogue.
struct StockLevelChange {
  std::string product_id;
  std::string warehouse;
  std::int64_t on_hand = 0;
  std::optional<std::string> name;
};

// A products create/update/snapshot row as a stock level; nothing for deletes and tombstones.
// The product is `id`, `product_id` or `book_id`; the quantity `stock`, `stock_quantity`,
// `quantity` or `on_hand`; the name `name` or `title`. Throws MalformedMessage.
std::optional<StockLevelChange> DecodeProductChange(const std::string& payload, const std::string& warehouse);

// An order_items insert (op "c") as a one-line reservation of its order; nothing for other ops.
// Fields: `order_id`, the product (`product_id`, `book_id`), `quantity`, optional `warehouse`.
std::optional<OrderEvent> DecodeOrderItemInsert(const std::string& payload);

}  // namespace inventory
