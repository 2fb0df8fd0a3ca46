// validation.h: the limits of every value the service accepts, checked before anything reaches the
// database. They mirror the extension's own checks (arguments.c), so a bad value gets a clear 422
// instead of a round trip. Each check throws DomainError(InvalidValue) naming the field.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "domain/reservation.h"
#include "domain/stock.h"

namespace inventory {

inline constexpr std::size_t kMaxIdBytes = 200;
inline constexpr std::size_t kMaxTextBytes = 1000;
inline constexpr std::int64_t kMaxQuantity = 1'000'000'000;
inline constexpr std::size_t kMaxOrderLines = 1000;
inline constexpr std::int64_t kMaxTtlSeconds = 7 * 24 * 60 * 60;
inline constexpr int kMaxPageSize = 1000;
inline constexpr int kMaxExpireBatch = 100000;

bool IsValidUtf8(const std::string& text);
bool IsUuid(const std::string& text);

// Product, warehouse and order ids: 1..200 bytes of UTF-8 without control characters.
void ValidateId(const std::string& value, const std::string& field);
// Names, notes and reasons: 1..1000 bytes of UTF-8 without control characters.
void ValidateText(const std::string& value, const std::string& field);
// A quantity to reserve or restock: 1..kMaxQuantity.
void ValidateQuantity(std::int64_t value, const std::string& field);
// An absolute on_hand or threshold: 0..kMaxQuantity.
void ValidateLevel(std::int64_t value, const std::string& field);
// A signed correction: non-zero, at most kMaxQuantity either way.
void ValidateDelta(std::int64_t value, const std::string& field);
void ValidatePageSize(int value);

void ValidateReservationRequest(const ReservationRequest& request);
// field_prefix names the row in messages, for instance "line 3: ".
void ValidateStockUpsert(const StockUpsert& upsert, const std::string& field_prefix);

}  // namespace inventory
