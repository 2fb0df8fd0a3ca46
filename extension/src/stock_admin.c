/*
 * stock_admin.c
 *    Stock changes made by people and systems that own the goods: inventory_restock,
 *    inventory_adjust, inventory_set_stock (upsert) and inventory_remove. Each locks one stock row,
 *    refuses a change that would leave on_hand below reserved (IN006), and writes the change through
 *    ApplyStockChange.
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

/* A new row starts at the version its ledger reached, so a removed product's versions keep rising. */
static SavedPlan CreateRowPlan = {
	.sql = "INSERT INTO inventory.stock (product_id, warehouse, version)"
	" VALUES ($1, $2, coalesce((SELECT max(version) FROM inventory.ledger"
	"                           WHERE product_id = $1 AND warehouse = $2), 0))"
	" ON CONFLICT (product_id, warehouse) DO NOTHING",
	.nargs = 2,
	.argtypes = {TEXTOID, TEXTOID},
};

static SavedPlan DeleteRowPlan = {
	.sql = "DELETE FROM inventory.stock WHERE product_id = $1 AND warehouse = $2",
	.nargs = 2,
	.argtypes = {TEXTOID, TEXTOID},
};

static void LockExistingRow(const char *product_id, const char *warehouse, StockRow *row);
static void RefuseBelowReserved(StockRow *row, int64 on_hand, const char *action);
static Datum ReturnStockRow(const StockRow *row);

/* inventory_restock adds goods to an existing stock row. */
Datum
inventory_restock(PG_FUNCTION_ARGS)
{
	const char *product_id = RequireId(fcinfo, 0, "product_id");
	int64		quantity = RequireQuantity(fcinfo, 1, "quantity");
	const char *warehouse = RequireId(fcinfo, 2, "warehouse");
	StockChange change = {0};
	StockRow	row;

	change.note = OptionalText(fcinfo, 3, "note", INVENTORY_MAX_TEXT_BYTES);
	change.reason = "restock";
	change.on_hand_delta = quantity;
	ConnectSpi();
	LockExistingRow(product_id, warehouse, &row);
	ApplyStockChange(&row, &change);
	return ReturnStockRow(&row);
}

/* inventory_adjust corrects on_hand by a signed delta, with a reason. */
Datum
inventory_adjust(PG_FUNCTION_ARGS)
{
	const char *product_id = RequireId(fcinfo, 0, "product_id");
	const char *warehouse = RequireId(fcinfo, 3, "warehouse");
	StockChange change = {0};
	StockRow	row;
	int64		delta;

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
	change.reason = "adjust";
	change.on_hand_delta = delta;

	ConnectSpi();
	LockExistingRow(product_id, warehouse, &row);
	if (delta < 0)
		RefuseBelowReserved(&row, row.on_hand + delta, "adjusting");
	ApplyStockChange(&row, &change);
	return ReturnStockRow(&row);
}

/* inventory_set_stock creates a stock row or sets its on_hand, name and threshold. */
Datum
inventory_set_stock(PG_FUNCTION_ARGS)
{
	const char *product_id = RequireId(fcinfo, 0, "product_id");
	const char *warehouse = RequireId(fcinfo, 2, "warehouse");
	StockChange change = {0};
	StockRow	row;
	Datum		key[2];
	int64		on_hand;

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
	change.reason = "set";

	ConnectSpi();
	key[0] = CStringGetTextDatum(product_id);
	key[1] = CStringGetTextDatum(warehouse);
	ExecuteSavedPlan(&CreateRowPlan, key, NULL, 0);
	LockExistingRow(product_id, warehouse, &row);
	RefuseBelowReserved(&row, on_hand, "setting");
	change.on_hand_delta = on_hand - row.on_hand;
	ApplyStockChange(&row, &change);
	return ReturnStockRow(&row);
}

/* inventory_remove deletes a stock row that holds no reservations. */
Datum
inventory_remove(PG_FUNCTION_ARGS)
{
	const char *product_id = RequireId(fcinfo, 0, "product_id");
	const char *warehouse = RequireId(fcinfo, 1, "warehouse");
	StockChange change = {0};
	StockRow	row;
	Datum		key[2];

	ConnectSpi();
	LockExistingRow(product_id, warehouse, &row);
	if (row.reserved > 0)
		ExpireOverdueOnStockRow(&row, PG_INT64_MAX);
	if (row.reserved > 0)
		ereport(ERROR, (errcode(ERRCODE_INVENTORY_BELOW_RESERVED),
						errmsg("cannot remove product \"%s\" from warehouse \"%s\": " INT64_FORMAT
							   " of it is reserved", product_id, warehouse, row.reserved),
						errhint("Release or ship its reservations first.")));
	change.reason = "remove";
	change.on_hand_delta = -row.on_hand;
	ApplyStockChange(&row, &change);
	key[0] = CStringGetTextDatum(product_id);
	key[1] = CStringGetTextDatum(warehouse);
	ExecuteSavedPlan(&DeleteRowPlan, key, NULL, 0);
	SPI_finish();
	PG_RETURN_VOID();
}

/* LockExistingRow locks a stock row, raising IN002 when there is none. */
static void
LockExistingRow(const char *product_id, const char *warehouse, StockRow *row)
{
	if (!LockStockRow(product_id, warehouse, false, row))
		ereport(ERROR, (errcode(ERRCODE_INVENTORY_UNKNOWN_PRODUCT),
						errmsg("product \"%s\" is not stocked in warehouse \"%s\"", product_id, warehouse),
						errhint("Create the stock row with inventory_set_stock.")));
}

/*
 * RefuseBelowReserved raises IN006 when on_hand would fall below what is reserved, after expiring
 * the row's overdue reservations (they must not block a stock correction).
 */
static void
RefuseBelowReserved(StockRow *row, int64 on_hand, const char *action)
{
	if (on_hand < row->reserved)
		ExpireOverdueOnStockRow(row, PG_INT64_MAX);
	if (on_hand < 0)
		ereport(ERROR, (errcode(ERRCODE_INVENTORY_BELOW_RESERVED),
						errmsg("%s product \"%s\" in warehouse \"%s\" would make on_hand negative ("
							   INT64_FORMAT ")", action, row->product_id, row->warehouse, on_hand)));
	if (on_hand < row->reserved)
		ereport(ERROR, (errcode(ERRCODE_INVENTORY_BELOW_RESERVED),
						errmsg("%s product \"%s\" in warehouse \"%s\" to on_hand " INT64_FORMAT
							   " would leave it below the " INT64_FORMAT " reserved",
							   action, row->product_id, row->warehouse, on_hand, row->reserved),
						errhint("Release reservations first, or change on_hand by less.")));
}

/* ReturnStockRow returns the row as inventory.stock and closes SPI. */
static Datum
ReturnStockRow(const StockRow *row)
{
	HeapTuple	tuple = ReadStockTuple(row->product_id, row->warehouse);
	HeapTupleHeader result = SPI_returntuple(tuple, SPI_tuptable->tupdesc);

	SPI_finish();
	return PointerGetDatum(result);
}
