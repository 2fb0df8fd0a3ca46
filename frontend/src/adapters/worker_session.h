// worker_session.h: the dedicated database session of a background worker (outbox relay, Kafka
// consumer, dead-letter publisher): its own connection, not the REST pool, opened lazily with the
// worker's session settings (adapters/session_settings.h). Every call first reads what the server
// may have sent meanwhile (so a session the server ended, for instance by idle_session_timeout,
// fails with the server's reason) and runs under the call watchdog with a deadline a little past
// statement_timeout. libpqxx's silent reconnection is turned off: a session that ends is either
// reopened explicitly on the next call (Reopen::Yes: consumer, dead letters) or stays ended, every
// later call failing (Reopen::No: the relay, whose leadership is the session's advisory lock).
// Used from one thread.
#pragma once

#include <chrono>
#include <exception>
#include <memory>
#include <pqxx/connection>
#include <pqxx/except>
#include <stdexcept>
#include <string>

#include "adapters/call_watchdog.h"
#include "adapters/session_settings.h"

namespace inventory {

class WorkerSession {
 public:
  enum class Reopen { Yes, No };

  WorkerSession(const std::string& conninfo, const SessionSettings& settings, CallWatchdog& watchdog,
                Reopen reopen = Reopen::Yes);

  // Runs work(connection) on the open session. A plain SQL error on a sound connection passes on
  // as it is; any other failure ends the session and passes on (as a broken connection naming the
  // watchdog when the call ran past its deadline).
  template <typename Work>
  auto Run(Work&& work) -> decltype(work(std::declval<pqxx::connection&>())) {
    pqxx::connection& connection = Connection();
    std::exception_ptr failure;
    bool still_sound = false;
    bool overdue = false;
    {
      // The guard ends before the connection may be closed, so its socket number is never reused
      // while the watchdog still knows it.
      const auto guard = watchdog_.Watch(connection.sock(), CallWatchdog::Clock::now() + call_limit_);
      try {
        connection.get_notifs();
        return work(connection);
      } catch (const pqxx::sql_error&) {
        failure = std::current_exception();
        still_sound = !guard.Fired() && connection.is_open();
      } catch (...) {
        failure = std::current_exception();
      }
      overdue = guard.Fired();
    }
    if (!still_sound)
      connection_.reset();
    if (overdue) {
      throw pqxx::broken_connection("no answer from the database within " +
                                    std::to_string(call_limit_.count()) + " ms; the connection was closed");
    }
    std::rethrow_exception(failure);
  }
  // Closes the connection (ending the session and whatever it holds).
  void Close() { connection_.reset(); }

 private:
  pqxx::connection& Connection();

  const std::string conninfo_;
  const std::chrono::milliseconds call_limit_;
  CallWatchdog& watchdog_;
  const Reopen reopen_;
  bool opened_before_ = false;
  std::unique_ptr<pqxx::connection> connection_;
};

}  // namespace inventory
