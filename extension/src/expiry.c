/*
 * expiry.c
 *    Expiring overdue reservations of locked stock rows: on the spot, when a reservation or a
 *    stock correction finds a row short, and by the reaper. On the spot, expiry is planned first
 *    (oldest deadline first, only as many reservations as the shortfall needs) and written only
 *    when the plan covers the shortfall, so a call that ends short neither expires nor rolls back
 *    the row's overdue backlog.
 *
 * Locking: every function here needs the row's lock (see stock_rows.c); the row's OverdueScan is
 * opened under it.
 */
#include "postgres.h"

#include "inventory.h"

/*
 * PlanOverdueExpiry plans to expire more of the row's overdue reservations, oldest first, until
 * the planned ones free at least needed units; false when the row's overdue reservations cannot.
 */
bool
PlanOverdueExpiry(StockRow *row, int64 needed)
{
	const OverdueReservation *overdue;

	if (row->tentative_freed >= needed)
		return true;
	if (row->overdue == NULL)
		row->overdue = OverdueScanBegin(row->product_id, row->warehouse);
	while (row->tentative_freed < needed &&
		   (overdue = OverdueScanGet(row->overdue, row->overdue_expired + row->tentative_expired)) != NULL)
	{
		row->tentative_expired++;
		row->tentative_freed += overdue->quantity;
	}
	return row->tentative_freed >= needed;
}

/* ExpireOverdueReservation records the expiry of one overdue reservation of a locked row. */
void
ExpireOverdueReservation(ChangeBuffer *buffer, StockRow *row, const OverdueReservation *overdue)
{
	StockChange change = {0};

	change.reason = "expire";
	change.reserved_delta = -overdue->quantity;
	change.order_id = overdue->order_id;
	change.reservation_id = &overdue->id;
	change.reservation_write = RESERVATION_SET_STATUS;
	change.from_status = "active";
	change.status = "expired";
	RecordStockChange(buffer, row, &change);
}

/* ExpirePlannedOverdue records the expiries PlanOverdueExpiry planned and refreshes next_expiry. */
void
ExpirePlannedOverdue(ChangeBuffer *buffer, StockRow *row)
{
	int64		i;

	for (i = 0; i < row->tentative_expired; i++)
		ExpireOverdueReservation(buffer, row, OverdueScanGet(row->overdue, row->overdue_expired + i));
	row->overdue_expired += row->tentative_expired;
	row->tentative_expired = 0;
	row->tentative_freed = 0;
	RefreshNextExpiry(row);
}

/*
 * RefreshNextExpiry sets the row's next_expiry to the earliest deadline of its remaining active
 * reservations: those the scan has not expired and those this call inserted. Needs the row's
 * OverdueScan.
 */
void
RefreshNextExpiry(StockRow *row)
{
	TimestampTz next;
	bool		has_next = OverdueScanNextExpiry(row->overdue, row->overdue_expired, &next);

	if (row->has_inserted_expiry && (!has_next || row->inserted_expiry < next))
	{
		has_next = true;
		next = row->inserted_expiry;
	}
	row->has_next_expiry = has_next;
	row->next_expiry = has_next ? next : 0;
}
