// reservation_coalescer_test.cpp: batch formation (a lone request leaves at once, later ones wait
// for the lane's batch and leave together in arrival order, up to the bound), lanes, shedding,
// deadlines, clients that hang up, whole-batch failures and a stopped executor. A manual job
// runner decides when a batch "returns from the database"; a fake clock moves time; a last test
// runs the real executor with many threads.
#include "execution/reservation_coalescer.h"

#include <gtest/gtest.h>

#include <atomic>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "execution/bounded_executor.h"
#include "execution/reservation_lanes.h"
#include "fake_clock.h"
#include "fake_inventory_repository.h"
#include "manual_job_runner.h"

namespace inventory {
namespace {

using Orders = std::vector<std::string>;

class CoalescerTest : public ::testing::Test {
 protected:
  CoalescerTest() { repository.Put("hot", "main", 1000); }

  // Submits a one-line order for product and records its outcome under order_id.
  void Submit(const std::string& order_id, const std::string& product = "hot", std::int64_t quantity = 1,
              std::function<bool()> still_wanted = nullptr) {
    coalescer.Submit(
        ReservationSubmission{ReservationRequest{order_id, {{product, std::nullopt, quantity}}, std::nullopt},
                              [this, order_id](ReservationOutcome outcome) {
                                answered.push_back(order_id);
                                outcomes.emplace(order_id, std::move(outcome));
                              },
                              std::move(still_wanted)});
  }
  ErrorKind KindOf(const std::string& order_id) const { return outcomes.at(order_id).error().kind(); }

  testing::FakeInventoryRepository repository;
  testing::ManualJobRunner runner;
  testing::FakeClock clock;
  CoalescerSettings settings{1, 3, 5, std::chrono::milliseconds(100)};
  ReservationCoalescer coalescer{repository, runner, clock, settings};
  Orders answered;
  std::map<std::string, ReservationOutcome> outcomes;
};

TEST_F(CoalescerTest, ALoneRequestLeavesAtOnceAlone) {
  Submit("a");
  ASSERT_EQ(runner.Pending(), 1u);  // handed on without waiting for anything
  runner.RunNext();
  EXPECT_EQ(repository.batches, (std::vector<Orders>{{"a"}}));
  ASSERT_TRUE(outcomes.at("a").granted());
  EXPECT_TRUE(outcomes.at("a").result().created_any);
  EXPECT_EQ(runner.Pending(), 0u);
}

TEST_F(CoalescerTest, RequestsArrivingDuringABatchLeaveTogetherInArrivalOrder) {
  Submit("a");
  Submit("b");
  Submit("c");
  EXPECT_EQ(runner.Pending(), 1u);  // b and c wait for a's batch
  runner.RunNext();
  ASSERT_EQ(runner.Pending(), 1u);
  runner.RunNext();
  EXPECT_EQ(repository.batches, (std::vector<Orders>{{"a"}, {"b", "c"}}));
  EXPECT_EQ(answered, (Orders{"a", "b", "c"}));
}

TEST_F(CoalescerTest, BatchSizeIsBounded) {
  Submit("a");
  for (const char* order : {"b", "c", "d", "e", "f"})
    Submit(order);
  while (runner.Pending() > 0)
    runner.RunNext();
  EXPECT_EQ(repository.batches, (std::vector<Orders>{{"a"}, {"b", "c", "d"}, {"e", "f"}}));
  const auto stats = coalescer.Stats();
  EXPECT_EQ(stats.batches, 3u);
  EXPECT_EQ(stats.batched_requests, 6u);
  EXPECT_EQ(stats.batch_size_buckets[0], 1u);  // le=1
  EXPECT_EQ(stats.batch_size_buckets[1], 2u);  // le=2
  EXPECT_EQ(stats.batch_size_buckets[2], 3u);  // le=4
}

TEST_F(CoalescerTest, EachRequestGetsItsOwnOutcomeFromTheBatch) {
  repository.Put("rare", "main", 1);
  Submit("first");
  Submit("wants-two", "rare", 2);
  Submit("gets-one", "rare", 1);
  Submit("unknown", "ghost", 1);
  while (runner.Pending() > 0)
    runner.RunNext();
  EXPECT_TRUE(outcomes.at("first").granted());
  EXPECT_TRUE(outcomes.at("gets-one").granted());
  ASSERT_EQ(KindOf("wants-two"), ErrorKind::InsufficientStock);
  const auto& shortages = outcomes.at("wants-two").error().shortages();
  ASSERT_EQ(shortages.size(), 1u);
  EXPECT_EQ(shortages[0].requested, 2);
  EXPECT_EQ(shortages[0].available, 1);
  EXPECT_EQ(KindOf("unknown"), ErrorKind::NotFound);
}

TEST_F(CoalescerTest, InvalidRequestsAreRefusedBeforeTheQueue) {
  Submit("zero", "hot", 0);
  EXPECT_EQ(KindOf("zero"), ErrorKind::InvalidValue);
  EXPECT_EQ(runner.Pending(), 0u);
  EXPECT_EQ(coalescer.Stats().refused_invalid, 1u);
}

TEST_F(CoalescerTest, AFullQueueShedsAtOnce) {
  Submit("in-flight");
  for (const char* order : {"w1", "w2", "w3", "w4", "w5"})
    Submit(order);
  EXPECT_TRUE(outcomes.empty());
  Submit("shed");
  ASSERT_EQ(outcomes.count("shed"), 1u);  // answered before Submit returned
  EXPECT_EQ(KindOf("shed"), ErrorKind::Overloaded);
  EXPECT_EQ(coalescer.Stats().shed_queue_full, 1u);
  EXPECT_EQ(coalescer.Stats().waiting, 5u);
  runner.RunNext();
  Submit("room-again");  // a batch left: there is room once more
  EXPECT_EQ(outcomes.count("room-again"), 0u);
}

TEST_F(CoalescerTest, ARequestPastItsDeadlineNeverReachesTheDatabase) {
  Submit("slow-batch");
  Submit("expires");
  clock.Advance(std::chrono::milliseconds(60));
  Submit("in-time");
  // The first batch takes 41 ms in the database: then expires has waited 101 ms, in-time 41 ms.
  repository.during_next_batch = [this] { clock.Advance(std::chrono::milliseconds(41)); };
  runner.RunNext();
  runner.RunNext();
  EXPECT_EQ(repository.batches, (std::vector<Orders>{{"slow-batch"}, {"in-time"}}));
  EXPECT_EQ(KindOf("expires"), ErrorKind::Overloaded);
  EXPECT_TRUE(outcomes.at("in-time").granted());
  EXPECT_EQ(coalescer.Stats().shed_deadline, 1u);
}

TEST_F(CoalescerTest, TheDeadlineIsInclusive) {
  Submit("slow-batch");
  Submit("exactly");
  repository.during_next_batch = [this] { clock.Advance(std::chrono::milliseconds(100)); };
  runner.RunNext();
  runner.RunNext();
  EXPECT_TRUE(outcomes.at("exactly").granted());
}

TEST_F(CoalescerTest, ARequestWhoseClientHungUpIsDropped) {
  bool connected = true;
  Submit("busy");
  Submit("hangs-up", "hot", 1, [&connected] { return connected; });
  Submit("stays");
  connected = false;
  runner.RunNext();
  runner.RunNext();
  EXPECT_EQ(repository.batches, (std::vector<Orders>{{"busy"}, {"stays"}}));
  EXPECT_EQ(KindOf("hangs-up"), ErrorKind::ClientGone);
  EXPECT_EQ(coalescer.Stats().shed_client_gone, 1u);
}

TEST_F(CoalescerTest, ABatchThatFailsAnswersEveryRequestAndTheLaneGoesOn) {
  Submit("before");
  Submit("x");
  Submit("y");
  runner.RunNext();
  repository.next_failure = DomainError(ErrorKind::Unavailable, "the database cannot be reached");
  runner.RunNext();
  EXPECT_EQ(KindOf("x"), ErrorKind::Unavailable);
  EXPECT_EQ(KindOf("y"), ErrorKind::Unavailable);
  EXPECT_EQ(coalescer.Stats().failed_batches, 1u);
  Submit("after");
  runner.RunNext();
  EXPECT_TRUE(outcomes.at("after").granted());
  EXPECT_EQ(coalescer.Stats().in_flight, 0u);
}

TEST_F(CoalescerTest, AStoppedExecutorAnswersEveryWaitingRequest) {
  Submit("running");
  Submit("queued-1");
  Submit("queued-2");
  runner.refuse_everything = true;  // the executor stops while "running" is in the database
  runner.RunNext();
  EXPECT_TRUE(outcomes.at("running").granted());
  EXPECT_EQ(KindOf("queued-1"), ErrorKind::Unavailable);
  EXPECT_EQ(KindOf("queued-2"), ErrorKind::Unavailable);
  Submit("late");
  EXPECT_EQ(KindOf("late"), ErrorKind::Unavailable);
  const auto stats = coalescer.Stats();
  EXPECT_EQ(stats.shed_shutdown, 3u);
  EXPECT_EQ(stats.waiting + stats.in_flight, 0u);
}

TEST(ReservationLanes, OneProductOneLaneAndOrdersGoByTheirSmallestProduct) {
  const ReservationRequest hot{"o", {{"hot", std::nullopt, 1}}, std::nullopt};
  const ReservationRequest hot_again{"p", {{"hot", std::string("east"), 5}}, std::nullopt};
  EXPECT_EQ(LaneOf(hot, 8), LaneOf(hot_again, 8));
  const ReservationRequest spanning{
      "q", {{"zebra", std::nullopt, 1}, {"apple", std::nullopt, 1}}, std::nullopt};
  const ReservationRequest apple{"r", {{"apple", std::nullopt, 1}}, std::nullopt};
  EXPECT_EQ(LaneOf(spanning, 8), LaneOf(apple, 8));
  for (std::size_t lanes : {1u, 2u, 7u})
    EXPECT_LT(LaneOf(spanning, lanes), lanes);
}

TEST(ReservationLanesSpread, ProductsSpreadOverLanes) {
  std::set<std::size_t> used;
  for (int i = 0; i < 100; ++i)
    used.insert(
        LaneOf(ReservationRequest{"o", {{"p-" + std::to_string(i), std::nullopt, 1}}, std::nullopt}, 4));
  EXPECT_EQ(used.size(), 4u);
}

TEST(CoalescerLanes, LanesHaveABatchInTheDatabaseEachAtTheSameTime) {
  testing::FakeInventoryRepository repository;
  testing::ManualJobRunner runner;
  testing::FakeClock clock;
  ReservationCoalescer coalescer{repository, runner, clock,
                                 CoalescerSettings{4, 10, 100, std::chrono::seconds(1)}};
  std::string other;  // a product in another lane than "hot"
  for (int i = 0; other.empty(); ++i) {
    const std::string candidate = "p-" + std::to_string(i);
    if (LaneOf(ReservationRequest{"o", {{candidate, std::nullopt, 1}}, std::nullopt}, 4) !=
        LaneOf(ReservationRequest{"o", {{"hot", std::nullopt, 1}}, std::nullopt}, 4))
      other = candidate;
  }
  repository.Put("hot", "main", 10);
  repository.Put(other, "main", 10);
  int answers = 0;
  for (const auto& [order, product] : {std::pair{"h1", "hot"}, {"o1", other.c_str()}, {"h2", "hot"}}) {
    coalescer.Submit(
        ReservationSubmission{ReservationRequest{order, {{product, std::nullopt, 1}}, std::nullopt},
                              [&answers](ReservationOutcome) { ++answers; }, nullptr});
  }
  EXPECT_EQ(runner.Pending(), 2u);  // one batch per lane; h2 waits for h1
  while (runner.Pending() > 0)
    runner.RunNext();
  EXPECT_EQ(answers, 3);
  EXPECT_EQ(repository.batches.size(), 3u);
}

// A thread-safe repository that grants everything and checks that no batch exceeds the bound.
class CountingRepository final : public ReservationBatchRepository {
 public:
  std::vector<ReservationOutcome> ReserveBatch(const std::vector<ReservationRequest>& requests) override {
    std::this_thread::sleep_for(std::chrono::microseconds(200));  // a batch takes a while
    std::lock_guard<std::mutex> lock(mutex);
    largest = std::max(largest, requests.size());
    std::vector<ReservationOutcome> outcomes;
    for (const auto& request : requests) {
      sent.push_back(request.order_id);
      outcomes.push_back(ReservationOutcome::Granted(ReserveResult{{}, true}));
    }
    return outcomes;
  }

  std::mutex mutex;
  std::vector<std::string> sent;
  std::size_t largest = 0;
};

TEST(CoalescerUnderLoad, EveryRequestIsAnsweredOnceAndSentOnceWithRealWorkers) {
  CountingRepository repository;
  SteadyClock clock;
  BoundedExecutor executor{ExecutorSettings{4, 64}, clock};
  ReservationCoalescer coalescer{repository, executor, clock,
                                 CoalescerSettings{2, 16, 100000, std::chrono::seconds(60)}};
  constexpr int kThreads = 8;
  constexpr int kPerThread = 500;
  std::atomic<int> answered{0};
  std::atomic<int> granted{0};
  std::vector<std::thread> clients;
  for (int t = 0; t < kThreads; ++t) {
    clients.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        const std::string product = (i % 3 == 0) ? "hot" : "p-" + std::to_string(i % 17);
        coalescer.Submit(
            ReservationSubmission{ReservationRequest{"t" + std::to_string(t) + "-" + std::to_string(i),
                                                     {{product, std::nullopt, 1}},
                                                     std::nullopt},
                                  [&](ReservationOutcome outcome) {
                                    ++answered;
                                    granted += outcome.granted() ? 1 : 0;
                                  },
                                  nullptr});
      }
    });
  }
  for (auto& client : clients)
    client.join();
  executor.Shutdown(std::chrono::seconds(30));
  EXPECT_EQ(answered.load(), kThreads * kPerThread);
  EXPECT_EQ(granted.load(), kThreads * kPerThread);
  std::set<std::string> unique(repository.sent.begin(), repository.sent.end());
  EXPECT_EQ(repository.sent.size(), unique.size());
  EXPECT_EQ(unique.size(), static_cast<std::size_t>(kThreads * kPerThread));
  EXPECT_LE(repository.largest, 16u);
  EXPECT_GT(repository.largest, 1u);  // batches formed under load
  const auto stats = coalescer.Stats();
  EXPECT_LT(stats.batches, static_cast<std::uint64_t>(kThreads * kPerThread));
  EXPECT_EQ(stats.waiting + stats.in_flight, 0u);
}

}  // namespace
}  // namespace inventory
