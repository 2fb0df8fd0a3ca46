// openapi_document_test.cpp: /openapi.json (and so the /docs page drawn from it) describes exactly
// the routes the service registers, and marks as needing a bearer token exactly the routes the
// access policy protects.
#include "handlers/openapi_document.h"

#include <gtest/gtest.h>

#include <cctype>
#include <nlohmann/json.hpp>
#include <set>
#include <string>

#include "auth/access_policy.h"
#include "domain/inventory_service.h"
#include "execution/reservation_coalescer.h"
#include "fake_dead_letter_repository.h"
#include "fake_inventory_repository.h"
#include "handlers/dead_letter_handlers.h"
#include "handlers/operations_handlers.h"
#include "handlers/reservation_handlers.h"
#include "handlers/stock_handlers.h"
#include "inline_job_runner.h"

namespace inventory {
namespace {

// ChangeCase(text, to_upper) spells an HTTP method the router's way (GET) or OpenAPI's (get).
std::string ChangeCase(std::string text, bool to_upper) {
  for (auto& c : text) {
    const auto byte = static_cast<unsigned char>(c);
    c = static_cast<char>(to_upper ? std::toupper(byte) : std::tolower(byte));
  }
  return text;
}

class OpenApiDocumentTest : public ::testing::Test {
 protected:
  OpenApiDocumentTest() {
    AddOperationsRoutes(router, OperationsContext{repository, metrics, "1.0", draining});
    AddStockRoutes(router, service);
    AddReservationRoutes(router, service, coalescer, metrics);
    AddDeadLetterRoutes(router, dead_letters);
  }

  testing::FakeInventoryRepository repository;
  testing::FakeDeadLetterRepository dead_letters;
  InventoryService service{repository};
  testing::InlineJobRunner database_work;
  SteadyClock clock;
  ReservationCoalescer coalescer{repository, database_work, clock, CoalescerSettings{}};
  Metrics metrics;
  std::atomic<bool> draining{false};
  Router router;
  const nlohmann::json document = nlohmann::json::parse(OpenApiDocument());
};

TEST_F(OpenApiDocumentTest, DescribesExactlyTheRegisteredRoutes) {
  std::set<std::string> registered;
  for (const auto& route : router.routes())
    registered.insert(route.method + " " + route.pattern);
  std::set<std::string> documented;
  for (const auto& [path, item] : document.at("paths").items()) {
    for (const auto& [method, operation] : item.items())
      documented.insert(ChangeCase(method, true) + " " + path);
  }
  EXPECT_EQ(documented, registered);
}

TEST_F(OpenApiDocumentTest, MarksAsProtectedExactlyTheRoutesThatNeedAToken) {
  for (const auto& route : router.routes()) {
    const auto& operation = document.at("paths").at(route.pattern).at(ChangeCase(route.method, false));
    const auto& security =
        operation.contains("security") ? operation.at("security") : document.at("security");
    const bool is_public =
        RequiredAccess(route.method, route.pattern, AccessPolicySettings{}) == Access::Public;
    EXPECT_EQ(security.empty(), is_public) << route.method << " " << route.pattern;
    if (!is_public) {
      EXPECT_TRUE(operation.at("responses").contains("401")) << route.method << " " << route.pattern;
      EXPECT_TRUE(operation.at("responses").contains("403")) << route.method << " " << route.pattern;
    }
  }
}

}  // namespace
}  // namespace inventory
