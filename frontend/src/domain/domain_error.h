// domain_error.h: the failures a caller of the inventory can see, as one typed exception. Adapters
// turn database errors into these; handlers/problem_mapper.cpp turns these into HTTP responses.
#pragma once

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace inventory {

enum class ErrorKind {
  MalformedRequest,      // the request cannot be read (bad JSON, bad encoding)
  InvalidValue,          // readable, but a value is missing, of the wrong type or out of range
  NotFound,              // unknown product, warehouse, reservation, order or route
  MethodNotAllowed,      // the route exists, not with this method
  InsufficientStock,     // not enough available stock for a reservation
  InvalidTransition,     // a reservation cannot move to the requested state
  IdempotencyConflict,   // a repeated reservation asks for something different
  IdempotencyKeyReused,  // an Idempotency-Key sent again with a different request
  IdempotencyKeyInUse,   // an Idempotency-Key whose first request is still running
  BelowReserved,         // a stock change would leave on_hand below what is reserved
  Conflict,              // any other clash with the current state of the data
  PayloadTooLarge,       // the body exceeds the configured limit
  UnsupportedMediaType,  // the body's content type is not one the route reads
  Unavailable,           // the database cannot be reached right now; retry later
  Overloaded,            // shed: too much waiting already (queue full, waited too long); retry later
  ClientGone,            // the client hung up before its request ran: nobody receives the answer
  Internal,              // a defect of the service itself
};

// One short line of a refused reservation.
struct Shortage {
  std::string product_id;
  std::optional<std::string> warehouse;
  std::int64_t requested = 0;
  std::int64_t available = 0;
};

class DomainError : public std::runtime_error {
 public:
  DomainError(ErrorKind kind, const std::string& detail, std::vector<Shortage> shortages = {});

  ErrorKind kind() const noexcept { return kind_; }
  const std::vector<Shortage>& shortages() const noexcept { return shortages_; }

 private:
  ErrorKind kind_;
  std::vector<Shortage> shortages_;
};

}  // namespace inventory
