// postgres_order_event_store.cpp: claim + effect in one transaction, dead letters, error
// classification for the consumer (retry vs dead letter).
#include "consumer/postgres_order_event_store.h"

#include <nlohmann/json.hpp>
#include <pqxx/except>
#include <pqxx/transaction>

#include "adapters/connection_pool.h"
#include "adapters/database_error_translation.h"

namespace inventory {
namespace {

bool IsPermanent(const std::string& sqlstate) {
  switch (KindOfSqlState(sqlstate)) {
    case ErrorKind::InsufficientStock:
    case ErrorKind::NotFound:
    case ErrorKind::InvalidTransition:
    case ErrorKind::IdempotencyConflict:
    case ErrorKind::BelowReserved:
    case ErrorKind::InvalidValue:
      return true;
    default:
      return false;
  }
}

std::string LinesJson(const OrderEvent& event) {
  nlohmann::json lines = nlohmann::json::array();
  for (const auto& line : event.lines) {
    nlohmann::json item = {{"product_id", line.product_id}, {"quantity", line.quantity}};
    if (line.warehouse)
      item["warehouse"] = *line.warehouse;
    lines.push_back(std::move(item));
  }
  return lines.dump();
}

// Claims the message's position and names its source ("kafka:<topic>") as the actor that the
// ledger rows of this transaction record; set_config(..., true) ends with the transaction. The
// subquery with the volatile set_config is evaluated before the claim.
bool Claim(pqxx::work& transaction, const MessagePosition& position) {
  return transaction
      .exec_params1("SELECT inventory_claim_message($1, $2, $3, $4)"
                    "  FROM (SELECT set_config('inventory.actor', $5, true)) AS actor",
                    position.consumer_group, position.topic, position.partition, position.offset,
                    "kafka:" + position.topic)[0]
      .as<bool>();
}

}  // namespace

PostgresOrderEventStore::PostgresOrderEventStore(std::string conninfo, int connect_timeout_seconds)
    : conninfo_(WithConnectOptions(conninfo, connect_timeout_seconds)) {}

pqxx::connection& PostgresOrderEventStore::Connection() {
  if (!connection_ || !connection_->is_open())
    connection_ = std::make_unique<pqxx::connection>(conninfo_);
  return *connection_;
}

template <typename Work>
auto PostgresOrderEventStore::Guarded(Work&& work) -> decltype(work(std::declval<pqxx::connection&>())) {
  try {
    return work(Connection());
  } catch (const pqxx::broken_connection&) {
    connection_.reset();
    throw;
  } catch (const pqxx::in_doubt_error&) {
    connection_.reset();
    throw;
  } catch (const pqxx::sql_error& error) {
    if (IsPermanent(error.sqlstate()))
      throw PermanentFailure(error.sqlstate(), PrimaryMessage(error.what()));
    if (connection_ && !connection_->is_open())
      connection_.reset();
    throw;
  }
}

ApplyOutcome PostgresOrderEventStore::Apply(const MessagePosition& position, const OrderEvent& event) {
  return Guarded([&](pqxx::connection& connection) {
    pqxx::work transaction(connection);
    if (!Claim(transaction, position)) {
      transaction.abort();
      return ApplyOutcome::AlreadyApplied;
    }
    switch (event.action) {
      case OrderAction::Reserve:
        transaction.exec_params("SELECT count(*) FROM inventory_reserve_order($1, $2::jsonb)", event.order_id,
                                LinesJson(event));
        break;
      case OrderAction::Confirm:
        transaction.exec_params("SELECT count(*) FROM inventory_confirm_order($1)", event.order_id);
        break;
      case OrderAction::Release:
        transaction.exec_params("SELECT count(*) FROM inventory_release_order($1)", event.order_id);
        break;
      case OrderAction::Ship:
        transaction.exec_params("SELECT count(*) FROM inventory_ship_order($1)", event.order_id);
        break;
    }
    transaction.commit();
    return ApplyOutcome::Applied;
  });
}

ApplyOutcome PostgresOrderEventStore::ApplyStockLevel(const MessagePosition& position, const StockLevelChange& change) {
  return Guarded([&](pqxx::connection& connection) {
    pqxx::work transaction(connection);
    if (!Claim(transaction, position)) {
      transaction.abort();
      return ApplyOutcome::AlreadyApplied;
    }
    if (change.name) {
      transaction.exec_params("SELECT count(*) FROM inventory_set_stock($1, $2, $3, $4)", change.product_id,
                              change.on_hand, change.warehouse, *change.name);
    } else {
      transaction.exec_params("SELECT count(*) FROM inventory_set_stock($1, $2, $3)", change.product_id,
                              change.on_hand, change.warehouse);
    }
    transaction.commit();
    return ApplyOutcome::Applied;
  });
}

ApplyOutcome PostgresOrderEventStore::ClaimOnly(const MessagePosition& position) {
  return Guarded([&](pqxx::connection& connection) {
    pqxx::work transaction(connection);
    const bool claimed = Claim(transaction, position);
    transaction.commit();
    return claimed ? ApplyOutcome::Applied : ApplyOutcome::AlreadyApplied;
  });
}

bool PostgresOrderEventStore::DeadLetter(const MessagePosition& position, const std::optional<std::string>& key,
                                         const std::string& payload, const std::string& reason,
                                         const std::string& error_code, const std::function<void()>& before_commit) {
  return Guarded([&](pqxx::connection& connection) {
    pqxx::work transaction(connection);
    const bool recorded =
        transaction
            .exec_params1("SELECT inventory_dead_letter($1, $2, $3, $4, $5, $6, $7, $8)", position.consumer_group,
                          position.topic, position.partition, position.offset, key, payload, reason, error_code)[0]
            .as<bool>();
    if (!recorded) {
      transaction.abort();
      return false;
    }
    before_commit();
    transaction.commit();
    return true;
  });
}

}  // namespace inventory
