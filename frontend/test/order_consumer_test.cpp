// order_consumer_test.cpp: the consumer loop with a fake store and publisher: exactly-once apply,
// dead letters for malformed and refused messages, retries on database failures.
#include "consumer/order_consumer.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <set>

using namespace inventory;

namespace {

class FakeStore : public OrderEventStore {
 public:
  int failures_before_success = 0;
  std::optional<std::string> permanent_code;
  std::set<std::int64_t> claimed;
  std::vector<OrderEvent> applied;
  std::vector<std::string> dead_reasons;

  ApplyOutcome Apply(const MessagePosition& position, const OrderEvent& event) override {
    if (failures_before_success > 0) {
      --failures_before_success;
      throw std::runtime_error("connection refused");
    }
    if (!claimed.insert(position.offset).second)
      return ApplyOutcome::AlreadyApplied;
    if (permanent_code) {
      claimed.erase(position.offset);
      throw PermanentFailure(*permanent_code, "insufficient stock for p");
    }
    applied.push_back(event);
    return ApplyOutcome::Applied;
  }
  ApplyOutcome ApplyStockLevel(const MessagePosition&, const StockLevelChange&) override {
    return ApplyOutcome::Applied;
  }
  ApplyOutcome ClaimOnly(const MessagePosition& position) override {
    return claimed.insert(position.offset).second ? ApplyOutcome::Applied : ApplyOutcome::AlreadyApplied;
  }
  bool DeadLetter(const MessagePosition& position, const std::optional<std::string>&, const std::string&,
                  const std::string& reason, const std::string&, const std::function<void()>& before_commit) override {
    if (claimed.count(position.offset))
      return false;
    before_commit();
    claimed.insert(position.offset);
    dead_reasons.push_back(reason);
    return true;
  }
};

class FakePublisher : public MessagePublisher {
 public:
  std::vector<OutboundMessage> sent;
  std::vector<std::string> PublishAndWait(const std::vector<OutboundMessage>& messages) override {
    sent.insert(sent.end(), messages.begin(), messages.end());
    return std::vector<std::string>(messages.size());
  }
};

class NoSource : public MessageSource {
 public:
  std::optional<InboundMessage> Poll(std::chrono::milliseconds) override { return std::nullopt; }
  void Commit(const InboundMessage&) override {}
  void Close() override {}
  std::int64_t Lag() const override { return lag; }
  std::int64_t lag = 0;
};

struct Harness {
  FakeStore store;
  FakePublisher publisher;
  NoSource source;
  JsonLogger logger{LogLevel::Error, std::tmpfile()};
  OrderConsumer consumer{OrderConsumerSettings{"g",
                                               {"order.created", {"order.paid"}, "order.cancelled", "order.shipped"},
                                               "dlq",
                                               std::nullopt,
                                               std::nullopt,
                                               "main",
                                               std::chrono::milliseconds(5)},
                         source, store, publisher, logger};
  std::atomic<bool> stop{false};
};

InboundMessage Message(std::int64_t offset, const std::string& topic, const std::string& payload) {
  return InboundMessage{topic, 0, offset, std::string("k"), payload};
}

}  // namespace

TEST(OrderConsumer, AppliesOnceAndIgnoresRedelivery) {
  Harness h;
  const auto message = Message(1, "order.created", R"({"orderId":"o","items":[{"productId":"p","quantity":1}]})");
  EXPECT_TRUE(h.consumer.Process(message, h.stop));
  EXPECT_TRUE(h.consumer.Process(message, h.stop));
  EXPECT_EQ(h.store.applied.size(), 1u);
  EXPECT_TRUE(h.publisher.sent.empty());
}

TEST(OrderConsumer, MalformedGoesToDeadLetterTopicAndTable) {
  Harness h;
  EXPECT_TRUE(h.consumer.Process(Message(1, "order.created", "{oops"), h.stop));
  ASSERT_EQ(h.store.dead_reasons.size(), 1u);
  ASSERT_EQ(h.publisher.sent.size(), 1u);
  EXPECT_EQ(h.publisher.sent[0].topic, "dlq");
  EXPECT_EQ(h.publisher.sent[0].payload, "{oops");
  EXPECT_EQ(h.publisher.sent[0].headers[0].first, "dlq.reason");
  // The next message of the partition is still processed.
  EXPECT_TRUE(h.consumer.Process(Message(2, "order.cancelled", R"({"orderId":"o"})"), h.stop));
  EXPECT_EQ(h.store.applied.size(), 1u);
}

TEST(OrderConsumer, RefusedByTheDatabaseGoesToDeadLetter) {
  Harness h;
  h.store.permanent_code = "IN001";
  EXPECT_TRUE(h.consumer.Process(
      Message(1, "order.created", R"({"orderId":"o","items":[{"productId":"p","quantity":9}]})"), h.stop));
  ASSERT_EQ(h.store.dead_reasons.size(), 1u);
  EXPECT_EQ(h.store.dead_reasons[0], "insufficient stock for p");
  ASSERT_EQ(h.publisher.sent.size(), 1u);
  EXPECT_EQ(h.publisher.sent[0].headers[1].second, "IN001");
}

TEST(OrderConsumer, DatabaseFailuresAreRetriedNotSkipped) {
  Harness h;
  h.store.failures_before_success = 3;
  EXPECT_TRUE(h.consumer.Process(Message(1, "order.shipped", R"({"orderId":"o"})"), h.stop));
  EXPECT_EQ(h.store.applied.size(), 1u);
  EXPECT_TRUE(h.store.dead_reasons.empty());
}

TEST(OrderConsumer, StopDuringRetryLeavesTheMessageUnprocessed) {
  Harness h;
  h.store.failures_before_success = 1000;
  h.stop = true;
  EXPECT_FALSE(h.consumer.Process(Message(1, "order.shipped", R"({"orderId":"o"})"), h.stop));
  EXPECT_TRUE(h.store.applied.empty());
}

TEST(OrderConsumer, ExportsTheSourcesLag) {
  Harness h;
  h.source.lag = 7;
  EXPECT_NE(h.consumer.RenderMetrics().find("\ninventory_consumer_lag_messages 7\n"), std::string::npos);
}
