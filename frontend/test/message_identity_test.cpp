// message_identity_test.cpp: what counts as the same message: identity from eventId or order id and
// kind, content from the decoded effect (not the payload's wording), position identity for the rest.
#include "domain/message_identity.h"

#include <gtest/gtest.h>

#include "consumer/decoded_message.h"

using namespace inventory;

namespace {
const InputTopics kTopics{
    OrderTopics{"order.created", {"order.confirmed", "order.paid"}, "order.cancelled", "order.shipped"},
    std::string("catalogue.products"), std::nullopt, "main"};

MessageIdentity Of(const std::string& topic, const std::string& payload, std::int64_t offset = 1) {
  return DecodeMessage(InboundMessage{topic, 0, offset, std::string("k"), payload}, kTopics).identity;
}
}  // namespace

TEST(MessageIdentity, AnEventIdIsTheIdentity) {
  EXPECT_EQ(Of("order.paid", R"({"orderId":"o-1","eventId":"e-9"})").identity, "event:e-9");
}

TEST(MessageIdentity, WithoutEventIdTheOrderAndItsKind) {
  EXPECT_EQ(Of("order.created", R"({"orderId":"o-1","items":[{"productId":"p","quantity":1}]})").identity,
            "order:o-1:created");
  EXPECT_EQ(Of("order.paid", R"({"orderId":"o-1"})").identity, "order:o-1:confirmed");
  EXPECT_EQ(Of("order.confirmed", R"({"orderId":"o-1"})").identity, "order:o-1:confirmed");
  EXPECT_EQ(Of("order.cancelled", R"({"orderId":7})").identity, "order:7:cancelled");
  EXPECT_EQ(Of("order.shipped", R"({"orderId":"o-1","eventId":""})").identity, "order:o-1:shipped");
}

TEST(MessageIdentity, ContentIsTheDecodedEffectNotThePayloadsWording) {
  const auto a =
      Of("order.created", R"({"orderId":"o","items":[{"productId":"p","quantity":2}],"at":"10:00"})");
  const auto b = Of("order.created", R"({"order_id":"o","lines":[{"product_id":"p","quantity":2}]})", 99);
  EXPECT_EQ(a.identity, b.identity);
  EXPECT_EQ(a.content, b.content);
  const auto c = Of("order.created", R"({"orderId":"o","items":[{"productId":"p","quantity":3}]})");
  EXPECT_EQ(a.identity, c.identity);
  EXPECT_NE(a.content, c.content);
  const auto d =
      Of("order.created", R"({"orderId":"o","items":[{"productId":"p","quantity":2,"warehouse":"w"}]})");
  EXPECT_NE(a.content, d.content);
}

TEST(MessageIdentity, SameEventIdWithOtherContentDiffers) {
  const auto a = Of("order.paid", R"({"orderId":"o-1","eventId":"e"})");
  const auto b = Of("order.cancelled", R"({"orderId":"o-1","eventId":"e"})");
  EXPECT_EQ(a.identity, b.identity);
  EXPECT_NE(a.content, b.content);
}

TEST(MessageIdentity, UndecodableAndCdcMessagesAreKnownByPositionAndContent) {
  const auto bad = Of("order.created", "not json", 12);
  EXPECT_EQ(bad.identity, "position:order.created/0/12");
  EXPECT_EQ(bad.content, "key:k\nnot json");
  const auto cdc = Of("catalogue.products", R"({"op":"c","after":{"id":"p","stock":5}})", 3);
  EXPECT_EQ(cdc.identity, "position:catalogue.products/0/3");
  EXPECT_NE(IdentityOfPosition("t", 0, 1, std::nullopt, "x").content,
            IdentityOfPosition("t", 0, 1, std::string(""), "x").content);
}
