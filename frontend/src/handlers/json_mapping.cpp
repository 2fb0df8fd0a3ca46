// json_mapping.cpp: field-by-field mapping; absent optional values are written as null.
#include "handlers/json_mapping.h"

#include "domain/domain_error.h"
#include "handlers/json_fields.h"

namespace inventory {
namespace {

template <typename T>
nlohmann::json OrNull(const std::optional<T>& value) {
  return value ? nlohmann::json(*value) : nlohmann::json(nullptr);
}

}  // namespace

nlohmann::json ToJson(const StockLevel& level) {
  return {{"product_id", level.product_id},
          {"warehouse", level.warehouse},
          {"name", OrNull(level.name)},
          {"on_hand", level.on_hand},
          {"reserved", level.reserved},
          {"available", level.available},
          {"low_stock_threshold", OrNull(level.low_stock_threshold)},
          {"low_stock", level.low_stock},
          {"version", level.version},
          {"updated_at", level.updated_at}};
}

nlohmann::json ToJson(const ProductStock& stock) {
  nlohmann::json warehouses = nlohmann::json::array();
  for (const auto& level : stock.warehouses)
    warehouses.push_back(ToJson(level));
  return {{"product_id", stock.product_id},
          {"on_hand", stock.on_hand},
          {"reserved", stock.reserved},
          {"available", stock.available},
          {"warehouses", warehouses}};
}

nlohmann::json ToJson(const StockPage& page) {
  nlohmann::json items = nlohmann::json::array();
  for (const auto& level : page.items)
    items.push_back(ToJson(level));
  return {{"items", items}, {"next_cursor", OrNull(page.next_cursor)}};
}

nlohmann::json ToJson(const Availability& availability) {
  return {{"product_id", availability.product_id},
          {"warehouse", OrNull(availability.warehouse)},
          {"requested", availability.requested},
          {"available", availability.available},
          {"in_stock", availability.in_stock}};
}

nlohmann::json ToJson(const LedgerEntry& entry) {
  return {{"product_id", entry.product_id},
          {"warehouse", entry.warehouse},
          {"version", entry.version},
          {"on_hand_delta", entry.on_hand_delta},
          {"reserved_delta", entry.reserved_delta},
          {"on_hand_after", entry.on_hand_after},
          {"reserved_after", entry.reserved_after},
          {"reason", entry.reason},
          {"note", OrNull(entry.note)},
          {"order_id", OrNull(entry.order_id)},
          {"reservation_id", OrNull(entry.reservation_id)},
          {"db_user", entry.db_user},
          {"actor", OrNull(entry.actor)},
          {"created_at", entry.created_at}};
}

nlohmann::json ToJson(const LedgerPage& page) {
  nlohmann::json items = nlohmann::json::array();
  for (const auto& entry : page.items)
    items.push_back(ToJson(entry));
  return {{"items", items}, {"next_cursor", OrNull(page.next_cursor)}};
}

nlohmann::json ToJson(const Reservation& reservation) {
  return {{"id", reservation.id},
          {"order_id", reservation.order_id},
          {"product_id", reservation.product_id},
          {"warehouse", reservation.warehouse},
          {"quantity", reservation.quantity},
          {"status", reservation.status},
          {"expires_at", OrNull(reservation.expires_at)},
          {"created_at", reservation.created_at},
          {"updated_at", reservation.updated_at}};
}

ReservationRequest ReservationRequestFromJson(const std::string& body) {
  const auto object = ParseJsonObject(body);
  JsonObjectReader reader(object);
  ReservationRequest request;
  request.order_id = reader.RequireString("order_id");
  request.ttl_seconds = reader.OptionalInteger("ttl_seconds");
  const auto& lines = reader.RequireArray("lines");
  reader.RejectUnknownMembers();
  for (std::size_t i = 0; i < lines.size(); ++i) {
    const std::string context = "lines[" + std::to_string(i) + "].";
    if (!lines[i].is_object()) {
      throw DomainError(ErrorKind::InvalidValue, "lines[" + std::to_string(i) + "] must be an object");
    }
    JsonObjectReader line_reader(lines[i], context);
    ReservationLine line;
    line.product_id = line_reader.RequireString("product_id");
    line.quantity = line_reader.RequireInteger("quantity");
    line.warehouse = line_reader.OptionalString("warehouse");
    line_reader.RejectUnknownMembers();
    request.lines.push_back(std::move(line));
  }
  return request;
}

StockUpsert StockUpsertFromJson(const std::string& body, const std::string& product_id,
                                const std::string& warehouse) {
  const auto object = ParseJsonObject(body);
  JsonObjectReader reader(object);
  StockUpsert upsert;
  upsert.product_id = product_id;
  upsert.warehouse = warehouse;
  upsert.on_hand = reader.RequireInteger("on_hand");
  upsert.name = reader.OptionalString("name");
  upsert.low_stock_threshold = reader.OptionalInteger("low_stock_threshold");
  reader.RejectUnknownMembers();
  return upsert;
}

StockUpsert StockUpsertFromImportRecord(const nlohmann::json& record, const std::string& context) {
  JsonObjectReader reader(record, context);
  StockUpsert upsert;
  upsert.product_id = reader.RequireString("product_id");
  upsert.warehouse = reader.OptionalString("warehouse").value_or("main");
  upsert.on_hand = reader.RequireInteger("on_hand");
  upsert.name = reader.OptionalString("name");
  upsert.low_stock_threshold = reader.OptionalInteger("low_stock_threshold");
  reader.RejectUnknownMembers();
  return upsert;
}

RestockBody RestockBodyFromJson(const std::string& body) {
  const auto object = ParseJsonObject(body);
  JsonObjectReader reader(object);
  RestockBody restock;
  restock.quantity = reader.RequireInteger("quantity");
  restock.note = reader.OptionalString("note");
  reader.RejectUnknownMembers();
  return restock;
}

AdjustBody AdjustBodyFromJson(const std::string& body) {
  const auto object = ParseJsonObject(body);
  JsonObjectReader reader(object);
  AdjustBody adjust;
  adjust.delta = reader.RequireInteger("delta");
  adjust.reason = reader.RequireString("reason");
  reader.RejectUnknownMembers();
  return adjust;
}

std::string Dump(const nlohmann::json& value) {
  return value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

nlohmann::json ToJson(const ReturnResult& result) {
  return {{"reservation_id", result.reservation_id},
          {"order_id", result.order_id},
          {"product_id", result.product_id},
          {"warehouse", result.warehouse},
          {"shipped_quantity", result.shipped_quantity},
          {"returned_quantity", result.returned_quantity},
          {"stock",
           {{"on_hand", result.on_hand},
            {"reserved", result.reserved},
            {"available", result.available},
            {"version", result.version}}}};
}

}  // namespace inventory
