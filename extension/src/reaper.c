/*
 * reaper.c
 *    Expiry of overdue active reservations: inventory_expire_reservations (the pg_cron job) and the
 *    on-the-spot expiry that inventory_reserve uses when stock is short.
 *
 * Locking: the job locks each stock row with SKIP LOCKED and moves on when another session holds
 * it, so it never waits behind order traffic and order traffic never waits behind it for long; a
 * row skipped now is taken on the next run, or on the spot by the next reservation that needs it.
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "utils/builtins.h"

#include "inventory.h"

PG_FUNCTION_INFO_V1(inventory_expire_reservations);

#define MAX_EXPIRE_BATCH 100000

static SavedPlan OverdueRowsPlan = {
	.sql = "SELECT product_id, warehouse FROM inventory.reservations"
	" WHERE status = 'active' AND expires_at < now()"
	" GROUP BY product_id, warehouse ORDER BY product_id, warehouse LIMIT $1",
	.nargs = 1,
	.argtypes = {INT8OID},
};

static SavedPlan OverdueOfRowPlan = {
	.sql = "SELECT id, order_id, quantity FROM inventory.reservations"
	" WHERE product_id = $1 AND warehouse = $2 AND status = 'active' AND expires_at < now()"
	" ORDER BY expires_at LIMIT $3",
	.nargs = 3,
	.argtypes = {TEXTOID, TEXTOID, INT8OID},
};

/* inventory_expire_reservations expires up to max_rows overdue reservations; returns the count. */
Datum
inventory_expire_reservations(PG_FUNCTION_ARGS)
{
	int64		max_rows;
	int64		expired = 0;
	Datum		limit;
	int			nrows;
	char	  **products;
	char	  **warehouses;
	int			i;

	if (PG_ARGISNULL(0))
		ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE), errmsg("max_rows must not be null")));
	max_rows = PG_GETARG_INT32(0);
	if (max_rows < 1 || max_rows > MAX_EXPIRE_BATCH)
		ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						errmsg("max_rows must be between 1 and %d, not " INT64_FORMAT,
							   MAX_EXPIRE_BATCH, max_rows)));

	ConnectSpi();
	limit = Int64GetDatum(max_rows);
	ExecuteSavedPlan(&OverdueRowsPlan, &limit, NULL, 0);
	nrows = (int) SPI_processed;
	products = palloc(sizeof(char *) * Max(nrows, 1));
	warehouses = palloc(sizeof(char *) * Max(nrows, 1));
	for (i = 0; i < nrows; i++)
	{
		products[i] = ColumnText(i, 1);
		warehouses[i] = ColumnText(i, 2);
	}

	for (i = 0; i < nrows && expired < max_rows; i++)
	{
		StockRow	row;

		if (LockStockRow(products[i], warehouses[i], true, &row))
			expired += ExpireOverdueOnStockRow(&row, max_rows - expired);
	}
	SPI_finish();
	PG_RETURN_INT32((int32) expired);
}

/* ExpireOverdueOnStockRow expires up to max_rows overdue reservations of a locked stock row. */
int64
ExpireOverdueOnStockRow(StockRow *row, int64 max_rows)
{
	Datum		values[3] = {CStringGetTextDatum(row->product_id), CStringGetTextDatum(row->warehouse),
	Int64GetDatum(max_rows)};
	SPITupleTable *overdue;
	uint64		count;
	uint64		i;

	ExecuteSavedPlan(&OverdueOfRowPlan, values, NULL, 0);
	overdue = SPI_tuptable;
	count = SPI_processed;
	for (i = 0; i < count; i++)
	{
		bool		isnull;
		StockChange change = {0};
		int64		quantity;

		change.reservation_id = DatumGetUUIDP(SPI_getbinval(overdue->vals[i], overdue->tupdesc, 1, &isnull));
		change.order_id = TextDatumGetCString(SPI_getbinval(overdue->vals[i], overdue->tupdesc, 2, &isnull));
		quantity = DatumGetInt64(SPI_getbinval(overdue->vals[i], overdue->tupdesc, 3, &isnull));
		change.reason = "expire";
		change.reserved_delta = -quantity;
		change.reservation_write = RESERVATION_SET_STATUS;
		change.status = "expired";
		ApplyStockChange(row, &change);
	}
	row->overdue_expired = true;
	return (int64) count;
}
