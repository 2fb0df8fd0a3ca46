// worker_session.h: the dedicated database session of a background worker (outbox relay, Kafka
// consumer, dead-letter publisher): its own connection, not the REST pool, opened lazily with the
// worker's session settings (adapters/session_settings.h) and reopened after any failure, so a
// database restart heals by itself. Every call runs under the call watchdog with a deadline a
// little past statement_timeout. Used from one thread.
#pragma once

#include <chrono>
#include <exception>
#include <memory>
#include <pqxx/connection>
#include <pqxx/except>
#include <string>

#include "adapters/call_watchdog.h"
#include "adapters/session_settings.h"

namespace inventory {

class WorkerSession {
 public:
  WorkerSession(const std::string& conninfo, const SessionSettings& settings, CallWatchdog& watchdog);

  // Runs work(connection) on the open session; any exception drops the connection unless it is a
  // plain SQL error on a connection that is still sound, and passes on.
  template <typename Work>
  auto Run(Work&& work) -> decltype(work(std::declval<pqxx::connection&>())) {
    pqxx::connection& connection = Connection();
    std::exception_ptr failure;
    bool still_sound = false;
    {
      // The guard ends before the connection may be closed, so its socket number is never reused
      // while the watchdog still knows it.
      const auto guard = watchdog_.Watch(connection.sock(), CallWatchdog::Clock::now() + call_limit_);
      try {
        return work(connection);
      } catch (const pqxx::sql_error&) {
        failure = std::current_exception();
        still_sound = !guard.Fired() && connection.is_open();
      } catch (...) {
        failure = std::current_exception();
      }
    }
    if (!still_sound)
      connection_.reset();
    std::rethrow_exception(failure);
  }
  // Closes the connection (ending the session and whatever it holds).
  void Close() { connection_.reset(); }
  bool IsOpen() const { return connection_ && connection_->is_open(); }

 private:
  pqxx::connection& Connection();

  const std::string conninfo_;
  const std::chrono::milliseconds call_limit_;
  CallWatchdog& watchdog_;
  std::unique_ptr<pqxx::connection> connection_;
};

}  // namespace inventory
