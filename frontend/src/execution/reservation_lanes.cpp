// reservation_lanes.cpp: lane = hash of the smallest product id, modulo the number of lanes.
#include "execution/reservation_lanes.h"

#include <functional>
#include <string>

namespace inventory {

std::size_t LaneOf(const ReservationRequest& request, std::size_t lane_count) {
  const std::string* smallest = &request.lines.front().product_id;
  for (const auto& line : request.lines) {
    if (line.product_id < *smallest)
      smallest = &line.product_id;
  }
  return std::hash<std::string>{}(*smallest) % lane_count;
}

}  // namespace inventory
