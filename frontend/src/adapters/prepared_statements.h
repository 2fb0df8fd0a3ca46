// prepared_statements.h: every SQL statement inventory-svc runs, by name. They call the pg_inventory
// SQL API (or read its view and tables) and are prepared once per pooled connection.
#pragma once

#include <pqxx/connection>

namespace inventory::statement {

inline constexpr const char* kStockOfProduct = "stock_of_product";
inline constexpr const char* kListStock = "list_stock";
inline constexpr const char* kAvailable = "available";
inline constexpr const char* kSetStock = "set_stock";
inline constexpr const char* kRestock = "restock";
inline constexpr const char* kAdjust = "adjust";
inline constexpr const char* kRemove = "remove";
inline constexpr const char* kLedger = "ledger";
inline constexpr const char* kReserveBatch = "reserve_batch";
inline constexpr const char* kReserveBatchOfProduct = "reserve_batch_of_product";
inline constexpr const char* kFindReservation = "find_reservation";
inline constexpr const char* kOrderReservations = "order_reservations";
inline constexpr const char* kConfirm = "confirm";
inline constexpr const char* kRelease = "release";
inline constexpr const char* kShip = "ship";
inline constexpr const char* kConfirmOrder = "confirm_order";
inline constexpr const char* kReleaseOrder = "release_order";
inline constexpr const char* kShipOrder = "ship_order";
inline constexpr const char* kExpire = "expire";
inline constexpr const char* kReturn = "return";
inline constexpr const char* kExtensionVersion = "extension_version";
inline constexpr const char* kIdempotencyBegin = "idempotency_begin";
inline constexpr const char* kIdempotencyBeginMany = "idempotency_begin_many";
inline constexpr const char* kIdempotencyCompleteMany = "idempotency_complete_many";

void PrepareAll(pqxx::connection_base& connection);

}  // namespace inventory::statement
