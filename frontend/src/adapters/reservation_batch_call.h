// reservation_batch_call.h: one reservation batch as one SQL call. A batch whose lines all name one
// product goes to inventory_reserve_batch(product_id, requests), which a database sharded by
// product with Citus sends whole to the node that holds the product (when the call is a statement
// of its own, outside a transaction block); any other batch goes to inventory_reserve_batch(requests).
// Both decide the requests alike (docs/sql-api.md).
#pragma once

#include <pqxx/transaction_base>
#include <vector>

#include "domain/reservation.h"
#include "domain/reservation_outcome.h"

namespace inventory {

// One outcome per request, in order; requests must not be empty.
std::vector<ReservationOutcome> CallReserveBatch(pqxx::transaction_base& session,
                                                 const std::vector<ReservationRequest>& requests);

}  // namespace inventory
