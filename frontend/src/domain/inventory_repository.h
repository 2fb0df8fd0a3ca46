// inventory_repository.h: what the domain needs from storage. The PostgreSQL adapter implements it
// on the pg_inventory SQL API; unit tests implement it in memory. Every method throws DomainError.
// Reserving goes through batches instead (reservation_batch_repository.h).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "domain/reservation.h"
#include "domain/stock.h"

namespace inventory {

class InventoryRepository {
 public:
  virtual ~InventoryRepository() = default;

  // Rows of one product ordered by warehouse; empty when the product is not stocked.
  virtual std::vector<StockLevel> StockOfProduct(const std::string& product_id) = 0;
  // Up to query.limit + 1 rows in (product_id, warehouse) order, so the caller sees if more follow.
  virtual std::vector<StockLevel> ListStock(const StockQuery& query) = 0;
  // Available quantity in one warehouse or, with none, in all; NotFound when not stocked.
  virtual std::int64_t Available(const std::string& product_id,
                                 const std::optional<std::string>& warehouse) = 0;

  virtual StockLevel SetStock(const StockUpsert& upsert) = 0;
  virtual StockLevel Restock(const std::string& product_id, const std::string& warehouse,
                             std::int64_t quantity, const std::optional<std::string>& note) = 0;
  virtual StockLevel Adjust(const std::string& product_id, const std::string& warehouse, std::int64_t delta,
                            const std::string& reason) = 0;
  virtual void Remove(const std::string& product_id, const std::string& warehouse) = 0;
  // Applies every upsert in one transaction: all or nothing. Returns how many rows were written.
  virtual std::size_t Import(const std::vector<StockUpsert>& rows) = 0;
  // Up to query.limit + 1 entries in (warehouse, version) order.
  virtual std::vector<LedgerEntry> Ledger(const LedgerQuery& query) = 0;

  virtual std::optional<Reservation> FindReservation(const std::string& reservation_id) = 0;
  virtual std::vector<Reservation> ReservationsOfOrder(const std::string& order_id) = 0;
  virtual std::vector<Reservation> MoveReservation(const std::string& reservation_id,
                                                   Transition transition) = 0;
  virtual std::vector<Reservation> MoveOrder(const std::string& order_id, Transition transition) = 0;
  virtual std::int64_t ExpireReservations(int max_rows) = 0;

  // The installed pg_inventory version; Unavailable when the database cannot be reached.
  virtual std::optional<std::string> ExtensionVersion() = 0;
};

}  // namespace inventory
