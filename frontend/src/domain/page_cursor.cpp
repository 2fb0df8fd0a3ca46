// page_cursor.cpp: hex encoding of "key<US>key" pairs (US is the 0x1f unit separator, which ids
// can never contain because validation refuses control characters).
#include "domain/page_cursor.h"

#include <cstdint>
#include <stdexcept>

#include "domain/domain_error.h"

namespace inventory {
namespace {

constexpr char kSeparator = '\x1f';

std::string ToHex(const std::string& raw) {
  static const char* digits = "0123456789abcdef";
  std::string out;
  out.reserve(raw.size() * 2);
  for (unsigned char c : raw) {
    out.push_back(digits[c >> 4]);
    out.push_back(digits[c & 0xF]);
  }
  return out;
}

int HexValue(char c) {
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  return -1;
}

[[noreturn]] void BadCursor() {
  throw DomainError(ErrorKind::InvalidValue, "cursor is not a cursor this service issued");
}

// Splits a decoded cursor into its two keys, refusing anything malformed.
std::pair<std::string, std::string> DecodePair(const std::string& text) {
  if (text.empty() || text.size() % 2 != 0 || text.size() > 2 * 1024)
    BadCursor();
  std::string raw;
  raw.reserve(text.size() / 2);
  for (std::size_t i = 0; i < text.size(); i += 2) {
    const int high = HexValue(text[i]);
    const int low = HexValue(text[i + 1]);
    if (high < 0 || low < 0)
      BadCursor();
    raw.push_back(static_cast<char>(high * 16 + low));
  }
  const auto split = raw.find(kSeparator);
  if (split == std::string::npos || split == 0 || split + 1 >= raw.size())
    BadCursor();
  return {raw.substr(0, split), raw.substr(split + 1)};
}

}  // namespace

std::string EncodeStockCursor(const StockCursor& cursor) {
  return ToHex(cursor.product_id + kSeparator + cursor.warehouse);
}

StockCursor DecodeStockCursor(const std::string& text) {
  auto [product_id, warehouse] = DecodePair(text);
  return StockCursor{product_id, warehouse};
}

std::string EncodeLedgerCursor(const LedgerCursor& cursor) {
  return ToHex(cursor.warehouse + kSeparator + std::to_string(cursor.version));
}

LedgerCursor DecodeLedgerCursor(const std::string& text) {
  auto [warehouse, version_text] = DecodePair(text);
  std::int64_t version = 0;
  for (char c : version_text) {
    if (c < '0' || c > '9' || version > (INT64_MAX - 9) / 10)
      BadCursor();
    version = version * 10 + (c - '0');
  }
  return LedgerCursor{warehouse, version};
}

}  // namespace inventory
