/*
 * spi_plans.c
 *    Saved SPI plans and typed access to the rows they return. Each statement is prepared once per
 *    backend, on first use, and kept with SPI_keepplan; values always travel as $n parameters.
 */
#include "postgres.h"

#include "executor/spi.h"
#include "utils/builtins.h"

#include "inventory.h"

static int	RunSavedPlan(SavedPlan *saved, Datum *values, const char *nulls, bool read_only, long max_rows);

/*
 * RequireMatchingSchema refuses to run this library against the objects of another extension
 * version (a new package installed, ALTER EXTENSION UPDATE not yet run): the statements here
 * need this version's tables. Checked once per backend, until it passes.
 */
static void
RequireMatchingSchema(void)
{
	static bool matched = false;
	char	   *installed;

	if (matched)
		return;
	if (SPI_execute("SELECT extversion FROM pg_catalog.pg_extension WHERE extname = 'pg_inventory'", true, 1) !=
		SPI_OK_SELECT || SPI_processed != 1)
		ereport(ERROR, (errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
						errmsg("extension pg_inventory is not installed in this database")));
	installed = ColumnText(0, 1);
	SPI_freetuptable(SPI_tuptable);
	if (strcmp(installed, PG_INVENTORY_VERSION) != 0)
		ereport(ERROR, (errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
						errmsg("the pg_inventory library is version %s but this database has extension version %s",
							   PG_INVENTORY_VERSION, installed),
						errhint("Run ALTER EXTENSION pg_inventory UPDATE in this database.")));
	matched = true;
}

/* ConnectSpi opens SPI for one SQL-callable function, checking the result and the schema version. */
void
ConnectSpi(void)
{
	int			rc = SPI_connect();

	if (rc != SPI_OK_CONNECT)
		ereport(ERROR, (errcode(ERRCODE_INTERNAL_ERROR),
						errmsg("pg_inventory could not connect to SPI: %s", SPI_result_code_string(rc))));
	RequireMatchingSchema();
}

/* PreparedPlan returns a statement's plan, preparing and saving it the first time. */
SPIPlanPtr
PreparedPlan(SavedPlan *saved)
{
	SPIPlanPtr	plan;
	int			rc;

	if (saved->plan != NULL)
		return saved->plan;
	plan = SPI_prepare(saved->sql, saved->nargs, saved->argtypes);
	if (plan == NULL)
		ereport(ERROR, (errcode(ERRCODE_INTERNAL_ERROR),
						errmsg("pg_inventory could not prepare a statement: %s",
							   SPI_result_code_string(SPI_result)),
						errdetail("Statement: %s", saved->sql)));
	rc = SPI_keepplan(plan);
	if (rc != 0)
		ereport(ERROR, (errcode(ERRCODE_INTERNAL_ERROR),
						errmsg("pg_inventory could not keep a plan: %s", SPI_result_code_string(rc))));
	saved->plan = plan;
	return plan;
}

/* RunSavedPlan runs a statement, preparing and saving its plan the first time. */
static int
RunSavedPlan(SavedPlan *saved, Datum *values, const char *nulls, bool read_only, long max_rows)
{
	int			rc = SPI_execute_plan(PreparedPlan(saved), values, nulls, read_only, max_rows);

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
