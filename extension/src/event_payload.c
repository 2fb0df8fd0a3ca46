/*
 * event_payload.c
 *    The JSON payload of an outbox event (DESIGN section 4): inventory.updated and the alerts share
 *    it. Built here as jsonb directly, once per event, rather than by jsonb_build_object in SQL,
 *    which looks up every value's type and output function on every row.
 */
#include "postgres.h"

#include "access/xact.h"
#include "utils/datetime.h"
#include "utils/jsonb.h"
#include "utils/numeric.h"

#include "inventory.h"

static void PushKey(JsonbParseState **state, const char *key);
static void PushString(JsonbParseState **state, const char *key, const char *value);
static void PushNumber(JsonbParseState **state, const char *key, int64 value, bool isnull);
static const char *EventTimestamp(void);

/* PushKey adds an object key. */
static void
PushKey(JsonbParseState **state, const char *key)
{
	JsonbValue	value;

	value.type = jbvString;
	value.val.string.val = (char *) key;
	value.val.string.len = strlen(key);
	pushJsonbValue(state, WJB_KEY, &value);
}

/* PushString adds a key with a string value, or null for a NULL pointer. */
static void
PushString(JsonbParseState **state, const char *key, const char *text)
{
	JsonbValue	value;

	PushKey(state, key);
	if (text == NULL)
		value.type = jbvNull;
	else
	{
		value.type = jbvString;
		value.val.string.val = (char *) text;
		value.val.string.len = strlen(text);
	}
	pushJsonbValue(state, WJB_VALUE, &value);
}

/* PushNumber adds a key with a whole-number value, or null. */
static void
PushNumber(JsonbParseState **state, const char *key, int64 number, bool isnull)
{
	JsonbValue	value;

	PushKey(state, key);
	if (isnull)
		value.type = jbvNull;
	else
	{
		value.type = jbvNumeric;
		value.val.numeric = int64_to_numeric(number);
	}
	pushJsonbValue(state, WJB_VALUE, &value);
}

/* EventTimestamp formats the transaction's start time as ISO-8601 UTC, once per transaction. */
static const char *
EventTimestamp(void)
{
	static TimestampTz formatted_for = 0;
	static char text[40];
	TimestampTz start = GetCurrentTransactionStartTimestamp();
	struct pg_tm tm;
	fsec_t		fsec;

	if (start == formatted_for && text[0] != '\0')
		return text;
	if (timestamp2tm(start, NULL, &tm, &fsec, NULL, NULL) != 0)
		ereport(ERROR, (errcode(ERRCODE_DATETIME_VALUE_OUT_OF_RANGE), errmsg("timestamp out of range")));
	snprintf(text, sizeof(text), "%04d-%02d-%02dT%02d:%02d:%02d.%06dZ", tm.tm_year, tm.tm_mon,
			 tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (int) fsec);
	formatted_for = start;
	return text;
}

/*
 * EventPayload builds an event's payload: the change of a stock row (after the change), its
 * availability before, the order and reservation it is about, and the units of a return.
 */
Jsonb *
EventPayload(const pg_uuid_t *event_id, const char *type, const StockRow *row, const StockChange *change,
			 int64 previous)
{
	JsonbParseState *state = NULL;
	JsonbValue *object;

	/* Keys in jsonb's own order (shorter first, then bytewise), so storing them sorts nothing. */
	pushJsonbValue(&state, WJB_BEGIN_OBJECT, NULL);
	PushString(&state, "type", type);
	PushNumber(&state, "onHand", row->on_hand, false);
	PushString(&state, "reason", change->reason);
	PushString(&state, "eventId", UuidText(event_id));
	PushString(&state, "orderId", change->order_id);
	PushNumber(&state, "version", row->version, false);
	PushNumber(&state, "reserved", row->reserved, false);
	PushNumber(&state, "available", StockRowAvailable(row), false);
	PushString(&state, "productId", row->product_id);
	PushString(&state, "timestamp", EventTimestamp());
	PushString(&state, "warehouse", row->warehouse);
	PushNumber(&state, "newQuantity", StockRowAvailable(row), false);
	PushString(&state, "reservationId", change->reservation_id ? UuidText(change->reservation_id) : NULL);
	PushNumber(&state, "previousQuantity", previous, false);
	PushNumber(&state, "returnedQuantity", change->returned_after - change->returned_before,
			   change->reservation_write != RESERVATION_RETURN);
	PushNumber(&state, "lowStockThreshold", row->threshold, !row->has_threshold);
	object = pushJsonbValue(&state, WJB_END_OBJECT, NULL);
	return JsonbValueToJsonb(object);
}
