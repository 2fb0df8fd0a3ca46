// postgres_idempotency_store.h: IdempotencyStore on inventory_idempotency_begin and
// inventory_idempotency_complete. A request's change runs in a UnitOfWork together with the key's
// claim and its stored response, so a retry after a lost response finds either the committed
// response or no trace of the first attempt; never the change without its response.
#pragma once

#include "adapters/connection_pool.h"
#include "domain/idempotency_store.h"

namespace inventory {

class PostgresIdempotencyStore final : public IdempotencyStore {
 public:
  explicit PostgresIdempotencyStore(ConnectionPool& pool);

  IdempotentResult Run(const IdempotencyClaim& claim, const std::function<StoredResponse()>& change) override;

 private:
  ConnectionPool& pool_;
};

}  // namespace inventory
