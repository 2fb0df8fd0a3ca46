/*
 * spi_plans.c
 *    Saved SPI plans and typed access to the rows they return. Each statement is prepared once per
 *    backend, on first use, with a generic plan kept with SPI_keepplan; values always travel as $n
 *    parameters. On Citus a statement has two more kinds of plan (shards.c): one per product's
 *    shards, a generic plan of the statement rewritten to name them, and one through Citus, planned
 *    again with each call's values.
 */
#include "postgres.h"

#include "catalog/namespace.h"
#include "catalog/pg_namespace.h"
#include "executor/spi.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/hsearch.h"
#include "utils/inval.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/plancache.h"
#include "utils/syscache.h"

#include "inventory.h"

InventorySchema InstalledSchema = SCHEMA_CURRENT;
bool		OnCitus = false;

static int	RunSavedPlan(SavedPlan *saved, Datum *values, const char *nulls, bool read_only, long max_rows);
static bool NeedsPlanning(SPIPlanPtr plan);

/*
 * FindInstalledSchema tells which version's tables this database has, on every call: a new
 * library is loaded by new sessions as soon as its package is installed, and must keep serving
 * the previous version's tables until ALTER EXTENSION UPDATE has run (docs/operations.md).
 */
static InventorySchema
FindInstalledSchema(void)
{
	Oid			namespace = get_namespace_oid("inventory", true);
	Oid			stock = OidIsValid(namespace) ? get_relname_relid("stock", namespace) : InvalidOid;

	if (!OidIsValid(stock))
		ereport(ERROR, (errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
						errmsg("extension pg_inventory is not installed in this database")));
	return get_attnum(stock, "next_expiry") == InvalidAttrNumber ? SCHEMA_PREVIOUS : SCHEMA_CURRENT;
}

/* Whether InstalledSchema and OnCitus still hold; catalog changes count up the generation. */
static bool DeploymentKnown = false;
static uint64 CatalogGeneration = 0;

/* ForgetDeployment makes the next call look at the catalogs again (syscache callback). */
static void
ForgetDeployment(Datum argument, int cache, uint32 hash)
{
	DeploymentKnown = false;
	CatalogGeneration++;
}

/*
 * FindDeployment finds, for the call starting now, the version of the tables and whether they may
 * be distributed with Citus (its catalog exists in this database); the call runs on the tables
 * until it moves to a product's shards (shards.c). Both are looked up again only after a change
 * of relations, columns or schemas (an ALTER EXTENSION, a CREATE EXTENSION citus).
 */
void
FindDeployment(void)
{
	static bool callbacks_registered = false;
	uint64		generation;

	LeaveProductShards();
	if (DeploymentKnown)
		return;
	if (!callbacks_registered)
	{
		CacheRegisterSyscacheCallback(RELNAMENSP, ForgetDeployment, (Datum) 0);
		CacheRegisterSyscacheCallback(ATTNAME, ForgetDeployment, (Datum) 0);
		CacheRegisterSyscacheCallback(NAMESPACENAME, ForgetDeployment, (Datum) 0);
		callbacks_registered = true;
	}
	generation = CatalogGeneration;
	InstalledSchema = FindInstalledSchema();
	OnCitus = OidIsValid(get_relname_relid("pg_dist_partition", PG_CATALOG_NAMESPACE));
	DeploymentKnown = generation == CatalogGeneration;
}

/* ConnectSpi opens SPI for one SQL-callable function and finds the deployment. */
void
ConnectSpi(void)
{
	int			rc = SPI_connect();

	if (rc != SPI_OK_CONNECT)
		ereport(ERROR, (errcode(ERRCODE_INTERNAL_ERROR),
						errmsg("pg_inventory could not connect to SPI: %s", SPI_result_code_string(rc))));
	FindDeployment();
}

/* ShardPlanEntry is a statement's plan on one product's shards. */
typedef struct ShardPlanEntry
{
	int64		stock_shard;	/* hash key */
	SPIPlanPtr	plan;
} ShardPlanEntry;

/*
 * PrepareSaved prepares and keeps a statement. A generic plan always on the tables or shards: every
 * statement is shaped to be an index lookup whatever its parameters, and a custom plan would be
 * made again on every call (the plan cache prefers custom plans when array parameters make them
 * look cheaper). Through Citus always a plan with the call's values: Citus cannot plan most of
 * these statements with parameters, and 13.2's cache of the local plans of generic ones grows
 * with every execution.
 */
static SPIPlanPtr
PrepareSaved(const char *sql, SavedPlan *saved, bool through_citus)
{
	SPIPlanPtr	plan;
	int			rc;

	plan = SPI_prepare_cursor(sql, saved->nargs, saved->argtypes,
							  through_citus ? CURSOR_OPT_CUSTOM_PLAN : CURSOR_OPT_GENERIC_PLAN);
	if (plan == NULL)
		ereport(ERROR, (errcode(ERRCODE_INTERNAL_ERROR),
						errmsg("pg_inventory could not prepare a statement: %s",
							   SPI_result_code_string(SPI_result)),
						errdetail("Statement: %s", sql)));
	rc = SPI_keepplan(plan);
	if (rc != 0)
		ereport(ERROR, (errcode(ERRCODE_INTERNAL_ERROR),
						errmsg("pg_inventory could not keep a plan: %s", SPI_result_code_string(rc))));
	return plan;
}

/*
 * PreparedPlan returns a statement's plan for where the call runs (the tables, a product's shards,
 * or through Citus), preparing and saving it the first time.
 */
SPIPlanPtr
PreparedPlan(SavedPlan *saved)
{
	ShardPlanEntry *entry;
	bool		found;

	if (CurrentShards == NULL)
	{
		if (!OnCitus)
			return saved->plan != NULL ? saved->plan : (saved->plan = PrepareSaved(saved->sql, saved, false));
		return saved->citus_plan != NULL ? saved->citus_plan :
			(saved->citus_plan = PrepareSaved(saved->sql, saved, true));
	}
	if (saved->shard_plans == NULL)
	{
		HASHCTL		hash = {0};

		hash.keysize = sizeof(int64);
		hash.entrysize = sizeof(ShardPlanEntry);
		hash.hcxt = TopMemoryContext;
		saved->shard_plans = hash_create("pg_inventory shard plans", 16, &hash,
										 HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
	}
	entry = hash_search(saved->shard_plans, &CurrentShards->stock, HASH_ENTER, &found);
	if (!found)
	{
		entry->plan = NULL;
		entry->plan = PrepareSaved(NameShards(saved->sql), saved, false);
	}
	return entry->plan;
}

/* NeedsPlanning says whether the next execution of a plan builds (or rebuilds) its generic plan. */
static bool
NeedsPlanning(SPIPlanPtr plan)
{
	ListCell   *cell;

	foreach(cell, SPI_plan_get_plan_sources(plan))
	{
		CachedPlanSource *source = (CachedPlanSource *) lfirst(cell);

		if (!source->is_valid || source->gplan == NULL || !source->gplan->is_valid)
			return true;
	}
	return false;
}

/*
 * RunSavedPlan runs a statement, preparing and saving its plan the first time. A generic plan is
 * built with sequential scans disabled: it is kept for the session, and a plan made while the
 * tables are small (a new database, before autovacuum has analyzed them) would otherwise scan a
 * whole table on every call once the table has grown. Every statement here has an index for its
 * conditions. A statement that joins a batch's arrays to a table (merge_joins) is planned with
 * merge joins only: its rows are sorted once and the table is read in one index scan of the
 * batch's keys, bounded whatever the statistics; a nested loop would rescan the index once per
 * row and prepare the batch's key array again on every rescan.
 */
static int
RunSavedPlan(SavedPlan *saved, Datum *values, const char *nulls, bool read_only, long max_rows)
{
	SPIPlanPtr	plan = PreparedPlan(saved);
	int			rc;

	if (NeedsPlanning(plan))
	{
		int			guc_level = NewGUCNestLevel();

		(void) set_config_option("enable_seqscan", "off", PGC_USERSET, PGC_S_SESSION,
								 GUC_ACTION_SAVE, true, 0, false);
		if (saved->merge_joins)
		{
			(void) set_config_option("enable_nestloop", "off", PGC_USERSET, PGC_S_SESSION,
									 GUC_ACTION_SAVE, true, 0, false);
			(void) set_config_option("enable_hashjoin", "off", PGC_USERSET, PGC_S_SESSION,
									 GUC_ACTION_SAVE, true, 0, false);
		}
		rc = SPI_execute_plan(plan, values, nulls, read_only, max_rows);
		AtEOXact_GUC(true, guc_level);
	}
	else
		rc = SPI_execute_plan(plan, values, nulls, read_only, max_rows);

	if (rc < 0)
		ereport(ERROR, (errcode(ERRCODE_INTERNAL_ERROR),
						errmsg("pg_inventory statement failed: %s", SPI_result_code_string(rc)),
						errdetail("Statement: %s", saved->sql)));
	return rc;
}

/* ExecuteSavedPlan runs a statement that may write. */
int
ExecuteSavedPlan(SavedPlan *saved, Datum *values, const char *nulls, long max_rows)
{
	return RunSavedPlan(saved, values, nulls, false, max_rows);
}

/* ExecuteSavedPlanReadOnly runs a query of a read-only function (no new snapshot per statement). */
int
ExecuteSavedPlanReadOnly(SavedPlan *saved, Datum *values, const char *nulls, long max_rows)
{
	return RunSavedPlan(saved, values, nulls, true, max_rows);
}

/* RequireRowCount raises when the last statement did not touch exactly the expected rows. */
void
RequireRowCount(uint64 expected, const char *what)
{
	if (SPI_processed != expected)
		ereport(ERROR, (errcode(ERRCODE_INTERNAL_ERROR),
						errmsg("pg_inventory expected " UINT64_FORMAT " %s, found " UINT64_FORMAT,
							   expected, what, (uint64) SPI_processed)));
}

/* ColumnDatum returns a column (1-based) of a row of the last SPI result. */
Datum
ColumnDatum(int row, int column, bool *isnull)
{
	return SPI_getbinval(SPI_tuptable->vals[row], SPI_tuptable->tupdesc, column, isnull);
}

/* ColumnText returns a text column as a C string, NULL for SQL NULL. */
char *
ColumnText(int row, int column)
{
	bool		isnull;
	Datum		value = ColumnDatum(row, column, &isnull);

	return isnull ? NULL : TextDatumGetCString(value);
}

/* ColumnInt64 returns a bigint column; NULL reads as 0. */
int64
ColumnInt64(int row, int column)
{
	bool		isnull;
	Datum		value = ColumnDatum(row, column, &isnull);

	return isnull ? 0 : DatumGetInt64(value);
}
