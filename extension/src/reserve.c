/*
 * reserve.c
 *    inventory_reserve and inventory_reserve_order: one all-or-nothing request, decided by the
 *    reservation engine (reservation_engine.c), whose failure is raised as an error.
 *
 * Locking: see reservation_engine.c.
 */
#include "postgres.h"

#include "inventory.h"

PG_FUNCTION_INFO_V1(inventory_reserve);
PG_FUNCTION_INFO_V1(inventory_reserve_order);

static void ReserveOne(FunctionCallInfo fcinfo, ReserveRequest *request, int ttl_argno);

/* inventory_reserve reserves quantity of one product for an order. */
Datum
inventory_reserve(PG_FUNCTION_ARGS)
{
	ReserveRequest request = {0};
	ReserveLine *line = palloc0(sizeof(ReserveLine));

	request.order_id = RequireId(fcinfo, 0, "order_id");
	line->product_id = RequireId(fcinfo, 1, "product_id");
	line->quantity = RequireQuantity(fcinfo, 2, "quantity");
	line->warehouse = OptionalId(fcinfo, 3, "warehouse");
	request.lines = line;
	request.nlines = 1;
	ReserveOne(fcinfo, &request, 4);
	return (Datum) 0;
}

/* inventory_reserve_order reserves every line of an order, all or nothing. */
Datum
inventory_reserve_order(PG_FUNCTION_ARGS)
{
	ReserveRequest request = {0};

	request.order_id = RequireId(fcinfo, 0, "order_id");
	if (PG_ARGISNULL(1))
		ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE), errmsg("lines must not be null")));
	if (!ParseOrderLines(PG_GETARG_JSONB_P(1), &request.lines, &request.nlines, &request.error))
		RaiseRequestError(&request.error);
	ReserveOne(fcinfo, &request, 2);
	return (Datum) 0;
}

/*
 * ReserveOne resolves the ttl argument (NULL: inventory.reservation_ttl) and the actor argument
 * after it (NULL: the inventory.actor setting), decides the request and returns its reservations,
 * or raises what the engine decided against it.
 */
static void
ReserveOne(FunctionCallInfo fcinfo, ReserveRequest *request, int ttl_argno)
{
	Interval   *ttl = PG_ARGISNULL(ttl_argno) ? DefaultTtl() : PG_GETARG_INTERVAL_P(ttl_argno);

	request->actor = OptionalAddedText(fcinfo, ttl_argno + 1, "actor", INVENTORY_MAX_TEXT_BYTES);
	if (!TtlExpiry(ttl, &request->expires_at, &request->error))
		RaiseRequestError(&request->error);
	InitMaterializedSRF(fcinfo, 0);
	ConnectSpi();
	ReserveRequests(request, 1);
	if (request->outcome == OUTCOME_INVALID || request->outcome == OUTCOME_SHORT)
		RaiseRequestError(&request->error);
	EmitReservationRows((ReturnSetInfo *) fcinfo->resultinfo, request->rows, request->nrows);
	SPI_finish();
}
