/*
 * stock_requests.c
 *    Request ids of stock changes (inventory_restock, inventory_adjust, inventory_set_stock): a
 *    caller that may have to repeat a call (its connection broke after it was sent) passes an id;
 *    the first call records its arguments and the stock row it returned in
 *    inventory.stock_requests, keyed by (product_id, request_id), in its own transaction; a repeat
 *    changes nothing and returns that row. The same id with other arguments is IN005. Ids expire
 *    after inventory.idempotency_ttl; the reaper deletes expired ones.
 *
 * Locking: an id is looked up before the stock row is locked (a repeat needs no lock) and again
 * under the lock, so a repeat that waited for its first call sees it. Two calls with one id on two
 * warehouses of a product lock different rows; the second to record its id finds the first's and
 * fails with IN005, which rolls back its change.
 */
#include "postgres.h"

#include "access/xact.h"
#include "catalog/pg_type.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/timestamp.h"

#include "inventory.h"
#include "inventory_errors.h"

/*
 * The statements' parameters: $1 is REQUEST_PRODUCT + 1, and so on. Both start with the request's
 * key; the record statement adds the time.
 */
typedef enum RequestSlot
{
	REQUEST_PRODUCT,
	REQUEST_ID,
	REQUEST_OPERATION,
	REQUEST_WAREHOUSE,
	REQUEST_ARGUMENTS,
	REQUEST_KEY_SLOTS,
	REQUEST_NOW = REQUEST_KEY_SLOTS,
	REQUEST_EXPIRES_AT,
	REQUEST_RECORD_SLOTS
} RequestSlot;

/* The arguments of a first call, as the repeat must match them: operation, warehouse, arguments. */
static SavedPlan FindRequestPlan = {
	.sql = "SELECT r.operation = $3 AND r.warehouse = $4 AND r.arguments = jsonb_object($5),"
	"       jsonb_populate_record(NULL::inventory.stock, r.result)"
	"  FROM inventory.stock_requests r"
	" WHERE r.product_id = $1 AND r.request_id = $2 AND r.expires_at > now()",
	.nargs = REQUEST_KEY_SLOTS,
	.argtypes = {TEXTOID, TEXTOID, TEXTOID, TEXTOID, TEXTARRAYOID},
};

/*
 * Records a request with the stock row as this call wrote it; an expired record is replaced. The
 * time comes as parameters ($6 now, $7 the expiry), not from now(): Citus refuses a function that
 * is not immutable in ON CONFLICT's WHERE of a distributed table.
 */
static SavedPlan RecordRequestPlan = {
	.sql = "INSERT INTO inventory.stock_requests AS r"
	"       (product_id, request_id, operation, warehouse, arguments, result, created_at, expires_at)"
	" SELECT s.product_id, $2, $3, s.warehouse, jsonb_object($5), to_jsonb(s), $6, $7"
	"   FROM inventory.stock s WHERE s.product_id = $1 AND s.warehouse = $4"
	" ON CONFLICT (product_id, request_id) DO UPDATE"
	"    SET operation = EXCLUDED.operation, warehouse = EXCLUDED.warehouse,"
	"        arguments = EXCLUDED.arguments, result = EXCLUDED.result,"
	"        created_at = EXCLUDED.created_at, expires_at = EXCLUDED.expires_at"
	"  WHERE r.expires_at <= $6"
	" RETURNING 1",
	.nargs = REQUEST_RECORD_SLOTS,
	.argtypes = {TEXTOID, TEXTOID, TEXTOID, TEXTOID, TEXTARRAYOID, TIMESTAMPTZOID, TIMESTAMPTZOID},
};

static void RequestKey(const StockRequest *request, Datum *values);
static void RaiseReusedId(const StockRequest *request);

/* AddStockRequestArgument adds one argument (NULL for SQL NULL) to what a repeat must match. */
void
AddStockRequestArgument(StockRequest *request, const char *name, const char *value)
{
	if (request->nvalues + 2 > STOCK_REQUEST_MAX_VALUES)
		elog(ERROR, "pg_inventory stock request has too many arguments");
	request->values[request->nvalues] = CStringGetTextDatum(name);
	request->nulls[request->nvalues++] = false;
	request->values[request->nvalues] = value == NULL ? (Datum) 0 : CStringGetTextDatum(value);
	request->nulls[request->nvalues++] = value == NULL;
}

/* RequestKey fills the parameters that name a request: product, id, operation, warehouse, arguments. */
static void
RequestKey(const StockRequest *request, Datum *values)
{
	int			dims[1] = {request->nvalues};
	int			lower_bounds[1] = {1};

	values[REQUEST_PRODUCT] = CStringGetTextDatum(request->product_id);
	values[REQUEST_ID] = CStringGetTextDatum(request->request_id);
	values[REQUEST_OPERATION] = CStringGetTextDatum(request->operation);
	values[REQUEST_WAREHOUSE] = CStringGetTextDatum(request->warehouse);
	values[REQUEST_ARGUMENTS] = PointerGetDatum(construct_md_array((Datum *) request->values, (bool *) request->nulls, 1,
												   dims, lower_bounds, TEXTOID, -1, false, TYPALIGN_INT));
}

/* RaiseReusedId raises IN005 for a request id that a different request already used. */
static void
RaiseReusedId(const StockRequest *request)
{
	ereport(ERROR, (errcode(ERRCODE_INVENTORY_IDEMPOTENCY_CONFLICT),
					errmsg("request id \"%s\" of product \"%s\" was already used by a different request",
						   request->request_id, request->product_id),
					errdetail("A repeated request must name the same operation, warehouse and arguments."),
					errhint("Use a new request id for a new request.")));
}

/*
 * FindRepeatedStockRequest says whether the call repeats a recorded request: true with the stock
 * row the first call returned, false when the id is new (or none was given); IN005 when the id
 * belongs to a different request.
 */
bool
FindRepeatedStockRequest(const StockRequest *request, Datum *first_result)
{
	Datum		values[REQUEST_KEY_SLOTS];
	bool		isnull;
	bool		same;

	if (request->request_id == NULL)
		return false;
	RequestKey(request, values);
	ExecuteSavedPlan(&FindRequestPlan, values, NULL, 1);
	if (SPI_processed == 0)
		return false;
	same = DatumGetBool(ColumnDatum(0, 1, &isnull));
	if (!same)
		RaiseReusedId(request);
	*first_result = SPI_datumTransfer(ColumnDatum(0, 2, &isnull), false, -1);
	SPI_freetuptable(SPI_tuptable);
	return true;
}

/*
 * RecordStockRequest records a first call with the stock row it wrote, in its transaction; IN005
 * when a concurrent call with the same id on another warehouse recorded it first.
 */
void
RecordStockRequest(const StockRequest *request)
{
	Datum		values[REQUEST_RECORD_SLOTS];
	TimestampTz now = GetCurrentTransactionStartTimestamp();

	if (request->request_id == NULL)
		return;
	RequestKey(request, values);
	values[REQUEST_NOW] = TimestampTzGetDatum(now);
	values[REQUEST_EXPIRES_AT] = TimestampTzGetDatum(now + (TimestampTz) InventoryIdempotencyTtlSeconds * USECS_PER_SEC);
	ExecuteSavedPlan(&RecordRequestPlan, values, NULL, 0);
	if (SPI_processed == 0)
		RaiseReusedId(request);
	SPI_freetuptable(SPI_tuptable);
}
