// inventory_service_test.cpp: the use cases against an in-memory repository.
#include "domain/inventory_service.h"

#include <gtest/gtest.h>

#include "domain/page_cursor.h"
#include "fake_inventory_repository.h"

namespace inventory {
namespace {

class InventoryServiceTest : public ::testing::Test {
 protected:
  testing::FakeInventoryRepository repository;
  InventoryService service{repository};
};

TEST_F(InventoryServiceTest, ProductStockSumsWarehouses) {
  repository.Put("p", "east", 10, 3);
  repository.Put("p", "west", 5, 0);
  const auto stock = service.GetProductStock("p");
  EXPECT_EQ(stock.on_hand, 15);
  EXPECT_EQ(stock.reserved, 3);
  EXPECT_EQ(stock.available, 12);
  EXPECT_EQ(stock.warehouses.size(), 2u);
}

TEST_F(InventoryServiceTest, UnknownProductIsNotFound) {
  try {
    service.GetProductStock("ghost");
    FAIL();
  } catch (const DomainError& error) {
    EXPECT_EQ(error.kind(), ErrorKind::NotFound);
  }
}

TEST_F(InventoryServiceTest, ListStockPagesWithCursor) {
  for (const auto* product : {"a", "b", "c"})
    repository.Put(product, "main", 1);
  StockQuery query;
  query.limit = 2;
  const auto first = service.ListStock(query);
  ASSERT_EQ(first.items.size(), 2u);
  ASSERT_TRUE(first.next_cursor.has_value());
  query.after = DecodeStockCursor(*first.next_cursor);
  const auto second = service.ListStock(query);
  ASSERT_EQ(second.items.size(), 1u);
  EXPECT_EQ(second.items[0].product_id, "c");
  EXPECT_FALSE(second.next_cursor.has_value());
}

TEST_F(InventoryServiceTest, AvailabilityIsNeverAnErrorForShortStock) {
  repository.Put("p", "main", 3);
  const auto availability = service.CheckAvailability("p", 5, std::nullopt);
  EXPECT_FALSE(availability.in_stock);
  EXPECT_EQ(availability.available, 3);
  EXPECT_TRUE(service.CheckAvailability("p", 3, std::string("main")).in_stock);
}

TEST_F(InventoryServiceTest, InvalidValuesNeverReachTheRepository) {
  EXPECT_THROW(service.Restock("p", "main", -1, std::nullopt), DomainError);
  EXPECT_THROW(service.Adjust("p", "main", 0, "count"), DomainError);
  EXPECT_THROW(service.SetStock(StockUpsert{"p", "main", -4, {}, {}}), DomainError);
}

TEST_F(InventoryServiceTest, ReservationIdsThatAreNotUuidsAreNotFound) {
  try {
    service.GetReservation("not-a-uuid");
    FAIL();
  } catch (const DomainError& error) {
    EXPECT_EQ(error.kind(), ErrorKind::NotFound);
  }
}

TEST_F(InventoryServiceTest, OrderWithoutReservationsIsNotFound) {
  EXPECT_THROW(service.OrderReservations("none"), DomainError);
}

TEST_F(InventoryServiceTest, ImportRefusesDuplicatesAndBadRows) {
  EXPECT_THROW(service.Import({}), DomainError);
  EXPECT_THROW(service.Import({{"p", "main", 1, {}, {}}, {"p", "main", 2, {}, {}}}), DomainError);
  EXPECT_THROW(service.Import({{"p", "main", 1, {}, {}}, {"", "main", 2, {}, {}}}), DomainError);
  EXPECT_TRUE(repository.imported.empty());
  EXPECT_EQ(service.Import({{"p", "main", 1, {}, {}}, {"p", "east", 2, {}, {}}}), 2u);
}

TEST_F(InventoryServiceTest, ExpireBatchIsBounded) {
  EXPECT_THROW(service.ExpireReservations(0), DomainError);
  EXPECT_EQ(service.ExpireReservations(10), 0);
}

}  // namespace
}  // namespace inventory
