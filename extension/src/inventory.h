/*
 * inventory.h
 *    What the pg_inventory C files share: settings, the in-memory image of a locked stock row,
 *    the one routine that changes stock (with its ledger and outbox rows), saved SPI plans,
 *    argument checks and the reservation result rows.
 *
 * Locking rule for every caller: stock rows are locked before the reservation rows that belong to
 * them, and several stock rows are locked in (product_id, warehouse) order. A function that holds a
 * stock row lock may change that row and its reservations; nothing else may.
 */
#pragma once

#include "postgres.h"

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
extern char *InventoryUpdatedTopic;
extern char *InventoryAlertsTopic;
extern char *InventoryNotifyChannel;
extern char *InventoryActor;

/* Longest product, warehouse or order id accepted, in bytes. */
#define INVENTORY_MAX_ID_BYTES 200
/* Longest name, note or reason accepted, in bytes. */
#define INVENTORY_MAX_TEXT_BYTES 1000

/* A stock row this transaction holds locked, as this transaction last changed it. */
typedef struct StockRow
{
	char	   *product_id;
	char	   *warehouse;
	int64		on_hand;
	int64		reserved;
	int64		version;
	bool		has_threshold;
	int64		threshold;		/* low_stock_threshold, when has_threshold */
	bool		overdue_expired;	/* this call already expired the row's overdue reservations */
} StockRow;

/* Columns every stock-locking statement selects, in this order. */
#define STOCK_ROW_COLUMNS "product_id, warehouse, on_hand, reserved, version, low_stock_threshold"

static inline int64
StockRowAvailable(const StockRow *row)
{
	return row->on_hand - row->reserved;
}

/* What a stock change does to a reservation, in the same statement. */
typedef enum ReservationWrite
{
	RESERVATION_UNTOUCHED,
	RESERVATION_INSERT,			/* a new active reservation of quantity, expiring after ttl */
	RESERVATION_SET_STATUS		/* the reservation moves to status */
} ReservationWrite;

/*
 * One change of one stock row; ApplyStockChange writes it with its ledger and outbox rows and,
 * optionally, the reservation it is about (whose row is then the last SPI result).
 */
typedef struct StockChange
{
	const char *reason;			/* reserve, confirm, release, ship, expire, restock, adjust, set, remove */
	int64		on_hand_delta;
	int64		reserved_delta;
	const char *order_id;		/* NULL when not about an order */
	pg_uuid_t  *reservation_id; /* NULL when not about a reservation */
	const char *note;			/* free text kept in the ledger, or NULL */
	const char *name;			/* new product name, or NULL to keep */
	bool		has_threshold;	/* set low_stock_threshold to threshold */
	int64		threshold;
	ReservationWrite reservation_write;
	int64		quantity;		/* RESERVATION_INSERT */
	Interval   *ttl;			/* RESERVATION_INSERT */
	const char *status;			/* RESERVATION_SET_STATUS */
} StockChange;

/* spi_plans.c: a statement prepared once per backend */
typedef struct SavedPlan
{
	SPIPlanPtr	plan;
	const char *sql;
	int			nargs;
	Oid			argtypes[32];
} SavedPlan;

/* stock_change.c */
extern void ApplyStockChange(StockRow *row, const StockChange *change);
extern bool LockStockRow(const char *product_id, const char *warehouse, bool skip_locked, StockRow *row);
extern StockRow *LockStockRowsOfProducts(const char **product_ids, int nproducts, int *nrows);
extern void SortProductIds(const char **product_ids, int *nproducts);
extern StockRow *LockStockRows(SavedPlan *plan, Datum *args, int *nrows);
extern HeapTuple ReadStockTuple(const char *product_id, const char *warehouse);

/* spi_plans.c */
extern int	ExecuteSavedPlan(SavedPlan *saved, Datum *values, const char *nulls, long max_rows);
extern char *ColumnText(int row, int column);
extern int64 ColumnInt64(int row, int column);
extern Datum ColumnDatum(int row, int column, bool *isnull);
extern void ConnectSpi(void);

/* arguments.c */
extern const char *RequireId(FunctionCallInfo fcinfo, int argno, const char *argname);
extern const char *OptionalId(FunctionCallInfo fcinfo, int argno, const char *argname);
extern int64 RequireQuantity(FunctionCallInfo fcinfo, int argno, const char *argname);
extern pg_uuid_t *RequireUuid(FunctionCallInfo fcinfo, int argno, const char *argname);
extern void CheckId(const char *value, const char *argname);
extern void CheckText(const char *value, const char *argname, size_t max_bytes);
extern const char *OptionalText(FunctionCallInfo fcinfo, int argno, const char *argname, size_t max_bytes);
extern void CheckQuantity(int64 quantity, const char *argname);

/* reservation_rows.c: statements returning inventory_reservation rows select these, then "created" */
#define RESERVATION_COLUMNS \
	"id, order_id, product_id, warehouse, quantity, status, expires_at, created_at, updated_at"
extern void EmitSpiRows(ReturnSetInfo *rsinfo);

/* One line of an order: quantity of a product, from a warehouse or (NULL) from any. */
typedef struct ReserveLine
{
	const char *product_id;
	const char *warehouse;
	int64		quantity;
} ReserveLine;

/* order_lines.c */
extern ReserveLine *ParseOrderLines(Jsonb *lines, int *nlines);

/* reaper.c */
extern pg_uuid_t *NewRandomUuid(void);
extern int64 ExpireOverdueOnStockRow(StockRow *row, int64 max_rows);
