/*
 * change_buffer.c
 *    The only code that writes stock changes. RecordStockChange applies one change to a locked
 *    stock row in memory and queues its ledger row, its outbox events (one inventory.updated
 *    event, plus an alert when available crosses zero or the low-stock threshold) and the
 *    reservation write it is about (a new reservation, a move, or units returned). FlushChanges writes everything queued in one statement: each
 *    touched stock row once with its final values, then the reservations, ledger rows and events
 *    as arrays, in the caller's transaction, so they commit or roll back together. Through Citus
 *    (shards.c) it writes the same rows with one statement per row or chunk of rows instead, which
 *    Citus can send to the nodes that hold them.
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
#include "utils/fmgroids.h"
#include "utils/hsearch.h"
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
	SLOT_RETURN_ID,
	SLOT_RETURN_PRODUCT,
	SLOT_RETURN_BEFORE,
	SLOT_RETURN_AFTER,
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
	SLOT_LEDGER_RETURNED,
	SLOT_EVENT_ID,
	SLOT_EVENT_TOPIC,
	SLOT_EVENT_PRODUCT,
	SLOT_EVENT_TYPE,
	SLOT_EVENT_WAREHOUSE,
	SLOT_EVENT_VERSION,
	SLOT_EVENT_PAYLOAD,
	FLUSH_NSLOTS
} FlushSlot;

/* A slot's name in the SQL and the type of its values. */
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
	[SLOT_RETURN_ID] = {"return_id", UUIDOID},
	[SLOT_RETURN_PRODUCT] = {"return_product", TEXTOID},
	[SLOT_RETURN_BEFORE] = {"return_before", INT8OID},
	[SLOT_RETURN_AFTER] = {"return_after", INT8OID},
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
	[SLOT_LEDGER_RETURNED] = {"ledger_returned", INT8OID},
	[SLOT_EVENT_ID] = {"event_id", UUIDOID},
	[SLOT_EVENT_TOPIC] = {"event_topic", TEXTOID},
	[SLOT_EVENT_PRODUCT] = {"event_product", TEXTOID},
	[SLOT_EVENT_TYPE] = {"event_type", TEXTOID},
	[SLOT_EVENT_WAREHOUSE] = {"event_warehouse", TEXTOID},
	[SLOT_EVENT_VERSION] = {"event_version", INT8OID},
	[SLOT_EVENT_PAYLOAD] = {"event_payload", JSONBOID},
};

/*
 * The flush statement: independent data-modifying CTEs, one per table, each reading its own
 * arrays (no CTE reads another's output), and counts that prove every stock row and every
 * reservation was written. Each CTE reads its rows from a row source built for its size:
 * up to FLUSH_SCALAR_ROWS rows come from scalar parameters in a VALUES list (one row of an
 * UPDATE is addressed directly), so the plan of an ordinary call has no function scan and no array
 * to build; more rows come from unnest() of array parameters, with "= ANY" conditions that keep
 * the joins on the primary keys whatever the planner thinks of the tables' sizes, planned as merge
 * joins (one index scan of the batch's keys). A table with nothing to write has no CTE. Every
 * combination is prepared once per backend, on first use.
 */
typedef struct FlushPart
{
	const char *one_row;		/* the whole CTE for exactly one row, when it is simpler, or NULL */
	const char *before;			/* SQL up to the row source */
	const char *columns;		/* alias and column names of the row source */
	const char *condition;		/* SQL after the row source */
	const char *many_condition; /* added when the rows come from unnest() */
	const char *after;
	FlushSlot	first;			/* the part's array slots, first .. last, in column order */
	FlushSlot	last;
} FlushPart;

typedef enum FlushPartKind
{
	PART_STOCK,
	PART_RESERVATIONS,
	PART_MOVES,
	PART_RETURNS,
	PART_LEDGER,
	PART_EVENTS,
	FLUSH_NPARTS
} FlushPartKind;

static const FlushPart Parts[FLUSH_NPARTS] = {
	[PART_STOCK] = {
		"WITH stock_rows AS ("
		"  UPDATE inventory.stock s"
		"     SET on_hand = {stock_on_hand}, reserved = {stock_reserved}, version = {stock_version},"
		"         next_expiry = {stock_next_expiry}, name = coalesce({stock_name}, s.name),"
		"         low_stock_threshold = {stock_threshold},"
		"         updated_at = CASE WHEN {stock_version} = s.version THEN s.updated_at ELSE now() END"
		"   WHERE s.product_id = {stock_product} AND s.warehouse = {stock_warehouse}"
		"  RETURNING 1)",
		"WITH stock_rows AS ("
		"  UPDATE inventory.stock s"
		"     SET on_hand = u.on_hand, reserved = u.reserved, version = u.version,"
		"         next_expiry = u.next_expiry, name = coalesce(u.name, s.name),"
		"         low_stock_threshold = u.threshold,"
		"         updated_at = CASE WHEN u.version = s.version THEN s.updated_at ELSE now() END"
		"    FROM ",
		" AS u(product_id, warehouse, on_hand, reserved, version, next_expiry, name, threshold)",
		" WHERE s.product_id = u.product_id AND s.warehouse = u.warehouse",
		" AND s.product_id = ANY ({stock_product})",
		" RETURNING 1)",
		SLOT_STOCK_PRODUCT, SLOT_STOCK_THRESHOLD},
	[PART_RESERVATIONS] = {
		NULL,
		", new_reservations AS ("
		"  INSERT INTO inventory.reservations (id, order_id, product_id, warehouse, quantity, expires_at)"
		"  SELECT * FROM ",
		" AS r(id, order_id, product_id, warehouse, quantity, expires_at)", "", "", ")",
		SLOT_RESERVATION_ID, SLOT_RESERVATION_EXPIRES_AT},
	[PART_MOVES] = {
		", moved_reservations AS ("
		"  UPDATE inventory.reservations r"
		"     SET status = {move_to},"
		"         expires_at = CASE WHEN {move_to} IN ('confirmed', 'shipped') THEN NULL ELSE r.expires_at END,"
		"         updated_at = now()"
		"   WHERE r.id = {move_id} AND r.product_id = {move_product} AND r.status = {move_from}"
		"  RETURNING 1)",
		", moved_reservations AS ("
		"  UPDATE inventory.reservations r"
		"     SET status = m.status,"
		"         expires_at = CASE WHEN m.status IN ('confirmed', 'shipped') THEN NULL ELSE r.expires_at END,"
		"         updated_at = now()"
		"    FROM ",
		" AS m(id, product_id, from_status, status)",
		" WHERE r.id = m.id AND r.product_id = m.product_id AND r.status = m.from_status",
		" AND r.id = ANY ({move_id})",
		" RETURNING 1)",
		SLOT_MOVE_ID, SLOT_MOVE_TO},
	[PART_RETURNS] = {
		", returned_reservations AS ("
		"  UPDATE inventory.reservations r"
		"     SET returned_quantity = {return_after}, updated_at = now()"
		"   WHERE r.id = {return_id} AND r.product_id = {return_product} AND r.status = 'shipped'"
		"     AND r.returned_quantity = {return_before}"
		"  RETURNING 1)",
		", returned_reservations AS ("
		"  UPDATE inventory.reservations r"
		"     SET returned_quantity = t.after, updated_at = now()"
		"    FROM ",
		" AS t(id, product_id, before, after)",
		" WHERE r.id = t.id AND r.product_id = t.product_id AND r.status = 'shipped'"
		" AND r.returned_quantity = t.before",
		" AND r.id = ANY ({return_id})",
		" RETURNING 1)",
		SLOT_RETURN_ID, SLOT_RETURN_AFTER},
	[PART_LEDGER] = {
		NULL,
		", ledger_rows AS ("
		"  INSERT INTO inventory.ledger (product_id, warehouse, version, on_hand_delta, reserved_delta,"
		"         on_hand_after, reserved_after, reason, note, order_id, reservation_id, actor,"
		"         returned_quantity)"
		"  SELECT * FROM ",
		" AS l(product_id, warehouse, version, on_hand_delta, reserved_delta, on_hand_after,"
		"      reserved_after, reason, note, order_id, reservation_id, actor, returned_quantity)", "", "", ")",
		SLOT_LEDGER_PRODUCT, SLOT_LEDGER_RETURNED},
	[PART_EVENTS] = {
		NULL,
		", event_rows AS ("
		"  INSERT INTO inventory.outbox (id, aggregatetype, aggregateid, type, warehouse, version, payload)"
		"  SELECT * FROM ",
		" AS e(id, topic, product_id, type, warehouse, version, payload)", "", "", ")",
		SLOT_EVENT_ID, SLOT_EVENT_PAYLOAD},
};

/* The stock part for the previous version's tables, which have no next_expiry. */
static const FlushPart PreviousStockPart = {
	"WITH stock_rows AS ("
	"  UPDATE inventory.stock s"
	"     SET on_hand = {stock_on_hand}, reserved = {stock_reserved}, version = {stock_version},"
	"         name = coalesce({stock_name}, s.name), low_stock_threshold = {stock_threshold},"
	"         updated_at = CASE WHEN {stock_version} = s.version THEN s.updated_at ELSE now() END"
	"   WHERE s.product_id = {stock_product} AND s.warehouse = {stock_warehouse}"
	"  RETURNING 1)",
	"WITH stock_rows AS ("
	"  UPDATE inventory.stock s"
	"     SET on_hand = u.on_hand, reserved = u.reserved, version = u.version,"
	"         name = coalesce(u.name, s.name), low_stock_threshold = u.threshold,"
	"         updated_at = CASE WHEN u.version = s.version THEN s.updated_at ELSE now() END"
	"    FROM ",
	" AS u(product_id, warehouse, on_hand, reserved, version, next_expiry, name, threshold)",
	" WHERE s.product_id = u.product_id AND s.warehouse = u.warehouse",
	" AND s.product_id = ANY ({stock_product})",
	" RETURNING 1)",
	SLOT_STOCK_PRODUCT, SLOT_STOCK_THRESHOLD};

/* The ledger part for the previous version's tables, whose ledger has no returned_quantity. */
static const FlushPart PreviousLedgerPart = {
	NULL,
	", ledger_rows AS ("
	"  INSERT INTO inventory.ledger (product_id, warehouse, version, on_hand_delta, reserved_delta,"
	"         on_hand_after, reserved_after, reason, note, order_id, reservation_id, actor)"
	"  SELECT * FROM ",
	" AS l(product_id, warehouse, version, on_hand_delta, reserved_delta, on_hand_after,"
	"      reserved_after, reason, note, order_id, reservation_id, actor)", "", "", ")",
	SLOT_LEDGER_PRODUCT, SLOT_LEDGER_ACTOR};

/*
 * Through Citus the change is written by one statement per stock row, per reservation move and per
 * chunk of inserted rows: each names the product by equality or inserts VALUES, which Citus sends
 * to the node that holds the product. Citus cannot plan the single statement of data-modifying
 * CTEs with parameters, nor a CASE with now() in an UPDATE. (A call on a product's own shards,
 * shards.c, writes with the single statement.)
 */
/* RoutedStockPlans' parameters: $1 is ROUTED_STOCK_PRODUCT + 1, and so on. */
typedef enum RoutedStockSlot
{
	ROUTED_STOCK_PRODUCT,
	ROUTED_STOCK_WAREHOUSE,
	ROUTED_STOCK_ON_HAND,
	ROUTED_STOCK_RESERVED,
	ROUTED_STOCK_VERSION,
	ROUTED_STOCK_NEXT_EXPIRY,
	ROUTED_STOCK_NAME,
	ROUTED_STOCK_THRESHOLD,
	ROUTED_STOCK_UPDATED_AT,
	ROUTED_STOCK_SLOTS
} RoutedStockSlot;

static SavedPlan RoutedStockPlans[INVENTORY_NSCHEMAS] = {
	[SCHEMA_CURRENT] = {
		.sql = "UPDATE inventory.stock SET on_hand = $3, reserved = $4, version = $5, next_expiry = $6,"
		" name = coalesce($7, name), low_stock_threshold = $8, updated_at = coalesce($9, updated_at)"
		" WHERE product_id = $1 AND warehouse = $2",
		.nargs = ROUTED_STOCK_SLOTS,
		.argtypes = {TEXTOID, TEXTOID, INT8OID, INT8OID, INT8OID, TIMESTAMPTZOID, TEXTOID, INT8OID, TIMESTAMPTZOID},
	},
	[SCHEMA_PREVIOUS] = {
		.sql = "UPDATE inventory.stock SET on_hand = $3, reserved = $4, version = $5,"
		" name = coalesce($7, name), low_stock_threshold = $8, updated_at = coalesce($9, updated_at)"
		" WHERE product_id = $1 AND warehouse = $2",
		.nargs = ROUTED_STOCK_SLOTS,
		.argtypes = {TEXTOID, TEXTOID, INT8OID, INT8OID, INT8OID, TIMESTAMPTZOID, TEXTOID, INT8OID, TIMESTAMPTZOID},
	},
};

static SavedPlan RoutedMovePlan = {
	.sql = "UPDATE inventory.reservations SET status = $4,"
	" expires_at = CASE WHEN $4 IN ('confirmed', 'shipped') THEN NULL ELSE expires_at END, updated_at = now()"
	" WHERE product_id = $2 AND id = $1 AND status = $3",
	.nargs = 4,
	.argtypes = {UUIDOID, TEXTOID, TEXTOID, TEXTOID},
};

static SavedPlan RoutedReturnPlan = {
	.sql = "UPDATE inventory.reservations SET returned_quantity = $4, updated_at = now()"
	" WHERE product_id = $2 AND id = $1 AND status = 'shipped' AND returned_quantity = $3",
	.nargs = 4,
	.argtypes = {UUIDOID, TEXTOID, INT8OID, INT8OID},
};

/* Rows inserted into one table by one statement through Citus. */
#define ROUTED_INSERT_ROWS 16

/* The tables the change statement inserts into, with their slots in column order. */
typedef struct RoutedInsert
{
	const char *insert;			/* INSERT ... VALUES, without the rows */
	FlushSlot	first;
	FlushSlot	last;
} RoutedInsert;

static const RoutedInsert RoutedInserts[] = {
	{"INSERT INTO inventory.reservations (id, order_id, product_id, warehouse, quantity, expires_at) VALUES ",
	SLOT_RESERVATION_ID, SLOT_RESERVATION_EXPIRES_AT},
	{"INSERT INTO inventory.ledger (product_id, warehouse, version, on_hand_delta, reserved_delta,"
		" on_hand_after, reserved_after, reason, note, order_id, reservation_id, actor, returned_quantity) VALUES ",
	SLOT_LEDGER_PRODUCT, SLOT_LEDGER_RETURNED},
	{"INSERT INTO inventory.outbox (seq, id, aggregatetype, aggregateid, type, warehouse, version, payload)"
		" OVERRIDING SYSTEM VALUE VALUES ",
	SLOT_EVENT_ID, SLOT_EVENT_PAYLOAD},
};

/* RoutedInserts' index of the outbox, whose rows start with their seq. */
#define ROUTED_INSERT_OUTBOX 2

#define ROUTED_NINSERTS lengthof(RoutedInserts)

static SavedPlan RoutedInsertPlans[ROUTED_NINSERTS][ROUTED_INSERT_ROWS];

/*
 * On Citus, outbox.seq must be unique across nodes, and neither a shard nor a statement routed
 * from the coordinator fills it in on the node that holds the product: the change writes
 * it itself, as the local sequence's next value plus this node's group id shifted into the top
 * bits (each node counts in its own range of 2^48, as Citus does for the sequences of the tables
 * it creates).
 */
#define OUTBOX_SEQ_FORMAT "nextval('inventory.outbox_seq_seq') + " INT64_FORMAT

/* A part of up to this many rows reads scalars in a VALUES list; more rows read arrays. */
#define FLUSH_SCALAR_ROWS 4

/*
 * The statement's parameters: slot s is $(s + 1) as an array of all its rows, and
 * $(r * FLUSH_NSLOTS + s + 1) as the scalar of its row r (1 .. FLUSH_SCALAR_ROWS).
 */
#define FLUSH_NARGS ((FLUSH_SCALAR_ROWS + 1) * FLUSH_NSLOTS)

/* A prepared variant of the flush statement, by its parts' row counts (or "many"). */
typedef struct FlushPlanEntry
{
	uint32		key;
	SavedPlan	plan;
} FlushPlanEntry;

/* Storage of a slot's element type, looked up once per backend. */
typedef struct SlotStorage
{
	int16		length;
	bool		by_value;
	char		align;
} SlotStorage;

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

static HTAB *FlushPlans;

static SavedPlan *PrepareFlushPlan(const int *rows);
static void AppendNumberedSlots(StringInfo sql, const char *part, int row);
static void AppendRowSource(StringInfo sql, const FlushPart *part, int rows);
static FlushPartKind PartOfSlot(int slot);
static const SlotStorage *StorageOfSlots(void);
static void QueueValue(ChangeBuffer *buffer, FlushSlot slot, Datum value, bool isnull);
static void AppendText(ChangeBuffer *buffer, FlushSlot slot, const char *value);
static void AppendUuid(ChangeBuffer *buffer, FlushSlot slot, const pg_uuid_t *value);
static void AppendEvent(ChangeBuffer *buffer, const StockRow *row, const StockChange *change,
						const char *topic, const char *type, int64 previous);
static const char *AlertType(int64 was, const StockRow *after);
static void NotifyRelay(void);
static void FlushRowByRow(ChangeBuffer *buffer);
static void WriteRoutedStockRow(const StockRow *row);
static void InsertRoutedRows(const ChangeBuffer *buffer, int table, int first_row, int nrows);
static void ResetChangeBuffer(ChangeBuffer *buffer);
static int64 OutboxSeqBase(void);
static const FlushPart *DistributedEventsPart(void);

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
	row->changed = true;
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
	QueueValue(buffer, SLOT_LEDGER_RETURNED, Int64GetDatum(change->returned_after - change->returned_before),
			   change->reservation_write != RESERVATION_RETURN);

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
		case RESERVATION_RETURN:
			AppendUuid(buffer, SLOT_RETURN_ID, change->reservation_id);
			AppendText(buffer, SLOT_RETURN_PRODUCT, row->product_id);
			QueueValue(buffer, SLOT_RETURN_BEFORE, Int64GetDatum(change->returned_before), false);
			QueueValue(buffer, SLOT_RETURN_AFTER, Int64GetDatum(change->returned_after), false);
			break;
	}
	buffer->nchanges++;
}

/* AppendEvent queues one outbox event about a change (inventory.updated or an alert). */
static void
AppendEvent(ChangeBuffer *buffer, const StockRow *row, const StockChange *change, const char *topic,
			const char *type, int64 previous)
{
	pg_uuid_t	event_id;
	MemoryContext caller;

	RandomUuid(&event_id);
	AppendUuid(buffer, SLOT_EVENT_ID, &event_id);
	AppendText(buffer, SLOT_EVENT_TOPIC, topic);
	AppendText(buffer, SLOT_EVENT_PRODUCT, row->product_id);
	AppendText(buffer, SLOT_EVENT_TYPE, type);
	AppendText(buffer, SLOT_EVENT_WAREHOUSE, row->warehouse);
	QueueValue(buffer, SLOT_EVENT_VERSION, Int64GetDatum(row->version), false);
	caller = MemoryContextSwitchTo(buffer->context);
	QueueValue(buffer, SLOT_EVENT_PAYLOAD, JsonbPGetDatum(EventPayload(&event_id, type, row, change, previous)), false);
	MemoryContextSwitchTo(caller);
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

/*
 * AppendNumberedSlots appends part of the flush statement with each {name} replaced by its
 * parameter: the scalar of the given row (1-based), or with row 0 the array of all rows.
 */
static void
AppendNumberedSlots(StringInfo sql, const char *part, int row)
{
	const char *cursor;

	for (cursor = part; *cursor != '\0'; cursor++)
	{
		const char *end;
		int			slot;

		if (*cursor != '{')
		{
			appendStringInfoChar(sql, *cursor);
			continue;
		}
		end = strchr(cursor, '}');
		for (slot = 0; end != NULL && slot < FLUSH_NSLOTS; slot++)
			if (strlen(Slots[slot].name) == (size_t) (end - cursor - 1) &&
				strncmp(Slots[slot].name, cursor + 1, end - cursor - 1) == 0)
				break;
		if (end == NULL || slot == FLUSH_NSLOTS)
			elog(ERROR, "pg_inventory flush statement names an unknown slot");
		appendStringInfo(sql, "$%d", row * FLUSH_NSLOTS + slot + 1);
		cursor = end;
	}
}

/* AppendRowSource appends a part's row source: a VALUES list of scalars, or unnest() of arrays. */
static void
AppendRowSource(StringInfo sql, const FlushPart *part, int rows)
{
	int			slot;
	int			row;

	if (rows > FLUSH_SCALAR_ROWS)
	{
		appendStringInfoString(sql, "unnest(");
		for (slot = (int) part->first; slot <= (int) part->last; slot++)
			appendStringInfo(sql, "%s$%d", slot > (int) part->first ? ", " : "", slot + 1);
		appendStringInfoChar(sql, ')');
		return;
	}
	appendStringInfoString(sql, "(VALUES ");
	for (row = 1; row <= rows; row++)
	{
		appendStringInfoString(sql, row > 1 ? ", (" : "(");
		for (slot = (int) part->first; slot <= (int) part->last; slot++)
			appendStringInfo(sql, "%s$%d", slot > (int) part->first ? ", " : "", row * FLUSH_NSLOTS + slot + 1);
		appendStringInfoChar(sql, ')');
	}
	appendStringInfoChar(sql, ')');
}

/* PartOfSlot names the part a slot belongs to. */
static FlushPartKind
PartOfSlot(int slot)
{
	int			kind;

	for (kind = 0; kind < FLUSH_NPARTS - 1; kind++)
		if (slot >= (int) Parts[kind].first && slot <= (int) Parts[kind].last)
			return (FlushPartKind) kind;
	return PART_EVENTS;
}

/* StorageOfSlots returns the element storage of every slot, looked up on first use. */
static const SlotStorage *
StorageOfSlots(void)
{
	static SlotStorage storage[FLUSH_NSLOTS];
	static bool known = false;
	int			slot;

	if (known)
		return storage;
	for (slot = 0; slot < FLUSH_NSLOTS; slot++)
		get_typlenbyvalalign(Slots[slot].element_type, &storage[slot].length, &storage[slot].by_value,
							 &storage[slot].align);
	known = true;
	return storage;
}

/*
 * PrepareFlushPlan builds the flush statement for the parts' row counts and the installed tables,
 * once per backend.
 */
static SavedPlan *
PrepareFlushPlan(const int *rows)
{
	uint32		key = 0;
	int			kind;
	bool		found;
	FlushPlanEntry *entry;
	MemoryContext caller;
	StringInfoData sql;
	int			slot;

	for (kind = FLUSH_NPARTS - 1; kind >= 0; kind--)
		key = key * (FLUSH_SCALAR_ROWS + 2) + Min(rows[kind], FLUSH_SCALAR_ROWS + 1);
	key = (key * INVENTORY_NSCHEMAS + InstalledSchema) * 2 + (OnCitus ? 1 : 0);
	if (FlushPlans == NULL)
	{
		HASHCTL		hash = {0};

		hash.keysize = sizeof(uint32);
		hash.entrysize = sizeof(FlushPlanEntry);
		FlushPlans = hash_create("pg_inventory flush plans", 64, &hash, HASH_ELEM | HASH_BLOBS);
	}
	entry = hash_search(FlushPlans, &key, HASH_ENTER, &found);
	if (found)
		return &entry->plan;

	memset(&entry->plan, 0, sizeof(SavedPlan));
	caller = MemoryContextSwitchTo(TopMemoryContext);
	initStringInfo(&sql);
	for (kind = 0; kind < FLUSH_NPARTS; kind++)
	{
		const FlushPart *part = kind == PART_EVENTS && OnCitus ? DistributedEventsPart() : &Parts[kind];
		bool		many = rows[kind] > FLUSH_SCALAR_ROWS;

		if (InstalledSchema == SCHEMA_PREVIOUS && kind == PART_STOCK)
			part = &PreviousStockPart;
		else if (InstalledSchema == SCHEMA_PREVIOUS && kind == PART_LEDGER)
			part = &PreviousLedgerPart;

		if (rows[kind] == 0)
			continue;
		if (rows[kind] == 1 && part->one_row != NULL)
		{
			AppendNumberedSlots(&sql, part->one_row, 1);
			continue;
		}
		AppendNumberedSlots(&sql, part->before, 0);
		AppendRowSource(&sql, part, rows[kind]);
		appendStringInfoString(&sql, part->columns);
		AppendNumberedSlots(&sql, part->condition, 0);
		if (many)
			AppendNumberedSlots(&sql, part->many_condition, 0);
		appendStringInfoString(&sql, part->after);
	}
	appendStringInfoString(&sql, " SELECT (SELECT count(*) FROM stock_rows), 0::bigint");
	if (rows[PART_MOVES] > 0)
		appendStringInfoString(&sql, " + (SELECT count(*) FROM moved_reservations)");
	if (rows[PART_RETURNS] > 0)
		appendStringInfoString(&sql, " + (SELECT count(*) FROM returned_reservations)");
	for (slot = 0; slot < FLUSH_NSLOTS; slot++)
	{
		int			row;

		entry->plan.argtypes[slot] = get_array_type(Slots[slot].element_type);
		for (row = 1; row <= FLUSH_SCALAR_ROWS; row++)
			entry->plan.argtypes[row * FLUSH_NSLOTS + slot] = Slots[slot].element_type;
	}
	entry->plan.nargs = FLUSH_NARGS;
	entry->plan.sql = sql.data;
	entry->plan.merge_joins = rows[PART_STOCK] > FLUSH_SCALAR_ROWS || rows[PART_MOVES] > FLUSH_SCALAR_ROWS ||
		rows[PART_RETURNS] > FLUSH_SCALAR_ROWS;
	MemoryContextSwitchTo(caller);
	return &entry->plan;
}

/*
 * FlushChanges writes every queued change in one statement and empties the buffer. Raises when a
 * stock row or a reservation write did not happen (the row or reservation vanished under its
 * lock, which the locking rules make impossible): nothing of the call then commits.
 */
void
FlushChanges(ChangeBuffer *buffer)
{
	SavedPlan  *plan;
	Datum		values[FLUSH_NARGS];
	char		nulls[FLUSH_NARGS];
	const SlotStorage *storage = StorageOfSlots();
	int			rows[FLUSH_NPARTS];
	int			nmoves = buffer->columns[SLOT_MOVE_ID].count + buffer->columns[SLOT_RETURN_ID].count;
	bool		any_event = buffer->columns[SLOT_EVENT_ID].count > 0;
	MemoryContext caller;
	int			slot;
	int			i;

	if (buffer->ndirty == 0)
		return;
	if (ThroughCitus())
	{
		FlushRowByRow(buffer);
		return;
	}
	rows[PART_STOCK] = buffer->ndirty;
	rows[PART_RESERVATIONS] = buffer->columns[SLOT_RESERVATION_ID].count;
	rows[PART_MOVES] = buffer->columns[SLOT_MOVE_ID].count;
	rows[PART_RETURNS] = buffer->columns[SLOT_RETURN_ID].count;
	rows[PART_LEDGER] = buffer->columns[SLOT_LEDGER_PRODUCT].count;
	rows[PART_EVENTS] = buffer->columns[SLOT_EVENT_ID].count;
	plan = PrepareFlushPlan(rows);
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
	memset(nulls, 'n', sizeof(nulls));
	for (slot = 0; slot < FLUSH_NSLOTS; slot++)
	{
		Column	   *column = &buffer->columns[slot];
		int			part_rows = rows[PartOfSlot(slot)];
		int			dims[1];
		int			lower_bounds[1] = {1};

		if (part_rows <= FLUSH_SCALAR_ROWS)
		{
			int			row;

			for (row = 1; row <= part_rows; row++)
			{
				values[row * FLUSH_NSLOTS + slot] = column->values[row - 1];
				nulls[row * FLUSH_NSLOTS + slot] = column->nulls[row - 1] ? 'n' : ' ';
			}
		}
		else
		{
			dims[0] = column->count;
			values[slot] = PointerGetDatum(construct_md_array(column->values, column->nulls, 1, dims,
															  lower_bounds, Slots[slot].element_type,
															  storage[slot].length, storage[slot].by_value,
															  storage[slot].align));
			nulls[slot] = ' ';
		}
	}
	MemoryContextSwitchTo(caller);

	ExecuteSavedPlan(plan, values, nulls, 1);
	RequireRowCount(1, "result row of the change statement");
	if (ColumnInt64(0, 1) != buffer->ndirty || ColumnInt64(0, 2) != nmoves)
		ereport(ERROR, (errcode(ERRCODE_INTERNAL_ERROR),
						errmsg("pg_inventory wrote " INT64_FORMAT " of %d stock rows and " INT64_FORMAT
							   " of %d reservation writes", ColumnInt64(0, 1), buffer->ndirty,
							   ColumnInt64(0, 2), nmoves),
						errdetail("A stock row or a reservation changed while its stock row was locked.")));
	SPI_freetuptable(SPI_tuptable);
	if (any_event)
		NotifyRelay();
	ResetChangeBuffer(buffer);
}

/* ResetChangeBuffer empties the buffer after a flush. */
static void
ResetChangeBuffer(ChangeBuffer *buffer)
{
	int			i;

	for (i = 0; i < buffer->ndirty; i++)
	{
		buffer->dirty_rows[i]->dirty = false;
		buffer->dirty_rows[i]->changed = false;
		buffer->dirty_rows[i]->new_name = NULL;
	}
	MemoryContextReset(buffer->context);
	memset(buffer->columns, 0, sizeof(buffer->columns));
	buffer->dirty_rows = NULL;
	buffer->ndirty = 0;
	buffer->dirty_capacity = 0;
	buffer->nchanges = 0;
}

/* OutboxSeqBase is this node's group id in the top bits of a bigint. */
static int64
OutboxSeqBase(void)
{
	return (int64) LocalGroupId() << 48;
}

/*
 * DistributedEventsPart is the events part of the change statement that fills in seq (Citus). One
 * event (a routed reserve's) is inserted from a VALUES row: seq's nextval() in a SELECT's list keeps
 * the planner from folding the SELECT into the insert, and a subquery scan costs each call about
 * 20,000 instructions more than one PostgreSQL's statement.
 */
static const FlushPart *
DistributedEventsPart(void)
{
	static FlushPart part;

	if (part.before == NULL)
	{
		int64		base = OutboxSeqBase();
		MemoryContext caller = MemoryContextSwitchTo(TopMemoryContext);

		part = Parts[PART_EVENTS];
		part.one_row = psprintf(", event_rows AS ("
								"  INSERT INTO inventory.outbox (seq, id, aggregatetype, aggregateid, type, warehouse, version, payload)"
								"  OVERRIDING SYSTEM VALUE VALUES (" OUTBOX_SEQ_FORMAT ", {event_id}, {event_topic},"
								"  {event_product}, {event_type}, {event_warehouse}, {event_version}, {event_payload}))", base);
		part.before = psprintf(", event_rows AS ("
							   "  INSERT INTO inventory.outbox (seq, id, aggregatetype, aggregateid, type, warehouse, version, payload)"
							   "  OVERRIDING SYSTEM VALUE SELECT " OUTBOX_SEQ_FORMAT ", e.* FROM ", base);
		MemoryContextSwitchTo(caller);
	}
	return &part;
}

/*
 * FlushRowByRow is FlushChanges on Citus: each stock row, then each reservation move and return,
 * then the inserted rows in chunks, each statement checked like the single statement's counts.
 */
static void
FlushRowByRow(ChangeBuffer *buffer)
{
	int			i;
	int			table;

	for (i = 0; i < buffer->ndirty; i++)
		WriteRoutedStockRow(buffer->dirty_rows[i]);
	for (i = 0; i < buffer->columns[SLOT_MOVE_ID].count; i++)
	{
		Datum		values[4];

		values[0] = buffer->columns[SLOT_MOVE_ID].values[i];
		values[1] = buffer->columns[SLOT_MOVE_PRODUCT].values[i];
		values[2] = buffer->columns[SLOT_MOVE_FROM].values[i];
		values[3] = buffer->columns[SLOT_MOVE_TO].values[i];
		ExecuteSavedPlan(&RoutedMovePlan, values, NULL, 0);
		if (SPI_processed != 1)
			ereport(ERROR, (errcode(ERRCODE_INTERNAL_ERROR),
							errmsg("pg_inventory moved " UINT64_FORMAT " of 1 reservation", (uint64) SPI_processed),
							errdetail("A reservation changed while its stock row was locked.")));
	}
	for (i = 0; i < buffer->columns[SLOT_RETURN_ID].count; i++)
	{
		Datum		values[4];

		values[0] = buffer->columns[SLOT_RETURN_ID].values[i];
		values[1] = buffer->columns[SLOT_RETURN_PRODUCT].values[i];
		values[2] = buffer->columns[SLOT_RETURN_BEFORE].values[i];
		values[3] = buffer->columns[SLOT_RETURN_AFTER].values[i];
		ExecuteSavedPlan(&RoutedReturnPlan, values, NULL, 0);
		if (SPI_processed != 1)
			ereport(ERROR, (errcode(ERRCODE_INTERNAL_ERROR),
							errmsg("pg_inventory recorded a return on " UINT64_FORMAT " of 1 reservation",
								   (uint64) SPI_processed),
							errdetail("A reservation changed while its stock row was locked.")));
	}
	for (table = 0; table < (int) ROUTED_NINSERTS; table++)
	{
		int			count = buffer->columns[RoutedInserts[table].first].count;

		for (i = 0; i < count; i += ROUTED_INSERT_ROWS)
			InsertRoutedRows(buffer, table, i, Min(ROUTED_INSERT_ROWS, count - i));
	}
	if (buffer->columns[SLOT_EVENT_ID].count > 0)
		NotifyRelay();
	ResetChangeBuffer(buffer);
}

/* WriteRoutedStockRow writes one locked stock row's final values; updated_at moves when it changed. */
static void
WriteRoutedStockRow(const StockRow *row)
{
	Datum		values[ROUTED_STOCK_SLOTS];
	char		nulls[ROUTED_STOCK_SLOTS];

	memset(nulls, ' ', sizeof(nulls));
	values[ROUTED_STOCK_PRODUCT] = CStringGetTextDatum(row->product_id);
	values[ROUTED_STOCK_WAREHOUSE] = CStringGetTextDatum(row->warehouse);
	values[ROUTED_STOCK_ON_HAND] = Int64GetDatum(row->on_hand);
	values[ROUTED_STOCK_RESERVED] = Int64GetDatum(row->reserved);
	values[ROUTED_STOCK_VERSION] = Int64GetDatum(row->version);
	values[ROUTED_STOCK_NEXT_EXPIRY] = TimestampTzGetDatum(row->next_expiry);
	nulls[ROUTED_STOCK_NEXT_EXPIRY] = row->has_next_expiry ? ' ' : 'n';
	values[ROUTED_STOCK_NAME] = row->new_name == NULL ? (Datum) 0 : CStringGetTextDatum(row->new_name);
	nulls[ROUTED_STOCK_NAME] = row->new_name == NULL ? 'n' : ' ';
	values[ROUTED_STOCK_THRESHOLD] = Int64GetDatum(row->threshold);
	nulls[ROUTED_STOCK_THRESHOLD] = row->has_threshold ? ' ' : 'n';
	values[ROUTED_STOCK_UPDATED_AT] = TimestampTzGetDatum(GetCurrentTransactionStartTimestamp());
	nulls[ROUTED_STOCK_UPDATED_AT] = row->changed ? ' ' : 'n';
	ExecuteSavedPlan(&RoutedStockPlans[InstalledSchema], values, nulls, 0);
	if (SPI_processed != 1)
		ereport(ERROR, (errcode(ERRCODE_INTERNAL_ERROR),
						errmsg("pg_inventory wrote " UINT64_FORMAT " of 1 stock row of product \"%s\" in warehouse \"%s\"",
							   (uint64) SPI_processed, row->product_id, row->warehouse),
						errdetail("A stock row changed while it was locked.")));
}

/* InsertRoutedRows inserts rows first_row .. first_row + nrows - 1 of one table, preparing once per size. */
static void
InsertRoutedRows(const ChangeBuffer *buffer, int table, int first_row, int nrows)
{
	const RoutedInsert *insert = &RoutedInserts[table];
	int			ncolumns = insert->last - insert->first + 1;
	SavedPlan  *plan = &RoutedInsertPlans[table][nrows - 1];
	Datum		values[SAVED_PLAN_MAX_ARGS];
	char		nulls[SAVED_PLAN_MAX_ARGS];
	int			row;
	int			column;

	if (plan->sql == NULL)
	{
		MemoryContext caller = MemoryContextSwitchTo(TopMemoryContext);
		StringInfoData sql;

		initStringInfo(&sql);
		appendStringInfoString(&sql, insert->insert);
		for (row = 0; row < nrows; row++)
		{
			appendStringInfoString(&sql, row > 0 ? ", (" : "(");
			if (table == ROUTED_INSERT_OUTBOX)
				appendStringInfo(&sql, OUTBOX_SEQ_FORMAT ", ", OutboxSeqBase());
			for (column = 0; column < ncolumns; column++)
			{
				appendStringInfo(&sql, "%s$%d", column > 0 ? ", " : "", row * ncolumns + column + 1);
				plan->argtypes[row * ncolumns + column] = Slots[insert->first + column].element_type;
			}
			appendStringInfoChar(&sql, ')');
		}
		plan->nargs = nrows * ncolumns;
		plan->sql = sql.data;
		MemoryContextSwitchTo(caller);
	}
	for (row = 0; row < nrows; row++)
		for (column = 0; column < ncolumns; column++)
		{
			const Column *values_of = &buffer->columns[insert->first + column];

			values[row * ncolumns + column] = values_of->values[first_row + row];
			nulls[row * ncolumns + column] = values_of->nulls[first_row + row] ? 'n' : ' ';
		}
	ExecuteSavedPlan(plan, values, nulls, 0);
	RequireRowCount(nrows, "rows inserted");
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
