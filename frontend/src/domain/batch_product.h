// batch_product.h: the one product every line of a reservation batch names, if there is one. Such a
// batch goes to the product-scoped inventory_reserve_batch(product_id, requests), which a database
// sharded by product (Citus) routes to the node that holds the product; any other batch goes to
// inventory_reserve_batch(requests), which runs from the coordinator there. On one PostgreSQL the two
// decide alike (docs/sql-api.md).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "domain/reservation.h"

namespace inventory {

// The product when every line of every request names it; none for an empty batch or a mixed one.
std::optional<std::string> OnlyProductOf(const std::vector<ReservationRequest>& requests);

}  // namespace inventory
