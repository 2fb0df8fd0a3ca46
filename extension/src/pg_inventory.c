/*
 * pg_inventory.c
 *    Module entry point: the inventory.* settings a DBA can tune. Everything else lives in files
 *    named after what they own (reservation_engine.c, change_buffer.c, stock_rows.c, overdue.c,
 *    expiry.c, transitions.c, stock_admin.c, availability.c, reaper.c, ...).
 */
#include "postgres.h"

#include <limits.h>

#include "fmgr.h"
#include "utils/guc.h"

#include "inventory.h"

PG_MODULE_MAGIC;

int			InventoryReservationTtlSeconds = 15 * 60;
int			InventoryMaxReservationTtlSeconds = 7 * 24 * 60 * 60;
int			InventoryMaxQuantity = 1000000000;
int			InventoryMaxOrderLines = 1000;
int			InventoryMaxBatchRequests = 500;
int			InventoryReaperLockTimeoutMs = 200;
char	   *InventoryUpdatedTopic = NULL;
char	   *InventoryAlertsTopic = NULL;
char	   *InventoryNotifyChannel = NULL;
double		InventoryNotifyQueueLimit = 0.5;
char	   *InventoryActor = NULL;
int			InventoryIdempotencyTtlSeconds = 24 * 60 * 60;

void		_PG_init(void);

/* _PG_init defines the settings and reserves the inventory.* prefix. */
void
_PG_init(void)
{
	DefineCustomIntVariable("inventory.reservation_ttl",
							"How long a reservation holds stock when the caller gives no ttl.",
							NULL, &InventoryReservationTtlSeconds, 15 * 60, 1, INT_MAX,
							PGC_USERSET, GUC_UNIT_S, NULL, NULL, NULL);
	DefineCustomIntVariable("inventory.max_reservation_ttl",
							"The longest ttl a reservation may ask for.",
							NULL, &InventoryMaxReservationTtlSeconds, 7 * 24 * 60 * 60, 1, INT_MAX,
							PGC_SUSET, GUC_UNIT_S, NULL, NULL, NULL);
	DefineCustomIntVariable("inventory.max_quantity",
							"The largest quantity one call may reserve, restock or adjust.",
							NULL, &InventoryMaxQuantity, 1000000000, 1, INT_MAX,
							PGC_SUSET, 0, NULL, NULL, NULL);
	DefineCustomIntVariable("inventory.max_order_lines",
							"The most lines inventory_reserve_order accepts.",
							NULL, &InventoryMaxOrderLines, 1000, 1, 100000,
							PGC_SUSET, 0, NULL, NULL, NULL);
	DefineCustomIntVariable("inventory.max_batch_requests",
							"The most requests inventory_reserve_batch accepts in one call.",
							NULL, &InventoryMaxBatchRequests, 500, 1, 10000,
							PGC_SUSET, 0, NULL, NULL, NULL);
	DefineCustomIntVariable("inventory.reaper_lock_timeout",
							"How long the reaper waits for a stock row that order traffic keeps locked.",
							"The reaper first skips busy rows, then waits at most this long for each of them.",
							&InventoryReaperLockTimeoutMs, 200, 1, 60 * 1000,
							PGC_SUSET, GUC_UNIT_MS, NULL, NULL, NULL);
	DefineCustomStringVariable("inventory.updated_topic",
							   "Topic (outbox aggregatetype) of stock change events.",
							   NULL, &InventoryUpdatedTopic, "inventory.updated",
							   PGC_SUSET, 0, NULL, NULL, NULL);
	DefineCustomStringVariable("inventory.alerts_topic",
							   "Topic (outbox aggregatetype) of low_stock, out_of_stock and back_in_stock alerts.",
							   NULL, &InventoryAlertsTopic, "inventory.alerts",
							   PGC_SUSET, 0, NULL, NULL, NULL);
	DefineCustomStringVariable("inventory.notify_channel",
							   "Channel notified when outbox rows commit; empty (the default) sends no notification and relays poll.",
							   "Notifying serialises the commits of every notifying transaction in the database.",
							   &InventoryNotifyChannel, "",
							   PGC_SUSET, 0, NULL, NULL, NULL);
	DefineCustomRealVariable("inventory.notify_queue_limit",
							 "Notification queue usage (0 to 1) above which stock changes stop notifying.",
							 "A listener that stopped reading fills the queue; past this usage changes skip NOTIFY rather than fail at commit.",
							 &InventoryNotifyQueueLimit, 0.5, 0.0, 1.0,
							 PGC_SUSET, 0, NULL, NULL, NULL);
	DefineCustomStringVariable("inventory.actor",
							   "Who is acting (for instance the authenticated subject); recorded in every ledger row.",
							   NULL, &InventoryActor, "",
							   PGC_USERSET, 0, NULL, NULL, NULL);
	DefineCustomIntVariable("inventory.idempotency_ttl",
							"How long a request id of a stock change, or an Idempotency-Key of the service, is remembered.",
							"A repeat within this time returns the first result; the reaper deletes older ones.",
							&InventoryIdempotencyTtlSeconds, 24 * 60 * 60, 60, INT_MAX,
							PGC_SUSET, GUC_UNIT_S, NULL, NULL, NULL);
	MarkGUCPrefixReserved("inventory");
}
