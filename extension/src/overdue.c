/*
 * overdue.c
 *    A stock row's overdue active reservations (expires_at before now()), oldest deadline first,
 *    read straight from the partial index reservations_active_by_stock (product_id, warehouse,
 *    expires_at) WHERE status = 'active', and inventory_overdue_quantity, the read-time correction
 *    that leaves overdue reservations out of availability.
 *
 *    The index is walked directly, not through a planned query: a generic plan made while the
 *    table was empty may pick another index and walk every reservation the product ever had (the
 *    28x slowdown of stock reads after a burst). A direct walk costs one descent plus the entries
 *    it returns, whatever plans the session holds. On Citus the walk reads the product's shard
 *    when this node holds it (shards.c); otherwise (on the coordinator) the reservations come
 *    through SQL, a page at a time, from the node that holds them.
 *
 * Locking: callers of OverdueScanBegin hold the stock row's lock, so no other session changes the
 * row's reservations while the scan runs; the scan uses a snapshot taken after the lock. Reads use
 * the caller's snapshot and take no locks.
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/relscan.h"
#include "access/stratnum.h"
#include "access/table.h"
#include "access/xact.h"
#include "catalog/namespace.h"
#include "catalog/pg_type.h"
#include "executor/tuptable.h"
#include "miscadmin.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"

#include "inventory.h"

PG_FUNCTION_INFO_V1(inventory_overdue_quantity);

/* The reservation columns the scan reads. */
typedef struct ReservationAttributes
{
	AttrNumber	id;
	AttrNumber	order_id;
	AttrNumber	quantity;
	AttrNumber	status;
	AttrNumber	expires_at;
} ReservationAttributes;

/* Active reservations read through SQL at a time, when another node holds them. */
#define OVERDUE_PAGE_ROWS 64

/* An open walk of one row's active reservations, with the overdue ones read so far. */
struct OverdueScan
{
	MemoryContext context;
	bool		remote;			/* read through SQL: the rest of the direct walk's fields are unused */
	char	   *product_id;
	char	   *warehouse;
	OverdueReservation *page;	/* remote: the current page, in (expires_at, id) order */
	int			page_count;
	int			page_next;
	bool		page_last;		/* remote: no page follows the current one */
	Relation	heap;
	Relation	index;
	IndexScanDesc scan;
	TupleTableSlot *slot;
	Snapshot	snapshot;
	bool		registered_snapshot;
	ScanKeyData keys[3];
	ReservationAttributes attributes;
	TimestampTz now;
	OverdueReservation *entries;	/* entries[0] is overdue reservation number first */
	int64		first;
	int64		count;
	int64		capacity;
	bool		exhausted;		/* every overdue reservation has been read */
	bool		has_next_expiry;	/* once exhausted: an active reservation that is not overdue */
	TimestampTz next_expiry;
};

/* The next page of a row's active reservations after ($3, $4) in (expires_at, id) order. */
static SavedPlan ActivePagePlan = {
	.sql = "SELECT id, order_id, quantity, expires_at FROM inventory.reservations"
	" WHERE product_id = $1 AND warehouse = $2 AND status = 'active' AND expires_at IS NOT NULL"
	" AND (expires_at, id) > ($3, $4) ORDER BY expires_at, id LIMIT 64",
	.nargs = 4,
	.argtypes = {TEXTOID, TEXTOID, TIMESTAMPTZOID, UUIDOID},
};

static SavedPlan OverdueSumPlan = {
	.sql = "SELECT coalesce(sum(quantity), 0)::bigint FROM inventory.reservations"
	" WHERE product_id = $1 AND warehouse = $2 AND status = 'active' AND expires_at < $3",
	.nargs = 3,
	.argtypes = {TEXTOID, TEXTOID, TIMESTAMPTZOID},
};

static OverdueScan *OpenScan(const char *product_id, const char *warehouse, Snapshot snapshot,
							 bool overdue_only);
static bool FetchNext(OverdueScan *scan);
static bool NextDirect(OverdueScan *scan, OverdueReservation *entry);
static bool NextRemote(OverdueScan *scan, OverdueReservation *entry);
static void ReadRemotePage(OverdueScan *scan);
static int64 RemoteOverdueQuantity(const char *product_id, const char *warehouse);
static Oid	InventoryRelation(const char *name);
static bool IsActive(const text *status);

/* IsActive says whether a status is 'active', without copying it. */
static bool
IsActive(const text *status)
{
	return VARSIZE_ANY_EXHDR(status) == strlen("active") &&
		memcmp(VARDATA_ANY(status), "active", strlen("active")) == 0;
}

/* InventoryRelation returns the oid of a relation in schema inventory. */
static Oid
InventoryRelation(const char *name)
{
	return get_relname_relid(name, get_namespace_oid("inventory", false));
}

/*
 * OpenScan starts a walk of the row's active reservations in expires_at order; with overdue_only
 * the index stops at now(). When another node holds the row's reservations the walk reads them
 * through SQL instead (remote).
 */
static OverdueScan *
OpenScan(const char *product_id, const char *warehouse, Snapshot snapshot, bool overdue_only)
{
	MemoryContext context = AllocSetContextCreate(CurrentMemoryContext, "pg_inventory overdue scan",
												  ALLOCSET_SMALL_SIZES);
	MemoryContext caller = MemoryContextSwitchTo(context);
	OverdueScan *scan = palloc0(sizeof(OverdueScan));
	Oid			heap_oid;
	Oid			index_oid;
	int			nkeys = overdue_only ? 3 : 2;

	scan->context = context;
	scan->now = GetCurrentTransactionStartTimestamp();
	scan->product_id = pstrdup(product_id);
	scan->warehouse = pstrdup(warehouse);
	scan->snapshot = snapshot;
	if (!FindReservationsRelation(product_id, &heap_oid, &index_oid))
	{
		scan->remote = true;
		scan->page = palloc(sizeof(OverdueReservation) * OVERDUE_PAGE_ROWS);
		MemoryContextSwitchTo(caller);
		return scan;
	}
	if (!OidIsValid(heap_oid) || !OidIsValid(index_oid))
		ereport(ERROR, (errcode(ERRCODE_UNDEFINED_OBJECT),
						errmsg("pg_inventory's reservations table or its index reservations_active_by_stock is missing")));
	scan->heap = table_open(heap_oid, AccessShareLock);
	scan->index = index_open(index_oid, AccessShareLock);
	scan->attributes.id = get_attnum(heap_oid, "id");
	scan->attributes.order_id = get_attnum(heap_oid, "order_id");
	scan->attributes.quantity = get_attnum(heap_oid, "quantity");
	scan->attributes.status = get_attnum(heap_oid, "status");
	scan->attributes.expires_at = get_attnum(heap_oid, "expires_at");
	ScanKeyEntryInitialize(&scan->keys[0], 0, 1, BTEqualStrategyNumber, InvalidOid,
						   scan->index->rd_indcollation[0], F_TEXTEQ, CStringGetTextDatum(product_id));
	ScanKeyEntryInitialize(&scan->keys[1], 0, 2, BTEqualStrategyNumber, InvalidOid,
						   scan->index->rd_indcollation[1], F_TEXTEQ, CStringGetTextDatum(warehouse));
	ScanKeyEntryInitialize(&scan->keys[2], 0, 3, BTLessStrategyNumber, InvalidOid,
						   InvalidOid, F_TIMESTAMPTZ_LT, TimestampTzGetDatum(scan->now));
	scan->slot = table_slot_create(scan->heap, NULL);
	scan->scan = index_beginscan(scan->heap, scan->index, snapshot, nkeys, 0);
	index_rescan(scan->scan, scan->keys, nkeys, NULL, 0);
	MemoryContextSwitchTo(caller);
	return scan;
}

/*
 * FetchNext reads the next active reservation of the walk: an overdue one is appended to the
 * entries; the first one that is not overdue ends the walk and gives the row's next deadline.
 * False once the walk has ended.
 */
static bool
FetchNext(OverdueScan *scan)
{
	MemoryContext caller;
	OverdueReservation next;
	bool		found;

	if (scan->exhausted)
		return false;
	caller = MemoryContextSwitchTo(scan->context);
	found = scan->remote ? NextRemote(scan, &next) : NextDirect(scan, &next);
	if (!found)
		scan->exhausted = true;
	else if (next.expires_at >= scan->now)
	{
		scan->exhausted = true;
		scan->has_next_expiry = true;
		scan->next_expiry = next.expires_at;
	}
	else
	{
		if (scan->count == scan->capacity)
		{
			scan->capacity = Max(16, scan->capacity * 2);
			scan->entries = scan->entries == NULL ?
				palloc(sizeof(OverdueReservation) * scan->capacity) :
				repalloc(scan->entries, sizeof(OverdueReservation) * scan->capacity);
		}
		scan->entries[scan->count++] = next;
	}
	MemoryContextSwitchTo(caller);
	return !scan->exhausted;
}

/* NextDirect reads the next active reservation with a deadline from the index; false at the end. */
static bool
NextDirect(OverdueScan *scan, OverdueReservation *entry)
{
	for (;;)
	{
		bool		isnull;
		Datum		status;

		if (!index_getnext_slot(scan->scan, ForwardScanDirection, scan->slot))
			return false;
		status = slot_getattr(scan->slot, scan->attributes.status, &isnull);
		if (isnull || !IsActive(DatumGetTextPP(status)))
			continue;
		entry->expires_at = DatumGetTimestampTz(slot_getattr(scan->slot, scan->attributes.expires_at, &isnull));
		if (isnull)
			continue;
		entry->id = *DatumGetUUIDP(slot_getattr(scan->slot, scan->attributes.id, &isnull));
		entry->order_id = TextDatumGetCString(slot_getattr(scan->slot, scan->attributes.order_id, &isnull));
		entry->quantity = DatumGetInt64(slot_getattr(scan->slot, scan->attributes.quantity, &isnull));
		return true;
	}
}

/* NextRemote reads the next active reservation with a deadline through SQL; false at the end. */
static bool
NextRemote(OverdueScan *scan, OverdueReservation *entry)
{
	if (scan->page_next == scan->page_count)
	{
		if (scan->page_last)
			return false;
		ReadRemotePage(scan);
		if (scan->page_count == 0)
			return false;
	}
	*entry = scan->page[scan->page_next++];
	return true;
}

/*
 * ReadRemotePage reads the page after the last reservation read. Each page is a statement of its
 * own, after the caller's lock, so it sees what committed before the lock.
 */
static void
ReadRemotePage(OverdueScan *scan)
{
	Datum		values[4];
	pg_uuid_t	after = {{0}};
	uint64		i;

	values[0] = CStringGetTextDatum(scan->product_id);
	values[1] = CStringGetTextDatum(scan->warehouse);
	values[2] = TimestampTzGetDatum(DT_NOBEGIN);
	if (scan->page_count > 0)
	{
		values[2] = TimestampTzGetDatum(scan->page[scan->page_count - 1].expires_at);
		after = scan->page[scan->page_count - 1].id;
	}
	values[3] = UUIDPGetDatum(&after);
	ExecuteSavedPlan(&ActivePagePlan, values, NULL, 0);
	scan->page_count = (int) SPI_processed;
	scan->page_next = 0;
	scan->page_last = SPI_processed < OVERDUE_PAGE_ROWS;
	for (i = 0; i < SPI_processed; i++)
	{
		OverdueReservation *entry = &scan->page[i];
		bool		isnull;

		entry->id = *DatumGetUUIDP(ColumnDatum(i, 1, &isnull));
		entry->order_id = MemoryContextStrdup(scan->context, ColumnText(i, 2));
		entry->quantity = ColumnInt64(i, 3);
		entry->expires_at = DatumGetTimestampTz(ColumnDatum(i, 4, &isnull));
	}
	SPI_freetuptable(SPI_tuptable);
}

/*
 * OverdueScanBegin starts reading a locked stock row's overdue reservations with a snapshot taken
 * now, after the lock, which also sees this transaction's earlier writes.
 */
OverdueScan *
OverdueScanBegin(const char *product_id, const char *warehouse)
{
	Snapshot	snapshot;
	OverdueScan *scan;

	CommandCounterIncrement();
	snapshot = RegisterSnapshot(GetLatestSnapshot());
	scan = OpenScan(product_id, warehouse, snapshot, false);
	scan->registered_snapshot = true;
	return scan;
}

/* OverdueScanGet returns overdue reservation number position (0-based), or NULL when there are fewer. */
const OverdueReservation *
OverdueScanGet(OverdueScan *scan, int64 position)
{
	Assert(position >= scan->first);
	while (position >= scan->first + scan->count)
		if (!FetchNext(scan))
			return NULL;
	return &scan->entries[position - scan->first];
}

/*
 * OverdueScanNextExpiry gives the earliest deadline of the row's active reservations that remain
 * once the first position overdue ones are gone; false when none remains.
 */
bool
OverdueScanNextExpiry(OverdueScan *scan, int64 position, TimestampTz *next_expiry)
{
	const OverdueReservation *overdue = OverdueScanGet(scan, position);

	if (overdue != NULL)
	{
		*next_expiry = overdue->expires_at;
		return true;
	}
	*next_expiry = scan->next_expiry;
	return scan->has_next_expiry;
}

/* OverdueScanForget lets go of the entries before position (long walks keep memory bounded). */
void
OverdueScanForget(OverdueScan *scan, int64 position)
{
	int64		drop = Min(position - scan->first, scan->count);

	int64		i;

	if (drop <= 0)
		return;
	for (i = 0; i < drop; i++)
		pfree(scan->entries[i].order_id);
	memmove(scan->entries, scan->entries + drop, sizeof(OverdueReservation) * (scan->count - drop));
	scan->first += drop;
	scan->count -= drop;
}

/* OverdueScanEnd closes the walk and frees what it read. */
void
OverdueScanEnd(OverdueScan *scan)
{
	if (!scan->remote)
	{
		index_endscan(scan->scan);
		ExecDropSingleTupleTableSlot(scan->slot);
		index_close(scan->index, NoLock);
		table_close(scan->heap, NoLock);
	}
	if (scan->registered_snapshot)
		UnregisterSnapshot(scan->snapshot);
	MemoryContextDelete(scan->context);
}

/* EndOverdueScans closes the walks that rows opened. */
void
EndOverdueScans(StockRow *rows, int nrows)
{
	int			i;

	for (i = 0; i < nrows; i++)
		if (rows[i].overdue != NULL)
		{
			OverdueScanEnd(rows[i].overdue);
			rows[i].overdue = NULL;
		}
}

/*
 * inventory_overdue_quantity sums the overdue active reservations of one stock row, as the
 * caller's snapshot sees them; availability adds it back. Needs SELECT on inventory.reservations.
 */
Datum
inventory_overdue_quantity(PG_FUNCTION_ARGS)
{
	Oid			heap_oid;
	AclResult	permission;

	if (PG_ARGISNULL(0) || PG_ARGISNULL(1))
		PG_RETURN_NULL();
	FindDeployment();
	heap_oid = InventoryRelation("reservations");
	permission = pg_class_aclcheck(heap_oid, GetUserId(), ACL_SELECT);
	if (permission != ACLCHECK_OK)
		aclcheck_error(permission, OBJECT_TABLE, "reservations");
	PG_RETURN_INT64(OverdueQuantity(text_to_cstring(PG_GETARG_TEXT_PP(0)),
									text_to_cstring(PG_GETARG_TEXT_PP(1))));
}

/* OverdueQuantity sums a stock row's overdue active reservations as the active snapshot sees them. */
int64
OverdueQuantity(const char *product_id, const char *warehouse)
{
	OverdueScan *scan = OpenScan(product_id, warehouse, GetActiveSnapshot(), true);
	const OverdueReservation *overdue;
	int64		total = 0;
	int64		position = 0;

	if (scan->remote)
	{
		MemoryContextDelete(scan->context);
		return RemoteOverdueQuantity(product_id, warehouse);
	}
	while ((overdue = OverdueScanGet(scan, position)) != NULL)
	{
		total += overdue->quantity;
		OverdueScanForget(scan, ++position);
	}
	OverdueScanEnd(scan);
	return total;
}

/* RemoteOverdueQuantity sums a stock row's overdue active reservations through SQL. */
static int64
RemoteOverdueQuantity(const char *product_id, const char *warehouse)
{
	Datum		values[3];
	int64		total;

	values[0] = CStringGetTextDatum(product_id);
	values[1] = CStringGetTextDatum(warehouse);
	values[2] = TimestampTzGetDatum(GetCurrentTransactionStartTimestamp());
	if (SPI_connect() != SPI_OK_CONNECT)
		ereport(ERROR, (errcode(ERRCODE_INTERNAL_ERROR), errmsg("pg_inventory could not connect to SPI")));
	ExecuteSavedPlanReadOnly(&OverdueSumPlan, values, NULL, 1);
	RequireRowCount(1, "sum of overdue reservations");
	total = ColumnInt64(0, 1);
	SPI_finish();
	return total;
}
