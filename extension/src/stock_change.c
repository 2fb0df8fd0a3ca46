/*
 * stock_change.c
 *    The only code that changes a stock row, and the code that locks stock rows. ApplyStockChange
 *    updates the row, appends its ledger row and writes its outbox events (one inventory.updated
 *    event, plus an alert when available crosses zero or the low-stock threshold) in the caller's
 *    transaction, so the three commit or roll back together.
 *
 * Locking: callers must hold the row's lock (LockStockRow, LockStockRowsOfProducts or
 * LockStockRows), taken in (product_id, warehouse) order under the database's default collation.
 * The outbox rows are written while that lock is held, which is what makes each stock row's event
 * order equal its commit order. Every statement here has a parameter-only shape whose generic plan
 * is an index lookup, so plans are cached once per backend.
 * ApplyStockChange also writes the reservation the change is about, in the same statement.
 */
#include "postgres.h"

#include "access/xact.h"
#include "catalog/pg_collation.h"
#include "catalog/pg_type.h"
#include "commands/async.h"
#include "lib/stringinfo.h"
#include "utils/builtins.h"
#include "utils/datetime.h"
#include "utils/memutils.h"
#include "utils/varlena.h"

#include "inventory.h"

/*
 * A change is one statement: independent data-modifying CTEs for the stock row, its ledger row and
 * its event(s), and the reservation write (if any) as the main statement. Every value is computed
 * here, so no CTE reads another's output; one statement costs one executor start instead of four.
 * Its variants (reservation write x alert or not) are prepared on first use.
 */
#define EVENT_ROW(id, topic, type) \
	"(" id ", " topic ", $1, " type ", $2, $5, jsonb_build_object(" \
	"'eventId', " id ", 'type', " type ", 'productId', $1, 'warehouse', $2, 'version', $5," \
	" 'reason', $11, 'previousQuantity', $18, 'newQuantity', $19, 'onHand', $3, 'reserved', $4," \
	" 'available', $19, 'lowStockThreshold', $20, 'orderId', $13, 'reservationId', $14," \
	" 'timestamp', $21))"

#define CHANGE_NARGS 27
static const Oid ChangeArgTypes[CHANGE_NARGS] = {
	TEXTOID, TEXTOID, INT8OID, INT8OID, INT8OID,	/* $1-$5 product, warehouse, on_hand, reserved, version */
	TEXTOID, BOOLOID, INT8OID,	/* $6-$8 name, set threshold?, threshold */
	INT8OID, INT8OID, TEXTOID, TEXTOID, TEXTOID, UUIDOID, TEXTOID,	/* $9-$15 deltas, reason, note,
																	 * order, reservation, actor */
	UUIDOID, TEXTOID, INT8OID, INT8OID, INT8OID, TEXTOID,	/* $16-$21 event id, topic, available
															 * before, after, threshold, time */
	UUIDOID, TEXTOID, TEXTOID,	/* $22-$24 alert id, topic, type */
	INT8OID, INTERVALOID, TEXTOID	/* $25-$27 reservation quantity, ttl, status */
};

static SavedPlan ChangePlans[3][2];

static SavedPlan LockRowPlan = {
	.sql = "SELECT " STOCK_ROW_COLUMNS " FROM inventory.stock"
	" WHERE product_id = $1 AND warehouse = $2 FOR UPDATE",
	.nargs = 2,
	.argtypes = {TEXTOID, TEXTOID},
};

static SavedPlan LockRowSkipLockedPlan = {
	.sql = "SELECT " STOCK_ROW_COLUMNS " FROM inventory.stock"
	" WHERE product_id = $1 AND warehouse = $2 FOR UPDATE SKIP LOCKED",
	.nargs = 2,
	.argtypes = {TEXTOID, TEXTOID},
};

static SavedPlan LockProductPlan = {
	.sql = "SELECT " STOCK_ROW_COLUMNS " FROM inventory.stock"
	" WHERE product_id = $1 ORDER BY warehouse FOR UPDATE",
	.nargs = 1,
	.argtypes = {TEXTOID},
};

static SavedPlan ReadRowPlan = {
	.sql = "SELECT * FROM inventory.stock WHERE product_id = $1 AND warehouse = $2",
	.nargs = 2,
	.argtypes = {TEXTOID, TEXTOID},
};

static Datum TextOrNull(const char *value, char *null_flag);
static const char *AlertType(const StockRow *before, const StockRow *after);
static SavedPlan *ChangePlan(ReservationWrite write, bool with_alert);
static const char *EventTimestamp(void);
static void ReadStockRow(int tuple, StockRow *row);
static int	CompareProductIds(const void *a, const void *b);

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
	static const int expected[3] = {SPI_OK_SELECT, SPI_OK_INSERT_RETURNING, SPI_OK_UPDATE_RETURNING};
	StockRow	before = *row;
	const char *alert;
	Datum		values[CHANGE_NARGS];
	char		nulls[CHANGE_NARGS];

	row->on_hand += change->on_hand_delta;
	row->reserved += change->reserved_delta;
	row->version++;
	if (change->has_threshold)
	{
		row->has_threshold = true;
		row->threshold = change->threshold;
	}
	alert = AlertType(&before, row);

	memset(nulls, ' ', sizeof(nulls));
	values[0] = CStringGetTextDatum(row->product_id);
	values[1] = CStringGetTextDatum(row->warehouse);
	values[2] = Int64GetDatum(row->on_hand);
	values[3] = Int64GetDatum(row->reserved);
	values[4] = Int64GetDatum(row->version);
	values[5] = TextOrNull(change->name, &nulls[5]);
	values[6] = BoolGetDatum(change->has_threshold);
	values[7] = Int64GetDatum(change->threshold);
	values[8] = Int64GetDatum(change->on_hand_delta);
	values[9] = Int64GetDatum(change->reserved_delta);
	values[10] = CStringGetTextDatum(change->reason);
	values[11] = TextOrNull(change->note, &nulls[11]);
	values[12] = TextOrNull(change->order_id, &nulls[12]);
	values[13] = UUIDPGetDatum(change->reservation_id);
	nulls[13] = change->reservation_id == NULL ? 'n' : ' ';
	values[14] = TextOrNull(InventoryActor[0] == '\0' ? NULL : InventoryActor, &nulls[14]);
	values[15] = UUIDPGetDatum(NewRandomUuid());
	values[16] = CStringGetTextDatum(InventoryUpdatedTopic);
	values[17] = Int64GetDatum(StockRowAvailable(&before));
	values[18] = Int64GetDatum(StockRowAvailable(row));
	values[19] = Int64GetDatum(row->threshold);
	nulls[19] = row->has_threshold ? ' ' : 'n';
	values[20] = CStringGetTextDatum(EventTimestamp());
	values[21] = UUIDPGetDatum(NewRandomUuid());
	values[22] = CStringGetTextDatum(InventoryAlertsTopic);
	values[23] = TextOrNull(alert, &nulls[23]);
	values[24] = Int64GetDatum(change->quantity);
	values[25] = IntervalPGetDatum(change->ttl);
	nulls[25] = change->ttl == NULL ? 'n' : ' ';
	values[26] = TextOrNull(change->status, &nulls[26]);

	if (ExecuteSavedPlan(ChangePlan(change->reservation_write, alert != NULL), values, nulls, 0) !=
		expected[change->reservation_write] || SPI_processed != 1)
		ereport(ERROR, (errcode(ERRCODE_INTERNAL_ERROR),
						errmsg("reservation of product \"%s\" in warehouse \"%s\" vanished while its stock row was locked",
							   row->product_id, row->warehouse)));

	if (InventoryNotifyChannel[0] != '\0')
		Async_Notify(InventoryNotifyChannel, "");
}

/* ChangePlan returns the saved statement for one variant of a change, building its SQL once. */
static SavedPlan *
ChangePlan(ReservationWrite write, bool with_alert)
{
	SavedPlan  *plan = &ChangePlans[write][with_alert];
	StringInfoData sql;
	MemoryContext caller = MemoryContextSwitchTo(TopMemoryContext);

	if (plan->sql != NULL)
	{
		MemoryContextSwitchTo(caller);
		return plan;
	}
	initStringInfo(&sql);
	appendStringInfoString(&sql,
						   "WITH stock_update AS ("
						   "  UPDATE inventory.stock"
						   "     SET on_hand = $3, reserved = $4, version = $5, name = coalesce($6, name),"
						   "         low_stock_threshold = CASE WHEN $7 THEN $8 ELSE low_stock_threshold END,"
						   "         updated_at = now()"
						   "   WHERE product_id = $1 AND warehouse = $2),"
						   " ledger_row AS ("
						   "  INSERT INTO inventory.ledger (product_id, warehouse, version, on_hand_delta,"
						   "         reserved_delta, on_hand_after, reserved_after, reason, note, order_id,"
						   "         reservation_id, actor)"
						   "  VALUES ($1, $2, $5, $9, $10, $3, $4, $11, $12, $13, $14, $15)),"
						   " event_rows AS ("
						   "  INSERT INTO inventory.outbox (id, aggregatetype, aggregateid, type, warehouse,"
						   "         version, payload)"
						   "  VALUES " EVENT_ROW("$16", "$17", "'inventory.updated'"));
	if (with_alert)
		appendStringInfoString(&sql, ", " EVENT_ROW("$22", "$23", "$24"));
	appendStringInfoString(&sql, ") ");
	switch (write)
	{
		case RESERVATION_UNTOUCHED:
			appendStringInfoString(&sql, "SELECT 1");
			break;
		case RESERVATION_INSERT:
			appendStringInfoString(&sql,
								   "INSERT INTO inventory.reservations (id, order_id, product_id, warehouse,"
								   "       quantity, expires_at)"
								   " VALUES ($14, $13, $1, $2, $25, now() + $26)"
								   " RETURNING " RESERVATION_COLUMNS ", true");
			break;
		case RESERVATION_SET_STATUS:
			appendStringInfoString(&sql,
								   "UPDATE inventory.reservations"
								   "   SET status = $27,"
								   "       expires_at = CASE WHEN $27 = 'confirmed' THEN NULL ELSE expires_at END,"
								   "       updated_at = now()"
								   " WHERE product_id = $1 AND id = $14"
								   " RETURNING " RESERVATION_COLUMNS ", false");
			break;
	}
	plan->nargs = CHANGE_NARGS;
	memcpy(plan->argtypes, ChangeArgTypes, sizeof(ChangeArgTypes));
	plan->sql = sql.data;
	MemoryContextSwitchTo(caller);
	return plan;
}

/*
 * AlertType names the alert a change raises: out_of_stock when available reaches zero,
 * back_in_stock when it leaves zero (not for a row's first stock), low_stock when it crosses the
 * threshold; NULL for none.
 */
static const char *
AlertType(const StockRow *before, const StockRow *after)
{
	int64		was = StockRowAvailable(before);
	int64		now = StockRowAvailable(after);

	if (now <= 0 && was > 0)
		return "out_of_stock";
	if (now > 0 && was <= 0 && after->version > 1)
		return "back_in_stock";
	if (after->has_threshold && now <= after->threshold && was > after->threshold)
		return "low_stock";
	return NULL;
}

/* EventTimestamp formats the transaction's start time as ISO-8601 UTC, once per transaction. */
static const char *
EventTimestamp(void)
{
	static TimestampTz formatted_for = 0;
	static char text[40];
	TimestampTz start = GetCurrentTransactionStartTimestamp();
	struct pg_tm tm;
	fsec_t		fsec;

	if (start == formatted_for && text[0] != '\0')
		return text;
	if (timestamp2tm(start, NULL, &tm, &fsec, NULL, NULL) != 0)
		ereport(ERROR, (errcode(ERRCODE_DATETIME_VALUE_OUT_OF_RANGE), errmsg("timestamp out of range")));
	snprintf(text, sizeof(text), "%04d-%02d-%02dT%02d:%02d:%02d.%06dZ", tm.tm_year, tm.tm_mon,
			 tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (int) fsec);
	formatted_for = start;
	return text;
}

/* ReadStockRow copies a row of the last SPI result (STOCK_ROW_COLUMNS) into a StockRow. */
static void
ReadStockRow(int tuple, StockRow *row)
{
	bool		isnull;

	row->product_id = ColumnText(tuple, 1);
	row->warehouse = ColumnText(tuple, 2);
	row->on_hand = ColumnInt64(tuple, 3);
	row->reserved = ColumnInt64(tuple, 4);
	row->version = ColumnInt64(tuple, 5);
	row->threshold = DatumGetInt64(ColumnDatum(tuple, 6, &isnull));
	row->has_threshold = !isnull;
	row->overdue_expired = false;
}

/* LockStockRow locks one stock row; false when it does not exist (or, with skip_locked, is busy). */
bool
LockStockRow(const char *product_id, const char *warehouse, bool skip_locked, StockRow *row)
{
	Datum		values[2] = {CStringGetTextDatum(product_id), CStringGetTextDatum(warehouse)};

	ExecuteSavedPlan(skip_locked ? &LockRowSkipLockedPlan : &LockRowPlan, values, NULL, 1);
	if (SPI_processed == 0)
		return false;
	ReadStockRow(0, row);
	return true;
}

/* CompareProductIds orders product ids as the database's default collation does (qsort). */
static int
CompareProductIds(const void *a, const void *b)
{
	const char *left = *(const char *const *) a;
	const char *right = *(const char *const *) b;

	return varstr_cmp(left, strlen(left), right, strlen(right), DEFAULT_COLLATION_OID);
}

/* SortProductIds sorts product ids into global lock order and drops repeats. */
void
SortProductIds(const char **product_ids, int *nproducts)
{
	int			kept = 0;
	int			i;

	qsort(product_ids, *nproducts, sizeof(char *), CompareProductIds);
	for (i = 0; i < *nproducts; i++)
		if (kept == 0 || strcmp(product_ids[kept - 1], product_ids[i]) != 0)
			product_ids[kept++] = product_ids[i];
	*nproducts = kept;
}

/*
 * LockStockRowsOfProducts locks every stock row of the given products, which must be sorted by
 * SortProductIds: product by product, each product's rows in warehouse order.
 */
StockRow *
LockStockRowsOfProducts(const char **product_ids, int nproducts, int *nrows)
{
	StockRow   *rows = NULL;
	int			capacity = 0;
	int			p;

	*nrows = 0;
	for (p = 0; p < nproducts; p++)
	{
		Datum		product = CStringGetTextDatum(product_ids[p]);
		uint64		i;

		ExecuteSavedPlan(&LockProductPlan, &product, NULL, 0);
		if (*nrows + (int) SPI_processed > capacity)
		{
			capacity = Max(capacity * 2, *nrows + (int) SPI_processed + 4);
			rows = rows == NULL ? palloc(sizeof(StockRow) * capacity) :
				repalloc(rows, sizeof(StockRow) * capacity);
		}
		for (i = 0; i < SPI_processed; i++)
			ReadStockRow(i, &rows[(*nrows)++]);
	}
	return rows != NULL ? rows : palloc0(sizeof(StockRow));
}

/*
 * LockStockRows runs a plan that selects STOCK_ROW_COLUMNS ordered by (product_id, warehouse)
 * FOR UPDATE, and returns the rows it locked.
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
		ReadStockRow(i, &rows[i]);
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
