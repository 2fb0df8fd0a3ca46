// reservation_outcome.h: what became of one reservation request: its reservations (new, or the
// existing ones of an idempotent repeat), or the error that refused it. Short stock carries the
// shortages the database saw when it decided.
#pragma once

#include <optional>
#include <utility>

#include "domain/domain_error.h"
#include "domain/reservation.h"

namespace inventory {

class ReservationOutcome {
 public:
  static ReservationOutcome Granted(ReserveResult result) {
    return ReservationOutcome(std::move(result), {});
  }
  static ReservationOutcome Refused(DomainError error) { return ReservationOutcome({}, std::move(error)); }

  bool granted() const { return !error_.has_value(); }
  // The reservations; created_any is false for an idempotent repeat. Empty when refused.
  const ReserveResult& result() const { return result_; }
  // Why nothing was reserved; only when refused.
  const DomainError& error() const { return *error_; }

 private:
  ReservationOutcome(ReserveResult result, std::optional<DomainError> error)
      : result_(std::move(result)), error_(std::move(error)) {}

  ReserveResult result_;
  std::optional<DomainError> error_;
};

}  // namespace inventory
