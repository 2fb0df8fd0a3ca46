// pooled_connection.cpp: connecting through a policy that remembers libpq's handle, and asking
// libpq for the session's transaction status.
#include "adapters/pooled_connection.h"

#include <libpq-fe.h>

namespace inventory {

HandleKeepingConnect::handle HandleKeepingConnect::do_completeconnect(handle connection) {
  handle_ = pqxx::connect_direct::do_completeconnect(connection);
  return handle_;
}

HandleKeepingConnect::handle HandleKeepingConnect::do_dropconnect(handle connection) noexcept {
  handle_ = pqxx::connect_direct::do_dropconnect(connection);
  return handle_;
}

HandleKeepingConnect::handle HandleKeepingConnect::do_disconnect(handle connection) noexcept {
  handle_ = pqxx::connect_direct::do_disconnect(connection);
  return handle_;
}

PooledConnection::PooledConnection(const std::string& options)
    : pqxx::connection_base(policy_), options_(options), policy_(options_) {
  init();
}

PooledConnection::~PooledConnection() noexcept {
  close();
}

bool PooledConnection::OutsideTransaction() const {
  const PGconn* session = policy_.Handle();
  return session != nullptr && PQstatus(session) == CONNECTION_OK && PQtransactionStatus(session) == PQTRANS_IDLE;
}

}  // namespace inventory
