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
 *    The job also deletes expired request ids of stock changes and expired Idempotency-Keys of the
 *    service, at most REAPER_PURGE_LIMIT of each per run, oldest first (lookups ignore expired ones
 *    anyway: a late purge only costs space).
 *
 * Locking: rows are locked in the global order. Each candidate is first tried with SKIP LOCKED,
 * which never waits; a row that order traffic holds is then waited for, right there in the order,
 * at most inventory.reaper_lock_timeout (PostgreSQL queues the job behind the current holder, so
 * the hottest rows are reached too; SKIP LOCKED alone would starve exactly them). Waiting in the
 * global order, with only earlier rows held, cannot close a deadlock with callers that lock in that
 * order; a wait that times out costs only that row, which the next run takes. At most
 * REAPER_MAX_WAITS rows are waited for per run, so a run's waiting stays bounded.
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "utils/builtins.h"
#include "utils/memutils.h"

#include "inventory.h"

PG_FUNCTION_INFO_V1(inventory_expire_reservations);

#define MAX_EXPIRE_BATCH 100000
/* Changes or rows after which the job writes what it has and frees the rows it wrote. */
#define REAPER_FLUSH_EVERY 250
/* Candidate rows read from the cursor at a time. */
#define REAPER_FETCH 256
/* Busy rows a run waits for; later busy rows wait for the next run. */
#define REAPER_MAX_WAITS 100
/* Expired request ids and Idempotency-Keys deleted per run, of each. */
#define REAPER_PURGE_LIMIT 10000

/* The previous version's tables have no next_expiry: candidates come from the reservations. */
static SavedPlan CandidateRowsPlans[INVENTORY_NSCHEMAS] = {
	[SCHEMA_CURRENT] = {
		.sql = "SELECT product_id, warehouse FROM inventory.stock WHERE next_expiry < now()"
		" ORDER BY product_id, warehouse",
	},
	[SCHEMA_PREVIOUS] = {
		.sql = "SELECT product_id, warehouse FROM inventory.reservations"
		" WHERE status = 'active' AND expires_at < now()"
		" GROUP BY product_id, warehouse ORDER BY product_id, warehouse",
	},
};

/*
 * Deletes of expired records; the outer condition is checked again on a row that a repeat renewed
 * meanwhile, which is then kept.
 */
static SavedPlan PurgeStockRequestsPlan = {
	.sql = "DELETE FROM inventory.stock_requests r WHERE r.expires_at <= now()"
	" AND (r.product_id, r.request_id) IN (SELECT product_id, request_id FROM inventory.stock_requests"
	"      WHERE expires_at <= now() ORDER BY expires_at LIMIT $1)",
	.nargs = 1,
	.argtypes = {INT8OID},
};

static SavedPlan PurgeIdempotencyKeysPlan = {
	.sql = "DELETE FROM inventory.idempotency_keys k WHERE k.expires_at <= now()"
	" AND (k.subject, k.idempotency_key) IN (SELECT subject, idempotency_key FROM inventory.idempotency_keys"
	"      WHERE expires_at <= now() ORDER BY expires_at LIMIT $1)",
	.nargs = 1,
	.argtypes = {INT8OID},
};

/* The job's state while it runs. */
typedef struct Reaper
{
	ChangeBuffer *buffer;
	MemoryContext rows_context; /* rows of the current chunk */
	int			rows_in_chunk;
	int64		max_rows;
	int64		expired;
	int			waits;
} Reaper;

static void ReapRow(Reaper *reaper, StockRow *row);
static void EndChunkIfFull(Reaper *reaper);
static void ReapCandidates(Reaper *reaper);
static bool LockCandidate(Reaper *reaper, const char *product_id, const char *warehouse, StockRow *row);
static void PurgeExpiredRequests(void);

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
	ReapCandidates(&reaper);
	FlushChanges(reaper.buffer);
	if (InstalledSchema == SCHEMA_CURRENT)
		PurgeExpiredRequests();
	SPI_finish();
	PG_RETURN_INT32((int32) reaper.expired);
}

/* ReapCandidates streams the candidate rows in the global order and reaps each one it can lock. */
static void
ReapCandidates(Reaper *reaper)
{
	Portal		candidates = SPI_cursor_open(NULL, PreparedPlan(&CandidateRowsPlans[InstalledSchema]),
										 NULL, NULL, true);

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
			bool		locked = LockCandidate(reaper, product, warehouse, row);

			MemoryContextSwitchTo(caller);
			if (locked)
			{
				ReapRow(reaper, row);
				EndChunkIfFull(reaper);
			}
		}
		SPI_freetuptable(chunk);
	}
	SPI_cursor_close(candidates);
}

/*
 * LockCandidate locks a candidate row: at once when it is free, else waiting a bounded time while
 * the run still may wait. False when the row is gone or stayed busy.
 */
static bool
LockCandidate(Reaper *reaper, const char *product_id, const char *warehouse, StockRow *row)
{
	if (LockStockRow(product_id, warehouse, true, row))
		return true;
	if (reaper->waits >= REAPER_MAX_WAITS)
		return false;
	reaper->waits++;
	return LockStockRowWithin(product_id, warehouse, InventoryReaperLockTimeoutMs, row);
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
	if (InstalledSchema == SCHEMA_CURRENT &&
		(row->has_next_expiry != had_next_expiry || row->next_expiry != next_expiry))
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

/* PurgeExpiredRequests deletes expired request ids and Idempotency-Keys, a bounded number of each. */
static void
PurgeExpiredRequests(void)
{
	Datum		limit = Int64GetDatum(REAPER_PURGE_LIMIT);

	ExecuteSavedPlan(&PurgeStockRequestsPlan, &limit, NULL, 0);
	ExecuteSavedPlan(&PurgeIdempotencyKeysPlan, &limit, NULL, 0);
}
