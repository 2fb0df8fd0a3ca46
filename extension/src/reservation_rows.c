/*
 * reservation_rows.c
 *    The inventory_reservation rows that reservation functions return, and random ids for
 *    reservations and events.
 *    Statements that produce such rows select RESERVATION_COLUMNS followed by a boolean "created".
 */
#include "postgres.h"

#include "funcapi.h"
#include "utils/tuplestore.h"

#include "inventory.h"

/* EmitSpiRows appends every row of the last SPI result to the function's result set. */
void
EmitSpiRows(ReturnSetInfo *rsinfo)
{
	uint64		i;

	for (i = 0; i < SPI_processed; i++)
		tuplestore_puttuple(rsinfo->setResult, SPI_tuptable->vals[i]);
}

/* NewRandomUuid returns a random (version 4) uuid, for reservation and event ids. */
pg_uuid_t *
NewRandomUuid(void)
{
	pg_uuid_t  *id = palloc(sizeof(pg_uuid_t));

	if (!pg_strong_random(id->data, UUID_LEN))
		ereport(ERROR, (errcode(ERRCODE_INTERNAL_ERROR),
						errmsg("could not generate a random uuid")));
	id->data[6] = (id->data[6] & 0x0f) | 0x40;
	id->data[8] = (id->data[8] & 0x3f) | 0x80;
	return id;
}
