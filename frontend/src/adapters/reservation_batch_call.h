// reservation_batch_call.h: one reservation batch as one SQL call, sent the way the session's
// database serves it best. On one PostgreSQL every batch is statement::kReserveBatch, the flattened
// call of inventory_reserve_batch(requests), and nothing else is looked at. On a database with the
// citus extension (the pool finds out once per session: pooled_connection.h), a batch whose lines
// all name one product is statement::kReserveBatchOfProduct, inventory_reserve_batch(product_id,
// requests) alone in its statement, which Citus sends whole to the worker that holds the product
// (docs/operations.md); other batches stay statement::kReserveBatch, which runs from the
// coordinator. Both decide alike and map to the same outcomes (reservation_batch_mapping.h).
#pragma once

#include <optional>
#include <pqxx/transaction_base>
#include <string>
#include <vector>

#include "domain/reservation.h"
#include "domain/reservation_outcome.h"

namespace inventory {

// The product a batch is routed by: only on Citus, and only when every line names that product.
std::optional<std::string> RoutingProduct(bool citus_installed,
                                          const std::vector<ReservationRequest>& requests);

// One outcome per request, in order; citus_installed is PooledConnection::CitusInstalled() of the
// session's connection, requests_json is BatchRequestsJson(requests), requests not empty.
std::vector<ReservationOutcome> CallReserveBatch(pqxx::transaction_base& session, bool citus_installed,
                                                 const std::vector<ReservationRequest>& requests,
                                                 const std::string& requests_json);

}  // namespace inventory
