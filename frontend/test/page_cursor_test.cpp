// page_cursor_test.cpp: cursors round-trip and foreign cursors are refused.
#include "domain/page_cursor.h"

#include <gtest/gtest.h>

#include "domain/domain_error.h"

namespace inventory {
namespace {

TEST(PageCursor, StockCursorRoundTrips) {
  const auto decoded = DecodeStockCursor(EncodeStockCursor(StockCursor{"prod-1/x", "main"}));
  EXPECT_EQ(decoded.product_id, "prod-1/x");
  EXPECT_EQ(decoded.warehouse, "main");
}

TEST(PageCursor, LedgerCursorRoundTrips) {
  const auto decoded = DecodeLedgerCursor(EncodeLedgerCursor(LedgerCursor{"east", 42}));
  EXPECT_EQ(decoded.warehouse, "east");
  EXPECT_EQ(decoded.version, 42);
}

TEST(PageCursor, ForeignCursorsAreInvalidValues) {
  for (const std::string text : {"", "zz", "abc", "6162", "1f61", "61621f"}) {
    EXPECT_THROW(DecodeStockCursor(text), DomainError) << text;
  }
  EXPECT_THROW(DecodeLedgerCursor(EncodeStockCursor(StockCursor{"a", "b"})), DomainError);
}

}  // namespace
}  // namespace inventory
