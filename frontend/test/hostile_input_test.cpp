// hostile_input_test.cpp: regression tests for hostile inputs that once got a 500 or escaped the
// decoders' MalformedMessage (found by tests/hostile and kept as fuzz regressions too).
#include <gtest/gtest.h>

#include <cstdio>

#include "domain/cdc_event.h"
#include "domain/inventory_service.h"
#include "domain/order_event.h"
#include "execution/reservation_coalescer.h"
#include "fake_inventory_repository.h"
#include "handlers/request_pipeline.h"
#include "handlers/reservation_handlers.h"
#include "handlers/stock_handlers.h"
#include "inline_job_runner.h"
#include "pipeline_test_support.h"

namespace inventory {
namespace {

TEST(HostileInput, NumbersBeyondADoubleAreMalformedRequestsNot500) {
  testing::FakeInventoryRepository repository;
  InventoryService service{repository};
  testing::InlineJobRunner database_work;
  SteadyClock clock;
  ReservationCoalescer coalescer{repository, database_work, clock, CoalescerSettings{}};
  Metrics metrics;
  std::atomic<bool> draining{false};
  Router router;
  AddStockRoutes(router, service);
  AddReservationRoutes(router, service, coalescer, metrics);
  std::FILE* sink = std::tmpfile();
  JsonLogger logger{LogLevel::Info, sink};
  RequestPipeline pipeline{router, metrics, logger, PipelineSettings{4096, 2}, draining, database_work};
  auto send = [&](const std::string& method, const std::string& path, const std::string& body,
                  const std::string& content_type) {
    HttpRequest request;
    request.method = method;
    request.raw_path = path;
    request.body = body;
    request.content_type = content_type;
    return testing::HandleNow(pipeline, request).status;
  };
  EXPECT_EQ(send("POST", "/v1/reservations", R"({"order_id":"o","lines":[{"product_id":"p","quantity":1e400}]})",
                 "application/json"),
            400);
  EXPECT_EQ(send("PUT", "/v1/stock/p/main", R"({"on_hand":-1e400})", "application/json"), 400);
  EXPECT_EQ(send("POST", "/v1/stock/import", "{\"product_id\":\"p\",\"on_hand\":1e400}\n", "application/x-ndjson"),
            400);
}

TEST(HostileInput, NumbersBeyondADoubleAreMalformedMessages) {
  EXPECT_THROW(
      DecodeOrderEvent(OrderAction::Reserve, R"({"orderId":"o","items":[{"productId":"p","quantity":1e400}]})"),
      MalformedMessage);
  EXPECT_THROW(DecodeProductChange(R"({"payload":{"after":{"id":"p","stock":-1e400},"op":"c"}})", "main"),
               MalformedMessage);
  EXPECT_THROW(DecodeOrderItemInsert(R"({"after":{"order_id":"o","product_id":"p","quantity":1e400},"op":"c"})"),
               MalformedMessage);
}

}  // namespace
}  // namespace inventory
