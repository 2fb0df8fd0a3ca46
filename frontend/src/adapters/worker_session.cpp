// worker_session.cpp: opening the session.
#include "adapters/worker_session.h"

namespace inventory {
namespace {

// A call may take statement_timeout and then the time to hear about it; without a statement
// timeout, the idle limit bounds it the same way.
std::chrono::milliseconds CallLimit(const SessionSettings& settings) {
  const auto base =
      settings.statement_timeout.count() > 0 ? settings.statement_timeout : settings.idle_timeout;
  return base.count() > 0 ? base + std::chrono::milliseconds(2000) : std::chrono::hours(24);
}

}  // namespace

WorkerSession::WorkerSession(const std::string& conninfo, const SessionSettings& settings,
                             CallWatchdog& watchdog, Reopen reopen)
    : conninfo_(SessionConnInfo(conninfo, settings)),
      call_limit_(CallLimit(settings)),
      watchdog_(watchdog),
      reopen_(reopen) {}

pqxx::connection& WorkerSession::Connection() {
  if (connection_)
    return *connection_;
  if (opened_before_ && reopen_ == Reopen::No)
    throw pqxx::broken_connection("the database session has ended, and with it what it held");
  connection_ = std::make_unique<pqxx::connection>(conninfo_);
  opened_before_ = true;
  // libpqxx 6 would otherwise reconnect by itself at the next transaction after a lost
  // connection, silently: a relay would go on as if it still held its lock.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
  connection_->inhibit_reactivation(true);
#pragma GCC diagnostic pop
  return *connection_;
}

}  // namespace inventory
