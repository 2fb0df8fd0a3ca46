/*
 * idempotency_keys.c
 *    The store behind the service's Idempotency-Key header: inventory_idempotency_begin and
 *    inventory_idempotency_complete. A request's first response (status, body, media type) is kept
 *    in inventory.idempotency_keys, keyed by (subject, idempotency_key), with a fingerprint of the
 *    request, and written in the same transaction as the request's effect: it commits with the
 *    effect or not at all. Keys expire after inventory.idempotency_ttl; the reaper deletes them.
 *
 *    The table is not keyed by product: it is small, and on a distributed deployment it stays a
 *    local table of the coordinator, which the service talks to.
 *
 * Locking: begin takes a transaction-level advisory lock on a 64-bit hash of (subject, key) without
 * waiting; a concurrent request with the same key holds it until it commits or rolls back, so a
 * repeat while the first runs is told at once (in_progress) instead of waiting for it. The stored
 * response is read after the lock is taken, in a statement of its own, so under READ COMMITTED a
 * repeat that follows the first's commit sees what it stored.
 */
#include "postgres.h"

#include "access/xact.h"
#include "catalog/pg_type.h"
#include "common/hashfn.h"
#include "lib/stringinfo.h"
#include "utils/builtins.h"
#include "utils/fmgrprotos.h"

#include "inventory.h"
#include "inventory_errors.h"

PG_FUNCTION_INFO_V1(inventory_idempotency_begin);
PG_FUNCTION_INFO_V1(inventory_idempotency_complete);

/* Longest Idempotency-Key accepted, in bytes. */
#define IDEMPOTENCY_KEY_MAX_BYTES 255
/* Longest fingerprint accepted, in bytes (a hex SHA-256 is 64). */
#define FINGERPRINT_MAX_BYTES 200
/* Seed of the lock hash, so the advisory lock space of other users is unlikely to meet ours. */
#define IDEMPOTENCY_LOCK_SEED UINT64CONST(0x696e76656e746f72)

/* The columns of begin's result, in order. */
enum BeginColumn
{
	COLUMN_OUTCOME,
	COLUMN_RESPONSE_STATUS,
	COLUMN_RESPONSE_BODY,
	COLUMN_CONTENT_TYPE,
	BEGIN_NCOLUMNS
};

/* The arguments that name a key and the request it was used for. */
typedef struct IdempotencyKey
{
	const char *subject;
	const char *key;
	const char *fingerprint;
} IdempotencyKey;

static SavedPlan FindKeyPlan = {
	.sql = "SELECT k.fingerprint = $3, k.response_status, k.response_body, k.content_type"
	"  FROM inventory.idempotency_keys k"
	" WHERE k.subject = $1 AND k.idempotency_key = $2 AND k.expires_at > now()",
	.nargs = 3,
	.argtypes = {TEXTOID, TEXTOID, TEXTOID},
};

/* StoreKeyPlan's parameters: $1 is STORE_SUBJECT + 1, and so on. */
typedef enum StoreKeySlot
{
	STORE_SUBJECT,
	STORE_KEY,
	STORE_FINGERPRINT,
	STORE_STATUS,
	STORE_BODY,
	STORE_CONTENT_TYPE,
	STORE_TTL_SECONDS,
	STORE_SLOTS
} StoreKeySlot;

/* Stores a first response; an expired key not deleted yet is replaced. */
static SavedPlan StoreKeyPlan = {
	.sql = "INSERT INTO inventory.idempotency_keys AS k"
	"       (subject, idempotency_key, fingerprint, response_status, response_body, content_type, expires_at)"
	" VALUES ($1, $2, $3, $4, $5, $6, now() + make_interval(secs => $7))"
	" ON CONFLICT (subject, idempotency_key) DO UPDATE"
	"    SET fingerprint = EXCLUDED.fingerprint, response_status = EXCLUDED.response_status,"
	"        response_body = EXCLUDED.response_body, content_type = EXCLUDED.content_type,"
	"        created_at = EXCLUDED.created_at, expires_at = EXCLUDED.expires_at"
	"  WHERE k.expires_at <= now()"
	" RETURNING 1",
	.nargs = STORE_SLOTS,
	.argtypes = {TEXTOID, TEXTOID, TEXTOID, INT4OID, TEXTOID, TEXTOID, FLOAT8OID},
};

static void ReadKeyArguments(FunctionCallInfo fcinfo, IdempotencyKey *key);
static void RequireRequestTransaction(const char *function);
static bool TryLockKey(const IdempotencyKey *key);
static void EmitBegin(ReturnSetInfo *rsinfo, const char *outcome, int row);

/*
 * inventory_idempotency_begin is called first in the transaction of a request that carries a key:
 * proceed (the key is new: run the request, then call inventory_idempotency_complete), replay (the
 * stored response of the first request comes back), mismatch (the key was used for a different
 * request) or in_progress (a request with this key is running now).
 */
Datum
inventory_idempotency_begin(PG_FUNCTION_ARGS)
{
	IdempotencyKey key;
	ReturnSetInfo *rsinfo;
	Datum		values[3];
	bool		isnull;

	ReadKeyArguments(fcinfo, &key);
	RequireRequestTransaction("inventory_idempotency_begin");
	InitMaterializedSRF(fcinfo, 0);
	rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	if (!TryLockKey(&key))
	{
		EmitBegin(rsinfo, "in_progress", -1);
		return (Datum) 0;
	}

	ConnectSpi();
	values[0] = CStringGetTextDatum(key.subject);
	values[1] = CStringGetTextDatum(key.key);
	values[2] = CStringGetTextDatum(key.fingerprint);
	ExecuteSavedPlan(&FindKeyPlan, values, NULL, 1);
	if (SPI_processed == 0)
		EmitBegin(rsinfo, "proceed", -1);
	else if (DatumGetBool(ColumnDatum(0, 1, &isnull)))
		EmitBegin(rsinfo, "replay", 0);
	else
		EmitBegin(rsinfo, "mismatch", -1);
	SPI_finish();
	return (Datum) 0;
}

/*
 * inventory_idempotency_complete stores the first response of a request whose begin said proceed,
 * in the transaction of its effect. IN005 when the key already holds a response.
 */
Datum
inventory_idempotency_complete(PG_FUNCTION_ARGS)
{
	IdempotencyKey key;
	Datum		values[STORE_SLOTS];
	char		nulls[STORE_SLOTS];
	int32		status;

	ReadKeyArguments(fcinfo, &key);
	if (PG_ARGISNULL(3))
		ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE), errmsg("response_status must not be null")));
	status = PG_GETARG_INT32(3);
	if (status < 100 || status > 599)
		ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						errmsg("response_status must be an HTTP status between 100 and 599, not %d", status)));
	RequireRequestTransaction("inventory_idempotency_complete");

	ConnectSpi();
	memset(nulls, ' ', sizeof(nulls));
	values[STORE_SUBJECT] = CStringGetTextDatum(key.subject);
	values[STORE_KEY] = CStringGetTextDatum(key.key);
	values[STORE_FINGERPRINT] = CStringGetTextDatum(key.fingerprint);
	values[STORE_STATUS] = Int32GetDatum(status);
	values[STORE_BODY] = PG_ARGISNULL(4) ? (Datum) 0 : PG_GETARG_DATUM(4);
	nulls[STORE_BODY] = PG_ARGISNULL(4) ? 'n' : ' ';
	values[STORE_CONTENT_TYPE] = PG_ARGISNULL(5) ? (Datum) 0 : PG_GETARG_DATUM(5);
	nulls[STORE_CONTENT_TYPE] = PG_ARGISNULL(5) ? 'n' : ' ';
	values[STORE_TTL_SECONDS] = Float8GetDatum((double) InventoryIdempotencyTtlSeconds);
	ExecuteSavedPlan(&StoreKeyPlan, values, nulls, 0);
	if (SPI_processed == 0)
		ereport(ERROR, (errcode(ERRCODE_INVENTORY_IDEMPOTENCY_CONFLICT),
						errmsg("idempotency key \"%s\" of subject \"%s\" already holds a response",
							   key.key, key.subject),
						errhint("Call inventory_idempotency_begin first, once per key in a transaction.")));
	SPI_finish();
	PG_RETURN_VOID();
}

/* ReadKeyArguments checks the subject, key and fingerprint arguments. */
static void
ReadKeyArguments(FunctionCallInfo fcinfo, IdempotencyKey *key)
{
	if (PG_ARGISNULL(0))
		ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE), errmsg("subject must not be null")));
	key->subject = text_to_cstring(PG_GETARG_TEXT_PP(0));
	if (strlen(key->subject) > INVENTORY_MAX_TEXT_BYTES)
		ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						errmsg("subject is %zu bytes long, more than the %d allowed",
							   strlen(key->subject), INVENTORY_MAX_TEXT_BYTES)));
	if (PG_ARGISNULL(1))
		ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE), errmsg("idempotency_key must not be null")));
	key->key = OptionalText(fcinfo, 1, "idempotency_key", IDEMPOTENCY_KEY_MAX_BYTES);
	if (PG_ARGISNULL(2))
		ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE), errmsg("fingerprint must not be null")));
	key->fingerprint = OptionalText(fcinfo, 2, "fingerprint", FINGERPRINT_MAX_BYTES);
}

/*
 * RequireRequestTransaction refuses a call outside an explicit READ COMMITTED transaction: the key's
 * lock and response must live exactly as long as the request's effect, and a repeat must see a
 * first request that committed while it waited.
 */
static void
RequireRequestTransaction(const char *function)
{
	if (!IsTransactionBlock())
		ereport(ERROR, (errcode(ERRCODE_NO_ACTIVE_SQL_TRANSACTION),
						errmsg("%s must run inside a transaction block", function),
						errhint("Call it after BEGIN, in the transaction that makes the request's change.")));
	if (IsolationUsesXactSnapshot())
		ereport(ERROR, (errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
						errmsg("%s needs the READ COMMITTED isolation level", function)));
}

/* TryLockKey takes the key's transaction-level advisory lock if no other session holds it. */
static bool
TryLockKey(const IdempotencyKey *key)
{
	StringInfoData name;
	uint64		hash;

	initStringInfo(&name);
	appendBinaryStringInfo(&name, key->subject, strlen(key->subject) + 1);
	appendStringInfoString(&name, key->key);
	hash = hash_any_extended((const unsigned char *) name.data, name.len, IDEMPOTENCY_LOCK_SEED);
	return DatumGetBool(DirectFunctionCall1(pg_try_advisory_xact_lock_int8, Int64GetDatum((int64) hash)));
}

/* EmitBegin returns begin's one row: the outcome and, from result row row (or -1), the stored response. */
static void
EmitBegin(ReturnSetInfo *rsinfo, const char *outcome, int row)
{
	Datum		values[BEGIN_NCOLUMNS];
	bool		nulls[BEGIN_NCOLUMNS] = {false, true, true, true};

	values[COLUMN_OUTCOME] = CStringGetTextDatum(outcome);
	if (row >= 0)
	{
		values[COLUMN_RESPONSE_STATUS] = ColumnDatum(row, 2, &nulls[COLUMN_RESPONSE_STATUS]);
		values[COLUMN_RESPONSE_BODY] = ColumnDatum(row, 3, &nulls[COLUMN_RESPONSE_BODY]);
		values[COLUMN_CONTENT_TYPE] = ColumnDatum(row, 4, &nulls[COLUMN_CONTENT_TYPE]);
	}
	tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
}
