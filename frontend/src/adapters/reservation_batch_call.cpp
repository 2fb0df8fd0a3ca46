// reservation_batch_call.cpp: the session's Citus flag first (no work on one PostgreSQL), then the
// batch's products, then the statement and its mapping.
#include "adapters/reservation_batch_call.h"

#include "adapters/prepared_statements.h"
#include "adapters/reservation_batch_mapping.h"
#include "domain/batch_product.h"

namespace inventory {

// RoutingProduct asks for the batch's one product only when the database is sharded by Citus.
std::optional<std::string> RoutingProduct(bool citus_installed,
                                          const std::vector<ReservationRequest>& requests) {
  if (!citus_installed)
    return std::nullopt;
  return OnlyProductOf(requests);
}

// CallReserveBatch runs the product-scoped statement for a routable batch, the flattened one otherwise.
std::vector<ReservationOutcome> CallReserveBatch(pqxx::transaction_base& session, bool citus_installed,
                                                 const std::vector<ReservationRequest>& requests,
                                                 const std::string& requests_json) {
  if (const auto product = RoutingProduct(citus_installed, requests)) {
    return OutcomesFromProductBatchRows(
        session.exec_prepared(statement::kReserveBatchOfProduct, *product, requests_json), requests.size());
  }
  return OutcomesFromBatchRows(session.exec_prepared(statement::kReserveBatch, requests_json),
                               requests.size());
}

}  // namespace inventory
