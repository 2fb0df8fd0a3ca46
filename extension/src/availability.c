/*
 * availability.c
 *    inventory_available and inventory_check: reads that take no locks and run read-only.
 *    Overdue active reservations do not count against availability, even before they are
 *    expired; a row's next_expiry says whether it can have any, so a read touches reservations
 *    only in the short window between a deadline passing and the reaper's next run.
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "utils/builtins.h"

#include "inventory.h"
#include "inventory_errors.h"

PG_FUNCTION_INFO_V1(inventory_available);
PG_FUNCTION_INFO_V1(inventory_check);

/* The previous version's tables have no next_expiry: every row may have overdue reservations. */
static SavedPlan StockOfProductPlans[INVENTORY_NSCHEMAS] = {
	[SCHEMA_CURRENT] = {
		.sql = "SELECT warehouse, available, next_expiry < now() FROM inventory.stock"
		" WHERE product_id = $1 AND ($2::text IS NULL OR warehouse = $2)",
		.nargs = 2,
		.argtypes = {TEXTOID, TEXTOID},
	},
	[SCHEMA_PREVIOUS] = {
		.sql = "SELECT warehouse, available, true FROM inventory.stock"
		" WHERE product_id = $1 AND ($2::text IS NULL OR warehouse = $2)",
		.nargs = 2,
		.argtypes = {TEXTOID, TEXTOID},
	},
};

static int64 AvailableQuantity(const char *product_id, const char *warehouse);

/* inventory_available returns the available quantity of a product. */
Datum
inventory_available(PG_FUNCTION_ARGS)
{
	const char *product_id = RequireId(fcinfo, 0, "product_id");
	const char *warehouse = OptionalId(fcinfo, 1, "warehouse");

	PG_RETURN_INT64(AvailableQuantity(product_id, warehouse));
}

/* inventory_check says whether quantity of a product is available. */
Datum
inventory_check(PG_FUNCTION_ARGS)
{
	const char *product_id = RequireId(fcinfo, 0, "product_id");
	int64		quantity = RequireQuantity(fcinfo, 1, "quantity");
	const char *warehouse = OptionalId(fcinfo, 2, "warehouse");

	PG_RETURN_BOOL(AvailableQuantity(product_id, warehouse) >= quantity);
}

/* AvailableQuantity sums availability over the product's rows; unknown products raise IN002. */
static int64
AvailableQuantity(const char *product_id, const char *warehouse)
{
	Datum		values[2];
	char		nulls[2] = {' ', warehouse == NULL ? 'n' : ' '};
	uint64		rows;
	uint64		i;
	int64		available = 0;

	values[0] = CStringGetTextDatum(product_id);
	values[1] = warehouse == NULL ? (Datum) 0 : CStringGetTextDatum(warehouse);
	ConnectSpi();
	(void) ProductShardsHere(product_id, false);
	ExecuteSavedPlanReadOnly(&StockOfProductPlans[InstalledSchema], values, nulls, 0);
	rows = SPI_processed;
	for (i = 0; i < rows; i++)
	{
		bool		isnull;
		bool		may_have_overdue = DatumGetBool(ColumnDatum(i, 3, &isnull)) && !isnull;

		available += ColumnInt64(i, 2);
		if (may_have_overdue)
			available += OverdueQuantity(product_id, ColumnText(i, 1));
	}
	SPI_finish();
	if (rows == 0)
	{
		RequestError error = {0};

		UnknownStockError(&error, product_id, warehouse);
		RaiseRequestError(&error);
	}
	return available;
}
