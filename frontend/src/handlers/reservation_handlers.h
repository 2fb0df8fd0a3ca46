// reservation_handlers.h: the /v1/reservations, /v1/orders and /v1/admin routes.
#pragma once

#include "domain/inventory_service.h"
#include "handlers/router.h"
#include "observability/metrics.h"

namespace inventory {

void AddReservationRoutes(Router& router, InventoryService& service, Metrics& metrics);

}  // namespace inventory
