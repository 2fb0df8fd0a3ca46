// request_pipeline_test.cpp: the whole route table behind the pipeline, with an in-memory
// repository: statuses, problem bodies, request ids, limits and media types.
#include "handlers/request_pipeline.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <nlohmann/json.hpp>

#include "domain/inventory_service.h"
#include "execution/reservation_coalescer.h"
#include "fake_inventory_repository.h"
#include "handlers/operations_handlers.h"
#include "handlers/reservation_handlers.h"
#include "handlers/stock_handlers.h"
#include "inline_job_runner.h"
#include "pipeline_test_support.h"

namespace inventory {
namespace {

class RequestPipelineTest : public ::testing::Test {
 protected:
  RequestPipelineTest() {
    AddOperationsRoutes(router, OperationsContext{repository, metrics, "1.0", draining});
    AddStockRoutes(router, service);
    AddReservationRoutes(router, service, coalescer, metrics);
  }

  HttpResponse Send(const std::string& method, const std::string& path, const std::string& body = "",
                    const std::string& content_type = "application/json",
                    std::vector<std::pair<std::string, std::string>> query = {}) {
    HttpRequest request;
    request.method = method;
    request.raw_path = path;
    request.body = body;
    request.content_type = content_type;
    request.raw_query = std::move(query);
    return testing::HandleNow(pipeline, request);
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
  testing::InlineJobRunner database_work;
  SteadyClock clock;
  ReservationCoalescer coalescer{repository, database_work, clock, CoalescerSettings{}};
  Metrics metrics;
  std::atomic<bool> draining{false};
  Router router;
  std::FILE* sink = std::tmpfile();
  JsonLogger logger{LogLevel::Info, sink};
  RequestPipeline pipeline{router, metrics, logger, PipelineSettings{1024, 3}, draining, database_work};
};

TEST_F(RequestPipelineTest, HealthAndReady) {
  EXPECT_EQ(Send("GET", "/health").status, 200);
  EXPECT_EQ(Send("GET", "/ready").status, 200);
  repository.next_failure = DomainError(ErrorKind::Unavailable, "down");
  EXPECT_EQ(Send("GET", "/ready").status, 503);
  repository.extension_version = "0.9";
  EXPECT_EQ(Send("GET", "/ready").status, 503);
  repository.extension_version = "1.0";
  draining = true;
  EXPECT_EQ(Send("GET", "/ready").status, 503);
  EXPECT_EQ(Send("GET", "/health").status, 200);
  const auto refused = Send("GET", "/v1/stock/p");
  EXPECT_EQ(refused.status, 503);
  EXPECT_TRUE(refused.close_connection);
}

TEST_F(RequestPipelineTest, UnknownRouteIsProblem404) {
  const auto response = Send("GET", "/v2/nothing");
  EXPECT_EQ(response.status, 404);
  EXPECT_EQ(response.content_type, "application/problem+json");
  EXPECT_EQ(nlohmann::json::parse(response.body).at("status"), 404);
}

TEST_F(RequestPipelineTest, WrongMethodIs405WithAllow) {
  const auto response = Send("PATCH", "/v1/stock/p/main");
  EXPECT_EQ(response.status, 405);
  EXPECT_EQ(Header(response, "Allow"), "PUT, DELETE");
}

TEST_F(RequestPipelineTest, RequestIdIsEchoedOrGenerated) {
  HttpRequest request;
  request.method = "GET";
  request.raw_path = "/health";
  request.request_id = "client-id-1";
  EXPECT_EQ(Header(testing::HandleNow(pipeline, request), "X-Request-Id"), "client-id-1");
  request.request_id = "bad id with spaces";
  const auto generated = Header(testing::HandleNow(pipeline, request), "X-Request-Id");
  EXPECT_EQ(generated.size(), 36u);
}

TEST_F(RequestPipelineTest, BodyLimitAndMediaTypes) {
  repository.Put("p", "main", 5);
  EXPECT_EQ(Send("PUT", "/v1/stock/p/main", std::string(2000, ' ')).status, 413);
  EXPECT_EQ(Send("PUT", "/v1/stock/p/main", R"({"on_hand":1})", "text/plain").status, 415);
  EXPECT_EQ(Send("PUT", "/v1/stock/p/main", R"({"on_hand":1})", "application/json; charset=utf-8").status,
            200);
  EXPECT_EQ(Send("POST", "/v1/stock/import", "product_id,on_hand\np,1\n", "application/json").status, 415);
  EXPECT_EQ(Send("POST", "/v1/stock/import", "product_id,on_hand\np,1\n", "text/csv").status, 200);
}

TEST_F(RequestPipelineTest, ReservationStatuses) {
  repository.Put("p", "main", 5);
  const std::string body = R"({"order_id":"o","lines":[{"product_id":"p","quantity":2}]})";
  EXPECT_EQ(Send("POST", "/v1/reservations", body).status, 201);
  EXPECT_EQ(Send("POST", "/v1/reservations", "{").status, 400);
  EXPECT_EQ(Send("POST", "/v1/reservations", R"({"order_id":"o","lines":[]})").status, 422);
  const auto refused =
      Send("POST", "/v1/reservations", R"({"order_id":"o2","lines":[{"product_id":"p","quantity":4}]})");
  EXPECT_EQ(refused.status, 409);
  const auto shortages = nlohmann::json::parse(refused.body).at("shortages");
  ASSERT_EQ(shortages.size(), 1u);
  EXPECT_EQ(shortages[0].at("requested"), 4);
  EXPECT_EQ(shortages[0].at("available"), 3);
  repository.next_failure = DomainError(ErrorKind::Unavailable, "down");
  const auto unavailable = Send("POST", "/v1/reservations", body);
  EXPECT_EQ(unavailable.status, 503);
  EXPECT_EQ(Header(unavailable, "Retry-After"), "3");
  const auto rendered = metrics.RenderPrometheus();
  EXPECT_NE(rendered.find("inventory_reservations_total{outcome=\"created\"} 1"), std::string::npos);
  EXPECT_NE(rendered.find("inventory_reservations_total{outcome=\"insufficient_stock\"} 1"),
            std::string::npos);
}

TEST_F(RequestPipelineTest, QueryParametersAreDecodedAndChecked) {
  repository.Put("p q", "main", 5);
  EXPECT_EQ(Send("GET", "/v1/stock/p%20q/availability", "", "", {{"quantity", "3"}}).status, 200);
  EXPECT_EQ(Send("GET", "/v1/stock/p%20q/availability", "", "", {{"quantity", "x"}}).status, 422);
  EXPECT_EQ(Send("GET", "/v1/stock/p%20q/availability", "", "", {{"colour", "red"}}).status, 422);
  EXPECT_EQ(Send("GET", "/v1/stock/p%zz").status, 400);
  EXPECT_EQ(Send("GET", "/v1/stock", "", "", {{"limit", "0"}}).status, 422);
  EXPECT_EQ(Send("GET", "/v1/stock", "", "", {{"limit", "99999999999"}}).status, 422);
}

TEST_F(RequestPipelineTest, StockRoutes) {
  EXPECT_EQ(Send("PUT", "/v1/stock/p/main", R"({"on_hand":4})").status, 200);
  EXPECT_EQ(Send("GET", "/v1/stock/p").status, 200);
  EXPECT_EQ(Send("POST", "/v1/stock/p/main/restock", R"({"quantity":2})").status, 200);
  EXPECT_EQ(Send("POST", "/v1/stock/p/main/adjust", R"({"delta":-1,"reason":"count"})").status, 200);
  EXPECT_EQ(Send("POST", "/v1/stock/p/main/restock", R"({"quantity":-2})").status, 422);
  EXPECT_EQ(Send("DELETE", "/v1/stock/p/main").status, 204);
  EXPECT_EQ(Send("GET", "/v1/stock/p").status, 404);
}

TEST_F(RequestPipelineTest, LogsOneJsonLinePerRequest) {
  Send("GET", "/health");
  std::rewind(sink);
  char line[2048] = {0};
  ASSERT_NE(std::fgets(line, sizeof line, sink), nullptr);
  const auto logged = nlohmann::json::parse(line);
  EXPECT_EQ(logged.at("route"), "/health");
  EXPECT_EQ(logged.at("status"), 200);
  EXPECT_TRUE(logged.contains("request_id"));
}

}  // namespace
}  // namespace inventory
