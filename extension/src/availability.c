/*
 * availability.c
 *    inventory_available and inventory_check: reads that take no locks. Overdue active
 *    reservations do not count against availability, even before the reaper has expired them.
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "utils/builtins.h"

#include "inventory.h"
#include "inventory_errors.h"

PG_FUNCTION_INFO_V1(inventory_available);
PG_FUNCTION_INFO_V1(inventory_check);

static SavedPlan AvailablePlan = {
	.sql = "SELECT count(*), coalesce(sum(s.available + (SELECT coalesce(sum(r.quantity), 0)"
	"         FROM inventory.reservations r"
	"        WHERE r.product_id = s.product_id AND r.warehouse = s.warehouse"
	"          AND r.status = 'active' AND r.expires_at < now())), 0)::bigint"
	"  FROM inventory.stock s WHERE s.product_id = $1 AND ($2::text IS NULL OR s.warehouse = $2)",
	.nargs = 2,
	.argtypes = {TEXTOID, TEXTOID},
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
	int64		rows;
	int64		available;

	values[0] = CStringGetTextDatum(product_id);
	values[1] = warehouse == NULL ? (Datum) 0 : CStringGetTextDatum(warehouse);
	ConnectSpi();
	ExecuteSavedPlan(&AvailablePlan, values, nulls, 1);
	rows = ColumnInt64(0, 1);
	available = ColumnInt64(0, 2);
	SPI_finish();
	if (rows == 0 && warehouse != NULL)
		ereport(ERROR, (errcode(ERRCODE_INVENTORY_UNKNOWN_PRODUCT),
						errmsg("product \"%s\" is not stocked in warehouse \"%s\"", product_id, warehouse)));
	if (rows == 0)
		ereport(ERROR, (errcode(ERRCODE_INVENTORY_UNKNOWN_PRODUCT),
						errmsg("product \"%s\" is not stocked", product_id)));
	return available;
}
