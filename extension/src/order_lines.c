/*
 * order_lines.c
 *    Parses the lines argument of inventory_reserve_order: a JSON array of objects with
 *    "product_id" (string), "quantity" (whole number) and optional "warehouse" (string or null).
 *    Anything else raises 22023 naming the offending line, before anything is locked.
 */
#include "postgres.h"

#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/numeric.h"

#include "inventory.h"

static void ParseLine(JsonbContainer *object, int index, ReserveLine *line);
static int64 LineQuantity(const JsonbValue *value, int index);
static const char *LineString(const JsonbValue *value, int index, const char *key);

/* ParseOrderLines turns the lines array into ReserveLines, refusing malformed input. */
ReserveLine *
ParseOrderLines(Jsonb *lines, int *nlines)
{
	JsonbIterator *iterator;
	JsonbValue	value;
	JsonbIteratorToken token;
	ReserveLine *result;
	int			count;
	int			index = 0;

	if (!JB_ROOT_IS_ARRAY(lines) || JB_ROOT_IS_SCALAR(lines))
		ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						errmsg("lines must be a JSON array of objects")));
	count = JB_ROOT_COUNT(lines);
	if (count == 0)
		ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						errmsg("lines must not be empty")));
	if (count > InventoryMaxOrderLines)
		ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						errmsg("lines has %d entries, more than inventory.max_order_lines (%d)",
							   count, InventoryMaxOrderLines)));

	result = palloc0(sizeof(ReserveLine) * count);
	iterator = JsonbIteratorInit(&lines->root);
	while ((token = JsonbIteratorNext(&iterator, &value, true)) != WJB_DONE)
	{
		if (token != WJB_ELEM)
			continue;
		if (value.type != jbvBinary || !JsonContainerIsObject(value.val.binary.data))
			ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
							errmsg("lines[%d] must be a JSON object", index)));
		ParseLine(value.val.binary.data, index, &result[index]);
		index++;
	}
	*nlines = count;
	return result;
}

/* ParseLine reads one {"product_id", "quantity", "warehouse"?} object. */
static void
ParseLine(JsonbContainer *object, int index, ReserveLine *line)
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
			line->product_id = LineString(&value, index, key);
		else if (strcmp(key, "warehouse") == 0)
			line->warehouse = value.type == jbvNull ? NULL : LineString(&value, index, key);
		else if (strcmp(key, "quantity") == 0)
		{
			line->quantity = LineQuantity(&value, index);
			has_quantity = true;
		}
		else
			ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
							errmsg("lines[%d] has an unknown key \"%s\"", index, key),
							errhint("A line has \"product_id\", \"quantity\" and optionally \"warehouse\".")));
	}
	if (line->product_id == NULL)
		ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						errmsg("lines[%d] has no \"product_id\"", index)));
	if (!has_quantity)
		ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						errmsg("lines[%d] has no \"quantity\"", index)));
}

/* LineString reads a string member and checks it as an id. */
static const char *
LineString(const JsonbValue *value, int index, const char *key)
{
	char	   *text;
	char	   *argname;

	argname = psprintf("lines[%d].%s", index, key);
	if (value->type != jbvString)
		ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						errmsg("%s must be a string", argname)));
	text = pnstrdup(value->val.string.val, value->val.string.len);
	CheckId(text, argname);
	return text;
}

/* LineQuantity reads a whole, positive quantity within inventory.max_quantity. */
static int64
LineQuantity(const JsonbValue *value, int index)
{
	char	   *argname = psprintf("lines[%d].quantity", index);
	char	   *digits;
	char	   *point;
	int64		quantity;

	if (value->type != jbvNumeric)
		ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						errmsg("%s must be a number", argname)));
	digits = DatumGetCString(DirectFunctionCall1(numeric_out, NumericGetDatum(value->val.numeric)));
	point = strchr(digits, '.');
	if (point != NULL)
	{
		if (strspn(point + 1, "0") != strlen(point + 1))
			ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
							errmsg("%s must be a whole number, not %s", argname, digits)));
		*point = '\0';
	}
	if (digits[0] == '-')
		ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						errmsg("%s must be positive, not %s", argname, digits)));
	if (strlen(digits) > 18)
		ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						errmsg("%s of %s exceeds inventory.max_quantity (%d)", argname, digits,
							   InventoryMaxQuantity)));
	quantity = strtoll(digits, NULL, 10);
	CheckQuantity(quantity, argname);
	return quantity;
}
