// row_mapping.h: libpqxx rows of the prepared statements into domain values.
#pragma once

#include <pqxx/row>

#include "domain/reservation.h"
#include "domain/stock.h"

namespace inventory {

StockLevel StockLevelFromRow(const pqxx::row& row);
Reservation ReservationFromRow(const pqxx::row& row);
LedgerEntry LedgerEntryFromRow(const pqxx::row& row);

}  // namespace inventory
