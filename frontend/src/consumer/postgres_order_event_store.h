// postgres_order_event_store.h: OrderEventStore on a dedicated libpqxx connection (not the REST
// pool), opened lazily and reopened after a failure, so a database restart heals by itself.
#pragma once

#include <memory>
#include <pqxx/connection>
#include <string>

#include "consumer/order_event_store.h"

namespace inventory {

class PostgresOrderEventStore : public OrderEventStore {
 public:
  PostgresOrderEventStore(std::string conninfo, int connect_timeout_seconds);

  ApplyOutcome Apply(const MessagePosition& position, const OrderEvent& event) override;
  ApplyOutcome ApplyStockLevel(const MessagePosition& position, const StockLevelChange& change) override;
  ApplyOutcome ClaimOnly(const MessagePosition& position) override;
  bool DeadLetter(const MessagePosition& position, const std::optional<std::string>& key, const std::string& payload,
                  const std::string& reason, const std::string& error_code,
                  const std::function<void()>& before_commit) override;

 private:
  pqxx::connection& Connection();
  // Runs work; a broken connection is dropped (reopened next time) and SQLSTATEs that no retry
  // can fix become PermanentFailure.
  template <typename Work>
  auto Guarded(Work&& work) -> decltype(work(std::declval<pqxx::connection&>()));

  const std::string conninfo_;
  std::unique_ptr<pqxx::connection> connection_;
};

}  // namespace inventory
