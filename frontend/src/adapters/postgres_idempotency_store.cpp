// postgres_idempotency_store.cpp: begin, change, complete, commit; or the stored response.
#include "adapters/postgres_idempotency_store.h"

#include <pqxx/except>

#include "adapters/database_error_translation.h"
#include "adapters/idempotency_statements.h"
#include "adapters/unit_of_work.h"
#include "domain/domain_error.h"

namespace inventory {

PostgresIdempotencyStore::PostgresIdempotencyStore(ConnectionPool& pool) : pool_(pool) {}

IdempotentResult PostgresIdempotencyStore::Run(const IdempotencyClaim& claim,
                                               const std::function<StoredResponse()>& change) {
  try {
    UnitOfWork unit(pool_);
    try {
      const auto claimed = ClaimKey(unit.transaction(), claim);
      if (claimed)
        return IdempotentResult{*claimed, true};
      const StoredResponse response = change();
      StoreResponses(unit.transaction(), {claim}, {response});
      unit.Commit();
      return IdempotentResult{response, false};
    } catch (const pqxx::broken_connection&) {
      unit.Discard();
      throw;
    } catch (const pqxx::in_doubt_error&) {
      unit.Discard();
      throw;
    }
  } catch (...) {
    TranslateDatabaseFailure(std::current_exception());
  }
}

}  // namespace inventory
