// reservation_intake.h: the one entry point for reservation requests, whoever sends them (REST
// POST /v1/reservations, Kafka order.created). Requests are checked, queued and decided in batches
// with other requests (execution/reservation_coalescer.h); the answer comes later, through done.
#pragma once

#include <functional>

#include "domain/reservation.h"
#include "domain/reservation_outcome.h"

namespace inventory {

struct ReservationSubmission {
  ReservationRequest request;  // request.actor is recorded in the ledger rows it writes
  // Called exactly once with the outcome: at once for an invalid request or a full queue, later
  // (from a database worker) otherwise. Must not block and must not throw.
  std::function<void(ReservationOutcome)> done;
  // Optional: returns false once nobody waits for the answer (the client hung up); such a request
  // is dropped before it reaches the database and done gets Unavailable.
  std::function<bool()> still_wanted;
};

class ReservationIntake {
 public:
  virtual ~ReservationIntake() = default;

  // Never blocks. Refusals (done called before Submit returns): InvalidValue for bad values,
  // Overloaded when the queue is full. Later: the database's outcome; Overloaded when the request
  // waited past its deadline; ClientGone when its client went away (nobody receives it);
  // Unavailable when the database failed or the service is shutting down. Overloaded and
  // Unavailable are worth retrying later with the same order_id (a repeat is idempotent).
  virtual void Submit(ReservationSubmission submission) = 0;
};

}  // namespace inventory
