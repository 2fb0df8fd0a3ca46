// database_error_translation.h: the one place where database failures become domain errors. The
// SQLSTATEs of pg_inventory (class IN), invalid arguments (22xxx) and the ways a database can be
// unreachable each map to one ErrorKind; handlers/problem_mapper.cpp then picks the HTTP status.
#pragma once

#include <exception>
#include <string>

#include "domain/domain_error.h"

namespace inventory {

ErrorKind KindOfSqlState(const std::string& sqlstate);
// The first line of a libpq error message without its "ERROR:  " prefix.
std::string PrimaryMessage(const std::string& message);
// Rethrows failure as a DomainError (a DomainError passes through unchanged).
[[noreturn]] void TranslateDatabaseFailure(std::exception_ptr failure);

// Returns call(); whatever it throws leaves through TranslateDatabaseFailure.
template <typename Call>
auto Translated(Call&& call) {
  try {
    return call();
  } catch (...) {
    TranslateDatabaseFailure(std::current_exception());
  }
}

}  // namespace inventory
