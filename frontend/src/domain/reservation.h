// reservation.h: reservation requests, reservations and the moves between their states.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace inventory {

struct ReservationLine {
  std::string product_id;
  std::optional<std::string> warehouse;  // none: take from the warehouses with most stock
  std::int64_t quantity = 0;
};

struct ReservationRequest {
  std::string order_id;
  std::vector<ReservationLine> lines;
  std::optional<std::int64_t> ttl_seconds;  // none: the database default
  std::optional<std::string> actor = std::nullopt;  // who asks, recorded in the ledger; none: not recorded
};

struct Reservation {
  std::string id;
  std::string order_id;
  std::string product_id;
  std::string warehouse;
  std::int64_t quantity = 0;
  std::string status;
  std::optional<std::string> expires_at;
  std::string created_at;
  std::string updated_at;
  bool created = false;  // true when the call that returned it made it
};

struct ReserveResult {
  std::vector<Reservation> reservations;
  bool created_any = false;  // false: an idempotent repeat that changed nothing
};

enum class Transition { Confirm, Release, Ship };

}  // namespace inventory
