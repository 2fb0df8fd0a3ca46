// reservation_lanes.h: which lane of the coalescer a reservation request joins. Requests for the
// same product must meet in one lane, so they share one batch (one lock and one commit for the
// product) instead of queueing on its row lock in several transactions. An order that spans
// products goes to the lane of its smallest product id; its other products may then be locked by
// another lane's batch, which costs a wait, never a deadlock (the database locks every batch's
// rows in one global order).
#pragma once

#include <cstddef>

#include "domain/reservation.h"

namespace inventory {

// A lane in [0, lane_count); request must have at least one line.
std::size_t LaneOf(const ReservationRequest& request, std::size_t lane_count);

}  // namespace inventory
