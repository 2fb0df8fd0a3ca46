// order_event_test.cpp: decoding of order events (aliases, checks, topic mapping).
#include "domain/order_event.h"

#include <gtest/gtest.h>

using namespace inventory;

TEST(OrderEvent, DecodesOrderCreatedWithAliases) {
  const auto event = DecodeOrderEvent(
      OrderAction::Reserve,
      R"({"orderId":"o-1","eventId":"e-1","items":[{"productId":"p-1","quantity":2},)"
      R"({"bookId":42,"quantity":1,"warehouse":"east"},{"product_id":"p-3","quantity":5}]})");
  EXPECT_EQ(event.order_id, "o-1");
  EXPECT_EQ(event.event_id.value_or(""), "e-1");
  ASSERT_EQ(event.lines.size(), 3u);
  EXPECT_EQ(event.lines[0].product_id, "p-1");
  EXPECT_EQ(event.lines[0].quantity, 2);
  EXPECT_FALSE(event.lines[0].warehouse);
  EXPECT_EQ(event.lines[1].product_id, "42");
  EXPECT_EQ(event.lines[1].warehouse.value_or(""), "east");
  EXPECT_EQ(event.lines[2].product_id, "p-3");
}

TEST(OrderEvent, OtherActionsNeedOnlyTheOrder) {
  const auto event = DecodeOrderEvent(OrderAction::Confirm, R"({"orderId":123})");
  EXPECT_EQ(event.action, OrderAction::Confirm);
  EXPECT_EQ(event.order_id, "123");
  EXPECT_TRUE(event.lines.empty());
}

TEST(OrderEvent, RefusesMalformedPayloads) {
  const char* bad[] = {
      "not json",
      "[1,2]",
      R"({"items":[{"productId":"p","quantity":1}]})",
      R"({"orderId":"","items":[{"productId":"p","quantity":1}]})",
      R"({"orderId":"o"})",
      R"({"orderId":"o","items":[]})",
      R"({"orderId":"o","items":[{"quantity":1}]})",
      R"({"orderId":"o","items":[{"productId":"p"}]})",
      R"({"orderId":"o","items":[{"productId":"p","quantity":0}]})",
      R"({"orderId":"o","items":[{"productId":"p","quantity":1.5}]})",
      R"({"orderId":"o","items":[{"productId":"p","quantity":"2"}]})",
      R"({"orderId":"o","items":[{"productId":"p","quantity":1,"warehouse":7}]})",
      R"({"orderId":"o","items":["p"]})",
  };
  for (const char* payload : bad)
    EXPECT_THROW(DecodeOrderEvent(OrderAction::Reserve, payload), MalformedMessage) << payload;
  EXPECT_THROW(DecodeOrderEvent(OrderAction::Release, R"({"order":"o"})"), MalformedMessage);
}

TEST(OrderEvent, MapsTopicsToActions) {
  const OrderTopics topics{"order.created", {"order.confirmed", "order.paid"}, "order.cancelled", "order.shipped"};
  EXPECT_EQ(topics.ActionOf("order.created"), OrderAction::Reserve);
  EXPECT_EQ(topics.ActionOf("order.paid"), OrderAction::Confirm);
  EXPECT_EQ(topics.ActionOf("order.confirmed"), OrderAction::Confirm);
  EXPECT_EQ(topics.ActionOf("order.cancelled"), OrderAction::Release);
  EXPECT_EQ(topics.ActionOf("order.shipped"), OrderAction::Ship);
  EXPECT_FALSE(topics.ActionOf("order.unknown"));
  EXPECT_EQ(topics.All().size(), 5u);
}

TEST(OrderEvent, BoundsTheIdsThatMakeTheIdentity) {
  const std::string long_id(201, 'x');
  EXPECT_THROW(DecodeOrderEvent(OrderAction::Confirm, R"({"orderId":")" + long_id + R"("})"), MalformedMessage);
  EXPECT_THROW(DecodeOrderEvent(OrderAction::Confirm, R"({"orderId":"o","eventId":")" + long_id + R"("})"),
               MalformedMessage);
  EXPECT_EQ(DecodeOrderEvent(OrderAction::Confirm, R"({"orderId":")" + std::string(200, 'x') + R"("})").order_id.size(),
            200u);
}
