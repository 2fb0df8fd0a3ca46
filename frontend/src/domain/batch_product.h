// batch_product.h: the one product every line of a reservation batch names, if there is one. On a
// database sharded by product with Citus, such a batch goes to the product-scoped
// inventory_reserve_batch(product_id, requests), which Citus routes to the node that holds the
// product (adapters/reservation_batch_call.h); on one PostgreSQL the question is never asked.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "domain/reservation.h"

namespace inventory {

// The product when every line of every request names it; none for an empty batch or a mixed one.
std::optional<std::string> OnlyProductOf(const std::vector<ReservationRequest>& requests);

}  // namespace inventory
