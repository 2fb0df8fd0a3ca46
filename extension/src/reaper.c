/*
 * reaper.c
 *    inventory_expire_reservations, the pg_cron job: expires overdue active reservations, oldest
 *    deadline first per stock row, at most max_rows per run, and refreshes each visited row's
 *    next_expiry (the deadline reads compare against).
 *
 *    Candidates are the stock rows whose next_expiry has passed, streamed in the global order
 *    through a cursor. Changes are flushed every REAPER_FLUSH_EVERY changes or rows, and the rows
 *    of a flushed chunk are freed, so the job's memory stays bounded whatever max_rows is.
 *
 * Locking: the first pass locks each candidate row with SKIP LOCKED and never waits. A row that
 * order traffic holds is remembered, and after the first pass each such row is locked again
 * waiting at most inventory.reaper_lock_timeout (PostgreSQL queues the job behind the current
 * holder, so the hottest rows are reached too; SKIP LOCKED alone would starve exactly them). A
 * wait that times out costs only that row, which the next run takes.
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "utils/builtins.h"
#include "utils/memutils.h"

#include "inventory.h"

PG_FUNCTION_INFO_V1(inventory_expire_reservations);

#define MAX_EXPIRE_BATCH 100000
/* Changes or rows after which the job writes what it has and frees the rows it wrote. */
#define REAPER_FLUSH_EVERY 1000
/* Candidate rows read from the cursor at a time. */
#define REAPER_FETCH 256
/* Busy rows remembered for the second pass; more wait for the next run. */
#define REAPER_MAX_BUSY_ROWS 1000

static SavedPlan CandidateRowsPlan = {
	.sql = "SELECT product_id, warehouse FROM inventory.stock WHERE next_expiry < now()"
	" ORDER BY product_id, warehouse",
	.nargs = 0,
};

/* The job's state while it runs. */
typedef struct Reaper
{
	ChangeBuffer *buffer;
	MemoryContext rows_context; /* rows of the current chunk */
	int			rows_in_chunk;
	int64		max_rows;
	int64		expired;
	char	  **busy_products;
	char	  **busy_warehouses;
	int			nbusy;
} Reaper;

static void ReapRow(Reaper *reaper, StockRow *row);
static void EndChunkIfFull(Reaper *reaper);
static void FirstPass(Reaper *reaper);
static void SecondPass(Reaper *reaper);

/* inventory_expire_reservations expires up to max_rows overdue reservations; returns the count. */
Datum
inventory_expire_reservations(PG_FUNCTION_ARGS)
{
	Reaper		reaper = {0};

	if (PG_ARGISNULL(0))
		ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE), errmsg("max_rows must not be null")));
	reaper.max_rows = PG_GETARG_INT32(0);
	if (reaper.max_rows < 1 || reaper.max_rows > MAX_EXPIRE_BATCH)
		ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						errmsg("max_rows must be between 1 and %d, not " INT64_FORMAT,
							   MAX_EXPIRE_BATCH, reaper.max_rows)));

	ConnectSpi();
	reaper.buffer = ChangeBufferCreate();
	reaper.rows_context = AllocSetContextCreate(CurrentMemoryContext, "pg_inventory reaper rows",
												ALLOCSET_DEFAULT_SIZES);
	reaper.busy_products = palloc(sizeof(char *) * REAPER_MAX_BUSY_ROWS);
	reaper.busy_warehouses = palloc(sizeof(char *) * REAPER_MAX_BUSY_ROWS);
	FirstPass(&reaper);
	SecondPass(&reaper);
	FlushChanges(reaper.buffer);
	SPI_finish();
	PG_RETURN_INT32((int32) reaper.expired);
}

/* FirstPass streams the candidate rows and reaps those no other session holds. */
static void
FirstPass(Reaper *reaper)
{
	Portal		candidates = SPI_cursor_open(NULL, PreparedPlan(&CandidateRowsPlan), NULL, NULL, true);

	while (reaper->expired < reaper->max_rows)
	{
		SPITupleTable *chunk;
		uint64		count;
		uint64		i;

		SPI_cursor_fetch(candidates, true, REAPER_FETCH);
		chunk = SPI_tuptable;
		count = SPI_processed;
		if (count == 0)
			break;
		for (i = 0; i < count && reaper->expired < reaper->max_rows; i++)
		{
			bool		isnull;
			MemoryContext caller = MemoryContextSwitchTo(reaper->rows_context);
			char	   *product = TextDatumGetCString(SPI_getbinval(chunk->vals[i], chunk->tupdesc, 1, &isnull));
			char	   *warehouse = TextDatumGetCString(SPI_getbinval(chunk->vals[i], chunk->tupdesc, 2, &isnull));
			StockRow   *row = palloc0(sizeof(StockRow));
			bool		locked = LockStockRow(product, warehouse, true, row);

			MemoryContextSwitchTo(caller);
			if (locked)
			{
				ReapRow(reaper, row);
				EndChunkIfFull(reaper);
			}
			else if (reaper->nbusy < REAPER_MAX_BUSY_ROWS)
			{
				reaper->busy_products[reaper->nbusy] = pstrdup(product);
				reaper->busy_warehouses[reaper->nbusy] = pstrdup(warehouse);
				reaper->nbusy++;
			}
		}
		SPI_freetuptable(chunk);
	}
	SPI_cursor_close(candidates);
}

/* SecondPass reaps the rows the first pass found busy, waiting a bounded time for each. */
static void
SecondPass(Reaper *reaper)
{
	int			i;

	for (i = 0; i < reaper->nbusy && reaper->expired < reaper->max_rows; i++)
	{
		MemoryContext caller = MemoryContextSwitchTo(reaper->rows_context);
		StockRow   *row = palloc0(sizeof(StockRow));
		bool		locked = LockStockRowWithin(reaper->busy_products[i], reaper->busy_warehouses[i],
												InventoryReaperLockTimeoutMs, row);

		MemoryContextSwitchTo(caller);
		if (locked)
		{
			ReapRow(reaper, row);
			EndChunkIfFull(reaper);
		}
	}
}

/*
 * ReapRow expires a locked row's overdue reservations, oldest first, within the job's budget, and
 * refreshes its next_expiry.
 */
static void
ReapRow(Reaper *reaper, StockRow *row)
{
	const OverdueReservation *overdue;
	bool		had_next_expiry = row->has_next_expiry;
	TimestampTz next_expiry = row->next_expiry;

	row->overdue = OverdueScanBegin(row->product_id, row->warehouse);
	while (reaper->expired < reaper->max_rows &&
		   (overdue = OverdueScanGet(row->overdue, row->overdue_expired)) != NULL)
	{
		ExpireOverdueReservation(reaper->buffer, row, overdue);
		row->overdue_expired++;
		reaper->expired++;
		if (ChangeBufferSize(reaper->buffer) >= REAPER_FLUSH_EVERY)
		{
			FlushChanges(reaper->buffer);
			OverdueScanForget(row->overdue, row->overdue_expired);
		}
	}
	RefreshNextExpiry(row);
	if (row->has_next_expiry != had_next_expiry || row->next_expiry != next_expiry)
		MarkStockRowDirty(reaper->buffer, row);
	OverdueScanEnd(row->overdue);
	row->overdue = NULL;
	reaper->rows_in_chunk++;
}

/* EndChunkIfFull writes the chunk's changes and frees its rows once it is large enough. */
static void
EndChunkIfFull(Reaper *reaper)
{
	if (ChangeBufferSize(reaper->buffer) < REAPER_FLUSH_EVERY && reaper->rows_in_chunk < REAPER_FLUSH_EVERY)
		return;
	FlushChanges(reaper->buffer);
	MemoryContextReset(reaper->rows_context);
	reaper->rows_in_chunk = 0;
}
