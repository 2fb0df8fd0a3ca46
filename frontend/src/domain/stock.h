// stock.h: stock levels, stock changes, pages of stock and ledger entries as plain values.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace inventory {

// One (product, warehouse) row as the stock view reports it; available leaves out overdue
// reservations.
struct StockLevel {
  std::string product_id;
  std::string warehouse;
  std::optional<std::string> name;
  std::int64_t on_hand = 0;
  std::int64_t reserved = 0;
  std::int64_t available = 0;
  std::optional<std::int64_t> low_stock_threshold;
  bool low_stock = false;
  std::int64_t version = 0;
  std::string updated_at;
};

// A product's totals over its warehouses, with the rows behind them.
struct ProductStock {
  std::string product_id;
  std::int64_t on_hand = 0;
  std::int64_t reserved = 0;
  std::int64_t available = 0;
  std::vector<StockLevel> warehouses;
};

// Position after which a page of stock continues (keyset on product_id, warehouse).
struct StockCursor {
  std::string product_id;
  std::string warehouse;
};

struct StockQuery {
  std::optional<std::string> warehouse;
  bool low_stock_only = false;
  std::optional<StockCursor> after;
  int limit = 100;
};

struct StockPage {
  std::vector<StockLevel> items;
  std::optional<std::string> next_cursor;
};

// An absolute stock level to create or update (PUT and bulk import).
struct StockUpsert {
  std::string product_id;
  std::string warehouse = "main";
  std::int64_t on_hand = 0;
  std::optional<std::string> name;
  std::optional<std::int64_t> low_stock_threshold;
};

struct Availability {
  std::string product_id;
  std::optional<std::string> warehouse;
  std::int64_t requested = 1;
  std::int64_t available = 0;
  bool in_stock = false;
};

struct LedgerEntry {
  std::string product_id;
  std::string warehouse;
  std::int64_t version = 0;
  std::int64_t on_hand_delta = 0;
  std::int64_t reserved_delta = 0;
  std::int64_t on_hand_after = 0;
  std::int64_t reserved_after = 0;
  std::string reason;
  std::optional<std::string> note;
  std::optional<std::string> order_id;
  std::optional<std::string> reservation_id;
  std::string db_user;
  std::optional<std::string> actor;
  std::string created_at;
};

// Position after which a page of a product's ledger continues (keyset on warehouse, version).
struct LedgerCursor {
  std::string warehouse;
  std::int64_t version = 0;
};

struct LedgerQuery {
  std::string product_id;
  std::optional<std::string> warehouse;
  std::optional<LedgerCursor> after;
  int limit = 100;
};

struct LedgerPage {
  std::vector<LedgerEntry> items;
  std::optional<std::string> next_cursor;
};

}  // namespace inventory
