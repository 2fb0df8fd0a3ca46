// row_mapping.h: libpqxx rows of the prepared statements into domain values.
#pragma once

#include <pqxx/row>

#include "domain/reservation.h"
#include "domain/stock.h"

namespace inventory {

StockLevel StockLevelFromRow(const pqxx::row& row);
// The reservation columns start at first_column (the batch statement puts its own columns first).
Reservation ReservationFromRow(const pqxx::row& row, int first_column = 0);
LedgerEntry LedgerEntryFromRow(const pqxx::row& row);

}  // namespace inventory
