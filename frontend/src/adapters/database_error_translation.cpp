// database_error_translation.cpp: SQLSTATE and libpqxx exception translation.
#include "adapters/database_error_translation.h"

#include <pqxx/except>

#include "adapters/connection_pool.h"

namespace inventory {

ErrorKind KindOfSqlState(const std::string& sqlstate) {
  if (sqlstate == "IN001")
    return ErrorKind::InsufficientStock;
  if (sqlstate == "IN002" || sqlstate == "IN003")
    return ErrorKind::NotFound;
  if (sqlstate == "IN004")
    return ErrorKind::InvalidTransition;
  if (sqlstate == "IN005")
    return ErrorKind::IdempotencyConflict;
  if (sqlstate == "IN006")
    return ErrorKind::BelowReserved;
  const std::string sqlstate_class = sqlstate.substr(0, 2);
  if (sqlstate_class == "22")
    return ErrorKind::InvalidValue;  // data exceptions: bad argument values
  if (sqlstate_class == "23")
    return ErrorKind::Conflict;  // constraint backstops of the tables
  // Unreachable, restarting, overloaded or timed out: the client may retry later.
  if (sqlstate_class == "08" || sqlstate_class == "53" || sqlstate_class == "57" || sqlstate_class == "40" ||
      sqlstate == "55P03" || sqlstate == "25006") {
    return ErrorKind::Unavailable;
  }
  return ErrorKind::Internal;
}

std::string PrimaryMessage(const std::string& message) {
  std::string text = message;
  for (const char* prefix : {"ERROR:  ", "FATAL:  "}) {
    if (text.rfind(prefix, 0) == 0)
      text = text.substr(std::string(prefix).size());
  }
  const auto end_of_line = text.find('\n');
  if (end_of_line != std::string::npos)
    text.resize(end_of_line);
  return text;
}

void TranslateDatabaseFailure(std::exception_ptr failure) {
  try {
    std::rethrow_exception(failure);
  } catch (const DomainError&) {
    throw;
  } catch (const PoolUnavailable& error) {
    throw DomainError(ErrorKind::Unavailable, error.what());
  } catch (const pqxx::broken_connection&) {
    throw DomainError(ErrorKind::Unavailable, "the database cannot be reached");
  } catch (const pqxx::in_doubt_error&) {
    throw DomainError(ErrorKind::Unavailable, "the database connection broke before the outcome was known");
  } catch (const pqxx::sql_error& error) {
    const ErrorKind kind = KindOfSqlState(error.sqlstate());
    if (kind == ErrorKind::Unavailable)
      throw DomainError(kind, "the database is unavailable: " + PrimaryMessage(error.what()));
    if (kind == ErrorKind::Internal) {
      throw DomainError(kind, "database error " + error.sqlstate() + ": " + PrimaryMessage(error.what()));
    }
    throw DomainError(kind, PrimaryMessage(error.what()));
  }
}

}  // namespace inventory
