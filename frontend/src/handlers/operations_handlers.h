// operations_handlers.h: /health (process alive), /ready (database reachable, extension version as
// expected, not draining), /metrics (Prometheus text) and /openapi.json.
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
