/*
 * order_lines.c
 *    Parses the lines of a reservation request: a JSON array of objects with "product_id"
 *    (string), "quantity" (whole number) and optional "warehouse" (string or null). Anything else
 *    is a 22023 error naming the offending line, found before anything is locked.
 */
#include "postgres.h"

#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/numeric.h"

#include "inventory.h"

static bool ParseLine(JsonbContainer *object, int index, ReserveLine *line, RequestError *error);
static bool LineQuantity(const JsonbValue *value, int index, int64 *quantity, RequestError *error);
static bool LineString(const JsonbValue *value, int index, const char *key, const char **text,
					   RequestError *error);

/* ParseOrderLines turns the lines array into ReserveLines; false after recording what is wrong. */
bool
ParseOrderLines(Jsonb *lines, ReserveLine **result, int *nlines, RequestError *error)
{
	JsonbIterator *iterator;
	JsonbValue	value;
	JsonbIteratorToken token;
	int			count;
	int			index = 0;

	if (!JB_ROOT_IS_ARRAY(lines) || JB_ROOT_IS_SCALAR(lines))
	{
		SetRequestError(error, ERRCODE_INVALID_PARAMETER_VALUE, "lines must be a JSON array of objects");
		return false;
	}
	count = JB_ROOT_COUNT(lines);
	if (count == 0)
	{
		SetRequestError(error, ERRCODE_INVALID_PARAMETER_VALUE, "lines must not be empty");
		return false;
	}
	if (count > InventoryMaxOrderLines)
	{
		SetRequestError(error, ERRCODE_INVALID_PARAMETER_VALUE,
						"lines has %d entries, more than inventory.max_order_lines (%d)",
						count, InventoryMaxOrderLines);
		return false;
	}

	*result = palloc0(sizeof(ReserveLine) * count);
	iterator = JsonbIteratorInit(&lines->root);
	while ((token = JsonbIteratorNext(&iterator, &value, true)) != WJB_DONE)
	{
		if (token != WJB_ELEM)
			continue;
		if (value.type != jbvBinary || !JsonContainerIsObject(value.val.binary.data))
		{
			SetRequestError(error, ERRCODE_INVALID_PARAMETER_VALUE, "lines[%d] must be a JSON object", index);
			return false;
		}
		if (!ParseLine(value.val.binary.data, index, &(*result)[index], error))
			return false;
		index++;
	}
	*nlines = count;
	return true;
}

/* ParseLine reads one {"product_id", "quantity", "warehouse"?} object. */
static bool
ParseLine(JsonbContainer *object, int index, ReserveLine *line, RequestError *error)
{
	JsonbIterator *iterator = JsonbIteratorInit(object);
	JsonbValue	value;
	JsonbIteratorToken token;
	char	   *key = NULL;
	bool		has_quantity = false;

	while ((token = JsonbIteratorNext(&iterator, &value, true)) != WJB_DONE)
	{
		if (token == WJB_KEY)
		{
			key = pnstrdup(value.val.string.val, value.val.string.len);
			continue;
		}
		if (token != WJB_VALUE)
			continue;
		if (strcmp(key, "product_id") == 0)
		{
			if (!LineString(&value, index, key, &line->product_id, error))
				return false;
		}
		else if (strcmp(key, "warehouse") == 0)
		{
			line->warehouse = NULL;
			if (value.type != jbvNull && !LineString(&value, index, key, &line->warehouse, error))
				return false;
		}
		else if (strcmp(key, "quantity") == 0)
		{
			if (!LineQuantity(&value, index, &line->quantity, error))
				return false;
			has_quantity = true;
		}
		else
		{
			SetRequestError(error, ERRCODE_INVALID_PARAMETER_VALUE, "lines[%d] has an unknown key \"%s\"",
							index, key);
			SetRequestErrorHint(error, "A line has \"product_id\", \"quantity\" and optionally \"warehouse\".");
			return false;
		}
	}
	if (line->product_id == NULL)
	{
		SetRequestError(error, ERRCODE_INVALID_PARAMETER_VALUE, "lines[%d] has no \"product_id\"", index);
		return false;
	}
	if (!has_quantity)
	{
		SetRequestError(error, ERRCODE_INVALID_PARAMETER_VALUE, "lines[%d] has no \"quantity\"", index);
		return false;
	}
	return true;
}

/* LineString reads a string member and checks it as an id. */
static bool
LineString(const JsonbValue *value, int index, const char *key, const char **text, RequestError *error)
{
	char	   *argname = psprintf("lines[%d].%s", index, key);
	char	   *string;

	if (value->type != jbvString)
	{
		SetRequestError(error, ERRCODE_INVALID_PARAMETER_VALUE, "%s must be a string", argname);
		return false;
	}
	string = pnstrdup(value->val.string.val, value->val.string.len);
	if (!CheckIdSoft(string, argname, error))
		return false;
	*text = string;
	return true;
}

/* LineQuantity reads a whole, positive quantity within inventory.max_quantity. */
static bool
LineQuantity(const JsonbValue *value, int index, int64 *quantity, RequestError *error)
{
	char	   *argname = psprintf("lines[%d].quantity", index);
	char	   *digits;
	char	   *point;

	if (value->type != jbvNumeric)
	{
		SetRequestError(error, ERRCODE_INVALID_PARAMETER_VALUE, "%s must be a number", argname);
		return false;
	}
	digits = DatumGetCString(DirectFunctionCall1(numeric_out, NumericGetDatum(value->val.numeric)));
	point = strchr(digits, '.');
	if (point != NULL)
	{
		if (strspn(point + 1, "0") != strlen(point + 1))
		{
			SetRequestError(error, ERRCODE_INVALID_PARAMETER_VALUE, "%s must be a whole number, not %s",
							argname, digits);
			return false;
		}
		*point = '\0';
	}
	if (digits[0] == '-')
	{
		SetRequestError(error, ERRCODE_INVALID_PARAMETER_VALUE, "%s must be positive, not %s", argname, digits);
		return false;
	}
	if (strlen(digits) > 18)
	{
		SetRequestError(error, ERRCODE_INVALID_PARAMETER_VALUE, "%s of %s exceeds inventory.max_quantity (%d)",
						argname, digits, InventoryMaxQuantity);
		return false;
	}
	*quantity = strtoll(digits, NULL, 10);
	return CheckQuantitySoft(*quantity, argname, error);
}
