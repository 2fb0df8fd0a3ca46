// order_consumer_test.cpp: the consumer loop with a fake store and source: batches of what is
// ready, one store call per batch, offsets committed only after the batch, database failures
// retried without skipping, regressions and outcomes in the metrics, housekeeping on its interval.
#include "consumer/order_consumer.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <thread>

#include "fake_messaging.h"

using namespace inventory;
using inventory::testing::FakeSource;

namespace {

class FakeStore : public OrderEventStore {
 public:
  int failures_before_success = 0;
  std::vector<std::vector<DecodedMessage>> batches;
  std::vector<MessageResult> next_results;  // used for the next batch when set
  int expiries = 0;
  int forgets = 0;
  int forget_answer = 0;

  std::vector<MessageResult> ApplyBatch(const std::string&, std::chrono::milliseconds,
                                        const std::vector<DecodedMessage>& batch) override {
    if (failures_before_success > 0) {
      --failures_before_success;
      throw std::runtime_error("connection refused");
    }
    batches.push_back(batch);
    if (!next_results.empty())
      return std::exchange(next_results, {});
    return std::vector<MessageResult>(batch.size());
  }
  ParkedSweep SweepParked(int) override {
    ++expiries;
    return {};
  }
  int ForgetConsumed(std::chrono::seconds, int max_rows) override {
    ++forgets;
    return forgets == 1 ? max_rows : forget_answer;
  }
};

struct Harness {
  FakeStore store;
  FakeSource source;
  JsonLogger logger{LogLevel::Error, std::tmpfile()};
  OrderConsumer consumer{
      OrderConsumerSettings{
          "g",
          InputTopics{OrderTopics{"order.created", {"order.paid"}, "order.cancelled", "order.shipped"},
                      std::nullopt, std::nullopt, "main"},
          3, std::chrono::minutes(10), std::chrono::hours(168), std::chrono::milliseconds(5),
          std::chrono::milliseconds(1000)},
      source, store, logger};
  std::atomic<bool> stop{false};
};

InboundMessage Message(std::int64_t offset, const std::string& topic, const std::string& payload,
                       int partition = 0) {
  return InboundMessage{topic, partition, offset, std::string("k"), payload};
}

const char* kCreated = R"({"orderId":"o","items":[{"productId":"p","quantity":1}]})";

}  // namespace

TEST(OrderConsumer, OneStoreCallPerBatchAndOffsetsCommittedAfterIt) {
  Harness h;
  const std::vector<InboundMessage> batch = {Message(7, "order.created", kCreated),
                                             Message(3, "order.paid", R"({"orderId":"o"})", 1),
                                             Message(8, "order.created", "{oops")};
  ASSERT_TRUE(h.consumer.Process(batch, h.stop));
  ASSERT_EQ(h.store.batches.size(), 1u);
  EXPECT_EQ(h.store.batches[0].size(), 3u);
  ASSERT_EQ(h.source.commits.size(), 1u);
  const ConsumedOffsets expected = {{{"order.created", 0}, 9}, {{"order.paid", 1}, 4}};
  EXPECT_EQ(h.source.commits[0], expected);
}

TEST(OrderConsumer, DecodesEachMessageForTheStore) {
  Harness h;
  ASSERT_TRUE(h.consumer.Process({Message(1, "order.created", kCreated), Message(2, "order.created", "{oops"),
                                  Message(3, "order.unknown", "{}")},
                                 h.stop));
  const auto& batch = h.store.batches.at(0);
  ASSERT_TRUE(batch[0].order_event);
  EXPECT_EQ(batch[0].identity.identity, "order:o:created");
  EXPECT_FALSE(batch[1].order_event);
  EXPECT_NE(batch[1].malformed_reason.value_or("").find("not JSON"), std::string::npos);
  EXPECT_EQ(batch[1].identity.identity, "position:order.created/0/2");
  EXPECT_EQ(batch[2].malformed_reason.value_or(""), "no action for topic order.unknown");
}

TEST(OrderConsumer, DatabaseFailuresAreRetriedNotSkipped) {
  Harness h;
  h.store.failures_before_success = 3;
  EXPECT_TRUE(h.consumer.Process({Message(1, "order.shipped", R"({"orderId":"o"})")}, h.stop));
  EXPECT_EQ(h.store.batches.size(), 1u);
  EXPECT_EQ(h.source.commits.size(), 1u);
  EXPECT_NE(h.consumer.RenderMetrics().find("\ninventory_consumer_retries_total 3\n"), std::string::npos);
}

TEST(OrderConsumer, StopDuringRetryCommitsNothing) {
  Harness h;
  h.store.failures_before_success = 1000;
  h.stop = true;
  EXPECT_FALSE(h.consumer.Process({Message(1, "order.shipped", R"({"orderId":"o"})")}, h.stop));
  EXPECT_TRUE(h.store.batches.empty());
  EXPECT_TRUE(h.source.commits.empty());
}

TEST(OrderConsumer, RunGathersWhatIsReadyUpToTheBatchSize) {
  Harness h;
  for (int i = 0; i < 7; ++i)
    h.source.ready.push_back(Message(i, "order.created", kCreated));
  std::thread runner([&h] { h.consumer.Run(h.stop); });
  for (int i = 0; i < 200 && h.store.batches.size() < 3; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  h.stop = true;
  runner.join();
  ASSERT_EQ(h.store.batches.size(), 3u);
  EXPECT_EQ(h.store.batches[0].size(), 3u);
  EXPECT_EQ(h.store.batches[2].size(), 1u);
  EXPECT_TRUE(h.source.closed);
}

TEST(OrderConsumer, OutcomesAndRegressionsAreCounted) {
  Harness h;
  MessageResult dead{MessageOutcome::DeadLetter, "IN001", "insufficient stock", false, 0};
  MessageResult regressed{MessageOutcome::Applied, "", "", true, 2};
  MessageResult parked{MessageOutcome::Parked, "", "waits", false, 0};
  h.store.next_results = {dead, regressed, parked};
  ASSERT_TRUE(
      h.consumer.Process({Message(1, "order.created", kCreated), Message(0, "order.created", kCreated, 2),
                          Message(5, "order.paid", R"({"orderId":"x"})")},
                         h.stop));
  const std::string metrics = h.consumer.RenderMetrics();
  EXPECT_NE(metrics.find("inventory_consumer_messages_total{outcome=\"dead_letter\"} 1\n"),
            std::string::npos);
  EXPECT_NE(metrics.find("inventory_consumer_messages_total{outcome=\"parked\"} 1\n"), std::string::npos);
  EXPECT_NE(metrics.find("inventory_consumer_messages_total{outcome=\"applied\"} 1\n"), std::string::npos);
  EXPECT_NE(metrics.find(
                "inventory_consumer_position_regressions_total{topic=\"order.created\",partition=\"2\"} 1\n"),
            std::string::npos);
  EXPECT_NE(metrics.find("inventory_consumer_parked_released_total 2\n"), std::string::npos);
}

TEST(OrderConsumer, HousekeepingRunsOnItsInterval) {
  Harness h;
  const auto start = std::chrono::steady_clock::now();
  h.consumer.Housekeeping(start);
  h.consumer.Housekeeping(start + std::chrono::milliseconds(500));
  EXPECT_EQ(h.store.expiries, 1);
  h.consumer.Housekeeping(start + std::chrono::milliseconds(1001));
  EXPECT_EQ(h.store.expiries, 2);
  // Forgetting goes on while full batches come back, then waits ten minutes.
  EXPECT_EQ(h.store.forgets, 2);
  h.consumer.Housekeeping(start + std::chrono::minutes(5));
  EXPECT_EQ(h.store.forgets, 2);
}

TEST(OrderConsumer, ExportsTheSourcesLag) {
  Harness h;
  h.source.lag = 7;
  EXPECT_NE(h.consumer.RenderMetrics().find("\ninventory_consumer_lag_messages 7\n"), std::string::npos);
}

TEST(OrderConsumer, TellsWhenABatchAppliedSomething) {
  FakeStore store;
  FakeSource source;
  JsonLogger logger{LogLevel::Error, std::tmpfile()};
  int rung = 0;
  OrderConsumerSettings settings;
  settings.consumer_group = "g";
  settings.topics.orders = OrderTopics{"order.created", {}, "c", "s"};
  OrderConsumer consumer{settings, source, store, logger, [&rung] { ++rung; }};
  std::atomic<bool> stop{false};
  ASSERT_TRUE(
      consumer.Process({Message(1, "order.created", kCreated), Message(2, "order.created", kCreated)}, stop));
  EXPECT_EQ(rung, 1);
  MessageResult duplicate;
  duplicate.outcome = MessageOutcome::Duplicate;
  store.next_results = {duplicate};
  ASSERT_TRUE(consumer.Process({Message(1, "order.created", kCreated)}, stop));
  EXPECT_EQ(rung, 1);
}
