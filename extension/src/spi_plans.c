/*
 * spi_plans.c
 *    Saved SPI plans and typed access to the rows they return. Each statement is prepared once per
 *    backend, on first use, and kept with SPI_keepplan; values always travel as $n parameters.
 */
#include "postgres.h"

#include "executor/spi.h"
#include "utils/builtins.h"

#include "inventory.h"

/* ConnectSpi opens SPI for one SQL-callable function, checking the result. */
void
ConnectSpi(void)
{
	int			rc = SPI_connect();

	if (rc != SPI_OK_CONNECT)
		ereport(ERROR, (errcode(ERRCODE_INTERNAL_ERROR),
						errmsg("pg_inventory could not connect to SPI: %s", SPI_result_code_string(rc))));
}

/* ExecuteSavedPlan runs a statement, preparing and saving its plan the first time. */
int
ExecuteSavedPlan(SavedPlan *saved, Datum *values, const char *nulls, long max_rows)
{
	int			rc;

	if (saved->plan == NULL)
	{
		SPIPlanPtr	plan = SPI_prepare(saved->sql, saved->nargs, saved->argtypes);

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
	}
	rc = SPI_execute_plan(saved->plan, values, nulls, false, max_rows);
	if (rc < 0)
		ereport(ERROR, (errcode(ERRCODE_INTERNAL_ERROR),
						errmsg("pg_inventory statement failed: %s", SPI_result_code_string(rc)),
						errdetail("Statement: %s", saved->sql)));
	return rc;
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
