// reservation_request_builder.h: a reservation request of one unit per named product, for the unit
// tests of how batches are routed (which only look at the products a batch names).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "domain/reservation.h"

namespace inventory {

// A request of order_id reserving one unit of each product, in no named warehouse.
inline ReservationRequest RequestOfProducts(const std::string& order_id,
                                            const std::vector<std::string>& products) {
  ReservationRequest request;
  request.order_id = order_id;
  for (const auto& product : products)
    request.lines.push_back({product, std::nullopt, 1});
  return request;
}

}  // namespace inventory
