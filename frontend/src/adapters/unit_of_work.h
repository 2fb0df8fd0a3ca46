// unit_of_work.h: one database transaction that the repository calls of a request share. The
// Idempotency-Key store opens one around a request's change, so the change and its stored response
// commit together or not at all. While a UnitOfWork is open on a thread, the repository runs its
// statements in it instead of on a connection of its own; a request runs on one database worker
// thread from start to finish (execution/), which auth/actor_context.h relies on too.
#pragma once

#include <pqxx/transaction>

#include "adapters/connection_pool.h"

namespace inventory {

class UnitOfWork {
 public:
  // Leases a connection and begins a READ COMMITTED transaction on it; this thread's unit from now.
  explicit UnitOfWork(ConnectionPool& pool);
  // Rolls back unless committed, returns the connection, and gives the thread its previous unit.
  ~UnitOfWork();
  UnitOfWork(const UnitOfWork&) = delete;
  UnitOfWork& operator=(const UnitOfWork&) = delete;

  pqxx::transaction_base& transaction() { return work_; }
  const PooledConnection& connection() const { return *lease_; }
  void Commit();
  // The connection broke: close it instead of returning it to the pool.
  void Discard() { lease_.Discard(); }

  // The unit open on this thread, or nullptr.
  static UnitOfWork* Current();

 private:
  ConnectionPool::Lease lease_;
  pqxx::work work_;
  UnitOfWork* previous_;
};

}  // namespace inventory
