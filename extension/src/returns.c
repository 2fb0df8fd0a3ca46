/*
 * returns.c
 *    inventory_return: units of a shipped reservation come back. With restock they go back into
 *    on_hand (ledger reason return); without, they are written off (reason write_off, on_hand
 *    unchanged). Either way the return is one ledger row, one inventory.updated event and one
 *    version of the stock row, like every change. The reservation keeps its returned total
 *    (returned_quantity), so returns, partial or whole, never bring back more than was shipped.
 *
 * Locking: as every move of a reservation (transitions.c): the reservation is found without a lock,
 * its stock row locked, and the reservation read again under that lock. Two returns of one
 * reservation therefore run one after the other, and the second decides on the first's total.
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "utils/builtins.h"
#include "utils/uuid.h"

#include "inventory.h"
#include "inventory_errors.h"

PG_FUNCTION_INFO_V1(inventory_return);

/* The columns of the result, in order. */
enum ReturnColumn
{
	COLUMN_RESERVATION_ID,
	COLUMN_ORDER_ID,
	COLUMN_PRODUCT_ID,
	COLUMN_WAREHOUSE,
	COLUMN_SHIPPED_QUANTITY,
	COLUMN_RETURNED_QUANTITY,
	COLUMN_ON_HAND,
	COLUMN_RESERVED,
	COLUMN_AVAILABLE,
	COLUMN_VERSION,
	RETURN_NCOLUMNS
};

/* A shipped reservation as a return needs it. */
typedef struct ReturnableReservation
{
	char	   *order_id;
	int64		quantity;
	char	   *status;
	int64		returned_quantity;
} ReturnableReservation;

static SavedPlan FindReservationPlan = {
	.sql = "SELECT product_id, warehouse FROM inventory.reservations WHERE id = $1",
	.nargs = 1,
	.argtypes = {UUIDOID},
};

static SavedPlan ReadReservationPlan = {
	.sql = "SELECT order_id, quantity, status, returned_quantity FROM inventory.reservations"
	" WHERE id = $2 AND product_id = $1",
	.nargs = 2,
	.argtypes = {TEXTOID, UUIDOID},
};

static void ReadUnderLock(const pg_uuid_t *id, const char *product_id, ReturnableReservation *reservation);
static void EmitReturn(ReturnSetInfo *rsinfo, const pg_uuid_t *id, const StockRow *row,
					   const ReturnableReservation *reservation);

/* inventory_return takes units of a shipped reservation back, restocked or written off. */
Datum
inventory_return(PG_FUNCTION_ARGS)
{
	pg_uuid_t  *id = RequireUuid(fcinfo, 0, "reservation_id");
	int64		quantity = RequireQuantity(fcinfo, 1, "quantity");
	bool		restock;
	StockChange change = {0};
	ReturnableReservation reservation;
	StockRow	row;
	ChangeBuffer *buffer;
	Datum		key;
	char	   *product_id;
	char	   *warehouse;

	if (PG_ARGISNULL(2))
		ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE), errmsg("restock must not be null")));
	restock = PG_GETARG_BOOL(2);
	if (PG_ARGISNULL(3))
		ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE), errmsg("reason must not be null")));
	change.note = OptionalText(fcinfo, 3, "reason", INVENTORY_MAX_TEXT_BYTES);
	change.actor = OptionalText(fcinfo, 4, "actor", INVENTORY_MAX_TEXT_BYTES);

	InitMaterializedSRF(fcinfo, 0);
	ConnectSpi();
	key = UUIDPGetDatum(id);
	ExecuteSavedPlan(&FindReservationPlan, &key, NULL, 1);
	if (SPI_processed == 0)
		ereport(ERROR, (errcode(ERRCODE_INVENTORY_UNKNOWN_RESERVATION),
						errmsg("reservation %s does not exist", UuidText(id))));
	product_id = ColumnText(0, 1);
	warehouse = ColumnText(0, 2);
	SPI_freetuptable(SPI_tuptable);

	if (!LockStockRow(product_id, warehouse, false, &row))
	{
		RequestError error = {0};

		UnknownStockError(&error, product_id, warehouse);
		SetRequestErrorHint(&error, "Create the stock row with inventory_set_stock before taking the goods back.");
		RaiseRequestError(&error);
	}
	ReadUnderLock(id, product_id, &reservation);
	if (strcmp(reservation.status, "shipped") != 0)
		ereport(ERROR, (errcode(ERRCODE_INVENTORY_INVALID_TRANSITION),
						errmsg("cannot return units of reservation %s of product \"%s\" in warehouse \"%s\": it is %s",
							   UuidText(id), product_id, warehouse, reservation.status),
						errhint("Only shipped units can come back; release a reservation that was not shipped.")));
	if (quantity > reservation.quantity - reservation.returned_quantity)
		ereport(ERROR, (errcode(ERRCODE_INVENTORY_INVALID_TRANSITION),
						errmsg("cannot return " INT64_FORMAT " units of reservation %s of product \"%s\" in warehouse \"%s\": "
							   INT64_FORMAT " were shipped and " INT64_FORMAT " already returned",
							   quantity, UuidText(id), product_id, warehouse, reservation.quantity,
							   reservation.returned_quantity),
						errhint("Return at most the shipped units that have not come back yet.")));

	change.reason = restock ? "return" : "write_off";
	change.on_hand_delta = restock ? quantity : 0;
	change.order_id = reservation.order_id;
	change.reservation_id = id;
	change.reservation_write = RESERVATION_RETURN;
	change.returned_before = reservation.returned_quantity;
	change.returned_after = reservation.returned_quantity + quantity;
	buffer = ChangeBufferCreate();
	RecordStockChange(buffer, &row, &change);
	FlushChanges(buffer);
	reservation.returned_quantity = change.returned_after;
	EmitReturn((ReturnSetInfo *) fcinfo->resultinfo, id, &row, &reservation);
	SPI_finish();
	return (Datum) 0;
}

/* ReadUnderLock reads the reservation again once its stock row is locked. */
static void
ReadUnderLock(const pg_uuid_t *id, const char *product_id, ReturnableReservation *reservation)
{
	Datum		key[2] = {CStringGetTextDatum(product_id), UUIDPGetDatum(id)};

	ExecuteSavedPlan(&ReadReservationPlan, key, NULL, 1);
	RequireRowCount(1, "reservation read again under its stock row lock");
	reservation->order_id = ColumnText(0, 1);
	reservation->quantity = ColumnInt64(0, 2);
	reservation->status = ColumnText(0, 3);
	reservation->returned_quantity = ColumnInt64(0, 4);
	SPI_freetuptable(SPI_tuptable);
}

/* EmitReturn returns the reservation's shipped and returned totals and its stock row after the return. */
static void
EmitReturn(ReturnSetInfo *rsinfo, const pg_uuid_t *id, const StockRow *row,
		   const ReturnableReservation *reservation)
{
	Datum		values[RETURN_NCOLUMNS];
	bool		nulls[RETURN_NCOLUMNS] = {0};
	pg_uuid_t  *copy = palloc(sizeof(pg_uuid_t));

	*copy = *id;
	values[COLUMN_RESERVATION_ID] = UUIDPGetDatum(copy);
	values[COLUMN_ORDER_ID] = CStringGetTextDatum(reservation->order_id);
	values[COLUMN_PRODUCT_ID] = CStringGetTextDatum(row->product_id);
	values[COLUMN_WAREHOUSE] = CStringGetTextDatum(row->warehouse);
	values[COLUMN_SHIPPED_QUANTITY] = Int64GetDatum(reservation->quantity);
	values[COLUMN_RETURNED_QUANTITY] = Int64GetDatum(reservation->returned_quantity);
	values[COLUMN_ON_HAND] = Int64GetDatum(row->on_hand);
	values[COLUMN_RESERVED] = Int64GetDatum(row->reserved);
	values[COLUMN_AVAILABLE] = Int64GetDatum(StockRowAvailable(row));
	values[COLUMN_VERSION] = Int64GetDatum(row->version);
	tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
}
