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
};

void AddOperationsRoutes(Router& router, const OperationsContext& context);

}  // namespace inventory
