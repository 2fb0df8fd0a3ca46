// reservation_batch_mapping_test.cpp: the jsonb array sent to inventory_reserve_batch. (Its rows
// come back through libpqxx; tests/flash reads them from the real function.)
#include "adapters/reservation_batch_mapping.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

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

}  // namespace
}  // namespace inventory
