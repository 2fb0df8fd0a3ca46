/*
 * reservation_rows.c
 *    Reservations as the functions return them (the type inventory_reservation): read from a
 *    statement that selects RESERVATION_COLUMNS, formed into tuples, and given random ids.
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "funcapi.h"
#include "utils/builtins.h"
#include "utils/tuplestore.h"

#include "inventory.h"

/* Random ids drawn from the strong random source at once. */
#define RANDOM_POOL_UUIDS 64

/* The columns of inventory_reservation, in order. */
enum ReservationColumn
{
	COLUMN_ID,
	COLUMN_ORDER_ID,
	COLUMN_PRODUCT_ID,
	COLUMN_WAREHOUSE,
	COLUMN_QUANTITY,
	COLUMN_STATUS,
	COLUMN_EXPIRES_AT,
	COLUMN_CREATED_AT,
	COLUMN_UPDATED_AT,
	COLUMN_CREATED,
	RESERVATION_NCOLUMNS
};

/* ReadReservationRow copies a row of the last SPI result (RESERVATION_COLUMNS) into a ReservationRow. */
void
ReadReservationRow(int tuple, ReservationRow *row)
{
	bool		isnull;

	row->id = *DatumGetUUIDP(ColumnDatum(tuple, COLUMN_ID + 1, &isnull));
	row->order_id = ColumnText(tuple, COLUMN_ORDER_ID + 1);
	row->product_id = ColumnText(tuple, COLUMN_PRODUCT_ID + 1);
	row->warehouse = ColumnText(tuple, COLUMN_WAREHOUSE + 1);
	row->quantity = ColumnInt64(tuple, COLUMN_QUANTITY + 1);
	row->status = ColumnText(tuple, COLUMN_STATUS + 1);
	row->expires_at = DatumGetTimestampTz(ColumnDatum(tuple, COLUMN_EXPIRES_AT + 1, &isnull));
	row->has_expires_at = !isnull;
	row->created_at = DatumGetTimestampTz(ColumnDatum(tuple, COLUMN_CREATED_AT + 1, &isnull));
	row->updated_at = DatumGetTimestampTz(ColumnDatum(tuple, COLUMN_UPDATED_AT + 1, &isnull));
	row->created = false;
}

/* FormReservationTuple forms an inventory_reservation tuple. */
HeapTuple
FormReservationTuple(TupleDesc tupdesc, const ReservationRow *row)
{
	Datum		values[RESERVATION_NCOLUMNS];
	bool		nulls[RESERVATION_NCOLUMNS] = {0};
	pg_uuid_t  *id = palloc(sizeof(pg_uuid_t));

	*id = row->id;
	values[COLUMN_ID] = UUIDPGetDatum(id);
	values[COLUMN_ORDER_ID] = CStringGetTextDatum(row->order_id);
	values[COLUMN_PRODUCT_ID] = CStringGetTextDatum(row->product_id);
	values[COLUMN_WAREHOUSE] = CStringGetTextDatum(row->warehouse);
	values[COLUMN_QUANTITY] = Int64GetDatum(row->quantity);
	values[COLUMN_STATUS] = CStringGetTextDatum(row->status);
	values[COLUMN_EXPIRES_AT] = TimestampTzGetDatum(row->expires_at);
	nulls[COLUMN_EXPIRES_AT] = !row->has_expires_at;
	values[COLUMN_CREATED_AT] = TimestampTzGetDatum(row->created_at);
	values[COLUMN_UPDATED_AT] = TimestampTzGetDatum(row->updated_at);
	values[COLUMN_CREATED] = BoolGetDatum(row->created);
	return heap_form_tuple(tupdesc, values, nulls);
}

/* EmitReservationRows appends reservations to a set-returning function's result. */
void
EmitReservationRows(ReturnSetInfo *rsinfo, const ReservationRow *rows, int nrows)
{
	int			i;

	for (i = 0; i < nrows; i++)
		tuplestore_puttuple(rsinfo->setResult, FormReservationTuple(rsinfo->setDesc, &rows[i]));
}

/* UuidText formats a uuid for messages. */
const char *
UuidText(const pg_uuid_t *id)
{
	return DatumGetCString(DirectFunctionCall1(uuid_out, UUIDPGetDatum(id)));
}

/*
 * RandomUuid makes a random (version 4) uuid, for reservation and event ids. The bytes come from
 * pg_strong_random, drawn RANDOM_POOL_UUIDS ids at a time (one call costs as much as filling
 * many ids).
 */
void
RandomUuid(pg_uuid_t *id)
{
	static uint8 pool[RANDOM_POOL_UUIDS * UUID_LEN];
	static int	used = RANDOM_POOL_UUIDS;

	if (used == RANDOM_POOL_UUIDS)
	{
		if (!pg_strong_random(pool, sizeof(pool)))
			ereport(ERROR, (errcode(ERRCODE_INTERNAL_ERROR),
							errmsg("could not generate a random uuid")));
		used = 0;
	}
	memcpy(id->data, &pool[used * UUID_LEN], UUID_LEN);
	memset(&pool[used * UUID_LEN], 0, UUID_LEN);
	used++;
	id->data[6] = (id->data[6] & 0x0f) | 0x40;
	id->data[8] = (id->data[8] & 0x3f) | 0x80;
}
