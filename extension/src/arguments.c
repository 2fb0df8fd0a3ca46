/*
 * arguments.c
 *    Checks of SQL arguments shared by every function. A bad argument raises 22023
 *    (invalid_parameter_value) naming the argument, before anything is locked or changed.
 */
#include "postgres.h"

#include "utils/builtins.h"

#include "inventory.h"

/* CheckId refuses empty, over-long and control-character ids. */
void
CheckId(const char *value, const char *argname)
{
	CheckText(value, argname, INVENTORY_MAX_ID_BYTES);
}

/* CheckText refuses empty, over-long and control-character text. */
void
CheckText(const char *value, const char *argname, size_t max_bytes)
{
	size_t		length = strlen(value);
	const unsigned char *c;

	if (length == 0)
		ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						errmsg("%s must not be empty", argname)));
	if (length > max_bytes)
		ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						errmsg("%s is %zu bytes long, more than the %zu allowed", argname, length,
							   max_bytes)));
	for (c = (const unsigned char *) value; *c; c++)
		if (*c < 0x20 || *c == 0x7f)
			ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
							errmsg("%s must not contain control characters", argname)));
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

	if (PG_ARGISNULL(argno))
		return NULL;
	value = text_to_cstring(PG_GETARG_TEXT_PP(argno));
	CheckText(value, argname, max_bytes);
	return value;
}

/* CheckQuantity refuses quantities that are not positive or exceed inventory.max_quantity. */
void
CheckQuantity(int64 quantity, const char *argname)
{
	if (quantity <= 0)
		ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						errmsg("%s must be positive, not " INT64_FORMAT, argname, quantity)));
	if (quantity > InventoryMaxQuantity)
		ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						errmsg("%s of " INT64_FORMAT " exceeds inventory.max_quantity (%d)",
							   argname, quantity, InventoryMaxQuantity)));
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
