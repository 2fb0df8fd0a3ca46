/*
 * arguments.c
 *    Checks of SQL arguments shared by every function. A bad argument raises 22023
 *    (invalid_parameter_value) naming the argument, before anything is locked or changed. The
 *    *Soft variants record the same error in a RequestError instead, for the reservation engine.
 */
#include "postgres.h"

#include "access/xact.h"
#include "utils/builtins.h"
#include "utils/datetime.h"

#include "inventory.h"

static void CheckId(const char *value, const char *argname);

/* CheckTextSoft refuses empty, over-long and control-character text; false after recording why. */
bool
CheckTextSoft(const char *value, const char *argname, size_t max_bytes, RequestError *error)
{
	size_t		length = strlen(value);
	const unsigned char *c;

	if (length == 0)
	{
		SetRequestError(error, ERRCODE_INVALID_PARAMETER_VALUE, "%s must not be empty", argname);
		return false;
	}
	if (length > max_bytes)
	{
		SetRequestError(error, ERRCODE_INVALID_PARAMETER_VALUE,
						"%s is %zu bytes long, more than the %zu allowed", argname, length, max_bytes);
		return false;
	}
	for (c = (const unsigned char *) value; *c; c++)
		if (*c < 0x20 || *c == 0x7f)
		{
			SetRequestError(error, ERRCODE_INVALID_PARAMETER_VALUE,
							"%s must not contain control characters", argname);
			return false;
		}
	return true;
}

/* CheckIdSoft refuses empty, over-long and control-character ids; false after recording why. */
bool
CheckIdSoft(const char *value, const char *argname, RequestError *error)
{
	return CheckTextSoft(value, argname, INVENTORY_MAX_ID_BYTES, error);
}

/* CheckId refuses empty, over-long and control-character ids. */
static void
CheckId(const char *value, const char *argname)
{
	RequestError error = {0};

	if (!CheckIdSoft(value, argname, &error))
		RaiseRequestError(&error);
}

/* RequireId returns a checked, non-NULL id argument. */
const char *
RequireId(FunctionCallInfo fcinfo, int argno, const char *argname)
{
	const char *value;

	if (PG_ARGISNULL(argno))
		ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						errmsg("%s must not be null", argname)));
	value = text_to_cstring(PG_GETARG_TEXT_PP(argno));
	CheckId(value, argname);
	return value;
}

/* OptionalId returns a checked id argument, or NULL when the argument is NULL. */
const char *
OptionalId(FunctionCallInfo fcinfo, int argno, const char *argname)
{
	return PG_ARGISNULL(argno) ? NULL : RequireId(fcinfo, argno, argname);
}

/* OptionalText returns a checked free-text argument (name, note, reason), or NULL. */
const char *
OptionalText(FunctionCallInfo fcinfo, int argno, const char *argname, size_t max_bytes)
{
	const char *value;
	RequestError error = {0};

	if (PG_ARGISNULL(argno))
		return NULL;
	value = text_to_cstring(PG_GETARG_TEXT_PP(argno));
	if (!CheckTextSoft(value, argname, max_bytes, &error))
		RaiseRequestError(&error);
	return value;
}

/* CheckQuantitySoft refuses quantities that are not positive or exceed inventory.max_quantity. */
bool
CheckQuantitySoft(int64 quantity, const char *argname, RequestError *error)
{
	if (quantity <= 0)
	{
		SetRequestError(error, ERRCODE_INVALID_PARAMETER_VALUE,
						"%s must be positive, not " INT64_FORMAT, argname, quantity);
		return false;
	}
	if (quantity > InventoryMaxQuantity)
	{
		SetRequestError(error, ERRCODE_INVALID_PARAMETER_VALUE,
						"%s of " INT64_FORMAT " exceeds inventory.max_quantity (%d)",
						argname, quantity, InventoryMaxQuantity);
		return false;
	}
	return true;
}

/* CheckQuantity refuses quantities that are not positive or exceed inventory.max_quantity. */
void
CheckQuantity(int64 quantity, const char *argname)
{
	RequestError error = {0};

	if (!CheckQuantitySoft(quantity, argname, &error))
		RaiseRequestError(&error);
}

/* RequireQuantity returns a checked, non-NULL quantity argument. */
int64
RequireQuantity(FunctionCallInfo fcinfo, int argno, const char *argname)
{
	int64		quantity;

	if (PG_ARGISNULL(argno))
		ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						errmsg("%s must not be null", argname)));
	quantity = PG_GETARG_INT64(argno);
	CheckQuantity(quantity, argname);
	return quantity;
}

/* RequireUuid returns a non-NULL uuid argument. */
pg_uuid_t *
RequireUuid(FunctionCallInfo fcinfo, int argno, const char *argname)
{
	if (PG_ARGISNULL(argno))
		ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						errmsg("%s must not be null", argname)));
	return PG_GETARG_UUID_P(argno);
}

/* DefaultTtl returns inventory.reservation_ttl as an interval. */
Interval *
DefaultTtl(void)
{
	Interval   *ttl = palloc0(sizeof(Interval));

	ttl->time = (TimeOffset) InventoryReservationTtlSeconds * USECS_PER_SEC;
	return ttl;
}

/*
 * TtlExpiry checks a reservation ttl against inventory.max_reservation_ttl and computes the
 * deadline of a reservation made now (the transaction's start, as now() is).
 */
bool
TtlExpiry(const Interval *ttl, TimestampTz *expires_at, RequestError *error)
{
	double		seconds = (double) ttl->time / USECS_PER_SEC + (double) ttl->day * SECS_PER_DAY +
		(double) ttl->month * DAYS_PER_MONTH * SECS_PER_DAY;

	if (seconds <= 0)
	{
		SetRequestError(error, ERRCODE_INVALID_PARAMETER_VALUE, "ttl must be positive");
		return false;
	}
	if (seconds > InventoryMaxReservationTtlSeconds)
	{
		SetRequestError(error, ERRCODE_INVALID_PARAMETER_VALUE,
						"ttl of %.0f seconds exceeds inventory.max_reservation_ttl (%d seconds)",
						seconds, InventoryMaxReservationTtlSeconds);
		SetRequestErrorHint(error, "Ask for a shorter ttl, or lower inventory.reservation_ttl when ttl is NULL.");
		return false;
	}
	*expires_at = DatumGetTimestampTz(DirectFunctionCall2(timestamptz_pl_interval,
														  TimestampTzGetDatum(GetCurrentTransactionStartTimestamp()),
														  IntervalPGetDatum(ttl)));
	return true;
}
