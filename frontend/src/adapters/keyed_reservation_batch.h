// keyed_reservation_batch.h: a reservation batch whose requests carry Idempotency-Keys, decided in
// one transaction: the keys are claimed first (one round trip), requests whose key holds a response
// get it back, requests whose key is refused (another request, or one running now) get the
// refusal; the rest go to inventory_reserve_batch; the responses of the granted keyed requests are
// stored (one round trip) before the caller commits. So a keyed reservation and its stored response
// commit together or not at all. Two requests of one batch with the same key: the later one is
// refused as in use, like a repeat that arrives while its first request runs.
#pragma once

#include <pqxx/transaction_base>
#include <vector>

#include "domain/reservation.h"
#include "domain/reservation_outcome.h"

namespace inventory {

// One outcome per request, in order. The caller commits the transaction.
std::vector<ReservationOutcome> ReserveKeyedBatch(pqxx::transaction_base& transaction,
                                                  const std::vector<ReservationRequest>& requests);

}  // namespace inventory
