/*
 * reservation_engine.c
 *    Decides reservation requests, one after another in input order, inside one call: the engine
 *    behind inventory_reserve, inventory_reserve_order (one request) and inventory_reserve_batch
 *    (many). Each request is all or nothing, its lines summed per product and warehouse, allocated
 *    from the warehouses with the most available stock first when a line names none, idempotent
 *    per order and product, with overdue reservations expired on the spot when stock is short.
 *    A request's failure (bad value, unknown product, conflict, short stock) is its outcome, never
 *    an error of the call.
 *
 *    The decisions happen in memory against the locked rows; the change buffer then writes every
 *    touched stock row once, and one ledger row, one event and one version per reservation, in one
 *    statement: exactly what running the requests one after another would have written.
 *
 * Locking: every stock row of every product any request names is locked up front, in one
 * statement (through Citus, one per product), in the global (product_id, warehouse) order, so
 * concurrent calls never deadlock. The orders' live reservations are read after the locks, so
 * concurrent repeats of one order see each other. Requests of one product run on its shards when
 * this node holds them (shards.c).
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "lib/stringinfo.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/hsearch.h"

#include "inventory.h"
#include "inventory_errors.h"

/* A slice of one line, taken from one stock row. */
typedef struct Allocation
{
	StockRow   *row;
	int64		quantity;
} Allocation;

/* The live (active or confirmed) reservations of one order, as the requests so far left them. */
typedef struct OrderReservations
{
	char		order_id[INVENTORY_MAX_ID_BYTES + 1];	/* hash key */
	ReservationRow *rows;		/* in (product_id, warehouse) order */
	int			nrows;
	int			capacity;
} OrderReservations;

/* What the engine shares between the requests of one call. */
typedef struct Engine
{
	StockRow   *rows;			/* locked, in global order */
	int			nrows;
	HTAB	   *orders;			/* OrderReservations by order_id */
	ChangeBuffer *buffer;
	TimestampTz now;
} Engine;

static SavedPlan LiveReservationsPlan = {
	.sql = "SELECT " RESERVATION_COLUMNS " FROM inventory.reservations"
	" WHERE order_id = ANY ($1) AND product_id = ANY ($2) AND status IN ('active', 'confirmed')"
	" ORDER BY order_id, product_id, warehouse",
	.nargs = 2,
	.argtypes = {TEXTARRAYOID, TEXTARRAYOID},
};

/* One product's, through Citus: a statement that runs where the product lives. */
static SavedPlan LiveReservationsOfProductPlan = {
	.sql = "SELECT " RESERVATION_COLUMNS " FROM inventory.reservations"
	" WHERE order_id = ANY ($1) AND product_id = $2 AND status IN ('active', 'confirmed')"
	" ORDER BY order_id, warehouse",
	.nargs = 2,
	.argtypes = {TEXTARRAYOID, TEXTOID},
};

static const char *OnlyProduct(const ReserveRequest *requests, int nrequests);
static void LockAndLoad(Engine *engine, ReserveRequest *requests, int nrequests);
static void LoadLiveReservations(Engine *engine, Datum *orders, int norders, Datum *products,
								 int nproducts);
static void AddLiveReservations(Engine *engine);
static OrderReservations *OrderOf(Engine *engine, const char *order_id);
static void AddLiveReservation(OrderReservations *order, const ReservationRow *row);
static void ForgetLiveReservation(Engine *engine, const char *order_id, const pg_uuid_t *id);
static void DecideRequest(Engine *engine, ReserveRequest *request);
static int	MergeLines(ReserveLine *lines, int nlines, RequestError *error);
static int	ProductRows(Engine *engine, const char *product_id, StockRow **first);
static bool RowServesLine(const StockRow *row, const ReserveLine *line);
static bool FindRepeats(Engine *engine, ReserveRequest *request, bool *repeated);
static bool PlanLine(Engine *engine, const ReserveLine *line, Allocation *allocations, int *nallocations,
					 ReserveRequest *request);
static int64 PlannableStock(Engine *engine, const ReserveLine *line);
static void ResetPlans(Engine *engine, ReserveRequest *request);
static void ApplyRequest(Engine *engine, ReserveRequest *request, Allocation *allocations,
						 int nallocations, const bool *repeated);
static void DescribeShortage(ReserveRequest *request);
static void AppendRow(ReserveRequest *request, const ReservationRow *row);

/* ReserveRequests decides every request in input order and writes the granted ones. */
void
ReserveRequests(ReserveRequest *requests, int nrequests)
{
	Engine		engine = {0};
	HASHCTL		hash = {0};
	int			i;

	hash.keysize = INVENTORY_MAX_ID_BYTES + 1;
	hash.entrysize = sizeof(OrderReservations);
	hash.hcxt = CurrentMemoryContext;
	engine.orders = hash_create("pg_inventory orders", Max(nrequests, 4), &hash,
								HASH_ELEM | HASH_STRINGS | HASH_CONTEXT);
	engine.buffer = ChangeBufferCreate();
	engine.now = GetCurrentTransactionStartTimestamp();

	if (OnlyProduct(requests, nrequests) != NULL)
		(void) ProductShardsHere(OnlyProduct(requests, nrequests), true);
	LockAndLoad(&engine, requests, nrequests);
	for (i = 0; i < nrequests; i++)
	{
		if (requests[i].error.sqlstate != 0)
			requests[i].outcome = OUTCOME_INVALID;
		else
			DecideRequest(&engine, &requests[i]);
	}
	FlushChanges(engine.buffer);
	EndOverdueScans(engine.rows, engine.nrows);
}

/* OnlyProduct returns the one product every line of the valid requests names, or NULL. */
static const char *
OnlyProduct(const ReserveRequest *requests, int nrequests)
{
	const char *product = NULL;
	int			r;

	for (r = 0; r < nrequests; r++)
	{
		int			l;

		if (requests[r].error.sqlstate != 0)
			continue;
		for (l = 0; l < requests[r].nlines; l++)
		{
			if (product == NULL)
				product = requests[r].lines[l].product_id;
			else if (strcmp(product, requests[r].lines[l].product_id) != 0)
				return NULL;
		}
	}
	return product;
}

/*
 * LockAndLoad locks the stock rows of every product the valid requests name, then reads the live
 * reservations their orders hold on those products.
 */
static void
LockAndLoad(Engine *engine, ReserveRequest *requests, int nrequests)
{
	const char **products;
	Datum	   *orders;
	Datum	   *product_datums;
	int			nproducts = 0;
	int			norders = 0;
	int			r;

	engine->rows = palloc0(sizeof(StockRow));
	for (r = 0; r < nrequests; r++)
		if (requests[r].error.sqlstate == 0)
			nproducts += requests[r].nlines;
	if (nproducts == 0)
		return;
	products = palloc(sizeof(char *) * nproducts);
	product_datums = palloc(sizeof(Datum) * nproducts);
	orders = palloc(sizeof(Datum) * nrequests);
	nproducts = 0;
	for (r = 0; r < nrequests; r++)
	{
		int			l;

		if (requests[r].error.sqlstate != 0)
			continue;
		orders[norders++] = CStringGetTextDatum(requests[r].order_id);
		for (l = 0; l < requests[r].nlines; l++)
		{
			products[nproducts] = requests[r].lines[l].product_id;
			product_datums[nproducts++] = CStringGetTextDatum(requests[r].lines[l].product_id);
		}
	}
	engine->rows = LockStockRowsOfProducts(products, nproducts, &engine->nrows);
	if (engine->nrows == 0)
		return;
	LoadLiveReservations(engine, orders, norders, product_datums, nproducts);
}

/*
 * LoadLiveReservations reads the live reservations the orders hold on the locked rows' products:
 * through Citus one statement per product naming it by equality (each runs on the node that holds
 * the product, planned with the call's values); else one statement for all of them. Its generic
 * plan looks the orders up by order_id whatever the table's statistics were when it was made; the
 * equality form's may scan a hot product's every reservation (planned while the table was small,
 * it cost four times the whole call on one PostgreSQL after 700 reservations).
 */
static void
LoadLiveReservations(Engine *engine, Datum *orders, int norders, Datum *products, int nproducts)
{
	Datum		arguments[2];
	int			r;

	arguments[0] = PointerGetDatum(construct_array(orders, norders, TEXTOID, -1, false, TYPALIGN_INT));
	if (!ThroughCitus())
	{
		arguments[1] = PointerGetDatum(construct_array(products, nproducts, TEXTOID, -1, false, TYPALIGN_INT));
		ExecuteSavedPlan(&LiveReservationsPlan, arguments, NULL, 0);
		AddLiveReservations(engine);
		return;
	}
	for (r = 0; r < engine->nrows; r++)
	{
		if (r > 0 && strcmp(engine->rows[r].product_id, engine->rows[r - 1].product_id) == 0)
			continue;
		arguments[1] = CStringGetTextDatum(engine->rows[r].product_id);
		ExecuteSavedPlan(&LiveReservationsOfProductPlan, arguments, NULL, 0);
		AddLiveReservations(engine);
	}
}

/* AddLiveReservations adds the reservations of the last SPI result to their orders and frees it. */
static void
AddLiveReservations(Engine *engine)
{
	uint64		i;

	for (i = 0; i < SPI_processed; i++)
	{
		ReservationRow row;

		ReadReservationRow(i, &row);
		AddLiveReservation(OrderOf(engine, row.order_id), &row);
	}
	SPI_freetuptable(SPI_tuptable);
}

/* OrderOf returns an order's live reservations, empty for an order not seen yet. */
static OrderReservations *
OrderOf(Engine *engine, const char *order_id)
{
	bool		found;
	OrderReservations *order = hash_search(engine->orders, order_id, HASH_ENTER, &found);

	if (!found)
	{
		order->rows = NULL;
		order->nrows = 0;
		order->capacity = 0;
	}
	return order;
}

/* AddLiveReservation adds a reservation to its order, keeping (product_id, warehouse) order. */
static void
AddLiveReservation(OrderReservations *order, const ReservationRow *row)
{
	int			at = order->nrows;

	if (order->nrows == order->capacity)
	{
		order->capacity = Max(4, order->capacity * 2);
		order->rows = order->rows == NULL ? palloc(sizeof(ReservationRow) * order->capacity) :
			repalloc(order->rows, sizeof(ReservationRow) * order->capacity);
	}
	while (at > 0)
	{
		const ReservationRow *before = &order->rows[at - 1];
		int			order_of_product = CompareIds(before->product_id, row->product_id);

		if (order_of_product < 0 ||
			(order_of_product == 0 && CompareIds(before->warehouse, row->warehouse) <= 0))
			break;
		order->rows[at] = order->rows[at - 1];
		at--;
	}
	order->rows[at] = *row;
	order->rows[at].created = false;
	order->nrows++;
}

/* ForgetLiveReservation drops a reservation that this call expired from its order, if loaded. */
static void
ForgetLiveReservation(Engine *engine, const char *order_id, const pg_uuid_t *id)
{
	OrderReservations *order = hash_search(engine->orders, order_id, HASH_FIND, NULL);
	int			i;

	if (order == NULL)
		return;
	for (i = 0; i < order->nrows; i++)
		if (memcmp(order->rows[i].id.data, id->data, UUID_LEN) == 0)
		{
			memmove(&order->rows[i], &order->rows[i + 1], sizeof(ReservationRow) * (order->nrows - i - 1));
			order->nrows--;
			return;
		}
}

/*
 * DecideRequest runs one request as inventory_reserve_order would: merge, check products,
 * idempotency, plan every line (warehouse-bound lines first), then grant all or nothing.
 */
static void
DecideRequest(Engine *engine, ReserveRequest *request)
{
	bool	   *repeated;
	Allocation *allocations;
	int			nallocations = 0;
	int			nrows_touched = 0;
	int			pass;
	int			i;

	request->nlines = MergeLines(request->lines, request->nlines, &request->error);
	if (request->error.sqlstate != 0)
	{
		request->outcome = OUTCOME_INVALID;
		return;
	}
	for (i = 0; i < request->nlines; i++)
	{
		StockRow   *first;
		int			count = ProductRows(engine, request->lines[i].product_id, &first);
		bool		served = false;
		int			r;

		for (r = 0; r < count && !served; r++)
			served = RowServesLine(&first[r], &request->lines[i]);
		if (!served)
		{
			UnknownStockError(&request->error, request->lines[i].product_id, request->lines[i].warehouse);
			request->outcome = OUTCOME_INVALID;
			return;
		}
		nrows_touched += count;
	}

	repeated = palloc0(sizeof(bool) * request->nlines);
	if (!FindRepeats(engine, request, repeated))
	{
		request->outcome = OUTCOME_INVALID;
		return;
	}

	ResetPlans(engine, request);
	allocations = palloc(sizeof(Allocation) * (nrows_touched + request->nlines));
	for (pass = 0; pass < 2; pass++)
		for (i = 0; i < request->nlines; i++)
		{
			if (repeated[i] || (pass == 0) != (request->lines[i].warehouse != NULL))
				continue;
			PlanLine(engine, &request->lines[i], allocations, &nallocations, request);
		}
	if (request->nshortages > 0)
	{
		ResetPlans(engine, request);
		DescribeShortage(request);
		request->outcome = OUTCOME_SHORT;
		return;
	}
	ApplyRequest(engine, request, allocations, nallocations, repeated);
	ResetPlans(engine, request);
}

/*
 * MergeLines sums lines of the same product and warehouse in place and returns the new count;
 * inventory.max_quantity caps each product's lines together, whatever their warehouses.
 */
static int
MergeLines(ReserveLine *lines, int nlines, RequestError *error)
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
			lines[k].quantity += lines[i].quantity;
		else
			lines[kept++] = lines[i];
	}
	for (i = 0; i < kept; i++)
	{
		int64		product_total = lines[i].quantity;
		int			k;

		for (k = 0; k < kept; k++)
			if (k != i && strcmp(lines[k].product_id, lines[i].product_id) == 0)
			{
				if (k < i)
					break;
				product_total += lines[k].quantity;
			}
		if (k == kept && product_total > InventoryMaxQuantity)
		{
			SetRequestError(error, ERRCODE_INVALID_PARAMETER_VALUE,
							"the lines of product \"%s\" ask for " INT64_FORMAT " together, more than inventory.max_quantity (%d)",
							lines[i].product_id, product_total, InventoryMaxQuantity);
			return kept;
		}
	}
	return kept;
}

/* ProductRows finds the locked rows of a product (contiguous in global order); returns how many. */
static int
ProductRows(Engine *engine, const char *product_id, StockRow **first)
{
	int			low = 0;
	int			high = engine->nrows;
	int			end;

	while (low < high)
	{
		int			middle = (low + high) / 2;

		if (CompareIds(engine->rows[middle].product_id, product_id) < 0)
			low = middle + 1;
		else
			high = middle;
	}
	for (end = low; end < engine->nrows && strcmp(engine->rows[end].product_id, product_id) == 0; end++)
		;
	*first = &engine->rows[low];
	return end - low;
}

/* RowServesLine says whether a stock row may supply a line. */
static bool
RowServesLine(const StockRow *row, const ReserveLine *line)
{
	return strcmp(row->product_id, line->product_id) == 0 &&
		(line->warehouse == NULL || strcmp(row->warehouse, line->warehouse) == 0);
}

/*
 * FindRepeats marks the lines whose product the order already holds live reservations of, matching
 * the request; false after recording IN005 when a held quantity differs from the request.
 */
static bool
FindRepeats(Engine *engine, ReserveRequest *request, bool *repeated)
{
	OrderReservations *order = hash_search(engine->orders, request->order_id, HASH_FIND, NULL);
	int			i;

	if (order == NULL || order->nrows == 0)
		return true;
	for (i = 0; i < request->nlines; i++)
	{
		const ReserveLine *line = &request->lines[i];
		int64		requested = 0;
		int64		held = 0;
		int64		held_in_warehouse = 0;
		int			k;

		for (k = 0; k < request->nlines; k++)
			if (strcmp(request->lines[k].product_id, line->product_id) == 0)
				requested += request->lines[k].quantity;
		for (k = 0; k < order->nrows; k++)
		{
			const ReservationRow *held_row = &order->rows[k];

			if (strcmp(held_row->product_id, line->product_id) != 0)
				continue;
			held += held_row->quantity;
			if (line->warehouse == NULL || strcmp(held_row->warehouse, line->warehouse) == 0)
				held_in_warehouse += held_row->quantity;
		}
		if (held == 0)
			continue;
		if (held != requested || held_in_warehouse < line->quantity)
		{
			SetRequestError(&request->error, ERRCODE_INVENTORY_IDEMPOTENCY_CONFLICT,
							"order \"%s\" already holds " INT64_FORMAT " of product \"%s\", not " INT64_FORMAT,
							request->order_id, held, line->product_id, requested);
			if (line->warehouse != NULL)
				SetRequestErrorDetail(&request->error,
									  "A repeated reservation must ask for the same quantity in the same warehouse.");
			else
				SetRequestErrorDetail(&request->error, "A repeated reservation must ask for the same quantity.");
			SetRequestErrorHint(&request->error,
								"Release the order's reservation of the product before reserving a different quantity.");
			return false;
		}
		repeated[i] = true;
	}
	return true;
}

/* PlannableStock is what the rows serving a line still have after earlier lines' plans. */
static int64
PlannableStock(Engine *engine, const ReserveLine *line)
{
	StockRow   *first;
	int			count = ProductRows(engine, line->product_id, &first);
	int64		total = 0;
	int			r;

	for (r = 0; r < count; r++)
		if (RowServesLine(&first[r], line))
			total += Max(StockRowAvailable(&first[r]) + first[r].tentative_freed - first[r].planned, 0);
	return total;
}

/*
 * PlanLine allocates one line from its rows, most available first. When the rows are short it
 * plans to expire their overdue reservations, oldest first, only as many as the shortfall needs.
 * False after recording the line as short.
 */
static bool
PlanLine(Engine *engine, const ReserveLine *line, Allocation *allocations, int *nallocations,
		 ReserveRequest *request)
{
	StockRow   *first;
	int			count = ProductRows(engine, line->product_id, &first);
	int64		remaining = line->quantity;
	int64		available = PlannableStock(engine, line);
	int			r;

	if (available < remaining)
	{
		int64		shortfall = remaining - available;

		for (r = 0; r < count && shortfall > 0; r++)
		{
			int64		freed_before = first[r].tentative_freed;

			if (!RowServesLine(&first[r], line))
				continue;
			PlanOverdueExpiry(&first[r], freed_before + shortfall);
			shortfall -= first[r].tentative_freed - freed_before;
		}
		available = PlannableStock(engine, line);
	}
	if (available < remaining)
	{
		Shortage   *shortage;

		if (request->shortages == NULL)
			request->shortages = palloc(sizeof(Shortage) * request->nlines);
		shortage = &request->shortages[request->nshortages++];
		shortage->product_id = line->product_id;
		shortage->warehouse = line->warehouse;
		shortage->requested = line->quantity;
		shortage->available = available;
		return false;
	}

	while (remaining > 0)
	{
		StockRow   *best = NULL;
		int64		best_left = 0;
		int64		take;

		for (r = 0; r < count; r++)
		{
			int64		left = StockRowAvailable(&first[r]) + first[r].tentative_freed - first[r].planned;

			if (RowServesLine(&first[r], line) && left > 0 && (best == NULL || left > best_left))
			{
				best = &first[r];
				best_left = left;
			}
		}
		take = Min(remaining, best_left);
		best->planned += take;
		remaining -= take;
		allocations[*nallocations].row = best;
		allocations[*nallocations].quantity = take;
		(*nallocations)++;
	}
	return true;
}

/* ResetPlans clears the planning state of the rows a request touches. */
static void
ResetPlans(Engine *engine, ReserveRequest *request)
{
	int			i;

	for (i = 0; i < request->nlines; i++)
	{
		StockRow   *first;
		int			count = ProductRows(engine, request->lines[i].product_id, &first);
		int			r;

		for (r = 0; r < count; r++)
		{
			first[r].planned = 0;
			first[r].tentative_expired = 0;
			first[r].tentative_freed = 0;
		}
	}
}

/*
 * ApplyRequest grants a planned request: the overdue reservations its plan expires first, then one
 * reservation per stock row it takes from. Its result rows are the order's live reservations of
 * the repeated lines' products, then the new ones.
 */
static void
ApplyRequest(Engine *engine, ReserveRequest *request, Allocation *allocations, int nallocations,
			 const bool *repeated)
{
	OrderReservations *order = OrderOf(engine, request->order_id);
	int			i;
	int			k;

	for (k = 0; k < order->nrows; k++)
		for (i = 0; i < request->nlines; i++)
			if (repeated[i] && strcmp(order->rows[k].product_id, request->lines[i].product_id) == 0)
			{
				AppendRow(request, &order->rows[k]);
				break;
			}

	for (i = 0; i < request->nlines; i++)
	{
		StockRow   *first;
		int			count = ProductRows(engine, request->lines[i].product_id, &first);
		int			r;

		for (r = 0; r < count; r++)
		{
			int64		position;

			if (first[r].tentative_expired == 0)
				continue;
			for (position = first[r].overdue_expired;
				 position < first[r].overdue_expired + first[r].tentative_expired; position++)
			{
				const OverdueReservation *overdue = OverdueScanGet(first[r].overdue, position);

				ForgetLiveReservation(engine, overdue->order_id, &overdue->id);
			}
			ExpirePlannedOverdue(engine->buffer, &first[r]);
		}
	}

	/* Slices of one stock row merge: an order holds one live reservation per product and warehouse. */
	for (i = 0; i < nallocations; i++)
		for (k = 0; k < i; k++)
			if (allocations[k].row == allocations[i].row && allocations[k].quantity > 0)
			{
				allocations[k].quantity += allocations[i].quantity;
				allocations[i].quantity = 0;
				break;
			}

	request->outcome = OUTCOME_REPEATED;
	for (i = 0; i < nallocations; i++)
	{
		StockChange change = {0};
		ReservationRow row = {0};

		if (allocations[i].quantity == 0)
			continue;
		RandomUuid(&row.id);
		row.order_id = (char *) request->order_id;
		row.product_id = allocations[i].row->product_id;
		row.warehouse = allocations[i].row->warehouse;
		row.quantity = allocations[i].quantity;
		row.status = "active";
		row.has_expires_at = true;
		row.expires_at = request->expires_at;
		row.created_at = engine->now;
		row.updated_at = engine->now;
		row.created = true;

		change.reason = "reserve";
		change.reserved_delta = row.quantity;
		change.order_id = request->order_id;
		change.reservation_id = &row.id;
		change.actor = request->actor;
		change.reservation_write = RESERVATION_INSERT;
		change.quantity = row.quantity;
		change.expires_at = row.expires_at;
		RecordStockChange(engine->buffer, allocations[i].row, &change);

		AppendRow(request, &row);
		AddLiveReservation(order, &row);
		request->outcome = OUTCOME_RESERVED;
	}
}

/* AppendRow adds a reservation to the request's result rows. */
static void
AppendRow(ReserveRequest *request, const ReservationRow *row)
{
	request->rows = request->rows == NULL ? palloc(sizeof(ReservationRow) * 4) :
		repalloc(request->rows, sizeof(ReservationRow) * (request->nrows + 4));
	request->rows[request->nrows++] = *row;
}

/*
 * DescribeShortage records IN001 for a request with short lines: the message names the line when
 * there is one, and the detail lists every short line.
 */
static void
DescribeShortage(ReserveRequest *request)
{
	StringInfoData lines;
	int			i;

	initStringInfo(&lines);
	for (i = 0; i < request->nshortages; i++)
	{
		const Shortage *shortage = &request->shortages[i];

		if (i > 0)
			appendStringInfoString(&lines, "; ");
		if (shortage->warehouse != NULL)
			appendStringInfo(&lines, "product \"%s\" in warehouse \"%s\": requested " INT64_FORMAT
							 ", available " INT64_FORMAT, shortage->product_id, shortage->warehouse,
							 shortage->requested, shortage->available);
		else
			appendStringInfo(&lines, "product \"%s\": requested " INT64_FORMAT ", available " INT64_FORMAT,
							 shortage->product_id, shortage->requested, shortage->available);
	}
	if (request->nshortages == 1 && request->shortages[0].warehouse != NULL)
		SetRequestError(&request->error, ERRCODE_INVENTORY_INSUFFICIENT_STOCK,
						"insufficient stock for order \"%s\": product \"%s\" in warehouse \"%s\": requested "
						INT64_FORMAT ", available " INT64_FORMAT, request->order_id,
						request->shortages[0].product_id, request->shortages[0].warehouse,
						request->shortages[0].requested, request->shortages[0].available);
	else if (request->nshortages == 1)
		SetRequestError(&request->error, ERRCODE_INVENTORY_INSUFFICIENT_STOCK,
						"insufficient stock for order \"%s\": product \"%s\": requested " INT64_FORMAT
						", available " INT64_FORMAT, request->order_id, request->shortages[0].product_id,
						request->shortages[0].requested, request->shortages[0].available);
	else
		SetRequestError(&request->error, ERRCODE_INVENTORY_INSUFFICIENT_STOCK,
						"insufficient stock for order \"%s\": several lines are short", request->order_id);
	SetRequestErrorDetail(&request->error, "Short lines: %s.", lines.data);
}
