/*
 * stock_change.c
 *    The only code that changes a stock row. ApplyStockChange updates the row, appends its ledger
 *    row and writes its outbox events (one inventory.updated event, plus an alert when available
 *    crosses zero or the low-stock threshold) in one statement, so the three never part.
 *
 * Locking: callers must hold the row's lock (LockStockRow or LockStockRowsOfProducts), taken in
 * (product_id, warehouse) order. The outbox row is written while that lock is held, which is what
 * makes per-product event order equal commit order.
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "commands/async.h"
#include "utils/builtins.h"

#include "inventory.h"

static SavedPlan ChangePlan = {
	.sql =
	"WITH changed AS ("
	"  UPDATE inventory.stock"
	"     SET on_hand = on_hand + $3, reserved = reserved + $4, version = version + 1,"
	"         name = coalesce($9, name),"
	"         low_stock_threshold = CASE WHEN $10 THEN $11 ELSE low_stock_threshold END,"
	"         updated_at = now()"
	"   WHERE product_id = $1 AND warehouse = $2"
	"  RETURNING product_id, warehouse, on_hand, reserved, available,"
	"            available - ($3 - $4) AS previous_available, low_stock_threshold, version),"
	" ledger AS ("
	"  INSERT INTO inventory.ledger (product_id, warehouse, version, on_hand_delta, reserved_delta,"
	"         on_hand_after, reserved_after, reason, note, order_id, reservation_id, actor)"
	"  SELECT product_id, warehouse, version, $3, $4, on_hand, reserved, $5, $8, $6, $7,"
	"         nullif(current_setting('inventory.actor', true), '') FROM changed),"
	" events AS ("
	"  SELECT c.*, e.topic, e.type, gen_random_uuid() AS id"
	"    FROM changed c CROSS JOIN LATERAL (VALUES ($12, 'inventory.updated'),"
	"         ($13, CASE WHEN c.available <= 0 AND c.previous_available > 0 THEN 'out_of_stock'"
	"                    WHEN c.available > 0 AND c.previous_available <= 0 AND c.version > 1"
	"                         THEN 'back_in_stock'"
	"                    WHEN c.available <= c.low_stock_threshold"
	"                         AND c.previous_available > c.low_stock_threshold THEN 'low_stock'"
	"               END)) e(topic, type)"
	"   WHERE e.type IS NOT NULL)"
	" INSERT INTO inventory.outbox (id, aggregatetype, aggregateid, type, payload, warehouse, version)"
	" SELECT id, topic, product_id, type, jsonb_build_object("
	"        'eventId', id, 'type', type, 'productId', product_id, 'warehouse', warehouse,"
	"        'version', version, 'reason', $5, 'previousQuantity', previous_available,"
	"        'newQuantity', available, 'onHand', on_hand, 'reserved', reserved,"
	"        'available', available, 'lowStockThreshold', low_stock_threshold,"
	"        'orderId', $6, 'reservationId', $7,"
	"        'timestamp', to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')),"
	"        warehouse, version"
	"   FROM events",
	.nargs = 13,
	.argtypes = {TEXTOID, TEXTOID, INT8OID, INT8OID, TEXTOID, TEXTOID, UUIDOID, TEXTOID, TEXTOID,
				 BOOLOID, INT8OID, TEXTOID, TEXTOID},
};

static SavedPlan LockRowPlan = {
	.sql = "SELECT on_hand, reserved FROM inventory.stock"
	" WHERE product_id = $1 AND warehouse = $2 FOR UPDATE",
	.nargs = 2,
	.argtypes = {TEXTOID, TEXTOID},
};

static SavedPlan LockRowSkipLockedPlan = {
	.sql = "SELECT on_hand, reserved FROM inventory.stock"
	" WHERE product_id = $1 AND warehouse = $2 FOR UPDATE SKIP LOCKED",
	.nargs = 2,
	.argtypes = {TEXTOID, TEXTOID},
};

static SavedPlan LockProductsPlan = {
	.sql = "SELECT product_id, warehouse, on_hand, reserved FROM inventory.stock"
	" WHERE product_id = ANY ($1) ORDER BY product_id, warehouse FOR UPDATE",
	.nargs = 1,
	.argtypes = {TEXTARRAYOID},
};

static SavedPlan ReadRowPlan = {
	.sql = "SELECT * FROM inventory.stock WHERE product_id = $1 AND warehouse = $2",
	.nargs = 2,
	.argtypes = {TEXTOID, TEXTOID},
};

static Datum TextOrNull(const char *value, char *null_flag);

/* TextOrNull turns a C string into a text Datum, marking NULL in the nulls array. */
static Datum
TextOrNull(const char *value, char *null_flag)
{
	*null_flag = value == NULL ? 'n' : ' ';
	return value == NULL ? (Datum) 0 : CStringGetTextDatum(value);
}

/* ApplyStockChange writes one change of a locked stock row with its ledger row and outbox events. */
void
ApplyStockChange(StockRow *row, const StockChange *change)
{
	Datum		values[13];
	char		nulls[13];

	memset(nulls, ' ', sizeof(nulls));
	values[0] = CStringGetTextDatum(row->product_id);
	values[1] = CStringGetTextDatum(row->warehouse);
	values[2] = Int64GetDatum(change->on_hand_delta);
	values[3] = Int64GetDatum(change->reserved_delta);
	values[4] = CStringGetTextDatum(change->reason);
	values[5] = TextOrNull(change->order_id, &nulls[5]);
	values[6] = UUIDPGetDatum(change->reservation_id);
	nulls[6] = change->reservation_id == NULL ? 'n' : ' ';
	values[7] = TextOrNull(change->note, &nulls[7]);
	values[8] = TextOrNull(change->name, &nulls[8]);
	values[9] = BoolGetDatum(change->has_threshold);
	values[10] = Int64GetDatum(change->threshold);
	values[11] = CStringGetTextDatum(InventoryUpdatedTopic);
	values[12] = CStringGetTextDatum(InventoryAlertsTopic);

	if (ExecuteSavedPlan(&ChangePlan, values, nulls, 0) != SPI_OK_INSERT || SPI_processed == 0)
		ereport(ERROR, (errcode(ERRCODE_INTERNAL_ERROR),
						errmsg("stock row of product \"%s\" in warehouse \"%s\" vanished while locked",
							   row->product_id, row->warehouse)));

	row->on_hand += change->on_hand_delta;
	row->reserved += change->reserved_delta;
	if (InventoryNotifyChannel[0] != '\0')
		Async_Notify(InventoryNotifyChannel, "");
}

/* LockStockRow locks one stock row; false when it does not exist (or, with skip_locked, is busy). */
bool
LockStockRow(const char *product_id, const char *warehouse, bool skip_locked, StockRow *row)
{
	Datum		values[2] = {CStringGetTextDatum(product_id), CStringGetTextDatum(warehouse)};

	ExecuteSavedPlan(skip_locked ? &LockRowSkipLockedPlan : &LockRowPlan, values, NULL, 1);
	if (SPI_processed == 0)
		return false;
	row->product_id = pstrdup(product_id);
	row->warehouse = pstrdup(warehouse);
	row->on_hand = ColumnInt64(0, 1);
	row->reserved = ColumnInt64(0, 2);
	row->overdue_expired = false;
	return true;
}

/* LockStockRowsOfProducts locks every stock row of the given products, in global lock order. */
StockRow *
LockStockRowsOfProducts(Datum product_ids, int *nrows)
{
	return LockStockRows(&LockProductsPlan, &product_ids, nrows);
}

/*
 * LockStockRows runs a plan that selects product_id, warehouse, on_hand, reserved ordered by
 * (product_id, warehouse) FOR UPDATE, and returns the rows it locked.
 */
StockRow *
LockStockRows(SavedPlan *plan, Datum *args, int *nrows)
{
	StockRow   *rows;
	uint64		i;

	ExecuteSavedPlan(plan, args, NULL, 0);
	*nrows = (int) SPI_processed;
	rows = palloc0(sizeof(StockRow) * Max(SPI_processed, 1));
	for (i = 0; i < SPI_processed; i++)
	{
		rows[i].product_id = ColumnText(i, 1);
		rows[i].warehouse = ColumnText(i, 2);
		rows[i].on_hand = ColumnInt64(i, 3);
		rows[i].reserved = ColumnInt64(i, 4);
	}
	return rows;
}

/* ReadStockTuple returns the current stock row as a tuple of inventory.stock, or NULL. */
HeapTuple
ReadStockTuple(const char *product_id, const char *warehouse)
{
	Datum		values[2] = {CStringGetTextDatum(product_id), CStringGetTextDatum(warehouse)};

	ExecuteSavedPlan(&ReadRowPlan, values, NULL, 1);
	return SPI_processed == 0 ? NULL : SPI_tuptable->vals[0];
}
