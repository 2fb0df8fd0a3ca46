// cdc_event_test.cpp: Debezium envelopes for products and order_items.
#include "domain/cdc_event.h"

#include <gtest/gtest.h>

using namespace inventory;

TEST(CdcEvent, ProductsUpsertSetsStock) {
  const auto level = DecodeProductChange(
      R"({"schema":{},"payload":{"op":"u","before":null,"after":{"id":7,"title":"Dune","stock":12}}})", "main");
  ASSERT_TRUE(level);
  EXPECT_EQ(level->product_id, "7");
  EXPECT_EQ(level->on_hand, 12);
  EXPECT_EQ(level->warehouse, "main");
  EXPECT_EQ(level->name.value_or(""), "Dune");
}

TEST(CdcEvent, DeletesAndTombstonesDoNothing) {
  EXPECT_FALSE(DecodeProductChange(R"({"op":"d","before":{"id":1},"after":null})", "main"));
  EXPECT_FALSE(DecodeProductChange("", "main"));
  EXPECT_FALSE(DecodeOrderItemInsert(R"({"op":"u","after":{"order_id":"o","product_id":"p","quantity":1}})"));
}

TEST(CdcEvent, OrderItemInsertReserves) {
  const auto event =
      DecodeOrderItemInsert(R"({"op":"c","after":{"id":1,"order_id":"o-9","book_id":"b-1","quantity":3}})");
  ASSERT_TRUE(event);
  EXPECT_EQ(event->action, OrderAction::Reserve);
  EXPECT_EQ(event->order_id, "o-9");
  ASSERT_EQ(event->lines.size(), 1u);
  EXPECT_EQ(event->lines[0].product_id, "b-1");
  EXPECT_EQ(event->lines[0].quantity, 3);
}

TEST(CdcEvent, RefusesBadEnvelopes) {
  EXPECT_THROW(DecodeProductChange("{", "main"), MalformedMessage);
  EXPECT_THROW(DecodeProductChange(R"({"after":{"id":1,"stock":1}})", "main"), MalformedMessage);
  EXPECT_THROW(DecodeProductChange(R"({"op":"c","after":{"id":1}})", "main"), MalformedMessage);
  EXPECT_THROW(DecodeProductChange(R"({"op":"c","after":{"id":1,"stock":-1}})", "main"), MalformedMessage);
  EXPECT_THROW(DecodeOrderItemInsert(R"({"op":"c","after":{"order_id":"o","product_id":"p","quantity":0}})"),
               MalformedMessage);
}
