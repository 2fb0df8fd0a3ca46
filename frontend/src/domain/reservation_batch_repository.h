// reservation_batch_repository.h: what the coalescer needs from storage: many reservation requests
// decided in one call and one transaction, each as if reserved alone, one after another in order.
// The PostgreSQL adapter implements it on inventory_reserve_batch; unit tests fake it.
#pragma once

#include <vector>

#include "domain/reservation.h"
#include "domain/reservation_outcome.h"

namespace inventory {

class ReservationBatchRepository {
 public:
  virtual ~ReservationBatchRepository() = default;

  // One outcome per request, in the requests' order. A request's refusal never fails the others.
  // Throws DomainError when the whole batch failed and nothing of it happened (Unavailable when
  // the database went away or timed out).
  virtual std::vector<ReservationOutcome> ReserveBatch(const std::vector<ReservationRequest>& requests) = 0;
};

}  // namespace inventory
