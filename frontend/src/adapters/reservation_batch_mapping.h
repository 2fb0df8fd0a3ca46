// reservation_batch_mapping.h: the two ends of an inventory_reserve_batch call: the requests as
// the jsonb array the function reads, and its rows as one outcome per request. The statement of
// every batch on one PostgreSQL returns them flattened: one row per reservation (or one per request
// without any), ordered by request index. The product-scoped statement, sent on Citus for a batch of
// one product (reservation_batch_call.h), returns one row per request with its reservations as one
// jsonb array, since a join to flatten them would keep Citus from routing it; both map to the same
// outcomes. The SQL contract is in docs/sql-api.md; the statements' column lists in
// prepared_statements.cpp.
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
// The same for statement::kReserveBatchOfProduct's rows.
std::vector<ReservationOutcome> OutcomesFromProductBatchRows(const pqxx::result& rows,
                                                             std::size_t request_count);

}  // namespace inventory
