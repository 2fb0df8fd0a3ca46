// stock_handlers.h: the /v1/stock routes: reads, upserts, restock, adjust, removal, bulk import
// and the ledger.
#pragma once

#include "domain/inventory_service.h"
#include "handlers/router.h"

namespace inventory {

void AddStockRoutes(Router& router, InventoryService& service);

}  // namespace inventory
