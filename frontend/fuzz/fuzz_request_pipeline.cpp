// fuzz_request_pipeline.cpp: arbitrary requests through the whole route table and pipeline, with an
// in-memory repository and a stand-in authenticator. The invariant: a request never gets a 5xx
// (the repository never fails here) and the response body of an error is problem+json.
//
// Input layout: byte 0 picks the method, byte 1 the content type, byte 2 the credentials; the rest
// is "path\nquery-name=value&...\nbody" (missing parts are empty).
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <string>

#include "auth/request_authorizer.h"
#include "domain/inventory_service.h"
#include "execution/reservation_coalescer.h"
#include "fake_inventory_repository.h"
#include "handlers/operations_handlers.h"
#include "handlers/request_pipeline.h"
#include "handlers/reservation_handlers.h"
#include "handlers/stock_handlers.h"
#include "inline_job_runner.h"
#include "pipeline_test_support.h"

namespace {

using namespace inventory;

// "Bearer admin" is an admin, "Bearer reader" a reader, everything else is refused.
class StandInAuthenticator : public Authenticator {
 public:
  AuthenticationResult Authenticate(const std::string& header) const override {
    AuthenticationResult result;
    result.credentials_present = !header.empty();
    if (header == "Bearer admin")
      result.principal = Principal{"fuzz-admin", {scope::kAdmin}};
    else if (header == "Bearer reader")
      result.principal = Principal{"fuzz-reader", {scope::kRead}};
    else
      result.failure = "refused";
    return result;
  }
};

struct World {
  testing::FakeInventoryRepository repository;
  InventoryService service{repository};
  testing::InlineJobRunner database_work;
  SteadyClock clock;
  ReservationCoalescer coalescer{repository, database_work, clock, CoalescerSettings{}};
  Metrics metrics;
  std::atomic<bool> draining{false};
  Router router;
  std::FILE* sink = std::fopen("/dev/null", "w");
  JsonLogger logger{LogLevel::Info, sink};
  StandInAuthenticator authenticator;
  RequestAuthorizer authorizer{&authenticator, AuthorizerSettings{}};
  RequestPipeline pipeline{router,   metrics,       logger,    PipelineSettings{64 * 1024, 2},
                           draining, database_work, authorizer};

  World() {
    AddOperationsRoutes(router, OperationsContext{repository, metrics, "1.0", draining});
    AddStockRoutes(router, service);
    AddReservationRoutes(router, service, coalescer, metrics);
  }
};

std::string NextPart(const std::string& text, std::size_t& position) {
  if (position >= text.size())
    return "";
  const auto end = text.find('\n', position);
  std::string part = text.substr(position, end == std::string::npos ? std::string::npos : end - position);
  position = end == std::string::npos ? text.size() : end + 1;
  return part;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static World* world = new World();
  if (size < 3)
    return 0;
  static const char* methods[] = {"GET", "POST", "PUT", "DELETE", "PATCH", "HEAD"};
  static const char* content_types[] = {
      "application/json", "text/csv", "application/x-ndjson", "application/json; charset=utf-8", "text/plain", ""};
  static const char* credentials[] = {"Bearer admin", "Bearer reader", "", "Bearer x"};
  HttpRequest request;
  request.method = methods[data[0] % 6];
  request.content_type = content_types[data[1] % 6];
  request.authorization = credentials[data[2] % 4];
  const std::string rest(reinterpret_cast<const char*>(data + 3), size - 3);
  std::size_t position = 0;
  request.raw_path = NextPart(rest, position);
  const std::string query = NextPart(rest, position);
  request.body = position < rest.size() ? rest.substr(position) : "";
  std::size_t start = 0;
  while (start < query.size()) {
    auto end = query.find('&', start);
    if (end == std::string::npos)
      end = query.size();
    const std::string pair = query.substr(start, end - start);
    const auto equals = pair.find('=');
    request.raw_query.emplace_back(pair.substr(0, equals), equals == std::string::npos ? "" : pair.substr(equals + 1));
    start = end + 1;
  }
  const HttpResponse response = testing::HandleNow(world->pipeline, request);
  if (response.status >= 500 || response.status < 200)
    std::abort();
  if (response.status >= 400 && nlohmann::json::parse(response.body, nullptr, false).is_discarded())
    std::abort();
  return 0;
}
