// database_session.h: where a repository's statements run. In this thread's UnitOfWork when one is
// open (the Idempotency-Key store's transaction around a request); otherwise on a connection leased
// for the call, statement by statement or in a transaction of its own. A connection that broke, or
// whose commit is in doubt, is closed instead of going back to the pool. Errors pass through
// untranslated: the repositories map them to domain errors.
#pragma once

#include <pqxx/except>
#include <pqxx/nontransaction>
#include <pqxx/transaction>

#include "adapters/connection_pool.h"
#include "adapters/unit_of_work.h"

namespace inventory {

// Runs operation(pqxx::transaction_base&, const PooledConnection&) in the open unit, or
// autocommitted on a leased connection; the second argument is the session's connection.
template <typename Operation>
auto RunOnConnection(ConnectionPool& pool, Operation&& operation) {
  if (auto* unit = UnitOfWork::Current())
    return operation(unit->transaction(), unit->connection());
  auto lease = pool.Acquire();
  try {
    pqxx::nontransaction session(*lease);
    return operation(session, *lease);
  } catch (const pqxx::broken_connection&) {
    lease.Discard();
    throw;
  }
}

// Runs operation(pqxx::transaction_base&) in the open unit, or autocommitted on a leased connection.
template <typename Operation>
auto RunInSession(ConnectionPool& pool, Operation&& operation) {
  return RunOnConnection(
      pool, [&](pqxx::transaction_base& session, const PooledConnection&) { return operation(session); });
}

// Runs operation(pqxx::transaction_base&) in the open unit, or in one transaction of its own.
template <typename Operation>
auto RunInTransaction(ConnectionPool& pool, Operation&& operation) {
  if (auto* unit = UnitOfWork::Current())
    return operation(unit->transaction());
  auto lease = pool.Acquire();
  try {
    pqxx::work transaction(*lease);
    auto result = operation(transaction);
    transaction.commit();
    return result;
  } catch (const pqxx::broken_connection&) {
    lease.Discard();
    throw;
  } catch (const pqxx::in_doubt_error&) {
    lease.Discard();
    throw;
  }
}

}  // namespace inventory
