// json_mapping.h: domain values to response JSON (snake_case), and request bodies to domain values.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "domain/reservation.h"
#include "domain/stock.h"

namespace inventory {

nlohmann::json ToJson(const StockLevel& level);
nlohmann::json ToJson(const ProductStock& stock);
nlohmann::json ToJson(const StockPage& page);
nlohmann::json ToJson(const Availability& availability);
nlohmann::json ToJson(const LedgerEntry& entry);
nlohmann::json ToJson(const LedgerPage& page);
nlohmann::json ToJson(const Reservation& reservation);
nlohmann::json ToJson(const ReturnResult& result);

// {"order_id", "lines": [{"product_id", "quantity", "warehouse"?}], "ttl_seconds"?}
ReservationRequest ReservationRequestFromJson(const std::string& body);
// PUT body {"on_hand", "name"?, "low_stock_threshold"?}; ids come from the path.
StockUpsert StockUpsertFromJson(const std::string& body, const std::string& product_id,
                                const std::string& warehouse);
// One JSON-lines import record {"product_id", "warehouse"?, "on_hand", "name"?, "low_stock_threshold"?}.
StockUpsert StockUpsertFromImportRecord(const nlohmann::json& record, const std::string& context);

struct RestockBody {
  std::int64_t quantity = 0;
  std::optional<std::string> note;
};
RestockBody RestockBodyFromJson(const std::string& body);

struct AdjustBody {
  std::int64_t delta = 0;
  std::string reason;
};
AdjustBody AdjustBodyFromJson(const std::string& body);

// Serializes a response body; invalid UTF-8 is replaced, so echoing client input never throws.
std::string Dump(const nlohmann::json& value);

}  // namespace inventory
