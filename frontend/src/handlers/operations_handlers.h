// operations_handlers.h: /health (process alive), /ready (database reachable, extension version as
// expected, not draining), /metrics (Prometheus text), /openapi.json and the API page /docs
// (api_docs_handlers.h).
#pragma once

#include <atomic>
#include <string>

#include "domain/inventory_repository.h"
#include "handlers/router.h"
#include "observability/metrics.h"

namespace inventory {

struct OperationsContext {
  InventoryRepository& repository;
  Metrics& metrics;
  std::string expected_extension_version;
  const std::atomic<bool>& draining;
  int retry_after_seconds = 2;  // RETRY_AFTER_S: the Retry-After of every 503 /ready answers
};

void AddOperationsRoutes(Router& router, const OperationsContext& context);

}  // namespace inventory
