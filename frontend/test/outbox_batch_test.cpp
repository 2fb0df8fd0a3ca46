// outbox_batch_test.cpp: outbox rows as Kafka messages, and which rows the relay acknowledges.
#include "relay/outbox_batch.h"

#include <gtest/gtest.h>

using namespace inventory;

namespace {
OutboxEvent Event(std::int64_t seq, const std::string& key) {
  return OutboxEvent{seq, "id-" + std::to_string(seq), "inventory.updated", key, "reserve", "{}", "main", seq, 0};
}

std::vector<std::string> EventIds(const std::vector<OutboxEvent>& events) {
  std::vector<std::string> ids;
  for (const auto& event : events)
    ids.push_back(event.event_id);
  return ids;
}
}  // namespace

TEST(OutboxBatch, MessageCarriesKeyAndEventIdHeader) {
  const auto message = ToOutboundMessage(Event(5, "prod-1"));
  EXPECT_EQ(message.topic, "inventory.updated");
  EXPECT_EQ(message.key, "prod-1");
  ASSERT_FALSE(message.headers.empty());
  EXPECT_EQ(message.headers[0].first, "eventId");
  EXPECT_EQ(message.headers[0].second, "id-5");
}

TEST(OutboxBatch, AcknowledgesDeliveredEventsOnly) {
  const std::vector<OutboxEvent> events = {Event(1, "a"), Event(2, "b"), Event(3, "a"), Event(4, "c"),
                                           Event(5, "b")};
  std::unordered_set<std::string> failed;
  EXPECT_EQ(EventIds(AcknowledgedEvents(events, {"", "", "", "", ""}, failed)),
            (std::vector<std::string>{"id-1", "id-2", "id-3", "id-4", "id-5"}));
  // b failed at its first event: its second (same product) waits, so the retry resends b's events in order.
  EXPECT_EQ(EventIds(AcknowledgedEvents(events, {"", "timed out", "", "", ""}, failed)),
            (std::vector<std::string>{"id-1", "id-3", "id-4"}));
  // ... and so do b's events in the batches that were in flight behind it.
  EXPECT_EQ(EventIds(AcknowledgedEvents({Event(6, "b"), Event(7, "a")}, {"", ""}, failed)),
            (std::vector<std::string>{"id-7"}));
}

TEST(OutboxBatch, ArrayLiteral) {
  EXPECT_EQ(BigintArrayLiteral({}), "{}");
  EXPECT_EQ(BigintArrayLiteral({1, 20, 300}), "{1,20,300}");
}

TEST(OutboxBatch, TextArrayLiteralQuotesEveryElement) {
  EXPECT_EQ(TextArrayLiteral({}), "{}");
  EXPECT_EQ(TextArrayLiteral({"prod-1", "a,b", "say \"hi\"", "back\\slash", "NULL", ""}),
            "{\"prod-1\",\"a,b\",\"say \\\"hi\\\"\",\"back\\\\slash\",\"NULL\",\"\"}");
}
