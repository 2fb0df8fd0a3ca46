// worker_session.cpp: opening the session.
#include "adapters/worker_session.h"

namespace inventory {
namespace {

// A call may take statement_timeout and then the time to hear about it; without a statement
// timeout, the idle limit bounds it the same way.
std::chrono::milliseconds CallLimit(const SessionSettings& settings) {
  const auto base = settings.statement_timeout.count() > 0 ? settings.statement_timeout : settings.idle_timeout;
  return base.count() > 0 ? base + std::chrono::milliseconds(2000) : std::chrono::hours(24);
}

}  // namespace

WorkerSession::WorkerSession(const std::string& conninfo, const SessionSettings& settings, CallWatchdog& watchdog)
    : conninfo_(SessionConnInfo(conninfo, settings)), call_limit_(CallLimit(settings)), watchdog_(watchdog) {}

pqxx::connection& WorkerSession::Connection() {
  if (!connection_ || !connection_->is_open()) {
    connection_.reset();
    connection_ = std::make_unique<pqxx::connection>(conninfo_);
  }
  return *connection_;
}

}  // namespace inventory
