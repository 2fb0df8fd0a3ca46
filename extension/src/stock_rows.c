/*
 * stock_rows.c
 *    Locking and reading stock rows. Every stock-locking statement selects STOCK_ROW_COLUMNS and
 *    locks in (product_id, warehouse) order under the database's default collation, the global
 *    lock order; CompareIds sorts ids the same way in C. Through Citus (shards.c), which locks only
 *    rows named by one product, rows of several products are locked product by product in that
 *    order.
 *
 * Locking: LockStockRow waits; with skip_locked it moves on when another session holds the row.
 * LockStockRowWithin waits at most a given time, inside a subtransaction, so a timeout costs the
 * caller nothing but that one row (the reaper uses it to reach rows that traffic keeps busy).
 */
#include "postgres.h"

#include "access/xact.h"
#include "catalog/pg_collation.h"
#include "catalog/pg_type.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/memutils.h"
#include "utils/resowner.h"
#include "utils/varlena.h"

#include "inventory.h"

/*
 * Columns every stock-locking statement selects, in this order; the previous version's tables
 * have no next_expiry (InstalledSchema), read as NULL.
 */
#define STOCK_ROW_COLUMNS "product_id, warehouse, on_hand, reserved, version, low_stock_threshold, next_expiry"
#define PREVIOUS_STOCK_ROW_COLUMNS \
	"product_id, warehouse, on_hand, reserved, version, low_stock_threshold, NULL::timestamptz"

/* A stock-locking statement for both versions of the tables, from a macro taking the columns. */
#define STOCK_ROW_PLANS(sql_of, ...) \
	{ \
		[SCHEMA_CURRENT] = {.sql = sql_of(STOCK_ROW_COLUMNS), __VA_ARGS__}, \
		[SCHEMA_PREVIOUS] = {.sql = sql_of(PREVIOUS_STOCK_ROW_COLUMNS), __VA_ARGS__}, \
	}

#define LOCK_ROW_SQL(columns) \
	"SELECT " columns " FROM inventory.stock WHERE product_id = $1 AND warehouse = $2 FOR UPDATE"
#define LOCK_ROW_SKIP_LOCKED_SQL(columns) \
	"SELECT " columns " FROM inventory.stock WHERE product_id = $1 AND warehouse = $2 FOR UPDATE SKIP LOCKED"
#define LOCK_PRODUCT_SQL(columns) \
	"SELECT " columns " FROM inventory.stock WHERE product_id = $1 ORDER BY warehouse FOR UPDATE"
#define LOCK_PRODUCTS_SQL(columns) \
	"SELECT " columns " FROM inventory.stock WHERE product_id = ANY ($1) ORDER BY product_id, warehouse FOR UPDATE"
#define LOCK_ORDER_SQL(columns) \
	"SELECT " columns " FROM inventory.stock s" \
	" WHERE (s.product_id, s.warehouse) IN (SELECT r.product_id, r.warehouse" \
	"   FROM inventory.reservations r WHERE r.order_id = $1 AND r.status IN ('active', 'confirmed'))" \
	" ORDER BY s.product_id, s.warehouse FOR UPDATE OF s"

static SavedPlan LockRowPlans[] = STOCK_ROW_PLANS(LOCK_ROW_SQL, .nargs = 2, .argtypes = {TEXTOID, TEXTOID});
static SavedPlan LockRowSkipLockedPlans[] =
	STOCK_ROW_PLANS(LOCK_ROW_SKIP_LOCKED_SQL, .nargs = 2, .argtypes = {TEXTOID, TEXTOID});
static SavedPlan LockProductPlans[] = STOCK_ROW_PLANS(LOCK_PRODUCT_SQL, .nargs = 1, .argtypes = {TEXTOID});
static SavedPlan LockProductsPlans[] = STOCK_ROW_PLANS(LOCK_PRODUCTS_SQL, .nargs = 1, .argtypes = {TEXTARRAYOID});
static SavedPlan LockOrderPlans[] = STOCK_ROW_PLANS(LOCK_ORDER_SQL, .nargs = 1, .argtypes = {TEXTOID});

/*
 * The whole row as one value of the table's row type, so a function declared to return
 * inventory.stock returns exactly that type, whatever columns the table has by then.
 */
static SavedPlan ReadRowPlan = {
	.sql = "SELECT s FROM inventory.stock s WHERE s.product_id = $1 AND s.warehouse = $2",
	.nargs = 2,
	.argtypes = {TEXTOID, TEXTOID},
};

/*
 * On Citus, FOR UPDATE must name one product by equality: an order's stock rows are found
 * first, without locks, then locked one by one in the global order.
 */
static SavedPlan OrderStockRowsPlan = {
	.sql = "SELECT DISTINCT product_id, warehouse FROM inventory.reservations"
	" WHERE order_id = $1 AND status IN ('active', 'confirmed')",
	.nargs = 1,
	.argtypes = {TEXTOID},
};

static void ReadStockRow(int tuple, StockRow *row);
static StockRow *ReadStockRows(int *nrows);
static StockRow *LockProductByProduct(const char **product_ids, int nproducts, int *nrows);
static StockRow *LockOrderRowByRow(const char *order_id, int *nrows);
static int	CompareProductIds(const void *left, const void *right);
static int	CompareStockKeys(const void *left, const void *right);

/* ReadStockRow copies a row of the last SPI result (STOCK_ROW_COLUMNS) into a StockRow. */
static void
ReadStockRow(int tuple, StockRow *row)
{
	bool		isnull;

	memset(row, 0, sizeof(StockRow));
	row->product_id = ColumnText(tuple, 1);
	row->warehouse = ColumnText(tuple, 2);
	row->on_hand = ColumnInt64(tuple, 3);
	row->reserved = ColumnInt64(tuple, 4);
	row->version = ColumnInt64(tuple, 5);
	row->threshold = DatumGetInt64(ColumnDatum(tuple, 6, &isnull));
	row->has_threshold = !isnull;
	row->next_expiry = DatumGetTimestampTz(ColumnDatum(tuple, 7, &isnull));
	row->has_next_expiry = !isnull;
}

/* ReadStockRows copies every row of the last SPI result and frees it. */
static StockRow *
ReadStockRows(int *nrows)
{
	StockRow   *rows = palloc0(sizeof(StockRow) * Max(SPI_processed, 1));
	uint64		i;

	*nrows = (int) SPI_processed;
	for (i = 0; i < SPI_processed; i++)
		ReadStockRow(i, &rows[i]);
	SPI_freetuptable(SPI_tuptable);
	return rows;
}

/* LockStockRow locks one stock row; false when it does not exist (or, with skip_locked, is busy). */
bool
LockStockRow(const char *product_id, const char *warehouse, bool skip_locked, StockRow *row)
{
	Datum		values[2] = {CStringGetTextDatum(product_id), CStringGetTextDatum(warehouse)};
	bool		found;

	ExecuteSavedPlan(skip_locked ? &LockRowSkipLockedPlans[InstalledSchema] : &LockRowPlans[InstalledSchema],
					 values, NULL, 1);
	found = SPI_processed == 1;
	if (found)
		ReadStockRow(0, row);
	SPI_freetuptable(SPI_tuptable);
	return found;
}

/*
 * LockStockRowWithin locks one stock row, waiting at most timeout_ms behind other sessions; false
 * when it does not exist or the wait ran out. The wait runs in a subtransaction with lock_timeout
 * set, so a timeout rolls back only that attempt and the caller keeps everything else it did.
 */
bool
LockStockRowWithin(const char *product_id, const char *warehouse, int timeout_ms, StockRow *row)
{
	MemoryContext caller_context = CurrentMemoryContext;
	ResourceOwner caller_owner = CurrentResourceOwner;
	bool		found = false;

	BeginInternalSubTransaction(NULL);
	MemoryContextSwitchTo(caller_context);
	PG_TRY();
	{
		int			guc_level = NewGUCNestLevel();
		char		timeout[32];

		snprintf(timeout, sizeof(timeout), "%d", timeout_ms);
		(void) set_config_option("lock_timeout", timeout, PGC_USERSET, PGC_S_SESSION,
								 GUC_ACTION_SAVE, true, 0, false);
		found = LockStockRow(product_id, warehouse, false, row);
		AtEOXact_GUC(true, guc_level);
		ReleaseCurrentSubTransaction();
		MemoryContextSwitchTo(caller_context);
		CurrentResourceOwner = caller_owner;
	}
	PG_CATCH();
	{
		ErrorData  *failure;

		MemoryContextSwitchTo(caller_context);
		failure = CopyErrorData();
		FlushErrorState();
		RollbackAndReleaseCurrentSubTransaction();
		MemoryContextSwitchTo(caller_context);
		CurrentResourceOwner = caller_owner;
		if (failure->sqlerrcode != ERRCODE_LOCK_NOT_AVAILABLE)
			ReThrowError(failure);
		FreeErrorData(failure);
		found = false;
	}
	PG_END_TRY();
	return found;
}

/*
 * LockStockRowsOfProducts locks every stock row of the given products (any order, repeats
 * allowed) in the global order and returns them in that order. One product is locked by the
 * cheaper statement that needs no sort.
 */
StockRow *
LockStockRowsOfProducts(const char **product_ids, int nproducts, int *nrows)
{
	Datum	   *products;
	Datum		argument;
	bool		one_product = true;
	int			i;

	if (ThroughCitus())
		return LockProductByProduct(product_ids, nproducts, nrows);
	products = palloc(sizeof(Datum) * nproducts);
	for (i = 0; i < nproducts; i++)
	{
		products[i] = CStringGetTextDatum(product_ids[i]);
		one_product = one_product && strcmp(product_ids[i], product_ids[0]) == 0;
	}
	if (one_product)
		ExecuteSavedPlan(&LockProductPlans[InstalledSchema], products, NULL, 0);
	else
	{
		argument = PointerGetDatum(construct_array(products, nproducts, TEXTOID, -1, false, TYPALIGN_INT));
		ExecuteSavedPlan(&LockProductsPlans[InstalledSchema], &argument, NULL, 0);
	}
	return ReadStockRows(nrows);
}

/* LockStockRowsOfOrder locks the stock rows of an order's live reservations, in the global order. */
StockRow *
LockStockRowsOfOrder(const char *order_id, int *nrows)
{
	Datum		order = CStringGetTextDatum(order_id);

	if (ThroughCitus())
		return LockOrderRowByRow(order_id, nrows);
	ExecuteSavedPlan(&LockOrderPlans[InstalledSchema], &order, NULL, 0);
	return ReadStockRows(nrows);
}

/* CompareProductIds orders product ids (const char *) in the global order, for qsort. */
static int
CompareProductIds(const void *left, const void *right)
{
	return CompareIds(*(const char *const *) left, *(const char *const *) right);
}

/*
 * LockProductByProduct is LockStockRowsOfProducts on Citus: the products are sorted and
 * deduplicated in C, then each one's rows are locked by a statement that names it by equality,
 * so each lock runs on the node that holds the product.
 */
static StockRow *
LockProductByProduct(const char **product_ids, int nproducts, int *nrows)
{
	const char **sorted = palloc(sizeof(char *) * nproducts);
	StockRow   *rows = palloc0(sizeof(StockRow));
	int			capacity = 1;
	int			i;

	memcpy(sorted, product_ids, sizeof(char *) * nproducts);
	qsort(sorted, nproducts, sizeof(char *), CompareProductIds);
	*nrows = 0;
	for (i = 0; i < nproducts; i++)
	{
		Datum		product;
		uint64		k;

		if (i > 0 && strcmp(sorted[i], sorted[i - 1]) == 0)
			continue;
		product = CStringGetTextDatum(sorted[i]);
		ExecuteSavedPlan(&LockProductPlans[InstalledSchema], &product, NULL, 0);
		if (*nrows + (int) SPI_processed > capacity)
		{
			capacity = Max(capacity * 2, *nrows + (int) SPI_processed);
			rows = repalloc(rows, sizeof(StockRow) * capacity);
		}
		for (k = 0; k < SPI_processed; k++)
			ReadStockRow(k, &rows[(*nrows)++]);
		SPI_freetuptable(SPI_tuptable);
	}
	return rows;
}

/* CompareStockKeys orders StockRows by (product_id, warehouse) in the global order, for qsort. */
static int
CompareStockKeys(const void *left, const void *right)
{
	const StockRow *a = left;
	const StockRow *b = right;
	int			order = CompareIds(a->product_id, b->product_id);

	return order != 0 ? order : CompareIds(a->warehouse, b->warehouse);
}

/*
 * LockOrderRowByRow is LockStockRowsOfOrder on Citus: the stock rows of the order's live
 * reservations are read without locks, sorted in the global order and locked one by one. A row
 * that vanished in between is left out; the caller reads the order again under the locks.
 */
static StockRow *
LockOrderRowByRow(const char *order_id, int *nrows)
{
	Datum		order = CStringGetTextDatum(order_id);
	StockRow   *keys;
	StockRow   *rows;
	int			nkeys;
	int			i;

	ExecuteSavedPlan(&OrderStockRowsPlan, &order, NULL, 0);
	nkeys = (int) SPI_processed;
	keys = palloc0(sizeof(StockRow) * Max(nkeys, 1));
	for (i = 0; i < nkeys; i++)
	{
		keys[i].product_id = ColumnText(i, 1);
		keys[i].warehouse = ColumnText(i, 2);
	}
	SPI_freetuptable(SPI_tuptable);
	qsort(keys, nkeys, sizeof(StockRow), CompareStockKeys);
	rows = palloc0(sizeof(StockRow) * Max(nkeys, 1));
	*nrows = 0;
	for (i = 0; i < nkeys; i++)
		if (LockStockRow(keys[i].product_id, keys[i].warehouse, false, &rows[*nrows]))
			(*nrows)++;
	return rows;
}

/* CompareIds orders ids as the database's default collation does (the global lock order). */
int
CompareIds(const char *left, const char *right)
{
	return varstr_cmp(left, strlen(left), right, strlen(right), DEFAULT_COLLATION_OID);
}

/* FindStockRow returns the locked stock row of a product and warehouse, or NULL. */
StockRow *
FindStockRow(StockRow *rows, int nrows, const char *product_id, const char *warehouse)
{
	int			i;

	for (i = 0; i < nrows; i++)
		if (strcmp(rows[i].product_id, product_id) == 0 && strcmp(rows[i].warehouse, warehouse) == 0)
			return &rows[i];
	return NULL;
}

/*
 * ReadStockRowValue returns the current stock row as a value of type inventory.stock, copied out
 * of SPI for the caller to return; false when the row does not exist.
 */
bool
ReadStockRowValue(const char *product_id, const char *warehouse, Datum *value)
{
	Datum		values[2] = {CStringGetTextDatum(product_id), CStringGetTextDatum(warehouse)};
	bool		isnull;

	ExecuteSavedPlan(&ReadRowPlan, values, NULL, 1);
	if (SPI_processed == 0)
		return false;
	*value = SPI_datumTransfer(ColumnDatum(0, 1, &isnull), false, -1);
	SPI_freetuptable(SPI_tuptable);
	return true;
}
