// consume_batch_json_test.cpp: the batch as inventory_consume_batch reads it: one object per
// message with its position, identity, content and decoded effect, and nothing PostgreSQL could
// refuse (NUL bytes, invalid UTF-8), so one odd message never fails a whole batch.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "consumer/postgres_order_event_store.h"

using namespace inventory;

namespace {
const InputTopics kTopics{OrderTopics{"order.created", {"order.paid"}, "order.cancelled", "order.shipped"},
                          std::string("catalogue.products"), std::nullopt, "main"};

nlohmann::json BatchOf(const std::vector<InboundMessage>& messages) {
  std::vector<DecodedMessage> batch;
  for (const auto& message : messages)
    batch.push_back(DecodeMessage(message, kTopics));
  return nlohmann::json::parse(ConsumeBatchJson(batch));
}
}  // namespace

TEST(ConsumeBatchJson, CarriesPositionIdentityAndEffect) {
  const auto batch = BatchOf(
      {InboundMessage{"order.created", 2, 40, std::string("k"),
                      R"({"orderId":"o-1","items":[{"productId":"p","quantity":2,"warehouse":"w"}]})"},
       InboundMessage{"order.paid", 0, 7, std::nullopt, R"({"orderId":"o-1"})"},
       InboundMessage{"catalogue.products", 1, 3, std::string("p"),
                      R"({"op":"u","after":{"id":"p","stock":5}})"},
       InboundMessage{"order.created", 2, 41, std::string("k"), "not json"}});
  ASSERT_EQ(batch.size(), 4u);
  EXPECT_EQ(batch[0]["topic"], "order.created");
  EXPECT_EQ(batch[0]["partition"], 2);
  EXPECT_EQ(batch[0]["offset"], 40);
  EXPECT_EQ(batch[0]["identity"], "order:o-1:created");
  EXPECT_EQ(batch[0]["action"], "reserve");
  EXPECT_EQ(batch[0]["lines"], nlohmann::json::parse(R"([{"product_id":"p","quantity":2,"warehouse":"w"}])"));
  EXPECT_TRUE(batch[1]["key"].is_null());
  EXPECT_EQ(batch[1]["action"], "confirm");
  EXPECT_FALSE(batch[1].contains("lines"));
  EXPECT_EQ(batch[2]["action"], "set_stock");
  EXPECT_EQ(batch[2]["stock"]["on_hand"], 5);
  EXPECT_EQ(batch[2]["identity"], "position:catalogue.products/1/3");
  EXPECT_FALSE(batch[3].contains("action"));
  EXPECT_NE(batch[3]["malformed"].get<std::string>().find("not JSON"), std::string::npos);
}

TEST(ConsumeBatchJson, NoNulAndNoInvalidUtf8ReachTheDatabase) {
  const std::string odd("a\0b\xff\xfe", 5);
  const std::string text = [&] {
    std::vector<DecodedMessage> batch;
    batch.push_back(DecodeMessage(InboundMessage{"order.created", 0, 1, odd, odd}, kTopics));
    batch.push_back(DecodeMessage(
        InboundMessage{"order.paid", 0, 2, std::nullopt, std::string(R"({"orderId":"o\u0000x"})")}, kTopics));
    return ConsumeBatchJson(batch);
  }();
  const auto batch = nlohmann::json::parse(text);
  // PostgreSQL's jsonb refuses a \u0000 escape, so no string may hold a NUL once parsed.
  for (const auto& message : batch) {
    for (const auto& [name, value] : message.items()) {
      if (value.is_string()) {
        EXPECT_EQ(value.get<std::string>().find('\0'), std::string::npos) << name;
      }
    }
  }
  EXPECT_NE(batch[0]["payload"].get<std::string>().find("\xEF\xBF\xBD"), std::string::npos);
  EXPECT_EQ(batch[1]["order_id"], "o\xEF\xBF\xBDx");
}
