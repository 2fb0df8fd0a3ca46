/*
 * reserve.c
 *    inventory_reserve and inventory_reserve_order: all-or-nothing reservations of one or many
 *    lines, idempotent per (order, product), allocated from the warehouses with the most available
 *    stock first when the line names none.
 *
 * Locking: every stock row of every product in the order is locked up front, in
 * (product_id, warehouse) order, so two orders over the same products never deadlock. The
 * idempotency check runs after the locks, so concurrent repeats of one order see each other.
 * Overdue reservations of a row are expired on the spot, under its lock, when stock is short.
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "lib/stringinfo.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"

#include "inventory.h"
#include "inventory_errors.h"

PG_FUNCTION_INFO_V1(inventory_reserve);
PG_FUNCTION_INFO_V1(inventory_reserve_order);

/* A slice of one line, taken from one stock row. */
typedef struct Allocation
{
	int			line;
	int			row;
	int64		quantity;
} Allocation;

static SavedPlan LiveReservationsPlan = {
	.sql = "SELECT " RESERVATION_COLUMNS ", false FROM inventory.reservations"
	" WHERE order_id = $1 AND status IN ('active', 'confirmed')"
	" ORDER BY product_id, warehouse",
	.nargs = 1,
	.argtypes = {TEXTOID},
};

static void ReserveLines(const char *order_id, ReserveLine *lines, int nlines, Interval *ttl,
						 ReturnSetInfo *rsinfo);
static int	MergeLines(ReserveLine *lines, int nlines);
static int	MergeAllocationsPerRow(Allocation *allocations, int nallocations);
static const char **SortedProducts(ReserveLine *lines, int nlines, int *nproducts);
static bool RowServesLine(const StockRow *row, const ReserveLine *line);
static bool *ReturnIdempotentRepeats(const char *order_id, ReserveLine *lines, int nlines,
									 ReturnSetInfo *rsinfo);
static int	PlanLine(StockRow *rows, int nrows, int64 *planned, const ReserveLine *line, int line_index,
					 Allocation *allocations, int nallocations, StringInfo shortages);
static int64 PlannableStock(StockRow *rows, int nrows, int64 *planned, const ReserveLine *line);
static Interval *ResolveTtl(FunctionCallInfo fcinfo, int argno);

/* inventory_reserve reserves quantity of one product for an order. */
Datum
inventory_reserve(PG_FUNCTION_ARGS)
{
	ReserveLine line;
	const char *order_id = RequireId(fcinfo, 0, "order_id");
	Interval   *ttl;

	line.product_id = RequireId(fcinfo, 1, "product_id");
	line.quantity = RequireQuantity(fcinfo, 2, "quantity");
	line.warehouse = OptionalId(fcinfo, 3, "warehouse");
	ttl = ResolveTtl(fcinfo, 4);

	InitMaterializedSRF(fcinfo, 0);
	ConnectSpi();
	ReserveLines(order_id, &line, 1, ttl, (ReturnSetInfo *) fcinfo->resultinfo);
	SPI_finish();
	return (Datum) 0;
}

/* inventory_reserve_order reserves every line of an order, all or nothing. */
Datum
inventory_reserve_order(PG_FUNCTION_ARGS)
{
	const char *order_id = RequireId(fcinfo, 0, "order_id");
	ReserveLine *lines;
	int			nlines;
	Interval   *ttl;

	if (PG_ARGISNULL(1))
		ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE), errmsg("lines must not be null")));
	lines = ParseOrderLines(PG_GETARG_JSONB_P(1), &nlines);
	ttl = ResolveTtl(fcinfo, 2);

	InitMaterializedSRF(fcinfo, 0);
	ConnectSpi();
	ReserveLines(order_id, lines, nlines, ttl, (ReturnSetInfo *) fcinfo->resultinfo);
	SPI_finish();
	return (Datum) 0;
}

/* ResolveTtl returns the ttl argument, or inventory.reservation_ttl, checked against the maximum. */
static Interval *
ResolveTtl(FunctionCallInfo fcinfo, int argno)
{
	Interval   *ttl;
	double		seconds;

	if (PG_ARGISNULL(argno))
	{
		ttl = palloc0(sizeof(Interval));
		ttl->time = (TimeOffset) InventoryReservationTtlSeconds * USECS_PER_SEC;
	}
	else
		ttl = PG_GETARG_INTERVAL_P(argno);
	seconds = (double) ttl->time / USECS_PER_SEC + (double) ttl->day * SECS_PER_DAY +
		(double) ttl->month * DAYS_PER_MONTH * SECS_PER_DAY;
	if (seconds <= 0)
		ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						errmsg("ttl must be positive")));
	if (seconds > InventoryMaxReservationTtlSeconds)
		ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						errmsg("ttl of %.0f seconds exceeds inventory.max_reservation_ttl (%d seconds)",
							   seconds, InventoryMaxReservationTtlSeconds),
						errhint("Ask for a shorter ttl, or lower inventory.reservation_ttl when ttl is NULL.")));
	return ttl;
}

/* ReserveLines locks, checks idempotency, plans every line and then applies the plan. */
static void
ReserveLines(const char *order_id, ReserveLine *lines, int nlines, Interval *ttl, ReturnSetInfo *rsinfo)
{
	const char **products;
	int			nproducts;
	StockRow   *rows;
	int			nrows;
	int64	   *planned;
	bool	   *repeated;
	Allocation *allocations;
	int			nallocations = 0;
	StringInfoData shortages;
	int			nshortages = 0;
	int			i;
	int			pass;

	nlines = MergeLines(lines, nlines);
	products = SortedProducts(lines, nlines, &nproducts);
	rows = LockStockRowsOfProducts(products, nproducts, &nrows);

	for (i = 0; i < nlines; i++)
	{
		int			r;
		bool		found = false;

		for (r = 0; r < nrows && !found; r++)
			found = RowServesLine(&rows[r], &lines[i]);
		if (!found && lines[i].warehouse != NULL)
			ereport(ERROR, (errcode(ERRCODE_INVENTORY_UNKNOWN_PRODUCT),
							errmsg("product \"%s\" is not stocked in warehouse \"%s\"",
								   lines[i].product_id, lines[i].warehouse)));
		if (!found)
			ereport(ERROR, (errcode(ERRCODE_INVENTORY_UNKNOWN_PRODUCT),
							errmsg("product \"%s\" is not stocked", lines[i].product_id)));
	}

	repeated = ReturnIdempotentRepeats(order_id, lines, nlines, rsinfo);

	/* Lines bound to a warehouse are planned before lines that may take from any. */
	planned = palloc0(sizeof(int64) * Max(nrows, 1));
	allocations = palloc(sizeof(Allocation) * nlines * Max(nrows, 1));
	initStringInfo(&shortages);
	for (pass = 0; pass < 2; pass++)
		for (i = 0; i < nlines; i++)
		{
			int			added;

			if (repeated[i] || (pass == 0) != (lines[i].warehouse != NULL))
				continue;
			added = PlanLine(rows, nrows, planned, &lines[i], i, allocations, nallocations, &shortages);
			if (added < 0)
				nshortages++;
			else
				nallocations += added;
		}
	nallocations = MergeAllocationsPerRow(allocations, nallocations);
	if (nshortages > 0)
		ereport(ERROR, (errcode(ERRCODE_INVENTORY_INSUFFICIENT_STOCK),
						errmsg("insufficient stock for order \"%s\": %s", order_id,
							   nshortages == 1 ? shortages.data : "several lines are short"),
						errdetail("Short lines: %s.", shortages.data)));

	for (i = 0; i < nallocations; i++)
	{
		StockChange change = {0};

		change.reason = "reserve";
		change.reserved_delta = allocations[i].quantity;
		change.order_id = order_id;
		change.reservation_id = NewRandomUuid();
		change.reservation_write = RESERVATION_INSERT;
		change.quantity = allocations[i].quantity;
		change.ttl = ttl;
		ApplyStockChange(&rows[allocations[i].row], &change);
		EmitSpiRows(rsinfo);
	}
}

/* MergeLines sums lines of the same product and warehouse in place; returns the new count. */
static int
MergeLines(ReserveLine *lines, int nlines)
{
	int			kept = 0;
	int			i;

	for (i = 0; i < nlines; i++)
	{
		int			k;

		for (k = 0; k < kept; k++)
			if (strcmp(lines[k].product_id, lines[i].product_id) == 0 &&
				((lines[k].warehouse == NULL && lines[i].warehouse == NULL) ||
				 (lines[k].warehouse != NULL && lines[i].warehouse != NULL &&
				  strcmp(lines[k].warehouse, lines[i].warehouse) == 0)))
				break;
		if (k < kept)
		{
			lines[k].quantity += lines[i].quantity;
			CheckQuantity(lines[k].quantity, "quantity of a product's lines together");
		}
		else
			lines[kept++] = lines[i];
	}
	return kept;
}

/*
 * MergeAllocationsPerRow sums allocations that take from the same stock row (a line naming a
 * warehouse and a line naming none may both land there): one order holds one live reservation per
 * product and warehouse. Returns the new count.
 */
static int
MergeAllocationsPerRow(Allocation *allocations, int nallocations)
{
	int			kept = 0;
	int			i;

	for (i = 0; i < nallocations; i++)
	{
		int			k;

		for (k = 0; k < kept && allocations[k].row != allocations[i].row; k++)
			;
		if (k < kept)
			allocations[k].quantity += allocations[i].quantity;
		else
			allocations[kept++] = allocations[i];
	}
	return kept;
}

/* SortedProducts lists the products the lines name, once each, in global lock order. */
static const char **
SortedProducts(ReserveLine *lines, int nlines, int *nproducts)
{
	const char **products = palloc(sizeof(char *) * nlines);
	int			i;

	for (i = 0; i < nlines; i++)
		products[i] = lines[i].product_id;
	*nproducts = nlines;
	SortProductIds(products, nproducts);
	return products;
}

/* RowServesLine says whether a stock row may supply a line. */
static bool
RowServesLine(const StockRow *row, const ReserveLine *line)
{
	return strcmp(row->product_id, line->product_id) == 0 &&
		(line->warehouse == NULL || strcmp(row->warehouse, line->warehouse) == 0);
}

/*
 * ReturnIdempotentRepeats returns, per line, whether its product already holds live reservations
 * for the order that match the request; those are emitted unchanged. A mismatch is a conflict.
 */
static bool *
ReturnIdempotentRepeats(const char *order_id, ReserveLine *lines, int nlines, ReturnSetInfo *rsinfo)
{
	bool	   *repeated = palloc0(sizeof(bool) * nlines);
	Datum		values[1] = {CStringGetTextDatum(order_id)};
	uint64		r;
	int			i;

	ExecuteSavedPlan(&LiveReservationsPlan, values, NULL, 0);
	if (SPI_processed == 0)
		return repeated;

	for (i = 0; i < nlines; i++)
	{
		int64		requested = 0;
		int64		held = 0;
		int64		held_in_warehouse = 0;
		int			k;

		for (k = 0; k < nlines; k++)
			if (strcmp(lines[k].product_id, lines[i].product_id) == 0)
				requested += lines[k].quantity;
		for (r = 0; r < SPI_processed; r++)
		{
			char	   *product = ColumnText(r, 3);
			char	   *warehouse = ColumnText(r, 4);

			if (strcmp(product, lines[i].product_id) != 0)
				continue;
			held += ColumnInt64(r, 5);
			if (lines[i].warehouse == NULL || strcmp(warehouse, lines[i].warehouse) == 0)
				held_in_warehouse += ColumnInt64(r, 5);
		}
		if (held == 0)
			continue;
		if (held != requested || held_in_warehouse < lines[i].quantity)
			ereport(ERROR, (errcode(ERRCODE_INVENTORY_IDEMPOTENCY_CONFLICT),
							errmsg("order \"%s\" already holds " INT64_FORMAT " of product \"%s\", not "
								   INT64_FORMAT, order_id, held, lines[i].product_id, requested),
							errdetail("A repeated reservation must ask for the same quantity%s.",
									  lines[i].warehouse ? " in the same warehouse" : ""),
							errhint("Release the order's reservation of the product before reserving a different quantity.")));
		repeated[i] = true;
	}

	/* Emit each repeated product's rows once, in the order the statement returned them. */
	for (r = 0; r < SPI_processed; r++)
	{
		char	   *product = ColumnText(r, 3);

		for (i = 0; i < nlines; i++)
			if (repeated[i] && strcmp(product, lines[i].product_id) == 0)
			{
				tuplestore_puttuple(rsinfo->setResult, SPI_tuptable->vals[r]);
				break;
			}
	}
	return repeated;
}

/* PlannableStock is what the rows serving a line still have after earlier lines' plans. */
static int64
PlannableStock(StockRow *rows, int nrows, int64 *planned, const ReserveLine *line)
{
	int64		total = 0;
	int			r;

	for (r = 0; r < nrows; r++)
		if (RowServesLine(&rows[r], line))
			total += Max(StockRowAvailable(&rows[r]) - planned[r], 0);
	return total;
}

/*
 * PlanLine allocates one line from its rows, most available first, expiring overdue reservations
 * when short. Returns how many allocations it added, or -1 after describing a shortage.
 */
static int
PlanLine(StockRow *rows, int nrows, int64 *planned, const ReserveLine *line, int line_index,
		 Allocation *allocations, int nallocations, StringInfo shortages)
{
	int64		remaining = line->quantity;
	int64		available = PlannableStock(rows, nrows, planned, line);
	int			added = 0;
	int			r;

	if (available < remaining)
	{
		for (r = 0; r < nrows; r++)
			if (RowServesLine(&rows[r], line) && !rows[r].overdue_expired)
				ExpireOverdueOnStockRow(&rows[r], PG_INT64_MAX);
		available = PlannableStock(rows, nrows, planned, line);
	}
	if (available < remaining)
	{
		appendStringInfo(shortages, "%sproduct \"%s\"%s%s%s: requested " INT64_FORMAT ", available "
						 INT64_FORMAT, shortages->len > 0 ? "; " : "", line->product_id,
						 line->warehouse ? " in warehouse \"" : "", line->warehouse ? line->warehouse : "",
						 line->warehouse ? "\"" : "", line->quantity, available);
		return -1;
	}

	while (remaining > 0)
	{
		int			best = -1;
		int64		take;

		for (r = 0; r < nrows; r++)
			if (RowServesLine(&rows[r], line) && StockRowAvailable(&rows[r]) - planned[r] > 0 &&
				(best < 0 || StockRowAvailable(&rows[r]) - planned[r] >
				 StockRowAvailable(&rows[best]) - planned[best]))
				best = r;
		take = Min(remaining, StockRowAvailable(&rows[best]) - planned[best]);
		planned[best] += take;
		remaining -= take;
		allocations[nallocations + added].line = line_index;
		allocations[nallocations + added].row = best;
		allocations[nallocations + added].quantity = take;
		added++;
	}
	return added;
}
