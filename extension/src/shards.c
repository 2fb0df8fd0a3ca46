/*
 * shards.c
 *    Where a product's rows live when the tables are distributed with Citus, and calls that run on
 *    a product's shards directly.
 *
 *    Citus keeps each distributed table's rows in shards (inventory.stock_102008,
 *    inventory.reservations_102040, ...; the shards of one product share their place in the
 *    colocation group) and leaves the table itself empty. Through Citus, every statement is
 *    planned and deparsed again for its shard on every call, which costs a routed call several
 *    times what it costs on one PostgreSQL. So a call whose products all live in one group of
 *    shards on this node (a single-product call that Citus routed here) runs the statements of
 *    one PostgreSQL on those shards, with their generic plans: ProductShardsHere switches the call
 *    to them, and PreparedPlan (spi_plans.c) names the shards instead of the tables.
 *
 *    Code that reads a relation directly instead of through SQL (the overdue walk of overdue.c)
 *    reads the product's reservations shard when this node holds it, and SQL otherwise.
 *
 * Locking: a call that runs on shards first takes Citus's shard metadata lock of the product's
 * stock shard in share mode, the lock every Citus write takes; a shard move or split takes it in
 * exclusive mode before it switches the shard's placement, so it waits for the call, and a call
 * after it sees the new placement. Placements are cached per backend and forgotten whenever
 * Citus invalidates one of the tables' metadata. The lock is taken through Citus's SQL function
 * lock_shard_metadata() the first time a backend needs it for a product; that function first
 * looks up the shard's owner in pg_dist_shard, 12,000 instructions a call. The lock itself is an
 * advisory lock tag of the shard's colocation group and its place in it (Citus's
 * resource_lock.h); the tag this file computes is taken directly from then on, but only once the
 * first call has shown, with LockHeldByMe, that the function took exactly that tag for that
 * product. A Citus whose lock differs is always called through its function.
 *
 * Its transaction also takes a distributed transaction id of its own: Citus's distributed
 * deadlock detection merges every transaction without one on a node into a single vertex, so a
 * call Citus routed here and a coordinator's transaction waiting on each other's rows would
 * otherwise look like a cycle and be cancelled.
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "access/xact.h"
#include "catalog/namespace.h"
#include "catalog/pg_type.h"
#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "nodes/makefuncs.h"
#include "parser/parse_func.h"
#include "storage/lock.h"
#include "storage/proc.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/hsearch.h"
#include "utils/inval.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/snapmgr.h"

#include "inventory.h"

/* Products whose placement a backend remembers; the cache starts over beyond this. */
#define PLACEMENT_CACHE_PRODUCTS 8192
/* Citus's lock mode number for ShareLock, as lock_shard_metadata takes it. */
#define CITUS_SHARE_LOCK 5
/* The advisory lock class of Citus's metadata lock of colocated shards (resource_lock.h). */
#define CITUS_COLOCATED_SHARDS_METADATA_CLASS 8
/* get_current_transaction_id's column of the distributed transaction number (0: none). */
#define TRANSACTION_NUMBER_COLUMN 4
/*
 * Distributed transaction numbers this extension takes: above any Citus counts to (its counter
 * starts at 1 per node), then the backend's pid, then a count of its calls.
 */
#define OWN_TRANSACTION_NUMBERS (UINT64CONST(1) << 62)

static SavedPlan LocalGroupPlan = {
	.sql = "SELECT groupid FROM pg_catalog.pg_dist_local_group",
};

/*
 * The product's shards of the five tables, whether this node holds them, and the stock shard's
 * colocation group and place among the table's shards ordered by hash range (NULL unless the
 * table is hash-distributed in a colocation group): the fields of Citus's metadata lock.
 */
static SavedPlan PlacementPlan = {
	.sql = "SELECT (SELECT p.groupid = (SELECT groupid FROM pg_catalog.pg_dist_local_group)"
	"         FROM pg_catalog.pg_dist_placement p WHERE p.shardid = s.stock LIMIT 1), s.*,"
	"       (SELECT d.colocationid FROM pg_catalog.pg_dist_partition d"
	"         WHERE d.logicalrelid = 'inventory.stock'::regclass AND d.partmethod = 'h' AND d.colocationid <> 0),"
	"       (SELECT count(*) FROM pg_catalog.pg_dist_shard o"
	"         WHERE o.logicalrelid = 'inventory.stock'::regclass"
	"           AND o.shardminvalue::int4 < (SELECT m.shardminvalue::int4 FROM pg_catalog.pg_dist_shard m"
	"                                         WHERE m.shardid = s.stock))"
	"  FROM (SELECT pg_catalog.get_shard_id_for_distribution_column('inventory.stock'::regclass, $1) AS stock,"
	"               pg_catalog.get_shard_id_for_distribution_column('inventory.reservations'::regclass, $1),"
	"               pg_catalog.get_shard_id_for_distribution_column('inventory.ledger'::regclass, $1),"
	"               pg_catalog.get_shard_id_for_distribution_column('inventory.outbox'::regclass, $1),"
	"               pg_catalog.get_shard_id_for_distribution_column('inventory.stock_requests'::regclass, $1)"
	"          FROM pg_catalog.pg_dist_partition d"
	"         WHERE d.logicalrelid = 'inventory.reservations'::regclass) s",
	.nargs = 1,
	.argtypes = {TEXTOID},
};

/* How a backend takes the metadata lock of a product's shards (see the banner). */
typedef enum MetadataLockPath
{
	METADATA_LOCK_UNCHECKED,	/* through Citus's function, then compared with the tag */
	METADATA_LOCK_BY_TAG,		/* the tag is what Citus's function takes: taken directly */
	METADATA_LOCK_BY_FUNCTION	/* always through Citus's function */
} MetadataLockPath;

/* What a backend knows about a product's placement. */
typedef struct ProductPlacement
{
	char		product_id[INVENTORY_MAX_ID_BYTES + 1]; /* hash key */
	bool		distributed;	/* false: the tables are not distributed */
	bool		here;			/* this node holds the product's shards */
	ProductShards shards;
	LOCKTAG		metadata_lock;	/* Citus's metadata lock of the stock shard, as computed */
	MetadataLockPath lock_path;
} ProductPlacement;

/* The tables whose metadata invalidations clear the cache. */
static const char *const DistributedTables[] = {"stock", "reservations", "ledger", "outbox", "stock_requests"};

ProductShards *CurrentShards = NULL;

static HTAB *Placements = NULL;
static Oid	TableOids[lengthof(DistributedTables)];
static uint64 PlacementGeneration = 0;
static bool CallbackRegistered = false;
static Oid	LockShardMetadataFunction = InvalidOid;
static Oid	CurrentTransactionIdFunction = InvalidOid;
static Oid	AssignTransactionIdFunction = InvalidOid;
static ProductShards CurrentShardsStorage;

static const ProductPlacement *FindPlacement(const char *product_id);
static void ForgetPlacements(Datum argument, Oid relation);
static void LockShardMetadata(const char *product_id, int64 shard, const LOCKTAG *tag, MetadataLockPath path);
static void LockThroughCitus(int64 shard);
static void TakeDistributedTransactionId(void);
static Oid	CitusFunction(const char *name, int nargs, const Oid *argtypes);
static Oid	InventoryRelation(const char *name);

/* InventoryRelation returns the oid of a relation in schema inventory, or InvalidOid. */
static Oid
InventoryRelation(const char *name)
{
	return get_relname_relid(name, get_namespace_oid("inventory", false));
}

/* ForgetPlacements clears the cache when Citus invalidates a table's metadata (relcache callback). */
static void
ForgetPlacements(Datum argument, Oid relation)
{
	int			i;

	for (i = 0; i < (int) lengthof(TableOids); i++)
		if (relation == InvalidOid || relation == TableOids[i])
		{
			PlacementGeneration++;
			if (Placements != NULL)
			{
				hash_destroy(Placements);
				Placements = NULL;
			}
			LockShardMetadataFunction = InvalidOid;
			CurrentTransactionIdFunction = InvalidOid;
			AssignTransactionIdFunction = InvalidOid;
			return;
		}
}

/* FindPlacement returns what this backend knows of a product's placement, asking Citus once. */
static const ProductPlacement *
FindPlacement(const char *product_id)
{
	ProductPlacement *placement;
	ProductPlacement known = {{0}};
	Datum		product;
	Datum		colocation;
	bool		isnull;
	int			i;

	if (!CallbackRegistered)
	{
		CacheRegisterRelcacheCallback(ForgetPlacements, (Datum) 0);
		CallbackRegistered = true;
	}
	if (Placements != NULL && (placement = hash_search(Placements, product_id, HASH_FIND, NULL)) != NULL)
		return placement;

	product = CStringGetTextDatum(product_id);
	if (SPI_connect() != SPI_OK_CONNECT)
		ereport(ERROR, (errcode(ERRCODE_INTERNAL_ERROR), errmsg("pg_inventory could not connect to SPI")));
	/*
	 * Read the metadata as committed now, as Citus reads its catalogs: the statement's snapshot
	 * may predate a shard move that committed while this call waited for the shard's lock.
	 */
	PushActiveSnapshot(GetLatestSnapshot());
	ExecuteSavedPlanReadOnly(&PlacementPlan, &product, NULL, 1);
	PopActiveSnapshot();
	known.distributed = SPI_processed == 1;
	known.here = known.distributed && DatumGetBool(ColumnDatum(0, 1, &isnull)) && !isnull;
	if (known.distributed)
	{
		known.shards.stock = ColumnInt64(0, 2);
		known.shards.reservations = ColumnInt64(0, 3);
		known.shards.ledger = ColumnInt64(0, 4);
		known.shards.outbox = ColumnInt64(0, 5);
		known.shards.stock_requests = ColumnInt64(0, 6);
		known.lock_path = METADATA_LOCK_BY_FUNCTION;
		colocation = ColumnDatum(0, 7, &isnull);
		if (!isnull)
		{
			SET_LOCKTAG_ADVISORY(known.metadata_lock, MyDatabaseId, (uint32) ColumnInt64(0, 8),
								 (uint32) DatumGetInt32(colocation), CITUS_COLOCATED_SHARDS_METADATA_CLASS);
			known.lock_path = METADATA_LOCK_UNCHECKED;
		}
	}
	SPI_finish();

	/* The statement may have processed invalidations that dropped the cache: (re)make it now. */
	if (Placements != NULL && hash_get_num_entries(Placements) >= PLACEMENT_CACHE_PRODUCTS)
	{
		hash_destroy(Placements);
		Placements = NULL;
	}
	if (Placements == NULL)
	{
		HASHCTL		hash = {0};

		for (i = 0; i < (int) lengthof(DistributedTables); i++)
			TableOids[i] = InventoryRelation(DistributedTables[i]);
		hash.keysize = INVENTORY_MAX_ID_BYTES + 1;
		hash.entrysize = sizeof(ProductPlacement);
		hash.hcxt = TopMemoryContext;
		Placements = hash_create("pg_inventory product placements", 256, &hash,
								 HASH_ELEM | HASH_STRINGS | HASH_CONTEXT);
	}
	placement = hash_search(Placements, product_id, HASH_ENTER, NULL);
	placement->distributed = known.distributed;
	placement->here = known.here;
	placement->shards = known.shards;
	placement->metadata_lock = known.metadata_lock;
	placement->lock_path = known.lock_path;
	return placement;
}

/* CitusFunction looks up a function of Citus in pg_catalog. */
static Oid
CitusFunction(const char *name, int nargs, const Oid *argtypes)
{
	return LookupFuncName(list_make2(makeString("pg_catalog"), makeString(pstrdup(name))), nargs, argtypes, false);
}

/*
 * LockShardMetadata takes Citus's metadata lock of a product's stock shard in share mode, as
 * Citus writes do: directly by its tag once that is shown to be Citus's lock, through Citus's
 * function otherwise. The first time, it shows it: when the function takes a lock this backend
 * did not hold and afterwards holds the tag, the tag is that lock (see the banner).
 */
static void
LockShardMetadata(const char *product_id, int64 shard, const LOCKTAG *tag, MetadataLockPath path)
{
	bool		checkable;
	uint64		generation = PlacementGeneration;
	ProductPlacement *placement;

	if (path == METADATA_LOCK_BY_TAG)
	{
		(void) LockAcquire(tag, ShareLock, false, false);
		return;
	}
	checkable = path == METADATA_LOCK_UNCHECKED && !LockHeldByMe(tag, ShareLock);
	LockThroughCitus(shard);
	if (checkable && generation == PlacementGeneration && Placements != NULL &&
		(placement = hash_search(Placements, product_id, HASH_FIND, NULL)) != NULL)
	{
		placement->lock_path = LockHeldByMe(tag, ShareLock) ? METADATA_LOCK_BY_TAG : METADATA_LOCK_BY_FUNCTION;
		ereport(DEBUG1, (errmsg_internal("pg_inventory takes the metadata lock of shard " INT64_FORMAT " %s", shard,
										 placement->lock_path == METADATA_LOCK_BY_TAG ?
										 "directly: it is the lock lock_shard_metadata() took" :
										 "through lock_shard_metadata(): that function took another lock")));
	}
}

/* LockThroughCitus takes a shard's metadata lock in share mode through lock_shard_metadata(). */
static void
LockThroughCitus(int64 shard)
{
	Datum		shard_datum = Int64GetDatum(shard);
	ArrayType  *shards = construct_array(&shard_datum, 1, INT8OID, sizeof(int64), FLOAT8PASSBYVAL, TYPALIGN_DOUBLE);

	if (!OidIsValid(LockShardMetadataFunction))
	{
		Oid			argtypes[2] = {INT4OID, INT8ARRAYOID};

		LockShardMetadataFunction = CitusFunction("lock_shard_metadata", 2, argtypes);
	}
	OidFunctionCall2(LockShardMetadataFunction, Int32GetDatum(CITUS_SHARE_LOCK), PointerGetDatum(shards));
}

/*
 * TakeDistributedTransactionId gives the transaction a distributed transaction id when it has
 * none (see the banner), numbered in a range that Citus's own counter never reaches; once per
 * transaction, however many calls it makes.
 */
static void
TakeDistributedTransactionId(void)
{
	static uint32 calls = 0;
	static LocalTransactionId taken_in = InvalidLocalTransactionId;
	HeapTupleHeader current;
	bool		isnull;
	uint64		number;

	if (taken_in == MyProc->lxid)
		return;
	if (!OidIsValid(CurrentTransactionIdFunction))
	{
		Oid			argtypes[3] = {INT4OID, INT8OID, TIMESTAMPTZOID};

		CurrentTransactionIdFunction = CitusFunction("get_current_transaction_id", 0, NULL);
		AssignTransactionIdFunction = CitusFunction("assign_distributed_transaction_id", 3, argtypes);
	}
	/*
	 * Citus gives a transaction its id when it coordinates work across nodes, and on a worker the
	 * coordinator's id arrives with BEGIN: outside a transaction block (a call Citus routed here)
	 * there is none yet, so the id is asked for (10,000 instructions) only inside one.
	 */
	if (IsTransactionBlock())
	{
		current = DatumGetHeapTupleHeader(OidFunctionCall0(CurrentTransactionIdFunction));
		if (DatumGetInt64(GetAttributeByNum(current, TRANSACTION_NUMBER_COLUMN, &isnull)) != 0 && !isnull)
			return;
	}
	number = OWN_TRANSACTION_NUMBERS | ((uint64) MyProcPid << 24) | (++calls & 0xFFFFFF);
	OidFunctionCall3(AssignTransactionIdFunction, Int32GetDatum(LocalGroupId()), Int64GetDatum((int64) number),
					 TimestampTzGetDatum(GetCurrentTransactionStartTimestamp()));
	taken_in = MyProc->lxid;
}

/* LocalGroupId is Citus's group id of this node, read once per backend. */
int32
LocalGroupId(void)
{
	static bool known = false;
	static int32 group = 0;

	if (!known)
	{
		bool		isnull;

		if (SPI_connect() != SPI_OK_CONNECT)
			ereport(ERROR, (errcode(ERRCODE_INTERNAL_ERROR), errmsg("pg_inventory could not connect to SPI")));
		ExecuteSavedPlanReadOnly(&LocalGroupPlan, NULL, NULL, 1);
		RequireRowCount(1, "local group of Citus");
		group = DatumGetInt32(ColumnDatum(0, 1, &isnull));
		SPI_finish();
		known = true;
	}
	return group;
}

/*
 * ProductShardsHere switches the rest of the call to the product's shards when the tables are
 * distributed and this node holds them; false (the call goes through Citus) otherwise. Takes the
 * shards' metadata lock first, so no move of them can switch placements under the call. A call
 * that writes takes a distributed transaction id too (its row locks are what Citus's deadlock
 * detection watches).
 */
bool
ProductShardsHere(const char *product_id, bool writes)
{
	int			attempt;

	if (!OnCitus || CurrentShards != NULL)
		return CurrentShards != NULL;
	for (attempt = 0; attempt < 3; attempt++)
	{
		uint64		generation;
		const ProductPlacement *placement;
		LOCKTAG		lock;

		AcceptInvalidationMessages();
		generation = PlacementGeneration;
		placement = FindPlacement(product_id);
		if (!placement->distributed || !placement->here)
			return false;
		CurrentShardsStorage = placement->shards;
		lock = placement->metadata_lock;
		LockShardMetadata(product_id, CurrentShardsStorage.stock, &lock, placement->lock_path);
		AcceptInvalidationMessages();
		if (generation == PlacementGeneration)
		{
			if (writes)
				TakeDistributedTransactionId();
			CurrentShards = &CurrentShardsStorage;
			return true;
		}
	}
	return false;
}

/* LeaveProductShards ends a call's use of its product's shards. */
void
LeaveProductShards(void)
{
	CurrentShards = NULL;
}

/*
 * NameShards rewrites a statement on the tables into the same statement on the current shards:
 * inventory.stock becomes inventory.stock_<shard>, and so on.
 */
char *
NameShards(const char *sql)
{
	const int64 shards[] = {CurrentShards->stock, CurrentShards->reservations, CurrentShards->ledger,
	CurrentShards->outbox, CurrentShards->stock_requests};
	StringInfoData result;
	const char *cursor = sql;

	initStringInfo(&result);
	while (*cursor != '\0')
	{
		bool		replaced = false;
		int			i;

		if (strncmp(cursor, "inventory.", 10) == 0)
			for (i = 0; i < (int) lengthof(DistributedTables); i++)
			{
				size_t		length = strlen(DistributedTables[i]);
				char		after = cursor[10 + length];

				if (strncmp(cursor + 10, DistributedTables[i], length) == 0 &&
					!(isalnum((unsigned char) after) || after == '_'))
				{
					appendStringInfo(&result, "inventory.%s_" INT64_FORMAT, DistributedTables[i], shards[i]);
					cursor += 10 + length;
					replaced = true;
					break;
				}
			}
		if (!replaced)
			appendStringInfoChar(&result, *cursor++);
	}
	return result.data;
}

/*
 * FindReservationsRelation finds the relation that holds a product's reservations on this node,
 * and its index of active reservations by stock row: inventory.reservations itself when it is not
 * distributed, the product's shard when this node holds it. False when another node holds it.
 */
bool
FindReservationsRelation(const char *product_id, Oid *heap, Oid *index)
{
	const ProductPlacement *placement;
	char		name[NAMEDATALEN * 2];
	int64		shard;

	if (!OnCitus)
	{
		*heap = InventoryRelation("reservations");
		*index = InventoryRelation("reservations_active_by_stock");
		return true;
	}
	if (CurrentShards != NULL)
		shard = CurrentShards->reservations;
	else
	{
		placement = FindPlacement(product_id);
		if (!placement->distributed)
		{
			*heap = InventoryRelation("reservations");
			*index = InventoryRelation("reservations_active_by_stock");
			return true;
		}
		if (!placement->here)
			return false;
		shard = placement->shards.reservations;
	}
	snprintf(name, sizeof(name), "reservations_" INT64_FORMAT, shard);
	*heap = InventoryRelation(name);
	snprintf(name, sizeof(name), "reservations_active_by_stock_" INT64_FORMAT, shard);
	*index = InventoryRelation(name);
	return OidIsValid(*heap) && OidIsValid(*index);
}
