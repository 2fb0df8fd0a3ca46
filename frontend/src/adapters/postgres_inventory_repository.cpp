// postgres_inventory_repository.cpp: statement calls and result mapping.
#include "adapters/postgres_inventory_repository.h"

#include <algorithm>
#include <nlohmann/json.hpp>
#include <pqxx/result>
#include <pqxx/transaction>

#include "adapters/database_error_translation.h"
#include "adapters/database_session.h"
#include "adapters/keyed_reservation_batch.h"
#include "adapters/prepared_statements.h"
#include "adapters/reservation_batch_call.h"
#include "adapters/reservation_batch_mapping.h"
#include "adapters/row_mapping.h"
#include "auth/actor_context.h"

namespace inventory {
namespace {

std::vector<Reservation> Reservations(const pqxx::result& result) {
  std::vector<Reservation> reservations;
  reservations.reserve(result.size());
  for (const auto& row : result)
    reservations.push_back(ReservationFromRow(row));
  return reservations;
}

std::vector<StockLevel> Levels(const pqxx::result& result) {
  std::vector<StockLevel> levels;
  levels.reserve(result.size());
  for (const auto& row : result)
    levels.push_back(StockLevelFromRow(row));
  return levels;
}

const char* MoveStatement(Transition transition) {
  switch (transition) {
    case Transition::Confirm:
      return statement::kConfirm;
    case Transition::Release:
      return statement::kRelease;
    case Transition::Ship:
      return statement::kShip;
  }
  return statement::kConfirm;
}

const char* MoveOrderStatement(Transition transition) {
  switch (transition) {
    case Transition::Confirm:
      return statement::kConfirmOrder;
    case Transition::Release:
      return statement::kReleaseOrder;
    case Transition::Ship:
      return statement::kShipOrder;
  }
  return statement::kConfirmOrder;
}

}  // namespace

PostgresInventoryRepository::PostgresInventoryRepository(ConnectionPool& pool) : pool_(pool) {}

template <typename Operation>
auto PostgresInventoryRepository::Run(Operation&& operation) {
  return Translated([&] { return RunInSession(pool_, std::forward<Operation>(operation)); });
}

template <typename Operation>
auto PostgresInventoryRepository::RunOnPooledConnection(Operation&& operation) {
  return Translated([&] { return RunOnConnection(pool_, std::forward<Operation>(operation)); });
}

template <typename Operation>
auto PostgresInventoryRepository::RunAtomically(Operation&& operation) {
  return Translated([&] { return RunInTransaction(pool_, std::forward<Operation>(operation)); });
}

std::vector<StockLevel> PostgresInventoryRepository::StockOfProduct(const std::string& product_id) {
  return Run([&](pqxx::transaction_base& session) {
    return Levels(session.exec_prepared(statement::kStockOfProduct, product_id));
  });
}

std::vector<StockLevel> PostgresInventoryRepository::ListStock(const StockQuery& query) {
  return Run([&](pqxx::transaction_base& session) {
    std::optional<std::string> after_product;
    std::optional<std::string> after_warehouse;
    if (query.after) {
      after_product = query.after->product_id;
      after_warehouse = query.after->warehouse;
    }
    return Levels(session.exec_prepared(statement::kListStock, query.warehouse, query.low_stock_only,
                                        after_product, after_warehouse, query.limit + 1));
  });
}

std::int64_t PostgresInventoryRepository::Available(const std::string& product_id,
                                                    const std::optional<std::string>& warehouse) {
  return Run([&](pqxx::transaction_base& session) {
    return session.exec_prepared(statement::kAvailable, product_id, warehouse)[0][0].as<std::int64_t>();
  });
}

StockLevel PostgresInventoryRepository::SetStock(const StockUpsert& upsert) {
  return Run([&](pqxx::transaction_base& session) {
    return StockLevelFromRow(session.exec_prepared(statement::kSetStock, upsert.product_id, upsert.on_hand,
                                                   upsert.warehouse, upsert.name, upsert.low_stock_threshold,
                                                   CurrentActor())[0]);
  });
}

StockLevel PostgresInventoryRepository::Restock(const std::string& product_id, const std::string& warehouse,
                                                std::int64_t quantity,
                                                const std::optional<std::string>& note) {
  return Run([&](pqxx::transaction_base& session) {
    return StockLevelFromRow(
        session.exec_prepared(statement::kRestock, product_id, quantity, warehouse, note, CurrentActor())[0]);
  });
}

StockLevel PostgresInventoryRepository::Adjust(const std::string& product_id, const std::string& warehouse,
                                               std::int64_t delta, const std::string& reason) {
  return Run([&](pqxx::transaction_base& session) {
    return StockLevelFromRow(
        session.exec_prepared(statement::kAdjust, product_id, delta, reason, warehouse, CurrentActor())[0]);
  });
}

void PostgresInventoryRepository::Remove(const std::string& product_id, const std::string& warehouse) {
  Run([&](pqxx::transaction_base& session) {
    session.exec_prepared(statement::kRemove, product_id, warehouse, CurrentActor());
    return 0;
  });
}

std::size_t PostgresInventoryRepository::Import(const std::vector<StockUpsert>& rows) {
  return RunAtomically([&](pqxx::transaction_base& transaction) {
    for (const auto& row : rows) {
      transaction.exec_prepared(statement::kSetStock, row.product_id, row.on_hand, row.warehouse, row.name,
                                row.low_stock_threshold, CurrentActor());
    }
    return rows.size();
  });
}

std::vector<LedgerEntry> PostgresInventoryRepository::Ledger(const LedgerQuery& query) {
  return Run([&](pqxx::transaction_base& session) {
    std::optional<std::string> after_warehouse;
    std::optional<std::int64_t> after_version;
    if (query.after) {
      after_warehouse = query.after->warehouse;
      after_version = query.after->version;
    }
    const auto result = session.exec_prepared(statement::kLedger, query.product_id, query.warehouse,
                                              after_warehouse, after_version, query.limit + 1);
    std::vector<LedgerEntry> entries;
    entries.reserve(result.size());
    for (const auto& row : result)
      entries.push_back(LedgerEntryFromRow(row));
    return entries;
  });
}

std::vector<ReservationOutcome> PostgresInventoryRepository::ReserveBatch(
    const std::vector<ReservationRequest>& requests) {
  const bool keyed = std::any_of(requests.begin(), requests.end(), [](const ReservationRequest& request) {
    return request.idempotency != nullptr;
  });
  try {
    if (keyed) {
      return RunAtomically(
          [&](pqxx::transaction_base& transaction) { return ReserveKeyedBatch(transaction, requests); });
    }
    const std::string requests_json = BatchRequestsJson(requests);
    return RunOnPooledConnection([&](pqxx::transaction_base& session, const PooledConnection& connection) {
      return CallReserveBatch(session, connection.CitusInstalled(), requests, requests_json);
    });
  } catch (const DomainError& error) {
    // Only a malformed whole call raises 22023: a batch larger than the database allows.
    if (error.kind() != ErrorKind::InvalidValue)
      throw;
    throw DomainError(ErrorKind::Internal,
                      std::string("inventory_reserve_batch refused the batch: ") + error.what() +
                          " (is RESERVATION_BATCH_MAX above inventory.max_batch_requests?)");
  }
}

std::optional<Reservation> PostgresInventoryRepository::FindReservation(const std::string& reservation_id) {
  return Run([&](pqxx::transaction_base& session) -> std::optional<Reservation> {
    const auto result = session.exec_prepared(statement::kFindReservation, reservation_id);
    if (result.empty())
      return std::nullopt;
    return ReservationFromRow(result[0]);
  });
}

std::vector<Reservation> PostgresInventoryRepository::ReservationsOfOrder(const std::string& order_id) {
  return Run([&](pqxx::transaction_base& session) {
    return Reservations(session.exec_prepared(statement::kOrderReservations, order_id));
  });
}

std::vector<Reservation> PostgresInventoryRepository::MoveReservation(const std::string& reservation_id,
                                                                      Transition transition) {
  return Run([&](pqxx::transaction_base& session) {
    return Reservations(session.exec_prepared(MoveStatement(transition), reservation_id, CurrentActor()));
  });
}

std::vector<Reservation> PostgresInventoryRepository::MoveOrder(const std::string& order_id,
                                                                Transition transition) {
  return Run([&](pqxx::transaction_base& session) {
    return Reservations(session.exec_prepared(MoveOrderStatement(transition), order_id, CurrentActor()));
  });
}

ReturnResult PostgresInventoryRepository::ReturnUnits(const std::string& reservation_id,
                                                      const ReturnRequest& request) {
  return Run([&](pqxx::transaction_base& session) {
    const auto row = session.exec_prepared1(statement::kReturn, reservation_id, request.quantity,
                                            request.restock, request.reason, CurrentActor());
    return ReturnResult{row[0].as<std::string>(),  row[1].as<std::string>(),  row[2].as<std::string>(),
                        row[3].as<std::string>(),  row[4].as<std::int64_t>(), row[5].as<std::int64_t>(),
                        row[6].as<std::int64_t>(), row[7].as<std::int64_t>(), row[8].as<std::int64_t>(),
                        row[9].as<std::int64_t>()};
  });
}

std::int64_t PostgresInventoryRepository::ExpireReservations(int max_rows) {
  return Run([&](pqxx::transaction_base& session) {
    return session.exec_prepared(statement::kExpire, max_rows, CurrentActor())[0][0].as<std::int64_t>();
  });
}

std::optional<std::string> PostgresInventoryRepository::ExtensionVersion() {
  return Run([&](pqxx::transaction_base& session) -> std::optional<std::string> {
    const auto result = session.exec_prepared(statement::kExtensionVersion);
    if (result.empty())
      return std::nullopt;
    return result[0][0].as<std::string>();
  });
}

}  // namespace inventory
