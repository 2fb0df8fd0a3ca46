// batch_product_test.cpp: which batches go to the product-scoped inventory_reserve_batch.
#include "domain/batch_product.h"

#include <gtest/gtest.h>

#include "reservation_request_builder.h"

namespace inventory {
namespace {

TEST(BatchProduct, ABatchOfOneProductNamesIt) {
  EXPECT_EQ(OnlyProductOf({RequestOfProducts("o-1", {"hot"})}), std::optional<std::string>("hot"));
  EXPECT_EQ(OnlyProductOf({RequestOfProducts("o-1", {"hot"}), RequestOfProducts("o-2", {"hot", "hot"}),
                           RequestOfProducts("o-3", {"hot"})}),
            std::optional<std::string>("hot"));
}

TEST(BatchProduct, TwoProductsInOneRequestOrAcrossRequestsNameNone) {
  EXPECT_EQ(OnlyProductOf({RequestOfProducts("o-1", {"hot", "cold"})}), std::nullopt);
  EXPECT_EQ(OnlyProductOf({RequestOfProducts("o-1", {"hot"}), RequestOfProducts("o-2", {"cold"})}),
            std::nullopt);
  EXPECT_EQ(OnlyProductOf({RequestOfProducts("o-1", {"hot"}), RequestOfProducts("o-2", {"hot"}),
                           RequestOfProducts("o-3", {"hot", "cold"})}),
            std::nullopt);
}

TEST(BatchProduct, ProductIdsAreComparedExactly) {
  EXPECT_EQ(OnlyProductOf({RequestOfProducts("o-1", {"Hot"}), RequestOfProducts("o-2", {"hot"})}),
            std::nullopt);
  EXPECT_EQ(OnlyProductOf({RequestOfProducts("o-1", {"hot"}), RequestOfProducts("o-2", {"hot "})}),
            std::nullopt);
}

TEST(BatchProduct, AnEmptyBatchNamesNone) {
  EXPECT_EQ(OnlyProductOf({}), std::nullopt);
}

}  // namespace
}  // namespace inventory
