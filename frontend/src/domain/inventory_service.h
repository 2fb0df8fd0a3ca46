// inventory_service.h: the use cases behind the REST routes. It validates values, calls the
// repository and shapes results (totals, pages). It knows nothing of HTTP or SQL. Reserving enters
// through domain/reservation_intake.h instead, to be decided in batches.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "domain/domain_error.h"
#include "domain/inventory_repository.h"
#include "domain/reservation.h"
#include "domain/stock.h"

namespace inventory {

class InventoryService {
 public:
  explicit InventoryService(InventoryRepository& repository);

  ProductStock GetProductStock(const std::string& product_id);
  StockPage ListStock(StockQuery query);
  Availability CheckAvailability(const std::string& product_id, std::int64_t quantity,
                                 const std::optional<std::string>& warehouse);
  StockLevel SetStock(const StockUpsert& upsert);
  StockLevel Restock(const std::string& product_id, const std::string& warehouse, std::int64_t quantity,
                     const std::optional<std::string>& note);
  StockLevel Adjust(const std::string& product_id, const std::string& warehouse, std::int64_t delta,
                    const std::string& reason);
  void Remove(const std::string& product_id, const std::string& warehouse);
  std::size_t Import(const std::vector<StockUpsert>& rows);
  LedgerPage Ledger(LedgerQuery query);

  Reservation GetReservation(const std::string& reservation_id);
  std::vector<Reservation> OrderReservations(const std::string& order_id);
  Reservation MoveReservation(const std::string& reservation_id, Transition transition);
  std::vector<Reservation> MoveOrder(const std::string& order_id, Transition transition);
  std::int64_t ExpireReservations(int max_rows);

 private:
  InventoryRepository& repository_;
};

}  // namespace inventory
