// stock_import_parser.h: bodies of POST /v1/stock/import into stock upserts. CSV has a header row
// naming its columns (product_id and on_hand required; warehouse, name, low_stock_threshold
// optional); JSON lines have one object per line. Errors name the line.
#pragma once

#include <string>
#include <vector>

#include "domain/stock.h"

namespace inventory {

std::vector<StockUpsert> ParseCsvImport(const std::string& body);
std::vector<StockUpsert> ParseJsonLinesImport(const std::string& body);

}  // namespace inventory
