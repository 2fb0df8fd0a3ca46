// dead_letter_publisher_test.cpp: dead letters go to their topic with the original key, payload
// and dlq.* headers, are marked published when acknowledged, and are marked failed (with the
// reason and a growing backoff) when the topic refuses them.
#include "consumer/dead_letter_publisher.h"

#include <gtest/gtest.h>

#include <cstdio>

#include "fake_messaging.h"

using namespace inventory;
using inventory::testing::FakePublisher;

namespace {

class FakeDeadLetterStore : public DeadLetterStore {
 public:
  std::vector<DeadLetter> waiting;
  std::vector<std::int64_t> published;
  std::vector<std::int64_t> failed;
  std::vector<std::string> errors;
  std::vector<std::chrono::milliseconds> retry_afters;

  std::vector<DeadLetter> Claim(int, std::chrono::milliseconds) override {
    return std::exchange(waiting, {});
  }
  void MarkPublished(const std::vector<std::int64_t>& ids) override {
    published.insert(published.end(), ids.begin(), ids.end());
  }
  void MarkFailed(const std::vector<std::int64_t>& ids, const std::string& error,
                  std::chrono::milliseconds retry_after) override {
    failed.insert(failed.end(), ids.begin(), ids.end());
    errors.push_back(error);
    retry_afters.push_back(retry_after);
  }
  DeadLetterBacklog Backlog() override { return {}; }
};

DeadLetter Letter(std::int64_t id) {
  return DeadLetter{
      id, "g", "order.created", 2, 40 + id, std::string("k"), "not json", "payload is not JSON", "malformed"};
}

struct Harness {
  FakeDeadLetterStore store;
  FakePublisher publisher;
  JsonLogger logger{LogLevel::Error, std::tmpfile()};
  DeadLetterPublisher dead_letters{DeadLetterPublisherSettings{"dlq"}, store, publisher, logger};
};

}  // namespace

TEST(DeadLetterPublisher, PublishesWithTheOriginalKeyPayloadAndHeaders) {
  Harness h;
  h.store.waiting = {Letter(1), Letter(2)};
  EXPECT_EQ(h.dead_letters.PublishOnce(), 2);
  EXPECT_EQ(h.store.published, (std::vector<std::int64_t>{1, 2}));
  ASSERT_EQ(h.publisher.sent.size(), 2u);
  const auto& message = h.publisher.sent[0];
  EXPECT_EQ(message.topic, "dlq");
  EXPECT_EQ(message.key, "k");
  EXPECT_EQ(message.payload, "not json");
  const std::vector<std::pair<std::string, std::string>> headers = {{"dlq.reason", "payload is not JSON"},
                                                                    {"dlq.errorCode", "malformed"},
                                                                    {"dlq.topic", "order.created"},
                                                                    {"dlq.partition", "2"},
                                                                    {"dlq.offset", "41"},
                                                                    {"dlq.consumerGroup", "g"},
                                                                    {"dlq.deadLetterId", "1"}};
  EXPECT_EQ(message.headers, headers);
  EXPECT_NE(h.dead_letters.RenderMetrics().find("inventory_dead_letters_published_total 2\n"),
            std::string::npos);
}

TEST(DeadLetterPublisher, ARefusingTopicLeavesThemWaitingWithTheReason) {
  Harness h;
  h.publisher.refused_topics = {"dlq"};
  h.store.waiting = {Letter(1)};
  h.dead_letters.PublishOnce();
  h.store.waiting = {Letter(1)};
  h.dead_letters.PublishOnce();
  EXPECT_TRUE(h.store.published.empty());
  EXPECT_EQ(h.store.failed, (std::vector<std::int64_t>{1, 1}));
  EXPECT_EQ(h.store.errors[0], "Broker: Topic authorization failed");
  EXPECT_EQ(h.store.retry_afters,
            (std::vector<std::chrono::milliseconds>{std::chrono::seconds(1), std::chrono::seconds(2)}));
  EXPECT_NE(h.dead_letters.RenderMetrics().find("inventory_dead_letter_publish_failures_total 2\n"),
            std::string::npos);
  // Once the topic takes writes again they go out, and the backoff starts over.
  h.publisher.refused_topics.clear();
  h.store.waiting = {Letter(1)};
  h.dead_letters.PublishOnce();
  EXPECT_EQ(h.store.published, (std::vector<std::int64_t>{1}));
}

TEST(DeadLetterPublisher, ATimedOutDeliveryIsExplainedByTheTopicsMetadata) {
  Harness h;
  h.publisher.refused_topics = {"dlq"};
  h.publisher.topic_error = "Broker: Unknown topic or partition";
  h.store.waiting = {Letter(1)};
  h.dead_letters.PublishOnce();
  EXPECT_EQ(h.store.errors[0],
            "Broker: Topic authorization failed (the topic's metadata: Broker: Unknown topic or partition)");
  // A topic error that only repeats the delivery report's is not said twice.
  h.publisher.topic_error = "Broker: Topic authorization failed";
  h.store.waiting = {Letter(1)};
  h.dead_letters.PublishOnce();
  EXPECT_EQ(h.store.errors[1], "Broker: Topic authorization failed");
}

TEST(DeadLetterPublisher, NothingWaitingIsNoWork) {
  Harness h;
  EXPECT_EQ(h.dead_letters.PublishOnce(), 0);
  EXPECT_TRUE(h.publisher.sent.empty());
}
