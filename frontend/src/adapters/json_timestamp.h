// json_timestamp.h: a timestamptz as PostgreSQL writes it in JSON (ISO 8601 with the session's UTC
// offset, fractional seconds without trailing zeros: "2026-11-30T09:54:33.2621+01:00") turned into
// the service's form, UTC with microseconds ("2026-11-30T08:54:33.262100Z"), the form every other
// statement produces with to_char (prepared_statements.cpp).
#pragma once

#include <string>

namespace inventory {

// Throws DomainError(Internal) when text is not such a timestamp.
std::string UtcTimestampFromJson(const std::string& text);

}  // namespace inventory
