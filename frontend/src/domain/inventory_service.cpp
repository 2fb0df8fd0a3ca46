// inventory_service.cpp: the use cases; see inventory_service.h.
#include "domain/inventory_service.h"

#include <map>
#include <utility>

#include "domain/domain_error.h"
#include "domain/page_cursor.h"
#include "domain/validation.h"

namespace inventory {
namespace {

// Reservation ids are uuids: anything else cannot name a reservation, so it is unknown.
void RequireReservationId(const std::string& reservation_id) {
  if (!IsUuid(reservation_id)) {
    throw DomainError(ErrorKind::NotFound, "reservation " + reservation_id + " does not exist");
  }
}

}  // namespace

InventoryService::InventoryService(InventoryRepository& repository) : repository_(repository) {}

ProductStock InventoryService::GetProductStock(const std::string& product_id) {
  ValidateId(product_id, "product_id");
  ProductStock stock;
  stock.product_id = product_id;
  stock.warehouses = repository_.StockOfProduct(product_id);
  if (stock.warehouses.empty()) {
    throw DomainError(ErrorKind::NotFound, "product \"" + product_id + "\" is not stocked");
  }
  for (const auto& row : stock.warehouses) {
    stock.on_hand += row.on_hand;
    stock.reserved += row.reserved;
    stock.available += row.available;
  }
  return stock;
}

StockPage InventoryService::ListStock(StockQuery query) {
  if (query.warehouse)
    ValidateId(*query.warehouse, "warehouse");
  ValidatePageSize(query.limit);
  StockPage page;
  page.items = repository_.ListStock(query);
  if (page.items.size() > static_cast<std::size_t>(query.limit)) {
    page.items.resize(query.limit);
    const auto& last = page.items.back();
    page.next_cursor = EncodeStockCursor(StockCursor{last.product_id, last.warehouse});
  }
  return page;
}

Availability InventoryService::CheckAvailability(const std::string& product_id, std::int64_t quantity,
                                                 const std::optional<std::string>& warehouse) {
  ValidateId(product_id, "product_id");
  if (warehouse)
    ValidateId(*warehouse, "warehouse");
  ValidateQuantity(quantity, "quantity");
  Availability availability;
  availability.product_id = product_id;
  availability.warehouse = warehouse;
  availability.requested = quantity;
  availability.available = repository_.Available(product_id, warehouse);
  availability.in_stock = availability.available >= quantity;
  return availability;
}

StockLevel InventoryService::SetStock(const StockUpsert& upsert) {
  ValidateStockUpsert(upsert, "");
  return repository_.SetStock(upsert);
}

StockLevel InventoryService::Restock(const std::string& product_id, const std::string& warehouse,
                                     std::int64_t quantity, const std::optional<std::string>& note) {
  ValidateId(product_id, "product_id");
  ValidateId(warehouse, "warehouse");
  ValidateQuantity(quantity, "quantity");
  if (note)
    ValidateText(*note, "note");
  return repository_.Restock(product_id, warehouse, quantity, note);
}

StockLevel InventoryService::Adjust(const std::string& product_id, const std::string& warehouse,
                                    std::int64_t delta, const std::string& reason) {
  ValidateId(product_id, "product_id");
  ValidateId(warehouse, "warehouse");
  ValidateDelta(delta, "delta");
  ValidateText(reason, "reason");
  return repository_.Adjust(product_id, warehouse, delta, reason);
}

void InventoryService::Remove(const std::string& product_id, const std::string& warehouse) {
  ValidateId(product_id, "product_id");
  ValidateId(warehouse, "warehouse");
  repository_.Remove(product_id, warehouse);
}

std::size_t InventoryService::Import(const std::vector<StockUpsert>& rows) {
  if (rows.empty())
    throw DomainError(ErrorKind::InvalidValue, "the import holds no rows");
  std::map<std::pair<std::string, std::string>, std::size_t> seen;
  for (std::size_t i = 0; i < rows.size(); ++i) {
    const std::string prefix = "row " + std::to_string(i + 1) + ": ";
    ValidateStockUpsert(rows[i], prefix);
    auto [position, inserted] = seen.emplace(std::make_pair(rows[i].product_id, rows[i].warehouse), i + 1);
    if (!inserted) {
      throw DomainError(ErrorKind::InvalidValue, prefix + "product \"" + rows[i].product_id +
                                                     "\" in warehouse \"" + rows[i].warehouse +
                                                     "\" already appears in row " +
                                                     std::to_string(position->second));
    }
  }
  return repository_.Import(rows);
}

LedgerPage InventoryService::Ledger(LedgerQuery query) {
  ValidateId(query.product_id, "product_id");
  if (query.warehouse)
    ValidateId(*query.warehouse, "warehouse");
  ValidatePageSize(query.limit);
  LedgerPage page;
  page.items = repository_.Ledger(query);
  if (page.items.empty() && !query.after) {
    throw DomainError(ErrorKind::NotFound,
                      "product \"" + query.product_id + "\" has no ledger entries" +
                          (query.warehouse ? " in warehouse \"" + *query.warehouse + "\"" : ""));
  }
  if (page.items.size() > static_cast<std::size_t>(query.limit)) {
    page.items.resize(query.limit);
    const auto& last = page.items.back();
    page.next_cursor = EncodeLedgerCursor(LedgerCursor{last.warehouse, last.version});
  }
  return page;
}

Reservation InventoryService::GetReservation(const std::string& reservation_id) {
  RequireReservationId(reservation_id);
  auto reservation = repository_.FindReservation(reservation_id);
  if (!reservation)
    throw DomainError(ErrorKind::NotFound, "reservation " + reservation_id + " does not exist");
  return *reservation;
}

std::vector<Reservation> InventoryService::OrderReservations(const std::string& order_id) {
  ValidateId(order_id, "order_id");
  auto reservations = repository_.ReservationsOfOrder(order_id);
  if (reservations.empty()) {
    throw DomainError(ErrorKind::NotFound, "order \"" + order_id + "\" has no reservations");
  }
  return reservations;
}

Reservation InventoryService::MoveReservation(const std::string& reservation_id, Transition transition) {
  RequireReservationId(reservation_id);
  auto rows = repository_.MoveReservation(reservation_id, transition);
  if (rows.empty())
    throw DomainError(ErrorKind::NotFound, "reservation " + reservation_id + " does not exist");
  return rows.front();
}

std::vector<Reservation> InventoryService::MoveOrder(const std::string& order_id, Transition transition) {
  ValidateId(order_id, "order_id");
  return repository_.MoveOrder(order_id, transition);
}

std::int64_t InventoryService::ExpireReservations(int max_rows) {
  if (max_rows < 1 || max_rows > kMaxExpireBatch) {
    throw DomainError(ErrorKind::InvalidValue, "max_rows must be between 1 and " +
                                                   std::to_string(kMaxExpireBatch) + ", not " +
                                                   std::to_string(max_rows));
  }
  return repository_.ExpireReservations(max_rows);
}

}  // namespace inventory
