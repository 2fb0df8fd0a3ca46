// reservation_batch_mapping.h: the two ends of an inventory_reserve_batch call: the requests as
// the jsonb array the function reads, and its rows as one outcome per request. A batch of many
// products comes back flattened, one row per reservation (or one per request without any), ordered
// by request index; a batch of one product comes back one row per request with its reservations as
// a jsonb array (the statement Citus can route has no join to flatten them). The SQL contract is in
// docs/sql-api.md; the statements' column lists in prepared_statements.cpp.
#pragma once

#include <pqxx/result>
#include <string>
#include <vector>

#include "domain/reservation.h"
#include "domain/reservation_outcome.h"

namespace inventory {

std::string BatchRequestsJson(const std::vector<ReservationRequest>& requests);
// The reservations of a request as to_jsonb(inventory_reservation[]) writes them.
std::vector<Reservation> ReservationsFromJson(const std::string& text);
// Throws DomainError(Internal) when the rows do not hold exactly one outcome per request.
std::vector<ReservationOutcome> OutcomesFromBatchRows(const pqxx::result& rows, std::size_t request_count);
// The same for statement::kReserveBatchOfProduct's rows.
std::vector<ReservationOutcome> OutcomesFromProductBatchRows(const pqxx::result& rows,
                                                             std::size_t request_count);

}  // namespace inventory
