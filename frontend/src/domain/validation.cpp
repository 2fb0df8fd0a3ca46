// validation.cpp: value checks shared by every route; see validation.h for the limits.
#include "domain/validation.h"

#include <cctype>

#include "domain/domain_error.h"

namespace inventory {
namespace {

[[noreturn]] void Invalid(const std::string& message) {
  throw DomainError(ErrorKind::InvalidValue, message);
}

void ValidateBoundedText(const std::string& value, const std::string& field, std::size_t max_bytes) {
  if (value.empty())
    Invalid(field + " must not be empty");
  if (value.size() > max_bytes) {
    Invalid(field + " is " + std::to_string(value.size()) + " bytes long, more than the " +
            std::to_string(max_bytes) + " allowed");
  }
  if (!IsValidUtf8(value))
    Invalid(field + " must be valid UTF-8");
  for (unsigned char c : value) {
    if (c < 0x20 || c == 0x7f)
      Invalid(field + " must not contain control characters");
  }
}

}  // namespace

bool IsValidUtf8(const std::string& text) {
  std::size_t i = 0;
  while (i < text.size()) {
    const auto lead = static_cast<unsigned char>(text[i]);
    std::size_t length = 0;
    std::uint32_t code_point = 0;
    if (lead < 0x80) {
      length = 1;
      code_point = lead;
    } else if ((lead & 0xE0) == 0xC0) {
      length = 2;
      code_point = lead & 0x1F;
    } else if ((lead & 0xF0) == 0xE0) {
      length = 3;
      code_point = lead & 0x0F;
    } else if ((lead & 0xF8) == 0xF0) {
      length = 4;
      code_point = lead & 0x07;
    } else {
      return false;
    }
    if (i + length > text.size())
      return false;
    for (std::size_t k = 1; k < length; ++k) {
      const auto next = static_cast<unsigned char>(text[i + k]);
      if ((next & 0xC0) != 0x80)
        return false;
      code_point = (code_point << 6) | (next & 0x3F);
    }
    const bool overlong = (length == 2 && code_point < 0x80) || (length == 3 && code_point < 0x800) ||
                          (length == 4 && code_point < 0x10000);
    if (overlong || code_point > 0x10FFFF || (code_point >= 0xD800 && code_point <= 0xDFFF))
      return false;
    i += length;
  }
  return true;
}

bool IsUuid(const std::string& text) {
  if (text.size() != 36)
    return false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const bool dash_position = i == 8 || i == 13 || i == 18 || i == 23;
    if (dash_position ? text[i] != '-' : !std::isxdigit(static_cast<unsigned char>(text[i])))
      return false;
  }
  return true;
}

void ValidateId(const std::string& value, const std::string& field) {
  ValidateBoundedText(value, field, kMaxIdBytes);
}

void ValidateText(const std::string& value, const std::string& field) {
  ValidateBoundedText(value, field, kMaxTextBytes);
}

void ValidateQuantity(std::int64_t value, const std::string& field) {
  if (value <= 0)
    Invalid(field + " must be positive, not " + std::to_string(value));
  if (value > kMaxQuantity)
    Invalid(field + " must be at most " + std::to_string(kMaxQuantity));
}

void ValidateLevel(std::int64_t value, const std::string& field) {
  if (value < 0)
    Invalid(field + " must not be negative, not " + std::to_string(value));
  if (value > kMaxQuantity)
    Invalid(field + " must be at most " + std::to_string(kMaxQuantity));
}

void ValidateDelta(std::int64_t value, const std::string& field) {
  if (value == 0)
    Invalid(field + " must not be zero");
  if (value > kMaxQuantity || value < -kMaxQuantity) {
    Invalid(field + " must be between -" + std::to_string(kMaxQuantity) + " and " +
            std::to_string(kMaxQuantity));
  }
}

void ValidatePageSize(int value) {
  if (value < 1 || value > kMaxPageSize) {
    Invalid("limit must be between 1 and " + std::to_string(kMaxPageSize) + ", not " + std::to_string(value));
  }
}

void ValidateReservationRequest(const ReservationRequest& request) {
  ValidateId(request.order_id, "order_id");
  if (request.lines.empty())
    Invalid("lines must not be empty");
  if (request.lines.size() > kMaxOrderLines) {
    Invalid("lines has " + std::to_string(request.lines.size()) + " entries, more than the " +
            std::to_string(kMaxOrderLines) + " allowed");
  }
  for (std::size_t i = 0; i < request.lines.size(); ++i) {
    const auto& line = request.lines[i];
    const std::string prefix = "lines[" + std::to_string(i) + "].";
    ValidateId(line.product_id, prefix + "product_id");
    if (line.warehouse)
      ValidateId(*line.warehouse, prefix + "warehouse");
    ValidateQuantity(line.quantity, prefix + "quantity");
  }
  if (request.ttl_seconds && (*request.ttl_seconds < 1 || *request.ttl_seconds > kMaxTtlSeconds)) {
    Invalid("ttl_seconds must be between 1 and " + std::to_string(kMaxTtlSeconds) + ", not " +
            std::to_string(*request.ttl_seconds));
  }
}

void ValidateStockUpsert(const StockUpsert& upsert, const std::string& field_prefix) {
  ValidateId(upsert.product_id, field_prefix + "product_id");
  ValidateId(upsert.warehouse, field_prefix + "warehouse");
  ValidateLevel(upsert.on_hand, field_prefix + "on_hand");
  if (upsert.name)
    ValidateText(*upsert.name, field_prefix + "name");
  if (upsert.low_stock_threshold)
    ValidateLevel(*upsert.low_stock_threshold, field_prefix + "low_stock_threshold");
}

}  // namespace inventory
