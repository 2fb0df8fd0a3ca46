/*
 * stock_admin.c
 *    Stock changes made by people and systems that own the goods: inventory_restock,
 *    inventory_adjust, inventory_set_stock (upsert) and inventory_remove. Each locks one stock row,
 *    refuses a change that would leave on_hand below reserved (IN006) after expiring as many
 *    overdue reservations as the change needs, and writes the change through the change buffer.
 *    Restock, adjust and set_stock take an optional request id that makes a repeat return the
 *    first call's result (stock_requests.c); a repeated remove fails with IN002.
 *
 * Locking: one stock row, locked before anything is read from it. A row that set_stock creates
 * takes its version from the ledger under its lock, after any concurrent remove of the same row
 * has committed, so a re-created row never reuses a version.
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "utils/builtins.h"

#include "inventory.h"
#include "inventory_errors.h"

PG_FUNCTION_INFO_V1(inventory_restock);
PG_FUNCTION_INFO_V1(inventory_adjust);
PG_FUNCTION_INFO_V1(inventory_set_stock);
PG_FUNCTION_INFO_V1(inventory_remove);

/* How often set_stock retries when a concurrent remove deletes the row it was about to lock. */
#define SET_STOCK_ATTEMPTS 3

static SavedPlan CreateRowPlan = {
	.sql = "INSERT INTO inventory.stock (product_id, warehouse) VALUES ($1, $2)"
	" ON CONFLICT (product_id, warehouse) DO NOTHING RETURNING 1",
	.nargs = 2,
	.argtypes = {TEXTOID, TEXTOID},
};

/* A re-created row continues from the version its ledger reached. */
static SavedPlan LedgerVersionPlan = {
	.sql = "SELECT coalesce(max(version), 0) FROM inventory.ledger WHERE product_id = $1 AND warehouse = $2",
	.nargs = 2,
	.argtypes = {TEXTOID, TEXTOID},
};

static SavedPlan DeleteRowPlan = {
	.sql = "DELETE FROM inventory.stock WHERE product_id = $1 AND warehouse = $2",
	.nargs = 2,
	.argtypes = {TEXTOID, TEXTOID},
};

static void LockExistingRow(const char *product_id, const char *warehouse, StockRow *row);
static bool LockOrCreateRow(const char *product_id, const char *warehouse, StockRow *row);
static void DeleteRow(const char *product_id, const char *warehouse);
static bool LockRequestedRow(const StockRequest *request, bool create, StockRow *row, Datum *first_result);
static bool FitsAboveReserved(ChangeBuffer *buffer, StockRow *row, int64 on_hand);
static Datum WriteAndReturn(ChangeBuffer *buffer, StockRow *row, const StockRequest *request);
static Datum ReturnStockValue(Datum value);
static const char *Int64Text(int64 value);

/* inventory_restock adds goods to an existing stock row. */
Datum
inventory_restock(PG_FUNCTION_ARGS)
{
	StockRequest request = {.operation = "restock"};
	StockChange change = {0};
	StockRow	row;
	ChangeBuffer *buffer;
	Datum		first_result;
	int64		quantity;

	request.product_id = RequireId(fcinfo, 0, "product_id");
	quantity = RequireQuantity(fcinfo, 1, "quantity");
	request.warehouse = RequireId(fcinfo, 2, "warehouse");
	change.note = OptionalText(fcinfo, 3, "note", INVENTORY_MAX_TEXT_BYTES);
	request.request_id = OptionalAddedId(fcinfo, 4, "request_id");
	change.actor = OptionalAddedText(fcinfo, 5, "actor", INVENTORY_MAX_TEXT_BYTES);
	AddStockRequestArgument(&request, "quantity", Int64Text(quantity));
	AddStockRequestArgument(&request, "note", change.note);
	change.reason = "restock";
	change.on_hand_delta = quantity;

	ConnectSpi();
	(void) ProductShardsHere(request.product_id, true);
	if (LockRequestedRow(&request, false, &row, &first_result))
		return ReturnStockValue(first_result);
	buffer = ChangeBufferCreate();
	RecordStockChange(buffer, &row, &change);
	return WriteAndReturn(buffer, &row, &request);
}

/* inventory_adjust corrects on_hand by a signed delta, with a reason. */
Datum
inventory_adjust(PG_FUNCTION_ARGS)
{
	StockRequest request = {.operation = "adjust"};
	StockChange change = {0};
	StockRow	row;
	ChangeBuffer *buffer;
	Datum		first_result;
	int64		delta;

	request.product_id = RequireId(fcinfo, 0, "product_id");
	request.warehouse = RequireId(fcinfo, 3, "warehouse");
	if (PG_ARGISNULL(1))
		ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE), errmsg("delta must not be null")));
	delta = PG_GETARG_INT64(1);
	if (delta == 0)
		ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE), errmsg("delta must not be zero")));
	if (delta < -InventoryMaxQuantity || delta > InventoryMaxQuantity)
		ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						errmsg("delta of " INT64_FORMAT " exceeds inventory.max_quantity (%d) in size",
							   delta, InventoryMaxQuantity)));
	if (PG_ARGISNULL(2))
		ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE), errmsg("reason must not be null")));
	change.note = OptionalText(fcinfo, 2, "reason", INVENTORY_MAX_TEXT_BYTES);
	request.request_id = OptionalAddedId(fcinfo, 4, "request_id");
	change.actor = OptionalAddedText(fcinfo, 5, "actor", INVENTORY_MAX_TEXT_BYTES);
	AddStockRequestArgument(&request, "delta", Int64Text(delta));
	AddStockRequestArgument(&request, "reason", change.note);
	change.reason = "adjust";
	change.on_hand_delta = delta;

	ConnectSpi();
	(void) ProductShardsHere(request.product_id, true);
	if (LockRequestedRow(&request, false, &row, &first_result))
		return ReturnStockValue(first_result);
	buffer = ChangeBufferCreate();
	if (row.on_hand + delta < 0)
		ereport(ERROR, (errcode(ERRCODE_INVENTORY_BELOW_RESERVED),
						errmsg("adjusting product \"%s\" in warehouse \"%s\" by " INT64_FORMAT
							   " would make on_hand negative (" INT64_FORMAT ")",
							   row.product_id, row.warehouse, delta, row.on_hand + delta)));
	if (delta < 0 && !FitsAboveReserved(buffer, &row, row.on_hand + delta))
		ereport(ERROR, (errcode(ERRCODE_INVENTORY_BELOW_RESERVED),
						errmsg("adjusting product \"%s\" in warehouse \"%s\" to on_hand " INT64_FORMAT
							   " would leave it below the " INT64_FORMAT " reserved",
							   row.product_id, row.warehouse, row.on_hand + delta,
							   row.reserved - row.tentative_freed),
						errhint("Release reservations first, or change on_hand by less.")));
	RecordStockChange(buffer, &row, &change);
	return WriteAndReturn(buffer, &row, &request);
}

/* inventory_set_stock creates a stock row or sets its on_hand, name and threshold. */
Datum
inventory_set_stock(PG_FUNCTION_ARGS)
{
	StockRequest request = {.operation = "set_stock"};
	StockChange change = {0};
	StockRow	row;
	ChangeBuffer *buffer;
	Datum		first_result;
	int64		on_hand;

	request.product_id = RequireId(fcinfo, 0, "product_id");
	request.warehouse = RequireId(fcinfo, 2, "warehouse");
	if (PG_ARGISNULL(1))
		ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE), errmsg("on_hand must not be null")));
	on_hand = PG_GETARG_INT64(1);
	if (on_hand < 0)
		ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						errmsg("on_hand must not be negative, not " INT64_FORMAT, on_hand)));
	if (on_hand > 0)
		CheckQuantity(on_hand, "on_hand");
	change.name = OptionalText(fcinfo, 3, "name", INVENTORY_MAX_TEXT_BYTES);
	if (!PG_ARGISNULL(4))
	{
		change.has_threshold = true;
		change.threshold = PG_GETARG_INT64(4);
		if (change.threshold < 0)
			ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
							errmsg("low_stock_threshold must not be negative, not " INT64_FORMAT,
								   change.threshold)));
	}
	request.request_id = OptionalAddedId(fcinfo, 5, "request_id");
	change.actor = OptionalAddedText(fcinfo, 6, "actor", INVENTORY_MAX_TEXT_BYTES);
	AddStockRequestArgument(&request, "on_hand", Int64Text(on_hand));
	AddStockRequestArgument(&request, "name", change.name);
	AddStockRequestArgument(&request, "low_stock_threshold",
							change.has_threshold ? Int64Text(change.threshold) : NULL);
	change.reason = "set";

	ConnectSpi();
	(void) ProductShardsHere(request.product_id, true);
	if (LockRequestedRow(&request, true, &row, &first_result))
		return ReturnStockValue(first_result);
	buffer = ChangeBufferCreate();
	if (!FitsAboveReserved(buffer, &row, on_hand))
		ereport(ERROR, (errcode(ERRCODE_INVENTORY_BELOW_RESERVED),
						errmsg("setting product \"%s\" in warehouse \"%s\" to on_hand " INT64_FORMAT
							   " would leave it below the " INT64_FORMAT " reserved",
							   row.product_id, row.warehouse, on_hand, row.reserved - row.tentative_freed),
						errhint("Release reservations first, or change on_hand by less.")));
	change.on_hand_delta = on_hand - row.on_hand;
	RecordStockChange(buffer, &row, &change);
	return WriteAndReturn(buffer, &row, &request);
}

/* inventory_remove deletes a stock row that holds no reservations. */
Datum
inventory_remove(PG_FUNCTION_ARGS)
{
	const char *product_id = RequireId(fcinfo, 0, "product_id");
	const char *warehouse = RequireId(fcinfo, 1, "warehouse");
	StockChange change = {0};
	StockRow	row;
	ChangeBuffer *buffer;

	change.actor = OptionalAddedText(fcinfo, 2, "actor", INVENTORY_MAX_TEXT_BYTES);
	ConnectSpi();
	(void) ProductShardsHere(product_id, true);
	buffer = ChangeBufferCreate();
	LockExistingRow(product_id, warehouse, &row);
	if (row.reserved > 0 && PlanOverdueExpiry(&row, row.reserved))
		ExpirePlannedOverdue(buffer, &row);
	if (row.reserved > 0)
		ereport(ERROR, (errcode(ERRCODE_INVENTORY_BELOW_RESERVED),
						errmsg("cannot remove product \"%s\" from warehouse \"%s\": " INT64_FORMAT
							   " of it is reserved", product_id, warehouse, row.reserved - row.tentative_freed),
						errhint("Release or ship its reservations first.")));
	change.reason = "remove";
	change.on_hand_delta = -row.on_hand;
	RecordStockChange(buffer, &row, &change);
	FlushChanges(buffer);
	EndOverdueScans(&row, 1);
	DeleteRow(product_id, warehouse);
	SPI_finish();
	PG_RETURN_VOID();
}

/* LockExistingRow locks a stock row, raising IN002 when there is none. */
static void
LockExistingRow(const char *product_id, const char *warehouse, StockRow *row)
{
	RequestError error = {0};

	if (LockStockRow(product_id, warehouse, false, row))
		return;
	UnknownStockError(&error, product_id, warehouse);
	SetRequestErrorHint(&error, "Create the stock row with inventory_set_stock.");
	RaiseRequestError(&error);
}

/*
 * LockOrCreateRow locks a stock row, creating it first when it does not exist; true when this call
 * created it. A created row's version is read from the ledger under its lock, so it follows a
 * concurrent remove's last version.
 */
static bool
LockOrCreateRow(const char *product_id, const char *warehouse, StockRow *row)
{
	Datum		key[2] = {CStringGetTextDatum(product_id), CStringGetTextDatum(warehouse)};
	int			attempt;

	for (attempt = 0; attempt < SET_STOCK_ATTEMPTS; attempt++)
	{
		bool		created;

		ExecuteSavedPlan(&CreateRowPlan, key, NULL, 0);
		created = SPI_processed == 1;
		SPI_freetuptable(SPI_tuptable);
		if (!LockStockRow(product_id, warehouse, false, row))
			continue;			/* removed by a concurrent call after our insert found it: again */
		if (created)
		{
			ExecuteSavedPlan(&LedgerVersionPlan, key, NULL, 1);
			RequireRowCount(1, "ledger version");
			row->version = ColumnInt64(0, 1);
			SPI_freetuptable(SPI_tuptable);
		}
		return created;
	}
	ereport(ERROR, (errcode(ERRCODE_T_R_SERIALIZATION_FAILURE),
					errmsg("stock row of product \"%s\" in warehouse \"%s\" was removed concurrently %d times",
						   product_id, warehouse, SET_STOCK_ATTEMPTS),
					errhint("Retry the call.")));
	pg_unreachable();
}

/* DeleteRow deletes a locked stock row. */
static void
DeleteRow(const char *product_id, const char *warehouse)
{
	Datum		key[2] = {CStringGetTextDatum(product_id), CStringGetTextDatum(warehouse)};

	ExecuteSavedPlan(&DeleteRowPlan, key, NULL, 0);
	RequireRowCount(1, "stock row deleted");
}

/*
 * LockRequestedRow locks the request's stock row (creating it when create is set), unless the call
 * repeats a recorded request: then true with the first call's result, and nothing changed. The id
 * is looked up before the lock (a repeat needs none, and must not bring back a removed row) and
 * again under it (a first call may have committed while this one waited for the row).
 */
static bool
LockRequestedRow(const StockRequest *request, bool create, StockRow *row, Datum *first_result)
{
	bool		created = false;

	if (FindRepeatedStockRequest(request, first_result))
		return true;
	if (create)
		created = LockOrCreateRow(request->product_id, request->warehouse, row);
	else
		LockExistingRow(request->product_id, request->warehouse, row);
	if (!FindRepeatedStockRequest(request, first_result))
		return false;
	if (created)
		DeleteRow(request->product_id, request->warehouse);
	return true;
}

/*
 * FitsAboveReserved says whether on_hand may be set to a value: not below what is reserved. Overdue
 * reservations must not block a stock correction: as many as the change needs are expired first,
 * oldest first, and none when even all of them would not be enough.
 */
static bool
FitsAboveReserved(ChangeBuffer *buffer, StockRow *row, int64 on_hand)
{
	if (on_hand >= row->reserved)
		return true;
	if (!PlanOverdueExpiry(row, row->reserved - on_hand))
		return false;
	ExpirePlannedOverdue(buffer, row);
	return true;
}

/*
 * WriteAndReturn writes the recorded changes, records the request id if any, and returns the row
 * as inventory.stock, closing SPI.
 */
static Datum
WriteAndReturn(ChangeBuffer *buffer, StockRow *row, const StockRequest *request)
{
	Datum		value;

	FlushChanges(buffer);
	EndOverdueScans(row, 1);
	RecordStockRequest(request);
	if (!ReadStockRowValue(row->product_id, row->warehouse, &value))
		ereport(ERROR, (errcode(ERRCODE_INTERNAL_ERROR),
						errmsg("stock row of product \"%s\" in warehouse \"%s\" vanished while locked",
							   row->product_id, row->warehouse)));
	return ReturnStockValue(value);
}

/* ReturnStockValue closes SPI and returns a stock row value already copied out of it. */
static Datum
ReturnStockValue(Datum value)
{
	SPI_finish();
	return value;
}

/* Int64Text formats a whole number as a request argument. */
static const char *
Int64Text(int64 value)
{
	return psprintf(INT64_FORMAT, value);
}
