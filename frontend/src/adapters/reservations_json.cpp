// reservations_json.cpp: one Reservation per element of the array, field by field.
#include "adapters/reservations_json.h"

#include <nlohmann/json.hpp>

#include "adapters/json_timestamp.h"

namespace inventory {

// ReservationsFromJson reads each element's fields by the names of inventory_reservation's columns.
std::vector<Reservation> ReservationsFromJson(const std::string& text) {
  std::vector<Reservation> reservations;
  for (const auto& entry : nlohmann::json::parse(text)) {
    Reservation reservation;
    reservation.id = entry.at("reservation_id").get<std::string>();
    reservation.order_id = entry.at("order_id").get<std::string>();
    reservation.product_id = entry.at("product_id").get<std::string>();
    reservation.warehouse = entry.at("warehouse").get<std::string>();
    reservation.quantity = entry.at("quantity").get<std::int64_t>();
    reservation.status = entry.at("status").get<std::string>();
    if (!entry.at("expires_at").is_null())
      reservation.expires_at = UtcTimestampFromJson(entry.at("expires_at").get<std::string>());
    reservation.created_at = UtcTimestampFromJson(entry.at("created_at").get<std::string>());
    reservation.updated_at = UtcTimestampFromJson(entry.at("updated_at").get<std::string>());
    reservation.created = entry.at("created").get<bool>();
    reservations.push_back(std::move(reservation));
  }
  return reservations;
}

}  // namespace inventory
