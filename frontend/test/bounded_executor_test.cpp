// bounded_executor_test.cpp: the executor runs jobs on its workers in arrival order (reserved
// jobs first), refuses at once past its capacity (reserved jobs excepted), refuses jobs that waited
// past their deadline or whose client has gone without running them, and on shutdown runs what is
// queued within the budget and refuses the rest.
#include "execution/bounded_executor.h"

#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <future>
#include <mutex>
#include <thread>
#include <vector>

#include "fake_clock.h"

namespace inventory {
namespace {

// A gate jobs wait at until the test opens it, to keep workers busy on purpose.
class Gate {
 public:
  void Wait() {
    std::unique_lock<std::mutex> lock(mutex_);
    opened_.wait(lock, [this] { return open_; });
  }
  void Open() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      open_ = true;
    }
    opened_.notify_all();
  }

 private:
  std::mutex mutex_;
  std::condition_variable opened_;
  bool open_ = false;
};

// Records what happened to each job, by name.
class Journal {
 public:
  Job Recorded(const std::string& name, std::function<void()> work = nullptr) {
    Job job;
    job.run = [this, name, work] {
      if (work)
        work();
      Add(name + ":run");
    };
    job.refuse = [this, name](Refusal refusal) { Add(name + ":" + RefusalName(refusal)); };
    return job;
  }
  void Add(const std::string& entry) {
    std::lock_guard<std::mutex> lock(mutex_);
    entries_.push_back(entry);
  }
  std::vector<std::string> Entries() {
    std::lock_guard<std::mutex> lock(mutex_);
    return entries_;
  }

 private:
  std::mutex mutex_;
  std::vector<std::string> entries_;
};

// Waits (at most 10 s) until the executor has no queued job and no busy worker.
void WaitUntilIdle(const BoundedExecutor& executor) {
  for (int i = 0; i < 10000; ++i) {
    const auto stats = executor.Stats();
    if (stats.queued == 0 && stats.busy == 0)
      return;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  FAIL() << "the executor did not become idle";
}

// Waits until the executor has busy workers busy.
void WaitUntilBusy(const BoundedExecutor& executor, int busy) {
  for (int i = 0; i < 10000 && executor.Stats().busy < busy; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  ASSERT_EQ(executor.Stats().busy, busy);
}

TEST(BoundedExecutor, RunsJobsOnItsWorkersInArrivalOrder) {
  testing::FakeClock clock;
  BoundedExecutor executor{ExecutorSettings{1, 10}, clock};
  Journal journal;
  const auto caller = std::this_thread::get_id();
  std::atomic<bool> on_worker{true};
  for (const char* name : {"a", "b", "c"}) {
    executor.Submit(
        journal.Recorded(name, [&] { on_worker = on_worker && std::this_thread::get_id() != caller; }));
  }
  WaitUntilIdle(executor);
  EXPECT_EQ(journal.Entries(), (std::vector<std::string>{"a:run", "b:run", "c:run"}));
  EXPECT_TRUE(on_worker);
  EXPECT_EQ(executor.Stats().completed, 3u);
}

TEST(BoundedExecutor, AFullQueueRefusesAtOnceButReservedJobsStillQueueAndGoFirst) {
  testing::FakeClock clock;
  BoundedExecutor executor{ExecutorSettings{1, 2}, clock};
  Journal journal;
  Gate gate;
  executor.Submit(journal.Recorded("busy", [&] { gate.Wait(); }));
  WaitUntilBusy(executor, 1);
  executor.Submit(journal.Recorded("q1"));
  executor.Submit(journal.Recorded("q2"));
  executor.Submit(journal.Recorded("over"));
  EXPECT_EQ(journal.Entries(), (std::vector<std::string>{"over:queue_full"}));  // before Submit returned
  Job reserved = journal.Recorded("batch");
  reserved.admission = Admission::Reserved;
  executor.Submit(std::move(reserved));
  EXPECT_EQ(executor.Stats().queued, 3u);
  gate.Open();
  WaitUntilIdle(executor);
  EXPECT_EQ(journal.Entries(),
            (std::vector<std::string>{"over:queue_full", "busy:run", "batch:run", "q1:run", "q2:run"}));
  EXPECT_EQ(executor.Stats().refused_queue_full, 1u);
}

TEST(BoundedExecutor, AJobPastItsDeadlineIsRefusedNotRun) {
  testing::FakeClock clock;
  BoundedExecutor executor{ExecutorSettings{1, 10}, clock};
  Journal journal;
  Gate gate;
  executor.Submit(journal.Recorded("busy", [&] { gate.Wait(); }));
  WaitUntilBusy(executor, 1);
  Job late = journal.Recorded("late");
  late.max_wait = std::chrono::milliseconds(100);
  executor.Submit(std::move(late));
  clock.Advance(std::chrono::milliseconds(50));
  Job in_time = journal.Recorded("in-time");
  in_time.max_wait = std::chrono::milliseconds(100);
  executor.Submit(std::move(in_time));
  clock.Advance(std::chrono::milliseconds(51));  // late waited 101 ms, in-time 51 ms
  gate.Open();
  WaitUntilIdle(executor);
  EXPECT_EQ(journal.Entries(), (std::vector<std::string>{"busy:run", "late:deadline", "in-time:run"}));
  EXPECT_EQ(executor.Stats().refused_deadline, 1u);
}

TEST(BoundedExecutor, AJobWhoseClientHasGoneIsRefusedNotRun) {
  testing::FakeClock clock;
  BoundedExecutor executor{ExecutorSettings{1, 10}, clock};
  Journal journal;
  Gate gate;
  executor.Submit(journal.Recorded("busy", [&] { gate.Wait(); }));
  WaitUntilBusy(executor, 1);
  std::atomic<bool> connected{true};
  Job job = journal.Recorded("gone");
  job.still_wanted = [&connected] { return connected.load(); };
  executor.Submit(std::move(job));
  connected = false;
  gate.Open();
  WaitUntilIdle(executor);
  EXPECT_EQ(journal.Entries(), (std::vector<std::string>{"busy:run", "gone:client_gone"}));
  EXPECT_EQ(executor.Stats().refused_client_gone, 1u);
}

TEST(BoundedExecutor, ShutdownRunsWhatIsQueuedAndWhatItSubmits) {
  testing::FakeClock clock;
  BoundedExecutor executor{ExecutorSettings{2, 100}, clock};
  Journal journal;
  for (int i = 0; i < 20; ++i) {
    const std::string name = "j" + std::to_string(i);
    executor.Submit(journal.Recorded(name, [&executor, &journal, name, i] {
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
      if (i == 19) {
        Job follow_up = journal.Recorded("follow-up");
        follow_up.admission = Admission::Reserved;
        executor.Submit(std::move(follow_up));
      }
    }));
  }
  executor.Shutdown(std::chrono::seconds(10));
  const auto entries = journal.Entries();
  EXPECT_EQ(entries.size(), 21u);
  for (const auto& entry : entries)
    EXPECT_NE(entry.find(":run"), std::string::npos) << entry;
  executor.Submit(journal.Recorded("after"));
  EXPECT_EQ(journal.Entries().back(), "after:shutdown");
}

TEST(BoundedExecutor, ShutdownRefusesWhatTheBudgetLeavesAndWaitsForRunningJobs) {
  testing::FakeClock clock;
  BoundedExecutor executor{ExecutorSettings{1, 100}, clock};
  Journal journal;
  Gate gate;
  executor.Submit(journal.Recorded("running", [&] { gate.Wait(); }));
  WaitUntilBusy(executor, 1);
  executor.Submit(journal.Recorded("queued"));
  auto stopped = std::async(std::launch::async, [&] { executor.Shutdown(std::chrono::milliseconds(50)); });
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  EXPECT_EQ(stopped.wait_for(std::chrono::milliseconds(0)), std::future_status::timeout);  // running holds it
  gate.Open();
  stopped.get();
  EXPECT_EQ(journal.Entries(), (std::vector<std::string>{"running:run", "queued:shutdown"}));
  EXPECT_EQ(executor.Stats().refused_shutdown, 1u);
}

}  // namespace
}  // namespace inventory
