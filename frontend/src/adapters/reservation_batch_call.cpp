// reservation_batch_call.cpp: pick the statement by the batch's products, map its rows.
#include "adapters/reservation_batch_call.h"

#include "adapters/prepared_statements.h"
#include "adapters/reservation_batch_mapping.h"
#include "domain/batch_product.h"

namespace inventory {

std::vector<ReservationOutcome> CallReserveBatch(pqxx::transaction_base& session,
                                                 const std::vector<ReservationRequest>& requests) {
  const std::string requests_json = BatchRequestsJson(requests);
  if (const auto product = OnlyProductOf(requests)) {
    return OutcomesFromProductBatchRows(
        session.exec_prepared(statement::kReserveBatchOfProduct, *product, requests_json), requests.size());
  }
  return OutcomesFromBatchRows(session.exec_prepared(statement::kReserveBatch, requests_json),
                               requests.size());
}

}  // namespace inventory
