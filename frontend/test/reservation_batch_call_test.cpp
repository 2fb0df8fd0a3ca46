// reservation_batch_call_test.cpp: which statement a reservation batch goes to. On one PostgreSQL
// always the flattened one; on Citus the product-scoped one for a batch of one product. (The rows of
// both statements are compared on a real database by test/database/reservation_batch_database_test.cpp.)
#include "adapters/reservation_batch_call.h"

#include <gtest/gtest.h>

#include "reservation_request_builder.h"

namespace inventory {
namespace {

TEST(ReservationBatchCall, OnOnePostgresNoBatchIsRouted) {
  EXPECT_EQ(RoutingProduct(false, {RequestOfProducts("o-1", {"hot"})}), std::nullopt);
  EXPECT_EQ(RoutingProduct(false, {RequestOfProducts("o-1", {"hot"}), RequestOfProducts("o-2", {"hot"})}),
            std::nullopt);
  EXPECT_EQ(RoutingProduct(false, {RequestOfProducts("o-1", {"hot", "cold"})}), std::nullopt);
}

TEST(ReservationBatchCall, OnCitusABatchOfOneProductIsRoutedByIt) {
  EXPECT_EQ(RoutingProduct(true, {RequestOfProducts("o-1", {"hot"})}), std::optional<std::string>("hot"));
  EXPECT_EQ(
      RoutingProduct(true, {RequestOfProducts("o-1", {"hot"}), RequestOfProducts("o-2", {"hot", "hot"})}),
      std::optional<std::string>("hot"));
}

TEST(ReservationBatchCall, OnCitusABatchOfSeveralProductsIsNotRouted) {
  EXPECT_EQ(RoutingProduct(true, {RequestOfProducts("o-1", {"hot", "cold"})}), std::nullopt);
  EXPECT_EQ(RoutingProduct(true, {RequestOfProducts("o-1", {"hot"}), RequestOfProducts("o-2", {"cold"})}),
            std::nullopt);
}

}  // namespace
}  // namespace inventory
