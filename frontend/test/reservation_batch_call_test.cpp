// reservation_batch_call_test.cpp: which statement a reservation batch goes to. On one PostgreSQL
// always the flattened one; on Citus the product-scoped one for a batch of one product. (The rows of
// both statements are compared on a real database by test/database/reservation_batch_database_test.cpp.)
#include "adapters/reservation_batch_call.h"

#include <gtest/gtest.h>

namespace inventory {
namespace {

ReservationRequest Request(const std::string& order_id, const std::vector<std::string>& products) {
  ReservationRequest request;
  request.order_id = order_id;
  for (const auto& product : products)
    request.lines.push_back({product, std::nullopt, 1});
  return request;
}

TEST(ReservationBatchCall, OnOnePostgresNoBatchIsRouted) {
  EXPECT_EQ(RoutingProduct(false, {Request("o-1", {"hot"})}), std::nullopt);
  EXPECT_EQ(RoutingProduct(false, {Request("o-1", {"hot"}), Request("o-2", {"hot"})}), std::nullopt);
  EXPECT_EQ(RoutingProduct(false, {Request("o-1", {"hot", "cold"})}), std::nullopt);
}

TEST(ReservationBatchCall, OnCitusABatchOfOneProductIsRoutedByIt) {
  EXPECT_EQ(RoutingProduct(true, {Request("o-1", {"hot"})}), std::optional<std::string>("hot"));
  EXPECT_EQ(RoutingProduct(true, {Request("o-1", {"hot"}), Request("o-2", {"hot", "hot"})}),
            std::optional<std::string>("hot"));
}

TEST(ReservationBatchCall, OnCitusABatchOfSeveralProductsIsNotRouted) {
  EXPECT_EQ(RoutingProduct(true, {Request("o-1", {"hot", "cold"})}), std::nullopt);
  EXPECT_EQ(RoutingProduct(true, {Request("o-1", {"hot"}), Request("o-2", {"cold"})}), std::nullopt);
}

}  // namespace
}  // namespace inventory
