/*
 * inventory.h
 *    What the pg_inventory C files share: settings, the in-memory image of a locked stock row, the
 *    change buffer that writes stock changes (with their ledger and outbox rows), the scan of a
 *    row's overdue reservations, saved SPI plans, argument checks and request errors.
 *    Every file includes postgres.h first; this header relies on it.
 *
 * Locking rule for every caller: stock rows are locked before the reservation rows that belong to
 * them, and several stock rows are locked in (product_id, warehouse) order under the database's
 * default collation. A function that holds a stock row lock may change that row and its
 * reservations; nothing else may.
 */
#ifndef INVENTORY_H
#define INVENTORY_H

#include "executor/spi.h"
#include "fmgr.h"
#include "funcapi.h"
#include "utils/jsonb.h"
#include "utils/timestamp.h"
#include "utils/uuid.h"

/* Settings (inventory.*), defined in pg_inventory.c. */
extern int	InventoryReservationTtlSeconds;
extern int	InventoryMaxReservationTtlSeconds;
extern int	InventoryMaxQuantity;
extern int	InventoryMaxOrderLines;
extern int	InventoryMaxBatchRequests;
extern int	InventoryReaperLockTimeoutMs;
extern char *InventoryUpdatedTopic;
extern char *InventoryAlertsTopic;
extern char *InventoryNotifyChannel;
extern double InventoryNotifyQueueLimit;
extern char *InventoryActor;
extern int	InventoryIdempotencyTtlSeconds;

/* Longest product, warehouse or order id accepted, in bytes. */
#define INVENTORY_MAX_ID_BYTES 200
/* Longest name, note, reason or actor accepted, in bytes. */
#define INVENTORY_MAX_TEXT_BYTES 1000

/* request_error.c: an error that belongs to one request, reported or raised by the caller */
typedef struct RequestError
{
	int			sqlstate;		/* 0 while there is no error */
	char	   *message;
	char	   *detail;			/* or NULL */
	char	   *hint;			/* or NULL */
} RequestError;

extern void SetRequestError(RequestError *error, int sqlstate, const char *format,...) pg_attribute_printf(3, 4);
extern void SetRequestErrorDetail(RequestError *error, const char *format,...) pg_attribute_printf(2, 3);
extern void SetRequestErrorHint(RequestError *error, const char *format,...) pg_attribute_printf(2, 3);
extern void RaiseRequestError(const RequestError *error) pg_attribute_noreturn();
extern void UnknownStockError(RequestError *error, const char *product_id, const char *warehouse);

/* overdue.c: a row's overdue active reservations, oldest deadline first */
typedef struct OverdueReservation
{
	pg_uuid_t	id;
	char	   *order_id;
	int64		quantity;
	TimestampTz expires_at;
} OverdueReservation;

typedef struct OverdueScan OverdueScan;

/* A stock row this call holds locked, as this call last changed it. */
typedef struct StockRow
{
	char	   *product_id;
	char	   *warehouse;
	int64		on_hand;
	int64		reserved;
	int64		version;
	bool		has_threshold;
	int64		threshold;		/* low_stock_threshold, when has_threshold */
	bool		has_next_expiry;
	TimestampTz next_expiry;	/* no active reservation of the row expires before this */
	bool		has_inserted_expiry;
	TimestampTz inserted_expiry;	/* earliest deadline of reservations this call inserted */
	const char *new_name;		/* name to write, or NULL to keep */
	bool		dirty;			/* the change buffer writes this row */
	bool		changed;		/* a change was recorded since the last flush (its version rose) */
	OverdueScan *overdue;		/* opened on first need */
	int64		overdue_expired;	/* leading overdue reservations this call expired */
	/* per-request planning state of the reservation engine */
	int64		planned;		/* quantity the current request takes from the row */
	int64		tentative_expired;	/* overdue reservations the current request would expire */
	int64		tentative_freed;	/* their quantity */
} StockRow;

static inline int64
StockRowAvailable(const StockRow *row)
{
	return row->on_hand - row->reserved;
}

extern OverdueScan *OverdueScanBegin(const char *product_id, const char *warehouse);
extern const OverdueReservation *OverdueScanGet(OverdueScan *scan, int64 position);
extern bool OverdueScanNextExpiry(OverdueScan *scan, int64 position, TimestampTz *next_expiry);
extern void OverdueScanForget(OverdueScan *scan, int64 position);
extern void OverdueScanEnd(OverdueScan *scan);
extern void EndOverdueScans(StockRow *rows, int nrows);
extern int64 OverdueQuantity(const char *product_id, const char *warehouse);

/* shards.c: where a product's rows live on Citus; calls that run on a product's shards */
typedef struct ProductShards
{
	int64		stock;
	int64		reservations;
	int64		ledger;
	int64		outbox;
	int64		stock_requests;
} ProductShards;

extern ProductShards *CurrentShards;	/* the call runs on these shards, or NULL */
extern bool ProductShardsHere(const char *product_id, bool writes);
extern void LeaveProductShards(void);
extern char *NameShards(const char *sql);
extern bool FindReservationsRelation(const char *product_id, Oid *heap, Oid *index);
extern int32 LocalGroupId(void);

/* What a stock change does to a reservation, in the same statement. */
typedef enum ReservationWrite
{
	RESERVATION_UNTOUCHED,
	RESERVATION_INSERT,			/* a new active reservation of quantity, expiring at expires_at */
	RESERVATION_SET_STATUS,		/* the reservation moves from from_status to status */
	RESERVATION_RETURN			/* a shipped reservation's returned units go from returned_before to returned_after */
} ReservationWrite;

/* One change of one locked stock row, as the change buffer records it. */
typedef struct StockChange
{
	const char *reason;			/* reserve, confirm, release, ship, expire, return, write_off, restock,
								 * adjust, set, remove */
	int64		on_hand_delta;
	int64		reserved_delta;
	const char *order_id;		/* NULL when not about an order */
	const pg_uuid_t *reservation_id;	/* NULL when not about a reservation */
	const char *note;			/* free text kept in the ledger, or NULL */
	const char *name;			/* new product name, or NULL to keep */
	bool		has_threshold;	/* set low_stock_threshold to threshold */
	int64		threshold;
	const char *actor;			/* NULL: the inventory.actor setting */
	ReservationWrite reservation_write;
	int64		quantity;		/* RESERVATION_INSERT */
	TimestampTz expires_at;		/* RESERVATION_INSERT */
	const char *from_status;	/* RESERVATION_SET_STATUS */
	const char *status;			/* RESERVATION_SET_STATUS */
	int64		returned_before;	/* RESERVATION_RETURN */
	int64		returned_after; /* RESERVATION_RETURN */
} StockChange;

/* event_payload.c */
extern Jsonb *EventPayload(const pg_uuid_t *event_id, const char *type, const StockRow *row,
						   const StockChange *change, int64 previous);

/* change_buffer.c */
typedef struct ChangeBuffer ChangeBuffer;

extern ChangeBuffer *ChangeBufferCreate(void);
extern void RecordStockChange(ChangeBuffer *buffer, StockRow *row, const StockChange *change);
extern void MarkStockRowDirty(ChangeBuffer *buffer, StockRow *row);
extern int	ChangeBufferSize(const ChangeBuffer *buffer);
extern void FlushChanges(ChangeBuffer *buffer);

/* stock_rows.c: locking and reading stock rows */
extern bool LockStockRow(const char *product_id, const char *warehouse, bool skip_locked, StockRow *row);
extern bool LockStockRowWithin(const char *product_id, const char *warehouse, int timeout_ms, StockRow *row);
extern StockRow *LockStockRowsOfProducts(const char **product_ids, int nproducts, int *nrows);
extern StockRow *LockStockRowsOfOrder(const char *order_id, int *nrows);
extern StockRow *FindStockRow(StockRow *rows, int nrows, const char *product_id, const char *warehouse);
extern bool ReadStockRowValue(const char *product_id, const char *warehouse, Datum *value);
extern int	CompareIds(const char *left, const char *right);

/* expiry.c: expiring overdue reservations of locked rows */
extern bool PlanOverdueExpiry(StockRow *row, int64 needed);
extern void ExpirePlannedOverdue(ChangeBuffer *buffer, StockRow *row);
extern void ExpireOverdueReservation(ChangeBuffer *buffer, StockRow *row, const OverdueReservation *overdue);
extern void RefreshNextExpiry(StockRow *row);

/* spi_plans.c: a statement prepared once per backend */
#define SAVED_PLAN_MAX_ARGS 256
typedef struct SavedPlan
{
	SPIPlanPtr	plan;			/* on the tables of one PostgreSQL */
	SPIPlanPtr	citus_plan;		/* through Citus: planned again with each call's values */
	struct HTAB *shard_plans;	/* on a product's shards (shards.c), by its stock shard */
	const char *sql;
	int			nargs;
	Oid			argtypes[SAVED_PLAN_MAX_ARGS];
	bool		merge_joins;	/* plan its joins as merge joins (see RunSavedPlan) */
} SavedPlan;

/*
 * The version of the extension's tables in this database: the library serves the previous
 * version's tables too, until ALTER EXTENSION UPDATE (they lack inventory.stock.next_expiry).
 */
typedef enum InventorySchema
{
	SCHEMA_CURRENT,
	SCHEMA_PREVIOUS,
	INVENTORY_NSCHEMAS
} InventorySchema;

extern InventorySchema InstalledSchema;
extern bool OnCitus;			/* Citus is installed: the tables may be distributed */

/* ThroughCitus says whether the call's statements go through Citus's planner (see shards.c). */
static inline bool
ThroughCitus(void)
{
	return OnCitus && CurrentShards == NULL;
}

extern SPIPlanPtr PreparedPlan(SavedPlan *saved);
extern int	ExecuteSavedPlan(SavedPlan *saved, Datum *values, const char *nulls, long max_rows);
extern int	ExecuteSavedPlanReadOnly(SavedPlan *saved, Datum *values, const char *nulls, long max_rows);
extern char *ColumnText(int row, int column);
extern int64 ColumnInt64(int row, int column);
extern Datum ColumnDatum(int row, int column, bool *isnull);
extern void FindDeployment(void);
extern void ConnectSpi(void);
extern void RequireRowCount(uint64 expected, const char *what);

/* arguments.c */
extern const char *RequireId(FunctionCallInfo fcinfo, int argno, const char *argname);
extern const char *OptionalId(FunctionCallInfo fcinfo, int argno, const char *argname);
extern int64 RequireQuantity(FunctionCallInfo fcinfo, int argno, const char *argname);
extern pg_uuid_t *RequireUuid(FunctionCallInfo fcinfo, int argno, const char *argname);
extern bool CheckIdSoft(const char *value, const char *argname, RequestError *error);
extern bool CheckTextSoft(const char *value, const char *argname, size_t max_bytes, RequestError *error);
extern const char *OptionalText(FunctionCallInfo fcinfo, int argno, const char *argname, size_t max_bytes);
extern const char *OptionalAddedText(FunctionCallInfo fcinfo, int argno, const char *argname, size_t max_bytes);
extern const char *OptionalAddedId(FunctionCallInfo fcinfo, int argno, const char *argname);
extern void CheckQuantity(int64 quantity, const char *argname);
extern bool CheckQuantitySoft(int64 quantity, const char *argname, RequestError *error);
extern bool TtlExpiry(const Interval *ttl, TimestampTz *expires_at, RequestError *error);
extern Interval *DefaultTtl(void);

/* reservation_rows.c: reservations as the functions return them (type inventory_reservation) */
typedef struct ReservationRow
{
	pg_uuid_t	id;
	char	   *order_id;
	char	   *product_id;
	char	   *warehouse;
	int64		quantity;
	const char *status;
	bool		has_expires_at;
	TimestampTz expires_at;
	TimestampTz created_at;
	TimestampTz updated_at;
	bool		created;		/* this call made it */
} ReservationRow;

/* Statements that read reservations select these columns, in this order. */
#define RESERVATION_COLUMNS \
	"id, order_id, product_id, warehouse, quantity, status, expires_at, created_at, updated_at"
extern void ReadReservationRow(int tuple, ReservationRow *row);
extern HeapTuple FormReservationTuple(TupleDesc tupdesc, const ReservationRow *row);
extern void EmitReservationRows(ReturnSetInfo *rsinfo, const ReservationRow *rows, int nrows);
extern const char *UuidText(const pg_uuid_t *id);
extern void RandomUuid(pg_uuid_t *id);

/* One line of an order: quantity of a product, from a warehouse or (NULL) from any. */
typedef struct ReserveLine
{
	const char *product_id;
	const char *warehouse;
	int64		quantity;
} ReserveLine;

/* order_lines.c */
extern bool ParseOrderLines(Jsonb *lines, ReserveLine **result, int *nlines, RequestError *error);

/* What the reservation engine decided for one request. */
typedef enum ReserveOutcome
{
	OUTCOME_RESERVED,			/* at least one new reservation */
	OUTCOME_REPEATED,			/* an idempotent repeat: nothing changed */
	OUTCOME_SHORT,				/* IN001: some line lacks stock */
	OUTCOME_INVALID				/* any other error of the request alone */
} ReserveOutcome;

/* A short line: lines of the same product and warehouse summed. */
typedef struct Shortage
{
	const char *product_id;
	const char *warehouse;		/* NULL when the line named none */
	int64		requested;
	int64		available;
} Shortage;

/* One reservation request: an order's lines, all or nothing. */
typedef struct ReserveRequest
{
	/* input; a request whose error is set on input is invalid and never planned */
	const char *order_id;
	ReserveLine *lines;
	int			nlines;
	TimestampTz expires_at;
	const char *actor;			/* NULL: the inventory.actor setting */
	RequestError error;
	/* output */
	ReserveOutcome outcome;
	ReservationRow *rows;		/* reserved/repeated: existing rows first, then new ones */
	int			nrows;
	Shortage   *shortages;
	int			nshortages;
} ReserveRequest;

/* reservation_engine.c */
extern void ReserveRequests(ReserveRequest *requests, int nrequests);

/* A stock change that may carry the caller's request id (restock, adjust, set_stock). */
#define STOCK_REQUEST_MAX_VALUES 8
typedef struct StockRequest
{
	const char *operation;		/* restock, adjust or set_stock */
	const char *product_id;
	const char *warehouse;
	const char *request_id;		/* NULL: the call is not made repeatable */
	int			nvalues;		/* the call's arguments as name, value pairs */
	Datum		values[STOCK_REQUEST_MAX_VALUES];
	bool		nulls[STOCK_REQUEST_MAX_VALUES];
} StockRequest;

/* stock_requests.c */
extern void AddStockRequestArgument(StockRequest *request, const char *name, const char *value);
extern bool FindRepeatedStockRequest(const StockRequest *request, Datum *first_result);
extern void RecordStockRequest(const StockRequest *request);

#endif							/* INVENTORY_H */
