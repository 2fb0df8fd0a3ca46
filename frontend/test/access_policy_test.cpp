// access_policy_test.cpp: the scope rules, and the pipeline's 401/403 answers with their
// WWW-Authenticate challenges, the internal-listener rule and the actor of each request.
#include "auth/access_policy.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <nlohmann/json.hpp>

#include "auth/actor_context.h"
#include "auth/request_authorizer.h"
#include "domain/inventory_service.h"
#include "execution/reservation_coalescer.h"
#include "fake_dead_letter_repository.h"
#include "fake_inventory_repository.h"
#include "handlers/dead_letter_handlers.h"
#include "handlers/operations_handlers.h"
#include "handlers/request_pipeline.h"
#include "handlers/reservation_handlers.h"
#include "handlers/stock_handlers.h"
#include "inline_job_runner.h"
#include "pipeline_test_support.h"

namespace inventory {
namespace {

TEST(AccessPolicy, EveryRegisteredRouteHasAnExplicitRule) {
  testing::FakeInventoryRepository repository;
  InventoryService service{repository};
  testing::InlineJobRunner database_work;
  SteadyClock clock;
  ReservationCoalescer coalescer{repository, database_work, clock, CoalescerSettings{}};
  Metrics metrics;
  std::atomic<bool> draining{false};
  Router router;
  AddOperationsRoutes(router, OperationsContext{repository, metrics, "1.0", draining});
  AddStockRoutes(router, service);
  AddReservationRoutes(router, service, coalescer, metrics);
  testing::FakeDeadLetterRepository dead_letters;
  AddDeadLetterRoutes(router, dead_letters);
  EXPECT_EQ(RequiredAccess("POST", "/v1/admin/dead-letters/{dead_letter_id}/retry", {}), Access::Admin);
  for (const auto& route : router.routes()) {
    const Access access = RequiredAccess(route.method, route.pattern, AccessPolicySettings{});
    if (route.method == "GET") {
      EXPECT_TRUE(access == Access::Public || access == Access::Read) << route.method << " " << route.pattern;
    } else {
      EXPECT_TRUE(access == Access::Write || access == Access::Admin) << route.method << " " << route.pattern;
    }
  }
  EXPECT_EQ(RequiredAccess("POST", "/v1/some/new/route", {}), Access::Admin);
}

TEST(AccessPolicy, ScopesIncludeTheLowerOnes) {
  const Principal admin{"a", {scope::kAdmin}};
  const Principal writer{"w", {scope::kWrite}};
  const Principal reader{"r", {scope::kRead}};
  const Principal nobody{"n", {"openid", "inventory:readx"}};
  EXPECT_TRUE(Grants(admin, Access::Read) && Grants(admin, Access::Write) && Grants(admin, Access::Admin));
  EXPECT_TRUE(Grants(writer, Access::Read) && Grants(writer, Access::Write));
  EXPECT_FALSE(Grants(writer, Access::Admin));
  EXPECT_TRUE(Grants(reader, Access::Read));
  EXPECT_FALSE(Grants(reader, Access::Write));
  EXPECT_FALSE(Grants(nobody, Access::Read));
  EXPECT_TRUE(Grants(nobody, Access::Public));
}

TEST(AccessPolicy, PublicStockReadsNeverIncludeTheLedger) {
  const AccessPolicySettings open{true};
  EXPECT_EQ(RequiredAccess("GET", "/v1/stock/{product_id}", open), Access::Public);
  EXPECT_EQ(RequiredAccess("GET", "/v1/stock/{product_id}/availability", open), Access::Public);
  EXPECT_EQ(RequiredAccess("GET", "/v1/stock/{product_id}/ledger", open), Access::Read);
  EXPECT_EQ(RequiredAccess("GET", "/v1/reservations/{reservation_id}", open), Access::Read);
}

// Tokens are "Bearer <subject>:<scope,scope>"; anything else is refused.
class FakeAuthenticator : public Authenticator {
 public:
  AuthenticationResult Authenticate(const std::string& header) const override {
    AuthenticationResult result;
    if (header.empty())
      return result;
    result.credentials_present = true;
    const auto colon = header.find(':');
    if (header.rfind("Bearer ", 0) != 0 || colon == std::string::npos) {
      result.failure = "bad \"token\"";
      return result;
    }
    Principal principal{header.substr(7, colon - 7), {}};
    std::string scopes = header.substr(colon + 1);
    std::size_t start = 0;
    while (start <= scopes.size()) {
      const auto comma = scopes.find(',', start);
      principal.scopes.insert(scopes.substr(start, comma - start));
      if (comma == std::string::npos)
        break;
      start = comma + 1;
    }
    result.principal = principal;
    return result;
  }
};

class AuthorizedPipelineTest : public ::testing::Test {
 protected:
  AuthorizedPipelineTest() {
    AddOperationsRoutes(router, OperationsContext{repository, metrics, "1.0", draining});
    AddStockRoutes(router, service);
    AddReservationRoutes(router, service, coalescer, metrics);
    router.Add({"GET", "/test/actor", BodyKind::None, {}, [](const HttpRequest&) {
                  HttpResponse response;
                  response.body = CurrentActor().value_or("<none>");
                  return response;
                }});
  }

  HttpResponse Send(RequestPipeline& pipeline_to_use, const std::string& method, const std::string& path,
                    const std::string& authorization, bool internal = false, const std::string& body = "") {
    HttpRequest request;
    request.method = method;
    request.raw_path = path;
    request.authorization = authorization;
    request.internal_listener = internal;
    request.body = body;
    request.content_type = body.empty() ? "" : "application/json";
    return testing::HandleNow(pipeline_to_use, request);
  }

  static std::string Header(const HttpResponse& response, const std::string& name) {
    for (const auto& [key, value] : response.headers)
      if (key == name)
        return value;
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
  FakeAuthenticator fake;
  RequestAuthorizer authorizer{&fake, AuthorizerSettings{}};
  RequestAuthorizer internal_only{&fake, AuthorizerSettings{{}, true}};
  RequestAuthorizer off{nullptr, AuthorizerSettings{}};
  RequestPipeline pipeline{router,   metrics,       logger,    PipelineSettings{1024, 3},
                           draining, database_work, authorizer};
  RequestPipeline split_pipeline{router,   metrics,       logger,       PipelineSettings{1024, 3},
                                 draining, database_work, internal_only};
  RequestPipeline open_pipeline{router,   metrics,       logger, PipelineSettings{1024, 3},
                                draining, database_work, off};
};

TEST_F(AuthorizedPipelineTest, MissingTokenIs401WithAChallenge) {
  const auto response = Send(pipeline, "GET", "/v1/stock", "");
  EXPECT_EQ(response.status, 401);
  EXPECT_EQ(response.content_type, "application/problem+json");
  EXPECT_EQ(Header(response, "WWW-Authenticate"), "Bearer realm=\"inventory\"");
  EXPECT_EQ(nlohmann::json::parse(response.body)["status"], 401);
}

TEST_F(AuthorizedPipelineTest, BadTokenIs401InvalidToken) {
  const auto response = Send(pipeline, "GET", "/v1/stock", "Bearer nonsense");
  EXPECT_EQ(response.status, 401);
  EXPECT_NE(Header(response, "WWW-Authenticate").find("error=\"invalid_token\""), std::string::npos);
  EXPECT_EQ(Header(response, "WWW-Authenticate").find("\"token\""), std::string::npos);
}

TEST_F(AuthorizedPipelineTest, MissingScopeIs403InsufficientScope) {
  const auto response = Send(pipeline, "POST", "/v1/admin/expire-reservations", "Bearer ann:inventory:write");
  EXPECT_EQ(response.status, 403);
  EXPECT_EQ(Header(response, "WWW-Authenticate"),
            "Bearer realm=\"inventory\", error=\"insufficient_scope\", scope=\"inventory:admin\"");
}

TEST_F(AuthorizedPipelineTest, AuthenticationComesBeforeBodyChecks) {
  EXPECT_EQ(Send(pipeline, "POST", "/v1/reservations", "", false, "{not json").status, 401);
  EXPECT_EQ(Send(pipeline, "GET", "/no/such/route", "").status, 404);
}

TEST_F(AuthorizedPipelineTest, ProbesAndDocumentsArePublic) {
  EXPECT_EQ(Send(pipeline, "GET", "/health", "").status, 200);
  EXPECT_EQ(Send(pipeline, "GET", "/ready", "").status, 200);
  EXPECT_EQ(Send(pipeline, "GET", "/openapi.json", "").status, 200);
  EXPECT_EQ(Send(pipeline, "GET", "/docs", "").status, 200);
  EXPECT_EQ(Send(pipeline, "GET", "/docs/swagger-ui-NOTICE.txt", "").status, 200);
}

TEST_F(AuthorizedPipelineTest, TheSubjectIsTheActorForTheRequestOnly) {
  EXPECT_EQ(Send(pipeline, "GET", "/test/actor", "Bearer ann:inventory:admin").body, "ann");
  EXPECT_FALSE(CurrentActor().has_value());
  EXPECT_EQ(Send(open_pipeline, "GET", "/test/actor", "").body, "<none>");
}

TEST_F(AuthorizedPipelineTest, InternalListenerRuleKeepsWritesOffThePublicListener) {
  EXPECT_EQ(
      Send(split_pipeline, "POST", "/v1/admin/expire-reservations", "Bearer ann:inventory:admin").status,
      403);
  EXPECT_EQ(Send(split_pipeline, "POST", "/v1/admin/expire-reservations", "Bearer ann:inventory:admin", true)
                .status,
            200);
  EXPECT_EQ(Send(split_pipeline, "GET", "/v1/stock", "Bearer ann:inventory:read").status, 200);
}

TEST_F(AuthorizedPipelineTest, ReadyWarnsWhenAuthenticationIsOff) {
  const auto response = Send(open_pipeline, "GET", "/ready", "");
  EXPECT_EQ(response.status, 200);
  EXPECT_NE(Header(response, "Warning").find("authentication is off"), std::string::npos);
  EXPECT_EQ(nlohmann::json::parse(response.body)["warnings"].size(), 1u);
  EXPECT_EQ(Header(Send(pipeline, "GET", "/ready", ""), "Warning"), "");
}

}  // namespace
}  // namespace inventory
