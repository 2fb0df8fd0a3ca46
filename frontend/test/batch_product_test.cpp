// batch_product_test.cpp: which batches go to the product-scoped inventory_reserve_batch.
#include "domain/batch_product.h"

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

TEST(BatchProduct, ABatchOfOneProductNamesIt) {
  EXPECT_EQ(OnlyProductOf({Request("o-1", {"hot"})}), std::optional<std::string>("hot"));
  EXPECT_EQ(OnlyProductOf({Request("o-1", {"hot"}), Request("o-2", {"hot", "hot"}), Request("o-3", {"hot"})}),
            std::optional<std::string>("hot"));
}

TEST(BatchProduct, TwoProductsInOneRequestOrAcrossRequestsNameNone) {
  EXPECT_EQ(OnlyProductOf({Request("o-1", {"hot", "cold"})}), std::nullopt);
  EXPECT_EQ(OnlyProductOf({Request("o-1", {"hot"}), Request("o-2", {"cold"})}), std::nullopt);
  EXPECT_EQ(
      OnlyProductOf({Request("o-1", {"hot"}), Request("o-2", {"hot"}), Request("o-3", {"hot", "cold"})}),
      std::nullopt);
}

TEST(BatchProduct, ProductIdsAreComparedExactly) {
  EXPECT_EQ(OnlyProductOf({Request("o-1", {"Hot"}), Request("o-2", {"hot"})}), std::nullopt);
  EXPECT_EQ(OnlyProductOf({Request("o-1", {"hot"}), Request("o-2", {"hot "})}), std::nullopt);
}

TEST(BatchProduct, AnEmptyBatchNamesNone) {
  EXPECT_EQ(OnlyProductOf({}), std::nullopt);
}

}  // namespace
}  // namespace inventory
