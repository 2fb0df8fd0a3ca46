// idempotent_route_test.cpp: the Idempotency-Key behaviour of the pipeline with an in-memory store
// (a fake of the store, not of the database: the real store is tested by tests/retries): which
// routes honour the header, replay with Idempotent-Replayed, refusals, failures not stored, and the
// claim's subject and fingerprint. Also the pipeline fixes of issue 12: /ready's Retry-After
// follows RETRY_AFTER_S, and the in-flight count is released however an answer leaves.
#include "idempotency/idempotent_route.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <map>
#include <stdexcept>

#include "domain/domain_error.h"
#include "domain/inventory_service.h"
#include "execution/reservation_coalescer.h"
#include "fake_inventory_repository.h"
#include "handlers/operations_handlers.h"
#include "handlers/request_pipeline.h"
#include "handlers/reservation_handlers.h"
#include "handlers/stock_handlers.h"
#include "inline_job_runner.h"
#include "pipeline_test_support.h"

namespace inventory {
namespace {

// Keeps first responses in memory by (subject, key); refuses another fingerprint like the database.
class MemoryIdempotencyStore final : public IdempotencyStore {
 public:
  IdempotentResult Run(const IdempotencyClaim& claim,
                       const std::function<StoredResponse()>& change) override {
    claims.push_back(claim);
    const auto key = std::make_pair(claim.subject, claim.key);
    const auto found = stored.find(key);
    if (found != stored.end()) {
      if (found->second.first != claim.fingerprint)
        throw DomainError(ErrorKind::IdempotencyKeyReused, "used for another request");
      return IdempotentResult{found->second.second, true};
    }
    const auto response = change();
    stored[key] = {claim.fingerprint, response};
    return IdempotentResult{response, false};
  }

  std::map<std::pair<std::string, std::string>, std::pair<std::string, StoredResponse>> stored;
  std::vector<IdempotencyClaim> claims;
};

class IdempotentRouteTest : public ::testing::Test {
 protected:
  IdempotentRouteTest() {
    AddOperationsRoutes(router, OperationsContext{repository, metrics, "1.0", draining, 7});
    AddStockRoutes(router, service);
    AddReservationRoutes(router, service, coalescer, metrics);
    repository.SetStock(StockUpsert{"p", "main", 10, std::nullopt, std::nullopt});
  }

  HttpResponse Send(const std::string& method, const std::string& path, const std::string& body,
                    std::optional<std::string> key) {
    HttpRequest request;
    request.method = method;
    request.raw_path = path;
    request.body = body;
    request.content_type = body.empty() ? "" : "application/json";
    request.idempotency_key = std::move(key);
    return testing::HandleNow(pipeline, request);
  }

  static std::string Header(const HttpResponse& response, const std::string& name) {
    for (const auto& [header, value] : response.headers) {
      if (header == name)
        return value;
    }
    return "";
  }

  std::int64_t OnHand() { return repository.StockOfProduct("p").at(0).on_hand; }

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
  MemoryIdempotencyStore store;
  RequestPipeline pipeline{router,
                           metrics,
                           logger,
                           PipelineSettings{1024, 3},
                           draining,
                           database_work,
                           RequestAuthorizer::AuthenticationOff(),
                           &store};
};

TEST_F(IdempotentRouteTest, ARepeatWithTheKeyReplaysTheFirstResponseAndChangesNothing) {
  const auto first = Send("POST", "/v1/stock/p/main/restock", R"({"quantity":5})", "\"k1\"");
  ASSERT_EQ(first.status, 200);
  EXPECT_EQ(Header(first, "Idempotent-Replayed"), "");
  EXPECT_EQ(OnHand(), 15);
  const auto repeat = Send("POST", "/v1/stock/p/main/restock", R"({ "quantity" : 5 })", "k1");
  EXPECT_EQ(repeat.status, 200);
  EXPECT_EQ(Header(repeat, "Idempotent-Replayed"), "true");
  EXPECT_EQ(repeat.body, first.body);
  EXPECT_EQ(OnHand(), 15);
}

TEST_F(IdempotentRouteTest, WithoutTheHeaderEveryRequestRuns) {
  Send("POST", "/v1/stock/p/main/restock", R"({"quantity":5})", std::nullopt);
  Send("POST", "/v1/stock/p/main/restock", R"({"quantity":5})", std::nullopt);
  EXPECT_EQ(OnHand(), 20);
  EXPECT_TRUE(store.claims.empty());
}

TEST_F(IdempotentRouteTest, TheSameKeyWithAnotherRequestIs422) {
  Send("POST", "/v1/stock/p/main/restock", R"({"quantity":5})", "k2");
  const auto other = Send("POST", "/v1/stock/p/main/restock", R"({"quantity":6})", "k2");
  EXPECT_EQ(other.status, 422);
  EXPECT_NE(other.body.find("/problems/idempotency-key-reused"), std::string::npos);
  EXPECT_EQ(OnHand(), 15);
}

TEST_F(IdempotentRouteTest, AFailedRequestStoresNothing) {
  const auto refused = Send("POST", "/v1/stock/missing/main/restock", R"({"quantity":5})", "k3");
  EXPECT_EQ(refused.status, 404);
  EXPECT_TRUE(store.stored.empty());
}

TEST_F(IdempotentRouteTest, AMalformedKeyIs400AndChangesNothing) {
  const auto refused = Send("POST", "/v1/stock/p/main/restock", R"({"quantity":5})", "\"unterminated");
  EXPECT_EQ(refused.status, 400);
  EXPECT_EQ(OnHand(), 10);
}

TEST_F(IdempotentRouteTest, ReadsIgnoreTheHeader) {
  EXPECT_EQ(Send("GET", "/v1/stock/p", "", "k4").status, 200);
  EXPECT_TRUE(store.claims.empty());
}

TEST_F(IdempotentRouteTest, TheClaimCarriesTheMethodPathAndBodyInItsFingerprint) {
  Send("POST", "/v1/stock/p/main/restock", R"({"quantity":5})", "k5");
  Send("POST", "/v1/stock/p/main/adjust", R"({"delta":-1,"reason":"x"})", "k6");
  ASSERT_EQ(store.claims.size(), 2u);
  EXPECT_EQ(store.claims[0].subject, "");
  EXPECT_EQ(store.claims[0].key, "k5");
  EXPECT_NE(store.claims[0].fingerprint, store.claims[1].fingerprint);
}

TEST_F(IdempotentRouteTest, AReservationWithAKeyCarriesItIntoTheBatch) {
  // The fake batch repository ignores keys (the database claims them, tests/retries): the request
  // still reserves and answers 201.
  const auto created =
      Send("POST", "/v1/reservations", R"({"order_id":"o","lines":[{"product_id":"p","quantity":2}]})", "r1");
  EXPECT_EQ(created.status, 201);
}

TEST(ReservationKeyOfTest, RendersTheResponseOfAGrantedOutcomeForTheStore) {
  HttpRequest request;
  request.method = "POST";
  request.raw_path = "/v1/reservations";
  request.body = "{}";
  request.content_type = "application/json";
  EXPECT_EQ(ReservationKeyOf(request, [](const ReservationOutcome&) { return HttpResponse{}; }), nullptr);
  request.idempotency_key = "\"key\"";
  const auto key = ReservationKeyOf(request, [](const ReservationOutcome&) {
    HttpResponse response;
    response.status = 201;
    response.body = "{\"created\":true}";
    return response;
  });
  ASSERT_NE(key, nullptr);
  EXPECT_EQ(key->claim.key, "key");
  const auto stored = key->response_of(ReservationOutcome::Granted(ReserveResult{}));
  EXPECT_EQ(stored.status, 201);
  EXPECT_EQ(stored.content_type, "application/json");
  EXPECT_EQ(stored.body, "{\"created\":true}");
}

TEST_F(IdempotentRouteTest, ReadyAnswers503WithTheConfiguredRetryAfter) {
  repository.next_failure = DomainError(ErrorKind::Unavailable, "down");
  const auto unready = Send("GET", "/ready", "", std::nullopt);
  EXPECT_EQ(unready.status, 503);
  EXPECT_EQ(Header(unready, "Retry-After"), "7");
  draining = true;
  const auto draining_answer = Send("GET", "/ready", "", std::nullopt);
  EXPECT_EQ(draining_answer.status, 503);
  EXPECT_EQ(Header(draining_answer, "Retry-After"), "7");
}

TEST_F(IdempotentRouteTest, TheInFlightCountIsReleasedWhenAnsweringThrows) {
  HttpRequest request;
  request.method = "GET";
  request.raw_path = "/health";
  EXPECT_ANY_THROW(pipeline.Handle(request, [](HttpResponse) { throw std::runtime_error("client gone"); }));
  EXPECT_EQ(pipeline.InFlight(), 0);
}

}  // namespace
}  // namespace inventory
