// page_cursor.h: opaque pagination cursors. A cursor is the hex encoding of the last key of a page,
// so clients pass it back unchanged and never depend on its contents.
#pragma once

#include <string>

#include "domain/stock.h"

namespace inventory {

std::string EncodeStockCursor(const StockCursor& cursor);
// Throws DomainError(InvalidValue) for a cursor this service did not produce.
StockCursor DecodeStockCursor(const std::string& text);

std::string EncodeLedgerCursor(const LedgerCursor& cursor);
LedgerCursor DecodeLedgerCursor(const std::string& text);

}  // namespace inventory
