// reservation_batch_mapping_test.cpp: the jsonb array sent to inventory_reserve_batch, and the
// reservations of a product-scoped batch (Citus) as to_jsonb writes them, with their timestamps.
// (The rows come back through libpqxx: test/database/reservation_batch_database_test.cpp maps both
// statements' rows from the real functions and compares them.)
#include "adapters/reservation_batch_mapping.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "adapters/json_timestamp.h"
#include "adapters/reservations_json.h"
#include "domain/domain_error.h"

namespace inventory {
namespace {

TEST(ReservationBatchMapping, RequestsBecomeTheRestBodyShapeWithTheirActor) {
  const std::vector<ReservationRequest> requests = {
      {"o-1", {{"p", std::nullopt, 2}, {"q", std::string("east"), 1}}, 600, std::string("alice")},
      {"o-2", {{"p", std::nullopt, 1}}, std::nullopt, std::nullopt},
  };
  const auto json = nlohmann::json::parse(BatchRequestsJson(requests));
  ASSERT_TRUE(json.is_array());
  ASSERT_EQ(json.size(), 2u);
  EXPECT_EQ(json[0], nlohmann::json::parse(R"({"order_id":"o-1","lines":[{"product_id":"p","quantity":2},
      {"product_id":"q","quantity":1,"warehouse":"east"}],"ttl_seconds":600,"actor":"alice"})"));
  EXPECT_EQ(json[1],
            nlohmann::json::parse(R"({"order_id":"o-2","lines":[{"product_id":"p","quantity":1}]})"));
}

TEST(ReservationBatchMapping, ReservationsOfAProductBatchComeFromTheirJson) {
  const auto reservations = ReservationsFromJson(R"([
      {"status": "active", "created": true, "order_id": "o1", "quantity": 2, "warehouse": "main",
       "created_at": "2026-11-30T08:54:33.262177+00:00", "expires_at": "2026-11-30T09:09:33.2+00:00",
       "product_id": "fp", "updated_at": "2026-11-30T08:54:33+00:00",
       "reservation_id": "1f5bc2b6-6af9-4b70-b102-6714123ec11d"},
      {"status": "confirmed", "created": false, "order_id": "o1", "quantity": 1, "warehouse": "east",
       "created_at": "2026-11-30T08:00:00.5+00:00", "expires_at": null, "product_id": "fp",
       "updated_at": "2026-11-30T08:10:00.5+00:00", "reservation_id": "2f5bc2b6-6af9-4b70-b102-6714123ec11d"}])");
  ASSERT_EQ(reservations.size(), 2u);
  EXPECT_EQ(reservations[0].id, "1f5bc2b6-6af9-4b70-b102-6714123ec11d");
  EXPECT_EQ(reservations[0].order_id, "o1");
  EXPECT_EQ(reservations[0].product_id, "fp");
  EXPECT_EQ(reservations[0].warehouse, "main");
  EXPECT_EQ(reservations[0].quantity, 2);
  EXPECT_EQ(reservations[0].status, "active");
  EXPECT_EQ(reservations[0].created_at, "2026-11-30T08:54:33.262177Z");
  EXPECT_EQ(reservations[0].expires_at, std::optional<std::string>("2026-11-30T09:09:33.200000Z"));
  EXPECT_EQ(reservations[0].updated_at, "2026-11-30T08:54:33.000000Z");
  EXPECT_TRUE(reservations[0].created);
  EXPECT_EQ(reservations[1].expires_at, std::nullopt);
  EXPECT_FALSE(reservations[1].created);
  EXPECT_EQ(reservations[1].warehouse, "east");
}

TEST(JsonTimestamp, OffsetsAreMovedToUtcAcrossDaysAndYears) {
  EXPECT_EQ(UtcTimestampFromJson("2026-11-30T09:54:33.2621+01:00"), "2026-11-30T08:54:33.262100Z");
  EXPECT_EQ(UtcTimestampFromJson("2026-12-31T20:30:00-03:30"), "2027-01-01T00:00:00.000000Z");
  EXPECT_EQ(UtcTimestampFromJson("2024-03-01T05:00:00.000001+05:45:30"), "2024-02-29T23:14:30.000001Z");
  EXPECT_EQ(UtcTimestampFromJson("2026-11-30T08:54:33+00"), "2026-11-30T08:54:33.000000Z");
}

TEST(JsonTimestamp, AnythingElseIsAnInternalError) {
  for (const std::string text :
       {"", "2026-11-30", "2026-11-30 08:54:33+00", "2026-11-30T08:54:33",
        "2026-11-30T08:54:33.1234567+00:00", "2026-11-30T08:54:33+00:00x", "infinity"}) {
    try {
      UtcTimestampFromJson(text);
      ADD_FAILURE() << "accepted \"" << text << "\"";
    } catch (const DomainError& error) {
      EXPECT_EQ(error.kind(), ErrorKind::Internal) << text;
    }
  }
}

}  // namespace
}  // namespace inventory
