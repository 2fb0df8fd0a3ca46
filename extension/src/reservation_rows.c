/*
 * reservation_rows.c
 *    The inventory_reservation rows that reservation functions return, and new reservation ids.
 *    Statements that produce such rows select RESERVATION_COLUMNS followed by a boolean "created".
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "funcapi.h"
#include "utils/builtins.h"
#include "utils/tuplestore.h"

#include "inventory.h"

static SavedPlan SetStatusPlan = {
	.sql = "UPDATE inventory.reservations"
	" SET status = $3, expires_at = CASE WHEN $3 = 'confirmed' THEN NULL ELSE expires_at END,"
	"     updated_at = now()"
	" WHERE product_id = $1 AND id = $2 RETURNING " RESERVATION_COLUMNS ", false",
	.nargs = 3,
	.argtypes = {TEXTOID, UUIDOID, TEXTOID},
};

/* SetReservationStatus moves a reservation to a status; the row is the last SPI result. */
void
SetReservationStatus(const char *product_id, pg_uuid_t *reservation_id, const char *status)
{
	Datum		values[3] = {CStringGetTextDatum(product_id), UUIDPGetDatum(reservation_id),
	CStringGetTextDatum(status)};

	if (ExecuteSavedPlan(&SetStatusPlan, values, NULL, 0) != SPI_OK_UPDATE_RETURNING || SPI_processed != 1)
		ereport(ERROR, (errcode(ERRCODE_INTERNAL_ERROR),
						errmsg("reservation of product \"%s\" vanished while its stock row was locked",
							   product_id)));
}

/* EmitSpiRows appends every row of the last SPI result to the function's result set. */
void
EmitSpiRows(ReturnSetInfo *rsinfo)
{
	uint64		i;

	for (i = 0; i < SPI_processed; i++)
		tuplestore_puttuple(rsinfo->setResult, SPI_tuptable->vals[i]);
}

/* NewReservationId returns a random (version 4) uuid. */
pg_uuid_t *
NewReservationId(void)
{
	pg_uuid_t  *id = palloc(sizeof(pg_uuid_t));

	if (!pg_strong_random(id->data, UUID_LEN))
		ereport(ERROR, (errcode(ERRCODE_INTERNAL_ERROR),
						errmsg("could not generate a random reservation id")));
	id->data[6] = (id->data[6] & 0x0f) | 0x40;
	id->data[8] = (id->data[8] & 0x3f) | 0x80;
	return id;
}
