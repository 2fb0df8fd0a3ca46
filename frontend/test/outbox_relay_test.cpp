// outbox_relay_test.cpp: the relay against an in-memory outbox and publisher: leadership, the
// pipeline (the next batch is fetched, after the last one fetched, while earlier ones are in
// flight), acknowledgement in order per product, a new round from the start after a drain, and
// what a failing session does (purge, standby, lead again).
#include "relay/outbox_relay.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <map>
#include <mutex>
#include <thread>

#include "fake_messaging.h"

using namespace inventory;
using inventory::testing::FakePublisher;

namespace {

// The outbox table and the lock, shared by every session the factory makes.
struct FakeDatabase {
  std::mutex mutex;
  std::map<std::int64_t, OutboxEvent> outbox;
  int holder = 0;  // the session holding the lock, 0 for none
  std::vector<std::optional<std::int64_t>> fetches;
  std::vector<std::size_t> in_flight_at_fetch;
  int sessions = 0;
  int fail_next_calls = 0;
  FakePublisher* publisher = nullptr;

  void Add(std::int64_t seq, const std::string& key) {
    std::lock_guard<std::mutex> lock(mutex);
    outbox[seq] = OutboxEvent{
        seq, "id-" + std::to_string(seq), "inventory.updated", key, "inventory.updated", "{}", "main", seq,
        0};
  }
  std::size_t Size() {
    std::lock_guard<std::mutex> lock(mutex);
    return outbox.size();
  }
};

class FakeSession : public OutboxSession {
 public:
  FakeSession(FakeDatabase& database, int id) : database_(database), id_(id) {}
  ~FakeSession() override {
    std::lock_guard<std::mutex> lock(database_.mutex);
    if (database_.holder == id_)
      database_.holder = 0;
  }
  bool TryLead() override {
    std::lock_guard<std::mutex> lock(database_.mutex);
    Check();
    if (database_.holder == 0)
      database_.holder = id_;
    return database_.holder == id_;
  }
  std::vector<OutboxEvent> Fetch(std::optional<std::int64_t> after_seq, int max_rows) override {
    std::lock_guard<std::mutex> lock(database_.mutex);
    Check();
    database_.fetches.push_back(after_seq);
    database_.in_flight_at_fetch.push_back(database_.publisher->Pending());
    std::vector<OutboxEvent> events;
    for (auto it = after_seq ? database_.outbox.upper_bound(*after_seq) : database_.outbox.begin();
         it != database_.outbox.end() && static_cast<int>(events.size()) < max_rows; ++it)
      events.push_back(it->second);
    return events;
  }
  void Acknowledge(const std::vector<OutboxEvent>& events) override {
    std::lock_guard<std::mutex> lock(database_.mutex);
    Check();
    for (const auto& acknowledged : events) {
      for (auto it = database_.outbox.begin(); it != database_.outbox.end(); ++it) {
        if (it->second.event_id == acknowledged.event_id && it->second.key == acknowledged.key) {
          database_.outbox.erase(it);
          break;
        }
      }
    }
  }
  bool Listens() const override { return false; }
  void WaitForNews(std::chrono::milliseconds) override {}
  std::optional<OutboxBacklog> Backlog() override { return std::nullopt; }
  void Resign() override {
    std::lock_guard<std::mutex> lock(database_.mutex);
    if (database_.holder == id_)
      database_.holder = 0;
  }

 private:
  void Check() {
    if (database_.fail_next_calls > 0) {
      --database_.fail_next_calls;
      if (database_.holder == id_)
        database_.holder = 0;  // a lost session loses its lock
      throw std::runtime_error("server closed the connection unexpectedly");
    }
  }
  FakeDatabase& database_;
  int id_;
};

struct Harness {
  FakeDatabase database;
  FakePublisher publisher;
  JsonLogger logger{LogLevel::Error, std::tmpfile()};
  std::atomic<bool> stop{false};
  std::unique_ptr<OutboxRelay> relay;

  explicit Harness(int batch_size = 2,
                   std::chrono::milliseconds poll_interval = std::chrono::milliseconds(1)) {
    database.publisher = &publisher;
    relay = std::make_unique<OutboxRelay>(
        RelaySettings{batch_size, 2, poll_interval, std::chrono::milliseconds(5),
                      std::chrono::milliseconds(60000)},
        [this] {
          std::lock_guard<std::mutex> lock(database.mutex);
          return std::make_unique<FakeSession>(database, ++database.sessions);
        },
        publisher, logger);
  }
  // Runs the relay until done() holds (at most two seconds).
  template <typename Done>
  bool RunUntil(Done done) {
    std::thread runner([this] { relay->Run(stop); });
    bool reached = false;
    for (int i = 0; i < 400 && !reached; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
      reached = done();
    }
    stop = true;
    runner.join();
    return reached;
  }
};

}  // namespace

TEST(OutboxRelay, PublishesEverythingInSeqOrderAndDeletesIt) {
  Harness h;
  for (int seq = 1; seq <= 7; ++seq)
    h.database.Add(seq, seq % 2 ? "a" : "b");
  ASSERT_TRUE(h.RunUntil([&] { return h.database.Size() == 0; }));
  ASSERT_EQ(h.publisher.sent.size(), 7u);
  for (std::size_t i = 0; i < 7; ++i)
    EXPECT_EQ(h.publisher.sent[i].headers[0].second, "id-" + std::to_string(i + 1));
}

TEST(OutboxRelay, FetchesTheNextBatchWhileOneIsInFlightAndNeverTwice) {
  Harness h;
  for (int seq = 1; seq <= 6; ++seq)
    h.database.Add(seq, "p");
  h.publisher.hold_answers = true;
  std::thread answer([&h] {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    h.publisher.hold_answers = false;
  });
  ASSERT_TRUE(h.RunUntil([&] { return h.database.Size() == 0; }));
  answer.join();
  // The second fetch of the round starts after the first batch (seq 2), with it still in flight.
  ASSERT_GE(h.database.fetches.size(), 2u);
  EXPECT_FALSE(h.database.fetches[0]);
  EXPECT_EQ(h.database.fetches[1].value_or(-1), 2);
  EXPECT_EQ(h.database.in_flight_at_fetch[1], 2u);
  EXPECT_EQ(h.publisher.sent.size(), 6u);  // nothing sent twice
}

TEST(OutboxRelay, AfterADrainARoundStartsFromTheBeginning) {
  Harness h(10);
  h.database.Add(5, "p");
  std::thread late([&h] {
    std::this_thread::sleep_for(std::chrono::milliseconds(60));
    h.database.Add(3, "q");  // a transaction that took seq 3 commits after seq 5 was published
  });
  ASSERT_TRUE(h.RunUntil([&] { return h.publisher.SentCount() == 2 && h.database.Size() == 0; }));
  late.join();
  EXPECT_EQ(h.publisher.sent[1].key, "q");
}

TEST(OutboxRelay, ARefusedEventHoldsBackItsProductsLaterEvents) {
  Harness h;
  h.database.Add(1, "a");
  h.database.Add(2, "bad");
  h.database.Add(3, "a");
  h.database.Add(4, "bad");
  h.publisher.refused_keys = {"bad"};
  ASSERT_TRUE(h.RunUntil([&] { return h.database.Size() == 2; }));
  std::lock_guard<std::mutex> lock(h.database.mutex);
  EXPECT_EQ(h.database.outbox.count(2), 1u);
  EXPECT_EQ(h.database.outbox.count(4), 1u);
  EXPECT_NE(h.relay->RenderMetrics().find("inventory_relay_publish_failures_total 2"), std::string::npos);
}

TEST(OutboxRelay, ALostSessionPurgesTheProducerAndLeadsAgainLater) {
  Harness h;
  for (int seq = 1; seq <= 4; ++seq)
    h.database.Add(seq, "p");
  h.database.fail_next_calls = 0;
  std::thread breaker([&h] {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    std::lock_guard<std::mutex> lock(h.database.mutex);
    h.database.fail_next_calls = 1;
  });
  ASSERT_TRUE(h.RunUntil([&] {
    std::lock_guard<std::mutex> lock(h.database.mutex);
    return h.database.sessions >= 2 && h.database.outbox.empty();
  }));
  breaker.join();
  EXPECT_GE(h.publisher.purges, 1);
  EXPECT_NE(h.relay->RenderMetrics().find("inventory_relay_leadership_losses_total 1"), std::string::npos);
}

TEST(OutboxRelay, AStandbyPublishesNothingWhileAnotherLeads) {
  Harness h;
  h.database.holder = 999;  // another relay's session
  h.database.Add(1, "p");
  EXPECT_FALSE(h.RunUntil([&] { return h.publisher.SentCount() > 0; }));
  EXPECT_FALSE(h.relay->IsLeader());
  EXPECT_TRUE(h.database.fetches.empty());
}

TEST(OutboxRelay, ANudgeWakesAnIdleRelayBeforeItsNextPoll) {
  Harness h(10, std::chrono::seconds(30));
  std::thread committer([&h] {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    h.database.Add(1, "p");
    h.relay->Nudge();
  });
  // Polling alone would wait 30 s; the nudge gets the event out at once.
  EXPECT_TRUE(h.RunUntil([&] { return h.publisher.SentCount() == 1; }));
  committer.join();
}

TEST(OutboxRelay, ANudgeGetsNewEventsFetchedBehindABatchInFlight) {
  Harness h(10, std::chrono::seconds(30));
  h.database.Add(1, "p");
  h.publisher.hold_answers = true;  // the first batch stays in flight
  std::thread committer([&h] {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    h.database.Add(2, "q");
    h.relay->Nudge();
  });
  std::size_t unanswered = 0;
  EXPECT_TRUE(h.RunUntil([&] {
    if (h.publisher.SentCount() < 2)
      return false;
    unanswered = h.publisher.Pending();
    h.publisher.hold_answers = false;  // so the relay can finish when it stops
    return true;
  }));
  committer.join();
  EXPECT_EQ(unanswered, 2u);  // both handed over before Kafka answered the first
}
