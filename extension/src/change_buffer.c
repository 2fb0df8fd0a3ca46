/*
 * change_buffer.c
 *    The only code that writes stock changes. RecordStockChange applies one change to a locked
 *    stock row in memory and queues its ledger row, its outbox events (one inventory.updated
 *    event, plus an alert when available crosses zero or the low-stock threshold) and the
 *    reservation write it is about. FlushChanges writes everything queued in one statement: each
 *    touched stock row once with its final values, then the reservations, ledger rows and events
 *    as arrays, in the caller's transaction, so they commit or roll back together.
 *
 * Locking: callers hold the lock of every row they record changes for, from before the first
 * change until the transaction ends. Events are written while those locks are held, which is what
 * makes each stock row's event order (its version) equal its commit order.
 */
#include "postgres.h"

#include "access/xact.h"
#include "catalog/pg_type.h"
#include "commands/async.h"
#include "lib/stringinfo.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/datetime.h"
#include "utils/fmgroids.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"

#include "inventory.h"

/* The parameters of the flush statement; the SQL names each slot as {name}. */
typedef enum FlushSlot
{
	SLOT_STOCK_PRODUCT,
	SLOT_STOCK_WAREHOUSE,
	SLOT_STOCK_ON_HAND,
	SLOT_STOCK_RESERVED,
	SLOT_STOCK_VERSION,
	SLOT_STOCK_NEXT_EXPIRY,
	SLOT_STOCK_NAME,
	SLOT_STOCK_THRESHOLD,
	SLOT_RESERVATION_ID,
	SLOT_RESERVATION_ORDER,
	SLOT_RESERVATION_PRODUCT,
	SLOT_RESERVATION_WAREHOUSE,
	SLOT_RESERVATION_QUANTITY,
	SLOT_RESERVATION_EXPIRES_AT,
	SLOT_MOVE_ID,
	SLOT_MOVE_PRODUCT,
	SLOT_MOVE_FROM,
	SLOT_MOVE_TO,
	SLOT_LEDGER_PRODUCT,
	SLOT_LEDGER_WAREHOUSE,
	SLOT_LEDGER_VERSION,
	SLOT_LEDGER_ON_HAND_DELTA,
	SLOT_LEDGER_RESERVED_DELTA,
	SLOT_LEDGER_ON_HAND_AFTER,
	SLOT_LEDGER_RESERVED_AFTER,
	SLOT_LEDGER_REASON,
	SLOT_LEDGER_NOTE,
	SLOT_LEDGER_ORDER,
	SLOT_LEDGER_RESERVATION,
	SLOT_LEDGER_ACTOR,
	SLOT_EVENT_ID,
	SLOT_EVENT_TOPIC,
	SLOT_EVENT_TYPE,
	SLOT_EVENT_PRODUCT,
	SLOT_EVENT_WAREHOUSE,
	SLOT_EVENT_VERSION,
	SLOT_EVENT_REASON,
	SLOT_EVENT_PREVIOUS,
	SLOT_EVENT_AVAILABLE,
	SLOT_EVENT_ON_HAND,
	SLOT_EVENT_RESERVED,
	SLOT_EVENT_THRESHOLD,
	SLOT_EVENT_ORDER,
	SLOT_EVENT_RESERVATION,
	SLOT_EVENT_TIME,			/* a scalar: the transaction's start as ISO-8601 UTC text */
	FLUSH_NSLOTS
} FlushSlot;

/* A slot's name in the SQL and the type of the array (or, for SLOT_EVENT_TIME, scalar) it takes. */
typedef struct SlotDefinition
{
	const char *name;
	Oid			element_type;
} SlotDefinition;

static const SlotDefinition Slots[FLUSH_NSLOTS] = {
	[SLOT_STOCK_PRODUCT] = {"stock_product", TEXTOID},
	[SLOT_STOCK_WAREHOUSE] = {"stock_warehouse", TEXTOID},
	[SLOT_STOCK_ON_HAND] = {"stock_on_hand", INT8OID},
	[SLOT_STOCK_RESERVED] = {"stock_reserved", INT8OID},
	[SLOT_STOCK_VERSION] = {"stock_version", INT8OID},
	[SLOT_STOCK_NEXT_EXPIRY] = {"stock_next_expiry", TIMESTAMPTZOID},
	[SLOT_STOCK_NAME] = {"stock_name", TEXTOID},
	[SLOT_STOCK_THRESHOLD] = {"stock_threshold", INT8OID},
	[SLOT_RESERVATION_ID] = {"reservation_id", UUIDOID},
	[SLOT_RESERVATION_ORDER] = {"reservation_order", TEXTOID},
	[SLOT_RESERVATION_PRODUCT] = {"reservation_product", TEXTOID},
	[SLOT_RESERVATION_WAREHOUSE] = {"reservation_warehouse", TEXTOID},
	[SLOT_RESERVATION_QUANTITY] = {"reservation_quantity", INT8OID},
	[SLOT_RESERVATION_EXPIRES_AT] = {"reservation_expires_at", TIMESTAMPTZOID},
	[SLOT_MOVE_ID] = {"move_id", UUIDOID},
	[SLOT_MOVE_PRODUCT] = {"move_product", TEXTOID},
	[SLOT_MOVE_FROM] = {"move_from", TEXTOID},
	[SLOT_MOVE_TO] = {"move_to", TEXTOID},
	[SLOT_LEDGER_PRODUCT] = {"ledger_product", TEXTOID},
	[SLOT_LEDGER_WAREHOUSE] = {"ledger_warehouse", TEXTOID},
	[SLOT_LEDGER_VERSION] = {"ledger_version", INT8OID},
	[SLOT_LEDGER_ON_HAND_DELTA] = {"ledger_on_hand_delta", INT8OID},
	[SLOT_LEDGER_RESERVED_DELTA] = {"ledger_reserved_delta", INT8OID},
	[SLOT_LEDGER_ON_HAND_AFTER] = {"ledger_on_hand_after", INT8OID},
	[SLOT_LEDGER_RESERVED_AFTER] = {"ledger_reserved_after", INT8OID},
	[SLOT_LEDGER_REASON] = {"ledger_reason", TEXTOID},
	[SLOT_LEDGER_NOTE] = {"ledger_note", TEXTOID},
	[SLOT_LEDGER_ORDER] = {"ledger_order", TEXTOID},
	[SLOT_LEDGER_RESERVATION] = {"ledger_reservation", UUIDOID},
	[SLOT_LEDGER_ACTOR] = {"ledger_actor", TEXTOID},
	[SLOT_EVENT_ID] = {"event_id", UUIDOID},
	[SLOT_EVENT_TOPIC] = {"event_topic", TEXTOID},
	[SLOT_EVENT_TYPE] = {"event_type", TEXTOID},
	[SLOT_EVENT_PRODUCT] = {"event_product", TEXTOID},
	[SLOT_EVENT_WAREHOUSE] = {"event_warehouse", TEXTOID},
	[SLOT_EVENT_VERSION] = {"event_version", INT8OID},
	[SLOT_EVENT_REASON] = {"event_reason", TEXTOID},
	[SLOT_EVENT_PREVIOUS] = {"event_previous", INT8OID},
	[SLOT_EVENT_AVAILABLE] = {"event_available", INT8OID},
	[SLOT_EVENT_ON_HAND] = {"event_on_hand", INT8OID},
	[SLOT_EVENT_RESERVED] = {"event_reserved", INT8OID},
	[SLOT_EVENT_THRESHOLD] = {"event_threshold", INT8OID},
	[SLOT_EVENT_ORDER] = {"event_order", TEXTOID},
	[SLOT_EVENT_RESERVATION] = {"event_reservation", UUIDOID},
	[SLOT_EVENT_TIME] = {"event_time", TEXTOID},
};

/*
 * The flush statement: independent data-modifying CTEs, one per table, each reading its own
 * arrays (no CTE reads another's output), and counts that prove every stock row and every
 * reservation move was written. The "= ANY" conditions keep both joins on the primary keys
 * whatever the planner thinks of the tables' sizes.
 */
static const char FlushTemplate[] =
"WITH stock_rows AS ("
"  UPDATE inventory.stock s"
"     SET on_hand = u.on_hand, reserved = u.reserved, version = u.version,"
"         next_expiry = u.next_expiry, name = coalesce(u.name, s.name),"
"         low_stock_threshold = u.threshold,"
"         updated_at = CASE WHEN u.version = s.version THEN s.updated_at ELSE now() END"
"    FROM unnest({stock_product}, {stock_warehouse}, {stock_on_hand}, {stock_reserved},"
"                {stock_version}, {stock_next_expiry}, {stock_name}, {stock_threshold})"
"         AS u(product_id, warehouse, on_hand, reserved, version, next_expiry, name, threshold)"
"   WHERE s.product_id = ANY ({stock_product})"
"     AND s.product_id = u.product_id AND s.warehouse = u.warehouse"
"  RETURNING 1),"
" new_reservations AS ("
"  INSERT INTO inventory.reservations (id, order_id, product_id, warehouse, quantity, expires_at)"
"  SELECT * FROM unnest({reservation_id}, {reservation_order}, {reservation_product},"
"                       {reservation_warehouse}, {reservation_quantity}, {reservation_expires_at})),"
" moved_reservations AS ("
"  UPDATE inventory.reservations r"
"     SET status = m.status,"
"         expires_at = CASE WHEN m.status = 'confirmed' THEN NULL ELSE r.expires_at END,"
"         updated_at = now()"
"    FROM unnest({move_id}, {move_product}, {move_from}, {move_to})"
"         AS m(id, product_id, from_status, status)"
"   WHERE r.id = ANY ({move_id})"
"     AND r.id = m.id AND r.product_id = m.product_id AND r.status = m.from_status"
"  RETURNING 1),"
" ledger_rows AS ("
"  INSERT INTO inventory.ledger (product_id, warehouse, version, on_hand_delta, reserved_delta,"
"         on_hand_after, reserved_after, reason, note, order_id, reservation_id, actor)"
"  SELECT * FROM unnest({ledger_product}, {ledger_warehouse}, {ledger_version},"
"                       {ledger_on_hand_delta}, {ledger_reserved_delta}, {ledger_on_hand_after},"
"                       {ledger_reserved_after}, {ledger_reason}, {ledger_note}, {ledger_order},"
"                       {ledger_reservation}, {ledger_actor})),"
" event_rows AS ("
"  INSERT INTO inventory.outbox (id, aggregatetype, aggregateid, type, warehouse, version, payload)"
"  SELECT e.id, e.topic, e.product_id, e.type, e.warehouse, e.version,"
"         jsonb_build_object('eventId', e.id, 'type', e.type, 'productId', e.product_id,"
"             'warehouse', e.warehouse, 'version', e.version, 'reason', e.reason,"
"             'previousQuantity', e.previous, 'newQuantity', e.available, 'onHand', e.on_hand,"
"             'reserved', e.reserved, 'available', e.available, 'lowStockThreshold', e.threshold,"
"             'orderId', e.order_id, 'reservationId', e.reservation_id, 'timestamp', {event_time})"
"    FROM unnest({event_id}, {event_topic}, {event_type}, {event_product}, {event_warehouse},"
"                {event_version}, {event_reason}, {event_previous}, {event_available},"
"                {event_on_hand}, {event_reserved}, {event_threshold}, {event_order},"
"                {event_reservation})"
"         AS e(id, topic, type, product_id, warehouse, version, reason, previous, available,"
"              on_hand, reserved, threshold, order_id, reservation_id))"
" SELECT (SELECT count(*) FROM stock_rows), (SELECT count(*) FROM moved_reservations)";

/* The values queued for one array parameter. */
typedef struct Column
{
	int			count;
	int			capacity;
	Datum	   *values;
	bool	   *nulls;
} Column;

struct ChangeBuffer
{
	MemoryContext context;
	Column		columns[FLUSH_NSLOTS];
	StockRow  **dirty_rows;
	int			ndirty;
	int			dirty_capacity;
	int			nchanges;
};

static SavedPlan FlushPlan;

static SavedPlan *PrepareFlushPlan(void);
static void QueueValue(ChangeBuffer *buffer, FlushSlot slot, Datum value, bool isnull);
static void AppendText(ChangeBuffer *buffer, FlushSlot slot, const char *value);
static void AppendUuid(ChangeBuffer *buffer, FlushSlot slot, const pg_uuid_t *value);
static void AppendEvent(ChangeBuffer *buffer, const StockRow *row, const StockChange *change,
						const char *topic, const char *type, int64 previous);
static const char *AlertType(int64 was, const StockRow *after);
static const char *EventTimestamp(void);
static void NotifyRelay(void);

/* ChangeBufferCreate makes an empty buffer whose memory lives under the current context. */
ChangeBuffer *
ChangeBufferCreate(void)
{
	ChangeBuffer *buffer = palloc0(sizeof(ChangeBuffer));

	buffer->context = AllocSetContextCreate(CurrentMemoryContext, "pg_inventory change buffer",
											ALLOCSET_DEFAULT_SIZES);
	return buffer;
}

/* ChangeBufferSize is the number of changes recorded since the last flush. */
int
ChangeBufferSize(const ChangeBuffer *buffer)
{
	return buffer->nchanges;
}

/* QueueValue queues one value of an array parameter. */
static void
QueueValue(ChangeBuffer *buffer, FlushSlot slot, Datum value, bool isnull)
{
	Column	   *column = &buffer->columns[slot];

	if (column->count == column->capacity)
	{
		MemoryContext caller = MemoryContextSwitchTo(buffer->context);

		column->capacity = Max(8, column->capacity * 2);
		column->values = column->values == NULL ? palloc(sizeof(Datum) * column->capacity) :
			repalloc(column->values, sizeof(Datum) * column->capacity);
		column->nulls = column->nulls == NULL ? palloc(sizeof(bool) * column->capacity) :
			repalloc(column->nulls, sizeof(bool) * column->capacity);
		MemoryContextSwitchTo(caller);
	}
	column->values[column->count] = value;
	column->nulls[column->count] = isnull;
	column->count++;
}

/* AppendText queues a text value (NULL for a NULL pointer), copied into the buffer. */
static void
AppendText(ChangeBuffer *buffer, FlushSlot slot, const char *value)
{
	MemoryContext caller = MemoryContextSwitchTo(buffer->context);

	QueueValue(buffer, slot, value == NULL ? (Datum) 0 : CStringGetTextDatum(value), value == NULL);
	MemoryContextSwitchTo(caller);
}

/* AppendUuid queues a uuid value (NULL for a NULL pointer), copied into the buffer. */
static void
AppendUuid(ChangeBuffer *buffer, FlushSlot slot, const pg_uuid_t *value)
{
	pg_uuid_t  *copy = NULL;

	if (value != NULL)
	{
		copy = MemoryContextAlloc(buffer->context, sizeof(pg_uuid_t));
		*copy = *value;
	}
	QueueValue(buffer, slot, UUIDPGetDatum(copy), value == NULL);
}

/* MarkStockRowDirty makes the next flush write the row's current values. */
void
MarkStockRowDirty(ChangeBuffer *buffer, StockRow *row)
{
	if (row->dirty)
		return;
	if (buffer->ndirty == buffer->dirty_capacity)
	{
		MemoryContext caller = MemoryContextSwitchTo(buffer->context);

		buffer->dirty_capacity = Max(8, buffer->dirty_capacity * 2);
		buffer->dirty_rows = buffer->dirty_rows == NULL ?
			palloc(sizeof(StockRow *) * buffer->dirty_capacity) :
			repalloc(buffer->dirty_rows, sizeof(StockRow *) * buffer->dirty_capacity);
		MemoryContextSwitchTo(caller);
	}
	buffer->dirty_rows[buffer->ndirty++] = row;
	row->dirty = true;
}

/*
 * RecordStockChange applies one change to a locked row in memory (raising its version) and queues
 * the change's ledger row, events and reservation write.
 */
void
RecordStockChange(ChangeBuffer *buffer, StockRow *row, const StockChange *change)
{
	int64		previous = StockRowAvailable(row);
	const char *alert;
	const char *actor = change->actor;

	row->on_hand += change->on_hand_delta;
	row->reserved += change->reserved_delta;
	row->version++;
	if (change->has_threshold)
	{
		row->has_threshold = true;
		row->threshold = change->threshold;
	}
	if (change->name != NULL)
		row->new_name = MemoryContextStrdup(buffer->context, change->name);
	MarkStockRowDirty(buffer, row);
	if (actor == NULL && InventoryActor[0] != '\0')
		actor = InventoryActor;

	AppendText(buffer, SLOT_LEDGER_PRODUCT, row->product_id);
	AppendText(buffer, SLOT_LEDGER_WAREHOUSE, row->warehouse);
	QueueValue(buffer, SLOT_LEDGER_VERSION, Int64GetDatum(row->version), false);
	QueueValue(buffer, SLOT_LEDGER_ON_HAND_DELTA, Int64GetDatum(change->on_hand_delta), false);
	QueueValue(buffer, SLOT_LEDGER_RESERVED_DELTA, Int64GetDatum(change->reserved_delta), false);
	QueueValue(buffer, SLOT_LEDGER_ON_HAND_AFTER, Int64GetDatum(row->on_hand), false);
	QueueValue(buffer, SLOT_LEDGER_RESERVED_AFTER, Int64GetDatum(row->reserved), false);
	AppendText(buffer, SLOT_LEDGER_REASON, change->reason);
	AppendText(buffer, SLOT_LEDGER_NOTE, change->note);
	AppendText(buffer, SLOT_LEDGER_ORDER, change->order_id);
	AppendUuid(buffer, SLOT_LEDGER_RESERVATION, change->reservation_id);
	AppendText(buffer, SLOT_LEDGER_ACTOR, actor);

	AppendEvent(buffer, row, change, InventoryUpdatedTopic, "inventory.updated", previous);
	alert = AlertType(previous, row);
	if (alert != NULL)
		AppendEvent(buffer, row, change, InventoryAlertsTopic, alert, previous);

	switch (change->reservation_write)
	{
		case RESERVATION_UNTOUCHED:
			break;
		case RESERVATION_INSERT:
			AppendUuid(buffer, SLOT_RESERVATION_ID, change->reservation_id);
			AppendText(buffer, SLOT_RESERVATION_ORDER, change->order_id);
			AppendText(buffer, SLOT_RESERVATION_PRODUCT, row->product_id);
			AppendText(buffer, SLOT_RESERVATION_WAREHOUSE, row->warehouse);
			QueueValue(buffer, SLOT_RESERVATION_QUANTITY, Int64GetDatum(change->quantity), false);
			QueueValue(buffer, SLOT_RESERVATION_EXPIRES_AT, TimestampTzGetDatum(change->expires_at), false);
			if (!row->has_next_expiry || change->expires_at < row->next_expiry)
			{
				row->has_next_expiry = true;
				row->next_expiry = change->expires_at;
			}
			if (!row->has_inserted_expiry || change->expires_at < row->inserted_expiry)
			{
				row->has_inserted_expiry = true;
				row->inserted_expiry = change->expires_at;
			}
			break;
		case RESERVATION_SET_STATUS:
			AppendUuid(buffer, SLOT_MOVE_ID, change->reservation_id);
			AppendText(buffer, SLOT_MOVE_PRODUCT, row->product_id);
			AppendText(buffer, SLOT_MOVE_FROM, change->from_status);
			AppendText(buffer, SLOT_MOVE_TO, change->status);
			break;
	}
	buffer->nchanges++;
}

/* AppendEvent queues one outbox event about a change (inventory.updated or an alert). */
static void
AppendEvent(ChangeBuffer *buffer, const StockRow *row, const StockChange *change, const char *topic,
			const char *type, int64 previous)
{
	AppendUuid(buffer, SLOT_EVENT_ID, NewRandomUuid());
	AppendText(buffer, SLOT_EVENT_TOPIC, topic);
	AppendText(buffer, SLOT_EVENT_TYPE, type);
	AppendText(buffer, SLOT_EVENT_PRODUCT, row->product_id);
	AppendText(buffer, SLOT_EVENT_WAREHOUSE, row->warehouse);
	QueueValue(buffer, SLOT_EVENT_VERSION, Int64GetDatum(row->version), false);
	AppendText(buffer, SLOT_EVENT_REASON, change->reason);
	QueueValue(buffer, SLOT_EVENT_PREVIOUS, Int64GetDatum(previous), false);
	QueueValue(buffer, SLOT_EVENT_AVAILABLE, Int64GetDatum(StockRowAvailable(row)), false);
	QueueValue(buffer, SLOT_EVENT_ON_HAND, Int64GetDatum(row->on_hand), false);
	QueueValue(buffer, SLOT_EVENT_RESERVED, Int64GetDatum(row->reserved), false);
	QueueValue(buffer, SLOT_EVENT_THRESHOLD, Int64GetDatum(row->threshold), !row->has_threshold);
	AppendText(buffer, SLOT_EVENT_ORDER, change->order_id);
	AppendUuid(buffer, SLOT_EVENT_RESERVATION, change->reservation_id);
}

/*
 * AlertType names the alert a change raises: out_of_stock when available reaches zero,
 * back_in_stock when it leaves zero (not for a row's first stock), low_stock when it crosses the
 * threshold; NULL for none.
 */
static const char *
AlertType(int64 was, const StockRow *after)
{
	int64		now = StockRowAvailable(after);

	if (now <= 0 && was > 0)
		return "out_of_stock";
	if (now > 0 && was <= 0 && after->version > 1)
		return "back_in_stock";
	if (after->has_threshold && now <= after->threshold && was > after->threshold)
		return "low_stock";
	return NULL;
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

/* PrepareFlushPlan builds the flush statement once per backend, numbering its named slots. */
static SavedPlan *
PrepareFlushPlan(void)
{
	MemoryContext caller;
	StringInfoData sql;
	const char *cursor;
	int			slot;

	if (FlushPlan.sql != NULL)
		return &FlushPlan;
	caller = MemoryContextSwitchTo(TopMemoryContext);
	initStringInfo(&sql);
	for (cursor = FlushTemplate; *cursor != '\0'; cursor++)
	{
		const char *end;

		if (*cursor != '{')
		{
			appendStringInfoChar(&sql, *cursor);
			continue;
		}
		end = strchr(cursor, '}');
		for (slot = 0; slot < FLUSH_NSLOTS; slot++)
			if (strlen(Slots[slot].name) == (size_t) (end - cursor - 1) &&
				strncmp(Slots[slot].name, cursor + 1, end - cursor - 1) == 0)
				break;
		if (end == NULL || slot == FLUSH_NSLOTS)
			elog(ERROR, "pg_inventory flush statement names an unknown slot");
		appendStringInfo(&sql, "$%d", slot + 1);
		cursor = end;
	}
	for (slot = 0; slot < FLUSH_NSLOTS; slot++)
		FlushPlan.argtypes[slot] = slot == SLOT_EVENT_TIME ? TEXTOID :
			get_array_type(Slots[slot].element_type);
	FlushPlan.nargs = FLUSH_NSLOTS;
	FlushPlan.sql = sql.data;
	MemoryContextSwitchTo(caller);
	return &FlushPlan;
}

/*
 * FlushChanges writes every queued change in one statement and empties the buffer. Raises when a
 * stock row or a reservation move was not written (the row or reservation vanished under its
 * lock, which the locking rules make impossible): nothing of the call then commits.
 */
void
FlushChanges(ChangeBuffer *buffer)
{
	SavedPlan  *plan;
	Datum		values[FLUSH_NSLOTS];
	int			nmoves = buffer->columns[SLOT_MOVE_ID].count;
	bool		any_event = buffer->columns[SLOT_EVENT_ID].count > 0;
	MemoryContext caller;
	int			slot;
	int			i;

	if (buffer->ndirty == 0)
		return;
	plan = PrepareFlushPlan();
	caller = MemoryContextSwitchTo(buffer->context);
	for (i = 0; i < buffer->ndirty; i++)
	{
		StockRow   *row = buffer->dirty_rows[i];

		AppendText(buffer, SLOT_STOCK_PRODUCT, row->product_id);
		AppendText(buffer, SLOT_STOCK_WAREHOUSE, row->warehouse);
		QueueValue(buffer, SLOT_STOCK_ON_HAND, Int64GetDatum(row->on_hand), false);
		QueueValue(buffer, SLOT_STOCK_RESERVED, Int64GetDatum(row->reserved), false);
		QueueValue(buffer, SLOT_STOCK_VERSION, Int64GetDatum(row->version), false);
		QueueValue(buffer, SLOT_STOCK_NEXT_EXPIRY, TimestampTzGetDatum(row->next_expiry), !row->has_next_expiry);
		AppendText(buffer, SLOT_STOCK_NAME, row->new_name);
		QueueValue(buffer, SLOT_STOCK_THRESHOLD, Int64GetDatum(row->threshold), !row->has_threshold);
	}
	for (slot = 0; slot < FLUSH_NSLOTS; slot++)
	{
		Column	   *column = &buffer->columns[slot];
		int16		length;
		bool		by_value;
		char		align;
		int			dims[1];
		int			lower_bounds[1] = {1};

		if (slot == SLOT_EVENT_TIME)
		{
			values[slot] = CStringGetTextDatum(EventTimestamp());
			continue;
		}
		get_typlenbyvalalign(Slots[slot].element_type, &length, &by_value, &align);
		dims[0] = column->count;
		values[slot] = PointerGetDatum(construct_md_array(column->values, column->nulls, 1, dims,
														  lower_bounds, Slots[slot].element_type,
														  length, by_value, align));
	}
	MemoryContextSwitchTo(caller);

	ExecuteSavedPlan(plan, values, NULL, 1);
	RequireRowCount(1, "result row of the change statement");
	if (ColumnInt64(0, 1) != buffer->ndirty || ColumnInt64(0, 2) != nmoves)
		ereport(ERROR, (errcode(ERRCODE_INTERNAL_ERROR),
						errmsg("pg_inventory wrote " INT64_FORMAT " of %d stock rows and " INT64_FORMAT
							   " of %d reservation moves", ColumnInt64(0, 1), buffer->ndirty,
							   ColumnInt64(0, 2), nmoves),
						errdetail("A stock row or a reservation changed while its stock row was locked.")));
	SPI_freetuptable(SPI_tuptable);
	if (any_event)
		NotifyRelay();

	for (i = 0; i < buffer->ndirty; i++)
	{
		buffer->dirty_rows[i]->dirty = false;
		buffer->dirty_rows[i]->new_name = NULL;
	}
	MemoryContextReset(buffer->context);
	memset(buffer->columns, 0, sizeof(buffer->columns));
	buffer->dirty_rows = NULL;
	buffer->ndirty = 0;
	buffer->dirty_capacity = 0;
	buffer->nchanges = 0;
}

/*
 * NotifyRelay wakes listening relays when inventory.notify_channel is set (it is empty by
 * default: relays poll). It is skipped while the notification queue is fuller than
 * inventory.notify_queue_limit, so a listener that stopped reading can never make a stock change
 * fail at commit with a full queue; relays poll anyway.
 */
static void
NotifyRelay(void)
{
	double		usage;

	if (InventoryNotifyChannel[0] == '\0')
		return;
	usage = DatumGetFloat8(OidFunctionCall0Coll(F_PG_NOTIFICATION_QUEUE_USAGE, InvalidOid));
	if (usage > InventoryNotifyQueueLimit)
		return;
	Async_Notify(InventoryNotifyChannel, "");
}
