/*
 * transitions.c
 *    inventory_confirm, inventory_release, inventory_ship and their per-order variants: moves of a
 *    reservation between states, each with the stock change it implies.
 *
 *      confirm  active -> confirmed            (stock unchanged; the reservation stops expiring)
 *      release  active | confirmed -> released (reserved drops)
 *      ship     active | confirmed -> shipped  (on_hand and reserved drop; shipping an active
 *                                               reservation confirms and ships it in one change)
 *
 *    Repeating a move that already happened changes nothing and returns the row; any other move
 *    from the current state is refused with IN004. Per-order variants are all or nothing.
 *
 * Locking: the reservation's stock row is locked first, then the reservation is read again; all
 * stock rows of an order are locked in (product_id, warehouse) order. The moves are written
 * through the change buffer once every decision is made.
 */
#include "postgres.h"

#include "access/xact.h"
#include "catalog/pg_type.h"
#include "utils/builtins.h"
#include "utils/uuid.h"

#include "inventory.h"
#include "inventory_errors.h"

PG_FUNCTION_INFO_V1(inventory_confirm);
PG_FUNCTION_INFO_V1(inventory_confirm_order);
PG_FUNCTION_INFO_V1(inventory_release);
PG_FUNCTION_INFO_V1(inventory_release_order);
PG_FUNCTION_INFO_V1(inventory_ship);
PG_FUNCTION_INFO_V1(inventory_ship_order);

/*
 * What a move does: its ledger reason, the state it reaches, the states it starts from, its stock
 * effect, and its refusals as whole messages (formats of reservation id, product, warehouse and
 * status; of order, reservation id, product and status; of order).
 */
typedef struct Transition
{
	const char *reason;
	const char *target;
	const char *const *from;	/* states the move starts from, NULL-terminated */
	const char *const *done;	/* states in which the move already happened, NULL-terminated */
	bool		takes_on_hand;	/* on_hand drops by the quantity */
	bool		frees_reserved; /* reserved drops by the quantity */
	const char *refused_reservation;
	const char *refused_order;
	const char *order_not_live;
	const char *hint;
} Transition;

typedef enum MoveDecision
{
	MOVE_CHANGES,
	MOVE_UNCHANGED,
	MOVE_REFUSED
} MoveDecision;

static const char *const ConfirmFrom[] = {"active", NULL};
static const char *const ConfirmDone[] = {"confirmed", NULL};
static const char *const ReleaseFrom[] = {"active", "confirmed", NULL};
static const char *const ReleaseDone[] = {"released", "expired", NULL};
static const char *const ShipFrom[] = {"active", "confirmed", NULL};
static const char *const ShipDone[] = {"shipped", NULL};

static const Transition Confirm = {
	"confirm", "confirmed", ConfirmFrom, ConfirmDone, false, false,
	"cannot confirm reservation %s of product \"%s\" in warehouse \"%s\": it is %s",
	"cannot confirm order \"%s\": its reservation %s of product \"%s\" is %s",
	"cannot confirm order \"%s\": it has no live reservations",
	"Only an active reservation can be confirmed; reserve again if it expired or was released."};
static const Transition Release = {
	"release", "released", ReleaseFrom, ReleaseDone, false, true,
	"cannot release reservation %s of product \"%s\" in warehouse \"%s\": it is %s",
	"cannot release order \"%s\": its reservation %s of product \"%s\" is %s",
	"cannot release order \"%s\": it has no live reservations",
	"A shipped reservation cannot be released; record the goods that come back with inventory_return."};
static const Transition Ship = {
	"ship", "shipped", ShipFrom, ShipDone, true, true,
	"cannot ship reservation %s of product \"%s\" in warehouse \"%s\": it is %s",
	"cannot ship order \"%s\": its reservation %s of product \"%s\" is %s",
	"cannot ship order \"%s\": it has no live reservations",
	"Only an active or confirmed reservation can be shipped; reserve again if it expired or was released."};

static SavedPlan FindReservationPlan = {
	.sql = "SELECT product_id, warehouse FROM inventory.reservations WHERE id = $1",
	.nargs = 1,
	.argtypes = {UUIDOID},
};

static SavedPlan ReadReservationPlan = {
	.sql = "SELECT " RESERVATION_COLUMNS " FROM inventory.reservations"
	" WHERE product_id = $1 AND id = $2",
	.nargs = 2,
	.argtypes = {TEXTOID, UUIDOID},
};

static SavedPlan ReadOrderPlan = {
	.sql = "SELECT " RESERVATION_COLUMNS " FROM inventory.reservations"
	" WHERE order_id = $1 ORDER BY product_id, warehouse, created_at",
	.nargs = 1,
	.argtypes = {TEXTOID},
};

static Datum TransitionOneCall(FunctionCallInfo fcinfo, const Transition *transition);
static Datum TransitionOrderCall(FunctionCallInfo fcinfo, const Transition *transition);
static void TransitionOne(pg_uuid_t *id, const Transition *transition, const char *actor,
						  ReturnSetInfo *rsinfo);
static void TransitionOrder(const char *order_id, const Transition *transition, const char *actor,
							ReturnSetInfo *rsinfo);
static MoveDecision Decide(const Transition *transition, const char *status);
static bool StatusIn(const char *status, const char *const *states);
static void ApplyTransition(ChangeBuffer *buffer, StockRow *row, const Transition *transition,
							const char *actor, ReservationRow *reservation);
static ReservationRow *ReadOrderUnderLocks(const char *order_id, StockRow **rows, int *nrows,
										   int *nreservations);

/* inventory_confirm confirms one reservation. */
Datum
inventory_confirm(PG_FUNCTION_ARGS)
{
	return TransitionOneCall(fcinfo, &Confirm);
}

/* inventory_confirm_order confirms every active reservation of an order. */
Datum
inventory_confirm_order(PG_FUNCTION_ARGS)
{
	return TransitionOrderCall(fcinfo, &Confirm);
}

/* inventory_release releases one reservation. */
Datum
inventory_release(PG_FUNCTION_ARGS)
{
	return TransitionOneCall(fcinfo, &Release);
}

/* inventory_release_order releases every live reservation of an order. */
Datum
inventory_release_order(PG_FUNCTION_ARGS)
{
	return TransitionOrderCall(fcinfo, &Release);
}

/* inventory_ship ships one active or confirmed reservation. */
Datum
inventory_ship(PG_FUNCTION_ARGS)
{
	return TransitionOneCall(fcinfo, &Ship);
}

/* inventory_ship_order ships every live (active or confirmed) reservation of an order. */
Datum
inventory_ship_order(PG_FUNCTION_ARGS)
{
	return TransitionOrderCall(fcinfo, &Ship);
}

/* TransitionOneCall is the SQL-callable frame of a move of one reservation. */
static Datum
TransitionOneCall(FunctionCallInfo fcinfo, const Transition *transition)
{
	pg_uuid_t  *id = RequireUuid(fcinfo, 0, "reservation_id");
	const char *actor = OptionalAddedText(fcinfo, 1, "actor", INVENTORY_MAX_TEXT_BYTES);

	InitMaterializedSRF(fcinfo, 0);
	ConnectSpi();
	TransitionOne(id, transition, actor, (ReturnSetInfo *) fcinfo->resultinfo);
	SPI_finish();
	return (Datum) 0;
}

/* TransitionOrderCall is the SQL-callable frame of a move of a whole order. */
static Datum
TransitionOrderCall(FunctionCallInfo fcinfo, const Transition *transition)
{
	const char *order_id = RequireId(fcinfo, 0, "order_id");
	const char *actor = OptionalAddedText(fcinfo, 1, "actor", INVENTORY_MAX_TEXT_BYTES);

	InitMaterializedSRF(fcinfo, 0);
	ConnectSpi();
	TransitionOrder(order_id, transition, actor, (ReturnSetInfo *) fcinfo->resultinfo);
	SPI_finish();
	return (Datum) 0;
}

/* TransitionOne locks the reservation's stock row, re-reads the reservation and moves it. */
static void
TransitionOne(pg_uuid_t *id, const Transition *transition, const char *actor, ReturnSetInfo *rsinfo)
{
	Datum		values[2];
	char	   *product_id;
	char	   *warehouse;
	ReservationRow reservation;
	StockRow	row;
	bool		locked;

	values[0] = UUIDPGetDatum(id);
	ExecuteSavedPlan(&FindReservationPlan, values, NULL, 1);
	if (SPI_processed == 0)
		ereport(ERROR, (errcode(ERRCODE_INVENTORY_UNKNOWN_RESERVATION),
						errmsg("reservation %s does not exist", UuidText(id))));
	product_id = ColumnText(0, 1);
	warehouse = ColumnText(0, 2);
	SPI_freetuptable(SPI_tuptable);

	locked = LockStockRow(product_id, warehouse, false, &row);

	values[0] = CStringGetTextDatum(product_id);
	values[1] = UUIDPGetDatum(id);
	ExecuteSavedPlan(&ReadReservationPlan, values, NULL, 1);
	RequireRowCount(1, "reservation read again under its stock row lock");
	ReadReservationRow(0, &reservation);
	SPI_freetuptable(SPI_tuptable);

	switch (Decide(transition, reservation.status))
	{
		case MOVE_UNCHANGED:
			break;
		case MOVE_REFUSED:
			ereport(ERROR, (errcode(ERRCODE_INVENTORY_INVALID_TRANSITION),
							errmsg(transition->refused_reservation, UuidText(id), product_id, warehouse,
								   reservation.status),
							errhint("%s", transition->hint)));
			break;
		case MOVE_CHANGES:
			{
				ChangeBuffer *buffer = ChangeBufferCreate();

				if (!locked)
					ereport(ERROR, (errcode(ERRCODE_INTERNAL_ERROR),
									errmsg("live reservation %s has no stock row", UuidText(id))));
				ApplyTransition(buffer, &row, transition, actor, &reservation);
				FlushChanges(buffer);
			}
			break;
	}
	EmitReservationRows(rsinfo, &reservation, 1);
}

/*
 * ReadOrderUnderLocks reads the order's reservations once every live one's stock row is locked.
 * A reservation made by a concurrent call after the order's rows were locked sits on a row not yet
 * locked: that row is locked now (out of the global order; PostgreSQL's deadlock detector covers
 * that rare case) and the order is read again, so no status is ever used from before its lock.
 */
static ReservationRow *
ReadOrderUnderLocks(const char *order_id, StockRow **rows, int *nrows, int *nreservations)
{
	Datum		order = CStringGetTextDatum(order_id);

	for (;;)
	{
		ReservationRow *reservations;
		bool		locked_more = false;
		int			i;

		ExecuteSavedPlan(&ReadOrderPlan, &order, NULL, 0);
		*nreservations = (int) SPI_processed;
		reservations = palloc(sizeof(ReservationRow) * Max(*nreservations, 1));
		for (i = 0; i < *nreservations; i++)
			ReadReservationRow(i, &reservations[i]);
		SPI_freetuptable(SPI_tuptable);
		for (i = 0; i < *nreservations; i++)
			if (StatusIn(reservations[i].status, ReleaseFrom) &&
				FindStockRow(*rows, *nrows, reservations[i].product_id, reservations[i].warehouse) == NULL)
			{
				*rows = repalloc(*rows, sizeof(StockRow) * (*nrows + 1));
				if (!LockStockRow(reservations[i].product_id, reservations[i].warehouse, false,
								  &(*rows)[*nrows]))
					ereport(ERROR, (errcode(ERRCODE_INTERNAL_ERROR),
									errmsg("live reservation of product \"%s\" in warehouse \"%s\" has no stock row",
										   reservations[i].product_id, reservations[i].warehouse)));
				(*nrows)++;
				locked_more = true;
			}
		if (!locked_more)
			return reservations;
	}
}

/* TransitionOrder locks the order's stock rows, checks every live reservation, then moves them. */
static void
TransitionOrder(const char *order_id, const Transition *transition, const char *actor,
				ReturnSetInfo *rsinfo)
{
	StockRow   *rows;
	int			nrows;
	ReservationRow *reservations;
	int			nreservations;
	int			nlive = 0;
	bool		any_done = false;
	ChangeBuffer *buffer;
	int			i;

	rows = LockStockRowsOfOrder(order_id, &nrows);
	reservations = ReadOrderUnderLocks(order_id, &rows, &nrows, &nreservations);
	if (nreservations == 0)
		ereport(ERROR, (errcode(ERRCODE_INVENTORY_UNKNOWN_RESERVATION),
						errmsg("order \"%s\" has no reservations", order_id)));

	for (i = 0; i < nreservations; i++)
	{
		ReservationRow *r = &reservations[i];

		if (!StatusIn(r->status, ReleaseFrom))
		{
			any_done = any_done || StatusIn(r->status, transition->done);
			continue;
		}
		nlive++;
		if (Decide(transition, r->status) == MOVE_REFUSED)
			ereport(ERROR, (errcode(ERRCODE_INVENTORY_INVALID_TRANSITION),
							errmsg(transition->refused_order, order_id, UuidText(&r->id), r->product_id,
								   r->status),
							errhint("%s", transition->hint)));
	}
	if (nlive == 0 && !any_done)
		ereport(ERROR, (errcode(ERRCODE_INVENTORY_INVALID_TRANSITION),
						errmsg(transition->order_not_live, order_id),
						errhint("%s", transition->hint)));

	buffer = ChangeBufferCreate();
	for (i = 0; i < nreservations; i++)
	{
		ReservationRow *r = &reservations[i];

		/* A repeat of a move the whole order already made returns the rows it moved. */
		if (nlive == 0 && StatusIn(r->status, transition->done))
			EmitReservationRows(rsinfo, r, 1);
		if (!StatusIn(r->status, ReleaseFrom))
			continue;
		if (Decide(transition, r->status) == MOVE_CHANGES)
			ApplyTransition(buffer, FindStockRow(rows, nrows, r->product_id, r->warehouse), transition,
							actor, r);
		EmitReservationRows(rsinfo, r, 1);
	}
	FlushChanges(buffer);
}

/* Decide says what a move does to a reservation in a given state. */
static MoveDecision
Decide(const Transition *transition, const char *status)
{
	if (StatusIn(status, transition->from))
		return MOVE_CHANGES;
	if (StatusIn(status, transition->done))
		return MOVE_UNCHANGED;
	return MOVE_REFUSED;
}

/* StatusIn says whether status is one of a NULL-terminated list of states. */
static bool
StatusIn(const char *status, const char *const *states)
{
	for (; *states != NULL; states++)
		if (strcmp(status, *states) == 0)
			return true;
	return false;
}

/*
 * ApplyTransition records the stock change of a move with the reservation's new status, and
 * updates the reservation as the function returns it.
 */
static void
ApplyTransition(ChangeBuffer *buffer, StockRow *row, const Transition *transition,
				const char *actor, ReservationRow *reservation)
{
	StockChange change = {0};

	change.reason = transition->reason;
	change.on_hand_delta = transition->takes_on_hand ? -reservation->quantity : 0;
	change.reserved_delta = transition->frees_reserved ? -reservation->quantity : 0;
	change.order_id = reservation->order_id;
	change.reservation_id = &reservation->id;
	change.reservation_write = RESERVATION_SET_STATUS;
	change.from_status = reservation->status;
	change.status = transition->target;
	change.actor = actor;
	RecordStockChange(buffer, row, &change);

	reservation->status = transition->target;
	if (strcmp(transition->target, "released") != 0)
		reservation->has_expires_at = false;
	reservation->updated_at = GetCurrentTransactionStartTimestamp();
}
