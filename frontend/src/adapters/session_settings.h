// session_settings.h: the connection string of each kind of database session the service opens, so
// a DBA can tell them apart in pg_stat_activity (application_name inventory-svc-rest, -relay,
// -consumer, -dead-letters; a name given in DATABASE_URL is kept as the prefix) and so a session
// that stops making progress ends by itself: statement_timeout, idle_in_transaction_session_timeout,
// idle_session_timeout (the relay leader's lease: a frozen or cut-off leader's session, and with it
// its advisory lock, is ended by PostgreSQL) and TCP keepalives with tcp_user_timeout.
#pragma once

#include <chrono>
#include <string>

namespace inventory {

struct SessionSettings {
  std::string role;  // rest, relay, consumer, dead-letters
  int connect_timeout_seconds = 3;
  std::chrono::milliseconds statement_timeout{0};  // 0: left to the server's setting
  std::chrono::milliseconds idle_timeout{0};       // idle (in transaction) session limit; 0: none
};

// conninfo (URI or key/value string) as a key/value string with the session's settings added.
// Settings the caller wrote in conninfo win, except application_name, which gets the role appended.
// Throws std::invalid_argument when libpq cannot parse conninfo.
std::string SessionConnInfo(const std::string& conninfo, const SessionSettings& settings);

}  // namespace inventory
