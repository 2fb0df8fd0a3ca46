/*
 * request_error.c
 *    Errors that belong to one request. The reservation engine decides many requests in one call,
 *    and one request's bad value, unknown product or conflict must not fail the others: such
 *    errors are recorded in a RequestError instead of raised. Single-request callers raise them
 *    with RaiseRequestError, so both paths carry the same SQLSTATE, message, detail and hint.
 */
#include "postgres.h"

#include "lib/stringinfo.h"

#include "inventory.h"
#include "inventory_errors.h"

static char *FormatVA(const char *format, va_list args) pg_attribute_printf(1, 0);

/* FormatVA formats into a new palloc'd string. */
static char *
FormatVA(const char *format, va_list args)
{
	StringInfoData text;

	initStringInfo(&text);
	for (;;)
	{
		va_list		copy;
		int			needed;

		va_copy(copy, args);
		needed = appendStringInfoVA(&text, format, copy);
		va_end(copy);
		if (needed == 0)
			return text.data;
		enlargeStringInfo(&text, needed);
	}
}

/* SetRequestError records the request's error with its SQLSTATE and message. */
void
SetRequestError(RequestError *error, int sqlstate, const char *format,...)
{
	va_list		args;

	va_start(args, format);
	error->message = FormatVA(format, args);
	va_end(args);
	error->sqlstate = sqlstate;
	error->detail = NULL;
	error->hint = NULL;
}

/* SetRequestErrorDetail adds a detail sentence to the recorded error. */
void
SetRequestErrorDetail(RequestError *error, const char *format,...)
{
	va_list		args;

	va_start(args, format);
	error->detail = FormatVA(format, args);
	va_end(args);
}

/* SetRequestErrorHint adds a hint sentence to the recorded error. */
void
SetRequestErrorHint(RequestError *error, const char *format,...)
{
	va_list		args;

	va_start(args, format);
	error->hint = FormatVA(format, args);
	va_end(args);
}

/* RaiseRequestError raises a recorded error as it would have been raised directly. */
void
RaiseRequestError(const RequestError *error)
{
	ereport(ERROR, (errcode(error->sqlstate),
					errmsg_internal("%s", error->message),
					error->detail ? errdetail_internal("%s", error->detail) : 0,
					error->hint ? errhint("%s", error->hint) : 0));
	pg_unreachable();
}

/* UnknownStockError records IN002 for a product, or a product in a warehouse, that has no stock row. */
void
UnknownStockError(RequestError *error, const char *product_id, const char *warehouse)
{
	if (warehouse != NULL)
		SetRequestError(error, ERRCODE_INVENTORY_UNKNOWN_PRODUCT,
						"product \"%s\" is not stocked in warehouse \"%s\"", product_id, warehouse);
	else
		SetRequestError(error, ERRCODE_INVENTORY_UNKNOWN_PRODUCT,
						"product \"%s\" is not stocked", product_id);
}
