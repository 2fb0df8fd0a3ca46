// postgres_order_event_store.h: OrderEventStore on the consumer's own database session
// (application_name ...-consumer): one call of inventory_consume_batch per poll batch.
#pragma once

#include <string>

#include "adapters/worker_session.h"
#include "consumer/order_event_store.h"

namespace inventory {

class PostgresOrderEventStore : public OrderEventStore {
 public:
  PostgresOrderEventStore(const std::string& conninfo, const SessionSettings& settings,
                          CallWatchdog& watchdog);

  std::vector<MessageResult> ApplyBatch(const std::string& consumer_group, std::chrono::milliseconds park_for,
                                        const std::vector<DecodedMessage>& batch) override;
  ParkedSweep SweepParked(int max_rows) override;
  int ForgetConsumed(std::chrono::seconds older_than, int max_rows) override;

 private:
  WorkerSession session_;
};

// The batch as the JSON array inventory_consume_batch reads. Text PostgreSQL cannot store (NUL,
// invalid UTF-8) is replaced by U+FFFD, so one odd message never fails a batch.
std::string ConsumeBatchJson(const std::vector<DecodedMessage>& batch);

}  // namespace inventory
