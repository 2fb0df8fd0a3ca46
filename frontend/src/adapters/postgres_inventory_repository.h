// postgres_inventory_repository.h: InventoryRepository and ReservationBatchRepository on the
// pg_inventory SQL API through the connection pool. Single calls run without an explicit
// transaction (each SQL function call is its own transaction in the database); the bulk import runs
// in one transaction. While a UnitOfWork is open on the calling thread (a request sent with an
// Idempotency-Key), every call runs in its transaction instead. A batch with keyed requests runs in
// one transaction that also claims and completes their keys (keyed_reservation_batch.h). Every statement that
// changes stock carries the current request's actor (auth/actor_context.h), which the extension records in
// ledger.actor; prepared_statements.cpp says how that costs no extra round trip. A reservation batch carries
// each request's actor in the request itself.
#pragma once

#include "adapters/connection_pool.h"
#include "domain/inventory_repository.h"
#include "domain/reservation_batch_repository.h"

namespace inventory {

class PostgresInventoryRepository final : public InventoryRepository, public ReservationBatchRepository {
 public:
  explicit PostgresInventoryRepository(ConnectionPool& pool);

  std::vector<StockLevel> StockOfProduct(const std::string& product_id) override;
  std::vector<StockLevel> ListStock(const StockQuery& query) override;
  std::int64_t Available(const std::string& product_id, const std::optional<std::string>& warehouse) override;
  StockLevel SetStock(const StockUpsert& upsert) override;
  StockLevel Restock(const std::string& product_id, const std::string& warehouse, std::int64_t quantity,
                     const std::optional<std::string>& note) override;
  StockLevel Adjust(const std::string& product_id, const std::string& warehouse, std::int64_t delta,
                    const std::string& reason) override;
  void Remove(const std::string& product_id, const std::string& warehouse) override;
  std::size_t Import(const std::vector<StockUpsert>& rows) override;
  std::vector<LedgerEntry> Ledger(const LedgerQuery& query) override;
  std::vector<ReservationOutcome> ReserveBatch(const std::vector<ReservationRequest>& requests) override;
  std::optional<Reservation> FindReservation(const std::string& reservation_id) override;
  std::vector<Reservation> ReservationsOfOrder(const std::string& order_id) override;
  std::vector<Reservation> MoveReservation(const std::string& reservation_id, Transition transition) override;
  std::vector<Reservation> MoveOrder(const std::string& order_id, Transition transition) override;
  ReturnResult ReturnUnits(const std::string& reservation_id, const ReturnRequest& request) override;
  std::int64_t ExpireReservations(int max_rows) override;
  std::optional<std::string> ExtensionVersion() override;

 private:
  // Runs operation in the thread's UnitOfWork when one is open, else on a leased connection
  // without a transaction block; every failure leaves as a DomainError.
  template <typename Operation>
  auto Run(Operation&& operation);
  // The same, with the session's connection as operation's second argument.
  template <typename Operation>
  auto RunOnPooledConnection(Operation&& operation);
  // The same, in a transaction of its own when no UnitOfWork is open (all of it or nothing).
  template <typename Operation>
  auto RunAtomically(Operation&& operation);

  ConnectionPool& pool_;
};

}  // namespace inventory
