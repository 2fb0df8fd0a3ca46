// reservation_batch_mapping.h: the two ends of an inventory_reserve_batch call: the requests as
// the jsonb array the function reads, and its rows (one per reservation, or one per request
// without any, ordered by request index) as one outcome per request. The SQL contract is in
// docs/sql-api.md; the statement's column list in prepared_statements.cpp.
#pragma once

#include <pqxx/result>
#include <string>
#include <vector>

#include "domain/reservation.h"
#include "domain/reservation_outcome.h"

namespace inventory {

std::string BatchRequestsJson(const std::vector<ReservationRequest>& requests);
// Throws DomainError(Internal) when the rows do not hold exactly one outcome per request.
std::vector<ReservationOutcome> OutcomesFromBatchRows(const pqxx::result& rows, std::size_t request_count);

}  // namespace inventory
