// row_mapping.cpp: column positions follow the column lists in prepared_statements.cpp.
#include "adapters/row_mapping.h"

#include <optional>
#include <pqxx/field>
#include <string>

namespace inventory {
namespace {

std::optional<std::string> OptionalText(const pqxx::field& field) {
  if (field.is_null())
    return std::nullopt;
  return field.as<std::string>();
}

std::optional<std::int64_t> OptionalNumber(const pqxx::field& field) {
  if (field.is_null())
    return std::nullopt;
  return field.as<std::int64_t>();
}

}  // namespace

StockLevel StockLevelFromRow(const pqxx::row& row) {
  StockLevel level;
  level.product_id = row[0].as<std::string>();
  level.warehouse = row[1].as<std::string>();
  level.name = OptionalText(row[2]);
  level.on_hand = row[3].as<std::int64_t>();
  level.reserved = row[4].as<std::int64_t>();
  level.available = row[5].as<std::int64_t>();
  level.low_stock_threshold = OptionalNumber(row[6]);
  level.low_stock = row[7].as<bool>();
  level.version = row[8].as<std::int64_t>();
  level.updated_at = row[9].as<std::string>();
  return level;
}

Reservation ReservationFromRow(const pqxx::row& row, int first_column) {
  const auto column = [&](int offset) { return row[first_column + offset]; };
  Reservation reservation;
  reservation.id = column(0).as<std::string>();
  reservation.order_id = column(1).as<std::string>();
  reservation.product_id = column(2).as<std::string>();
  reservation.warehouse = column(3).as<std::string>();
  reservation.quantity = column(4).as<std::int64_t>();
  reservation.status = column(5).as<std::string>();
  reservation.expires_at = OptionalText(column(6));
  reservation.created_at = column(7).as<std::string>();
  reservation.updated_at = column(8).as<std::string>();
  reservation.created = column(9).as<bool>();
  return reservation;
}

LedgerEntry LedgerEntryFromRow(const pqxx::row& row) {
  LedgerEntry entry;
  entry.product_id = row[0].as<std::string>();
  entry.warehouse = row[1].as<std::string>();
  entry.version = row[2].as<std::int64_t>();
  entry.on_hand_delta = row[3].as<std::int64_t>();
  entry.reserved_delta = row[4].as<std::int64_t>();
  entry.on_hand_after = row[5].as<std::int64_t>();
  entry.reserved_after = row[6].as<std::int64_t>();
  entry.reason = row[7].as<std::string>();
  entry.note = OptionalText(row[8]);
  entry.order_id = OptionalText(row[9]);
  entry.reservation_id = OptionalText(row[10]);
  entry.db_user = row[11].as<std::string>();
  entry.actor = OptionalText(row[12]);
  entry.created_at = row[13].as<std::string>();
  return entry;
}

}  // namespace inventory
