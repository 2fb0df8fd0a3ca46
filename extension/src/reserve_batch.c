/*
 * reserve_batch.c
 *    inventory_reserve_batch: many reservation requests in one call and one transaction, for
 *    callers that gather concurrent requests (the service, bulk order imports). Each request is
 *    shaped like the REST body ({"order_id", "lines", "ttl_seconds"?, "actor"?}) and gets one
 *    outcome row, in input order: reserved or repeated with its reservations, short with its
 *    shortages, or invalid with its SQLSTATE and message. Only a malformed call, or a failure of
 *    the system, raises.
 *
 * Locking: see reservation_engine.c; every stock row the batch touches is locked once, in the
 * global order, and written once.
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "catalog/pg_type.h"
#include "lib/stringinfo.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/json.h"
#include "utils/jsonb.h"
#include "utils/lsyscache.h"
#include "utils/numeric.h"
#include "utils/typcache.h"

#include "inventory.h"

PG_FUNCTION_INFO_V1(inventory_reserve_batch);
PG_FUNCTION_INFO_V1(inventory_reserve_batch_of_product);

/* The columns of the result, in order. */
enum BatchColumn
{
	COLUMN_REQUEST_INDEX,
	COLUMN_ORDER_ID,
	COLUMN_OUTCOME,
	COLUMN_RESERVATIONS,
	COLUMN_SHORTAGES,
	COLUMN_ERROR_CODE,
	COLUMN_ERROR_MESSAGE,
	BATCH_NCOLUMNS
};

static const char *const OutcomeNames[] = {
	[OUTCOME_RESERVED] = "reserved",
	[OUTCOME_REPEATED] = "repeated",
	[OUTCOME_SHORT] = "short",
	[OUTCOME_INVALID] = "invalid",
};

static void ParseRequest(JsonbValue *element, int index, ReserveRequest *request);
static bool ParseTtlSeconds(const JsonbValue *value, TimestampTz *expires_at, RequestError *error);
static Datum ReservationArray(TupleDesc reservation, const ReserveRequest *request);
static Datum ShortagesJson(const ReserveRequest *request);
static void EmitOutcome(ReturnSetInfo *rsinfo, TupleDesc reservation, int index, const ReserveRequest *request);
static Datum ReserveBatch(FunctionCallInfo fcinfo, Jsonb *requests_json, const char *product_id);
static void RequireProduct(ReserveRequest *request, int index, const char *product_id);

/* inventory_reserve_batch decides every request in order and returns one outcome row per request. */
Datum
inventory_reserve_batch(PG_FUNCTION_ARGS)
{
	if (PG_ARGISNULL(0))
		ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE), errmsg("requests must not be null")));
	return ReserveBatch(fcinfo, PG_GETARG_JSONB_P(0), NULL);
}

/*
 * inventory_reserve_batch_of_product is inventory_reserve_batch for requests of one product, named
 * first so that Citus can route the call to the node that holds it.
 */
Datum
inventory_reserve_batch_of_product(PG_FUNCTION_ARGS)
{
	const char *product_id = RequireId(fcinfo, 0, "product_id");

	if (PG_ARGISNULL(1))
		ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE), errmsg("requests must not be null")));
	return ReserveBatch(fcinfo, PG_GETARG_JSONB_P(1), product_id);
}

/*
 * ReserveBatch parses the requests, decides them and returns their outcomes; with a product, a
 * request that names another one is invalid.
 */
static Datum
ReserveBatch(FunctionCallInfo fcinfo, Jsonb *requests_json, const char *product_id)
{
	ReserveRequest *requests;
	ReturnSetInfo *rsinfo;
	TupleDesc	reservation;
	JsonbIterator *iterator;
	JsonbValue	value;
	JsonbIteratorToken token;
	int			count;
	int			index = 0;
	int			i;

	if (!JB_ROOT_IS_ARRAY(requests_json) || JB_ROOT_IS_SCALAR(requests_json))
		ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						errmsg("requests must be a JSON array of objects")));
	count = JB_ROOT_COUNT(requests_json);
	if (count == 0)
		ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE), errmsg("requests must not be empty")));
	if (count > InventoryMaxBatchRequests)
		ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						errmsg("requests has %d entries, more than inventory.max_batch_requests (%d)",
							   count, InventoryMaxBatchRequests),
						errhint("Split the batch, or raise inventory.max_batch_requests.")));

	requests = palloc0(sizeof(ReserveRequest) * count);
	iterator = JsonbIteratorInit(&requests_json->root);
	while ((token = JsonbIteratorNext(&iterator, &value, true)) != WJB_DONE)
		if (token == WJB_ELEM)
		{
			ParseRequest(&value, index, &requests[index]);
			if (product_id != NULL)
				RequireProduct(&requests[index], index, product_id);
			index++;
		}

	InitMaterializedSRF(fcinfo, 0);
	rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	reservation = lookup_rowtype_tupdesc_copy(
		get_element_type(TupleDescAttr(rsinfo->setDesc, COLUMN_RESERVATIONS)->atttypid), -1);
	ConnectSpi();
	ReserveRequests(requests, count);
	for (i = 0; i < count; i++)
		EmitOutcome(rsinfo, reservation, i, &requests[i]);
	SPI_finish();
	return (Datum) 0;
}

/* RequireProduct makes a valid request that names another product than the batch's invalid. */
static void
RequireProduct(ReserveRequest *request, int index, const char *product_id)
{
	int			l;

	if (request->error.sqlstate != 0)
		return;
	for (l = 0; l < request->nlines; l++)
		if (strcmp(request->lines[l].product_id, product_id) != 0)
		{
			SetRequestError(&request->error, ERRCODE_INVALID_PARAMETER_VALUE,
							"requests[%d] names product \"%s\", not the batch's product \"%s\"",
							index, request->lines[l].product_id, product_id);
			SetRequestErrorHint(&request->error,
								"Send requests of other products in their own batch, or call inventory_reserve_batch(requests).");
			return;
		}
}

/*
 * ParseRequest reads one request object; a malformed one is recorded as the request's error and
 * checked in the order inventory_reserve_order checks its arguments.
 */
static void
ParseRequest(JsonbValue *element, int index, ReserveRequest *request)
{
	JsonbIterator *iterator;
	JsonbValue	value;
	JsonbIteratorToken token;
	char	   *key = NULL;
	JsonbValue	order_id = {.type = jbvNull};
	JsonbValue	lines = {.type = jbvNull};
	JsonbValue	ttl_seconds = {.type = jbvNull};
	JsonbValue	actor = {.type = jbvNull};
	Interval   *default_ttl;

	if (element->type != jbvBinary || !JsonContainerIsObject(element->val.binary.data))
	{
		SetRequestError(&request->error, ERRCODE_INVALID_PARAMETER_VALUE,
						"requests[%d] must be a JSON object", index);
		return;
	}
	iterator = JsonbIteratorInit(element->val.binary.data);
	while ((token = JsonbIteratorNext(&iterator, &value, true)) != WJB_DONE)
	{
		if (token == WJB_KEY)
		{
			key = pnstrdup(value.val.string.val, value.val.string.len);
			continue;
		}
		if (token != WJB_VALUE)
			continue;
		if (strcmp(key, "order_id") == 0)
			order_id = value;
		else if (strcmp(key, "lines") == 0)
			lines = value;
		else if (strcmp(key, "ttl_seconds") == 0)
			ttl_seconds = value;
		else if (strcmp(key, "actor") == 0)
			actor = value;
		else if (request->error.sqlstate == 0)
		{
			SetRequestError(&request->error, ERRCODE_INVALID_PARAMETER_VALUE,
							"requests[%d] has an unknown key \"%s\"", index, key);
			SetRequestErrorHint(&request->error,
								"A request has \"order_id\", \"lines\" and optionally \"ttl_seconds\" and \"actor\".");
		}
	}
	if (order_id.type == jbvString)
		request->order_id = pnstrdup(order_id.val.string.val, order_id.val.string.len);
	if (request->error.sqlstate != 0)
		return;

	if (order_id.type == jbvNull)
		SetRequestError(&request->error, ERRCODE_INVALID_PARAMETER_VALUE, "order_id must not be null");
	else if (order_id.type != jbvString)
		SetRequestError(&request->error, ERRCODE_INVALID_PARAMETER_VALUE, "order_id must be a string");
	else if (!CheckIdSoft(request->order_id, "order_id", &request->error))
		return;
	if (request->error.sqlstate != 0)
		return;

	if (lines.type == jbvNull)
	{
		SetRequestError(&request->error, ERRCODE_INVALID_PARAMETER_VALUE, "lines must not be null");
		return;
	}
	if (!ParseOrderLines(JsonbValueToJsonb(&lines), &request->lines, &request->nlines, &request->error))
		return;

	if (ttl_seconds.type == jbvNull)
	{
		default_ttl = DefaultTtl();
		if (!TtlExpiry(default_ttl, &request->expires_at, &request->error))
			return;
	}
	else if (!ParseTtlSeconds(&ttl_seconds, &request->expires_at, &request->error))
		return;

	if (actor.type == jbvString)
	{
		char	   *text = pnstrdup(actor.val.string.val, actor.val.string.len);

		if (!CheckTextSoft(text, "actor", INVENTORY_MAX_TEXT_BYTES, &request->error))
			return;
		request->actor = text;
	}
	else if (actor.type != jbvNull)
		SetRequestError(&request->error, ERRCODE_INVALID_PARAMETER_VALUE, "actor must be a string");
}

/* ParseTtlSeconds reads a positive number of seconds and computes the deadline from it. */
static bool
ParseTtlSeconds(const JsonbValue *value, TimestampTz *expires_at, RequestError *error)
{
	Interval	ttl = {0};
	double		seconds;

	if (value->type != jbvNumeric)
	{
		SetRequestError(error, ERRCODE_INVALID_PARAMETER_VALUE, "ttl_seconds must be a number");
		return false;
	}
	seconds = DatumGetFloat8(DirectFunctionCall1(numeric_float8, NumericGetDatum(value->val.numeric)));
	/* Out-of-range values are refused by TtlExpiry; clamp so the microseconds cannot overflow. */
	seconds = Max(Min(seconds, (double) InventoryMaxReservationTtlSeconds + 1), -1.0);
	ttl.time = (TimeOffset) (seconds * USECS_PER_SEC);
	return TtlExpiry(&ttl, expires_at, error);
}

/* ReservationArray turns a request's reservations into an inventory_reservation[] value. */
static Datum
ReservationArray(TupleDesc reservation, const ReserveRequest *request)
{
	Datum	   *elements = palloc(sizeof(Datum) * Max(request->nrows, 1));
	int			i;

	for (i = 0; i < request->nrows; i++)
		elements[i] = HeapTupleGetDatum(FormReservationTuple(reservation, &request->rows[i]));
	return PointerGetDatum(construct_array(elements, request->nrows, reservation->tdtypeid, -1, false,
										   TYPALIGN_DOUBLE));
}

/* ShortagesJson lists a short request's short lines as a jsonb array. */
static Datum
ShortagesJson(const ReserveRequest *request)
{
	StringInfoData json;
	int			i;

	initStringInfo(&json);
	appendStringInfoChar(&json, '[');
	for (i = 0; i < request->nshortages; i++)
	{
		const Shortage *shortage = &request->shortages[i];

		if (i > 0)
			appendStringInfoChar(&json, ',');
		appendStringInfoString(&json, "{\"product_id\":");
		escape_json(&json, shortage->product_id);
		appendStringInfoString(&json, ",\"warehouse\":");
		if (shortage->warehouse == NULL)
			appendStringInfoString(&json, "null");
		else
			escape_json(&json, shortage->warehouse);
		appendStringInfo(&json, ",\"requested\":" INT64_FORMAT ",\"available\":" INT64_FORMAT "}",
						 shortage->requested, shortage->available);
	}
	appendStringInfoChar(&json, ']');
	return DirectFunctionCall1(jsonb_in, CStringGetDatum(json.data));
}

/* EmitOutcome appends a request's outcome row to the result. */
static void
EmitOutcome(ReturnSetInfo *rsinfo, TupleDesc reservation, int index, const ReserveRequest *request)
{
	Datum		values[BATCH_NCOLUMNS];
	bool		nulls[BATCH_NCOLUMNS];
	bool		granted = request->outcome == OUTCOME_RESERVED || request->outcome == OUTCOME_REPEATED;

	memset(nulls, true, sizeof(nulls));
	values[COLUMN_REQUEST_INDEX] = Int32GetDatum(index);
	nulls[COLUMN_REQUEST_INDEX] = false;
	if (request->order_id != NULL)
	{
		values[COLUMN_ORDER_ID] = CStringGetTextDatum(request->order_id);
		nulls[COLUMN_ORDER_ID] = false;
	}
	values[COLUMN_OUTCOME] = CStringGetTextDatum(OutcomeNames[request->outcome]);
	nulls[COLUMN_OUTCOME] = false;
	if (granted)
	{
		values[COLUMN_RESERVATIONS] = ReservationArray(reservation, request);
		nulls[COLUMN_RESERVATIONS] = false;
	}
	if (request->outcome == OUTCOME_SHORT)
	{
		values[COLUMN_SHORTAGES] = ShortagesJson(request);
		nulls[COLUMN_SHORTAGES] = false;
	}
	if (!granted)
	{
		values[COLUMN_ERROR_CODE] = CStringGetTextDatum(unpack_sql_state(request->error.sqlstate));
		values[COLUMN_ERROR_MESSAGE] = CStringGetTextDatum(request->error.message);
		nulls[COLUMN_ERROR_CODE] = false;
		nulls[COLUMN_ERROR_MESSAGE] = false;
	}
	tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
}
