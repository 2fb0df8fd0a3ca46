// async_pipeline_test.cpp: requests answered later, from another thread. Database routes wait for
// the job runner while probes answer at once; deferred routes answer through their Reply; a
// dropped Reply still answers 503; refused database work is a 503 with Retry-After.
#include <gtest/gtest.h>

#include <cstdio>
#include <deque>
#include <nlohmann/json.hpp>
#include <optional>
#include <thread>

#include "domain/inventory_service.h"
#include "fake_inventory_repository.h"
#include "handlers/operations_handlers.h"
#include "handlers/request_pipeline.h"
#include "handlers/request_values.h"
#include "handlers/stock_handlers.h"
#include "manual_job_runner.h"

namespace inventory {
namespace {

class AsyncPipelineTest : public ::testing::Test {
 protected:
  AsyncPipelineTest() {
    AddOperationsRoutes(router, OperationsContext{repository, metrics, "1.0", draining});
    AddStockRoutes(router, service);
    Route later{"POST", "/test/later", BodyKind::None, {}, nullptr};
    later.deferred = [this](const HttpRequest&, Reply reply) { kept.push_back(reply); };
    router.Add(std::move(later));
    Route dropped{"POST", "/test/dropped", BodyKind::None, {}, nullptr};
    dropped.deferred = [](const HttpRequest&, Reply) {};
    router.Add(std::move(dropped));
    Route refusing{"POST", "/test/refusing", BodyKind::None, {}, nullptr};
    refusing.deferred = [](const HttpRequest&, Reply) {
      throw DomainError(ErrorKind::InvalidValue, "quantity must be positive");
    };
    router.Add(std::move(refusing));
  }

  // Starts a request; the answer lands in answers[index] whenever it comes.
  std::size_t Start(const std::string& method, const std::string& path) {
    const std::size_t index = answers.size();
    answers.emplace_back();
    HttpRequest request;
    request.method = method;
    request.raw_path = path;
    pipeline.Handle(std::move(request),
                    [this, index](HttpResponse response) { answers[index] = std::move(response); });
    return index;
  }

  static std::string Header(const HttpResponse& response, const std::string& name) {
    for (const auto& [key, value] : response.headers) {
      if (key == name)
        return value;
    }
    return "";
  }

  testing::FakeInventoryRepository repository;
  InventoryService service{repository};
  Metrics metrics;
  std::atomic<bool> draining{false};
  Router router;
  std::FILE* sink = std::tmpfile();
  JsonLogger logger{LogLevel::Info, sink};
  testing::ManualJobRunner database_work;
  RequestPipeline pipeline{router, metrics, logger, PipelineSettings{1024, 3}, draining, database_work};
  std::vector<Reply> kept;
  std::deque<std::optional<HttpResponse>> answers;
};

TEST_F(AsyncPipelineTest, ProbesAnswerAtOnceWhileDatabaseWorkWaits) {
  repository.Put("p", "main", 4);
  const auto read = Start("GET", "/v1/stock/p");
  const auto ready = Start("GET", "/ready");
  EXPECT_FALSE(answers[read].has_value());
  EXPECT_FALSE(answers[ready].has_value());  // /ready asks the database, on a worker
  EXPECT_EQ(pipeline.InFlight(), 2);
  const auto health = Start("GET", "/health");
  const auto scrape = Start("GET", "/metrics");
  ASSERT_TRUE(answers[health].has_value());
  EXPECT_EQ(answers[health]->status, 200);
  ASSERT_TRUE(answers[scrape].has_value());
  EXPECT_EQ(answers[scrape]->status, 200);
  database_work.RunNext();
  database_work.RunNext();
  ASSERT_TRUE(answers[read].has_value());
  EXPECT_EQ(answers[read]->status, 200);
  EXPECT_EQ(nlohmann::json::parse(answers[read]->body).at("available"), 4);
  EXPECT_EQ(answers[ready]->status, 200);
  EXPECT_EQ(pipeline.InFlight(), 0);
}

TEST_F(AsyncPipelineTest, RefusedDatabaseWorkIs503WithRetryAfter) {
  const auto full = Start("GET", "/v1/stock/p");
  const auto late = Start("GET", "/v1/stock/p");
  const auto gone = Start("GET", "/v1/stock/p");
  database_work.RefuseNext(Refusal::QueueFull);
  database_work.RefuseNext(Refusal::DeadlinePassed);
  database_work.RefuseNext(Refusal::ShuttingDown);
  for (const auto index : {full, late, gone}) {
    ASSERT_TRUE(answers[index].has_value());
    EXPECT_EQ(answers[index]->status, 503);
    EXPECT_EQ(Header(*answers[index], "Retry-After"), "3");
    EXPECT_EQ(answers[index]->content_type, "application/problem+json");
  }
  EXPECT_NE(answers[late]->body.find("waited longer than 2000 ms"), std::string::npos);
  EXPECT_EQ(pipeline.InFlight(), 0);
}

TEST_F(AsyncPipelineTest, DatabaseJobsCarryTheQueueDeadlineAndTheClientsPresence) {
  HttpRequest request;
  request.method = "GET";
  request.raw_path = "/v1/stock/p";
  request.client_waiting = [] { return false; };
  pipeline.Handle(std::move(request), [](HttpResponse) {});
  ASSERT_EQ(database_work.Pending(), 1u);
  EXPECT_EQ(database_work.jobs.front().max_wait, std::chrono::milliseconds(2000));
  ASSERT_TRUE(database_work.jobs.front().still_wanted);
  EXPECT_FALSE(database_work.jobs.front().still_wanted());
  database_work.RefuseNext(Refusal::NobodyWaiting);
}

TEST_F(AsyncPipelineTest, ADeferredRouteAnswersLaterFromAnotherThreadOnce) {
  const auto index = Start("POST", "/test/later");
  ASSERT_EQ(kept.size(), 1u);
  EXPECT_FALSE(answers[index].has_value());
  EXPECT_EQ(pipeline.InFlight(), 1);
  std::thread worker([reply = kept.front()] {
    reply.Send(JsonResponse(201, {{"done", true}}));
    reply.Send(JsonResponse(500, {{"done", false}}));
    reply.Fail(DomainError(ErrorKind::Internal, "too late"));
  });
  worker.join();
  ASSERT_TRUE(answers[index].has_value());
  EXPECT_EQ(answers[index]->status, 201);
  EXPECT_FALSE(Header(*answers[index], "X-Request-Id").empty());
  EXPECT_EQ(pipeline.InFlight(), 0);
}

TEST_F(AsyncPipelineTest, ADroppedReplyStillAnswers503) {
  const auto index = Start("POST", "/test/dropped");
  ASSERT_TRUE(answers[index].has_value());
  EXPECT_EQ(answers[index]->status, 503);
  EXPECT_EQ(Header(*answers[index], "Retry-After"), "3");
  EXPECT_EQ(pipeline.InFlight(), 0);
}

TEST_F(AsyncPipelineTest, ADeferredHandlerThatThrowsAnswersItsProblem) {
  const auto index = Start("POST", "/test/refusing");
  ASSERT_TRUE(answers[index].has_value());
  EXPECT_EQ(answers[index]->status, 422);
  EXPECT_EQ(pipeline.InFlight(), 0);
}

}  // namespace
}  // namespace inventory
