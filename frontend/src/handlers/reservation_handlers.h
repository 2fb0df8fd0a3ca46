// reservation_handlers.h: the /v1/reservations, /v1/orders and /v1/admin routes.
#pragma once

#include "domain/inventory_service.h"
#include "domain/reservation_intake.h"
#include "handlers/router.h"
#include "observability/metrics.h"

namespace inventory {

// POST /v1/reservations goes to intake (decided in batches, answered when its batch returns); the
// other routes use service on a database worker.
void AddReservationRoutes(Router& router, InventoryService& service, ReservationIntake& intake,
                          Metrics& metrics);

}  // namespace inventory
