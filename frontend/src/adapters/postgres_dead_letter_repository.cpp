// postgres_dead_letter_repository.cpp: the re-drive call, with the request's actor set for the
// ledger rows it writes (set_config is evaluated before the call, inside the statement's own
// transaction, as in prepared_statements.cpp). Inside a request's UnitOfWork (an Idempotency-Key)
// it runs in that transaction, so the re-drive and the stored response commit together.
#include "adapters/postgres_dead_letter_repository.h"

#include "adapters/database_error_translation.h"
#include "adapters/database_session.h"
#include "auth/actor_context.h"

namespace inventory {

RedriveResult PostgresDeadLetterRepository::Redrive(std::int64_t dead_letter_id) {
  const auto redrive = [&](pqxx::transaction_base& session) {
    const auto row = session.exec_params1(
        "SELECT id, action, order_id, to_char(redriven_at AT TIME ZONE 'UTC', "
        "'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"'), redriven_by, parked_applied "
        "FROM inventory_redrive_dead_letter(CASE WHEN set_config('inventory.actor', coalesce($2::text, "
        "''), true) "
        "IS NULL THEN NULL ELSE $1::bigint END)",
        dead_letter_id, CurrentActor());
    RedriveResult result;
    result.dead_letter_id = row[0].as<std::int64_t>();
    result.action = row[1].as<std::string>();
    if (!row[2].is_null())
      result.order_id = row[2].as<std::string>();
    result.redriven_at = row[3].as<std::string>();
    result.redriven_by = row[4].as<std::string>();
    result.parked_events_applied = row[5].as<int>();
    return result;
  };
  return Translated([&] { return RunInSession(pool_, redrive); });
}

}  // namespace inventory
