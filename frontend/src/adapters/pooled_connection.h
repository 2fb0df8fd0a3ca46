// pooled_connection.h: the database connection the request pool leases. It connects exactly like
// pqxx::connection, and can tell whether its session is inside a transaction block, which libpqxx
// 6.4 does not expose: the pool must never lease a session that still holds an open (or failed)
// transaction, whose locks and snapshot the next request would silently inherit. It also remembers
// whether its database has the citus extension, which the pool asks once when it opens the session:
// reservation batches are sent differently there (reservation_batch_call.h), and asking per batch
// would cost a round trip.
#pragma once

#include <pqxx/connection>
#include <string>

namespace inventory {

// pqxx's direct connection policy that also keeps the libpq handle it connected with.
class HandleKeepingConnect : public pqxx::connect_direct {
 public:
  explicit HandleKeepingConnect(const std::string& options) : pqxx::connect_direct(options) {}

  handle do_completeconnect(handle connection) override;
  handle do_dropconnect(handle connection) noexcept override;
  handle do_disconnect(handle connection) noexcept override;

  // The handle of the open session, or nullptr.
  handle Handle() const { return handle_; }

 private:
  handle handle_ = nullptr;
};

class PooledConnection : public pqxx::connection_base {
 public:
  // Connects at once, like pqxx::connection; throws pqxx::broken_connection when it cannot.
  explicit PooledConnection(const std::string& options);
  ~PooledConnection() noexcept;
  PooledConnection(const PooledConnection&) = delete;
  PooledConnection& operator=(const PooledConnection&) = delete;

  // True when the session is open and idle outside any transaction block, as libpq last heard
  // from the server (PQtransactionStatus: no round trip).
  bool OutsideTransaction() const;

  // Whether the citus extension is installed in the session's database, as the pool found it when
  // it opened the session (a later CREATE EXTENSION citus is seen by sessions opened after it).
  bool CitusInstalled() const { return citus_installed_; }
  void RememberCitusInstalled(bool installed) { citus_installed_ = installed; }

 private:
  // Declared before the policy, which keeps a reference to it (as pqxx::basic_connection_base).
  std::string options_;
  HandleKeepingConnect policy_;
  bool citus_installed_ = false;
};

}  // namespace inventory
