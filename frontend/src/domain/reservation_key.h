// reservation_key.h: the Idempotency-Key of a reservation request that is decided in a batch with
// others. The batch claims the key and stores the response of a granted request in its own
// transaction, before it commits, so the reservation and its stored response commit together
// (adapters/keyed_reservation_batch.h). The response is rendered by whoever made the request, as
// its client will see it.
#pragma once

#include <functional>

#include "domain/idempotency_store.h"

namespace inventory {

class ReservationOutcome;

struct ReservationKey {
  IdempotencyClaim claim;
  // The response to store for a granted outcome (a refusal stores nothing: a retry runs again).
  std::function<StoredResponse(const ReservationOutcome&)> response_of;
};

}  // namespace inventory
