// reservation_outcome.h: what became of one reservation request: its reservations (new, or the
// existing ones of an idempotent repeat), the error that refused it, or, for a request whose
// Idempotency-Key already holds a response, that stored response. Short stock carries the
// shortages the database saw when it decided.
#pragma once

#include <optional>
#include <utility>

#include "domain/domain_error.h"
#include "domain/idempotency_store.h"
#include "domain/reservation.h"

namespace inventory {

class ReservationOutcome {
 public:
  static ReservationOutcome Granted(ReserveResult result) {
    return ReservationOutcome(std::move(result), {});
  }
  static ReservationOutcome Refused(DomainError error) { return ReservationOutcome({}, std::move(error)); }
  static ReservationOutcome Replayed(StoredResponse response) {
    ReservationOutcome outcome({}, {});
    outcome.replayed_ = std::move(response);
    return outcome;
  }

  bool granted() const { return !error_.has_value() && !replayed_.has_value(); }
  // The stored first response of the request's Idempotency-Key; nothing ran now.
  const std::optional<StoredResponse>& replayed() const { return replayed_; }
  // The reservations; created_any is false for an idempotent repeat. Empty when refused.
  const ReserveResult& result() const { return result_; }
  // Why nothing was reserved; only when refused.
  const DomainError& error() const { return *error_; }

 private:
  ReservationOutcome(ReserveResult result, std::optional<DomainError> error)
      : result_(std::move(result)), error_(std::move(error)) {}

  ReserveResult result_;
  std::optional<DomainError> error_;
  std::optional<StoredResponse> replayed_;
};

}  // namespace inventory
