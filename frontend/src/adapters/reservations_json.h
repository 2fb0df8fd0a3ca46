// reservations_json.h: a request's reservations as to_jsonb(inventory_reservation[]) writes them
// (the product-scoped batch statement returns them so, one array per request), read into the same
// Reservation values the flattened batch statement's columns give: timestamps in the service's UTC
// form (json_timestamp.h).
#pragma once

#include <string>
#include <vector>

#include "domain/reservation.h"

namespace inventory {

// Throws DomainError(Internal) on a timestamp that is not ISO 8601 with an offset, and
// nlohmann::json's errors on anything that is not such an array.
std::vector<Reservation> ReservationsFromJson(const std::string& text);

}  // namespace inventory
