/*
 * routing_support.c
 *    inventory_routing_support, the planner support function of the functions that a Citus
 *    deployment routes by their product argument (docs/operations.md). Citus 13.2 routes such a
 *    call when the product is a constant, and hashes the constant without looking at whether it is
 *    NULL: a call with a NULL product crashes the backend that plans it. When the planner
 *    simplifies a call whose product is a NULL constant, this support function hides the NULL
 *    behind an explicit cast, which Citus does not route: the call runs where it was made and
 *    raises 22023 as on one PostgreSQL. Every other call is left as it is.
 *
 * Locking: none; runs inside the planner.
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "nodes/makefuncs.h"
#include "nodes/supportnodes.h"
#include "utils/lsyscache.h"

#include "inventory.h"

PG_FUNCTION_INFO_V1(inventory_routing_support);

/* ProductArgument is the position of a routed function's product argument. */
static int
ProductArgument(Oid function)
{
	char	   *name = get_func_name(function);

	return name != NULL && strcmp(name, "inventory_reserve") == 0 ? 1 : 0;
}

/* inventory_routing_support hides a NULL product constant from Citus's routing. */
Datum
inventory_routing_support(PG_FUNCTION_ARGS)
{
	Node	   *request = (Node *) PG_GETARG_POINTER(0);
	SupportRequestSimplify *simplify;
	FuncExpr   *call;
	Const	   *product;
	int			position;

	if (!IsA(request, SupportRequestSimplify))
		PG_RETURN_POINTER(NULL);
	simplify = (SupportRequestSimplify *) request;
	position = ProductArgument(simplify->fcall->funcid);
	if (position >= list_length(simplify->fcall->args))
		PG_RETURN_POINTER(NULL);
	product = (Const *) list_nth(simplify->fcall->args, position);
	if (!IsA(product, Const) || !product->constisnull)
		PG_RETURN_POINTER(NULL);

	call = copyObject(simplify->fcall);
	list_nth_cell(call->args, position)->ptr_value =
		makeRelabelType((Expr *) copyObject(product), product->consttype, product->consttypmod,
						product->constcollid, COERCE_EXPLICIT_CAST);
	PG_RETURN_POINTER(call);
}
