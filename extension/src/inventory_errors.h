/*
 * inventory_errors.h
 *    The SQLSTATEs of class IN that pg_inventory raises. docs/errors.md documents each one;
 *    keep the two in step. Invalid arguments use the standard 22023 (invalid_parameter_value).
 */
#ifndef INVENTORY_ERRORS_H
#define INVENTORY_ERRORS_H

#define ERRCODE_INVENTORY_INSUFFICIENT_STOCK   MAKE_SQLSTATE('I', 'N', '0', '0', '1')
#define ERRCODE_INVENTORY_UNKNOWN_PRODUCT      MAKE_SQLSTATE('I', 'N', '0', '0', '2')
#define ERRCODE_INVENTORY_UNKNOWN_RESERVATION  MAKE_SQLSTATE('I', 'N', '0', '0', '3')
#define ERRCODE_INVENTORY_INVALID_TRANSITION   MAKE_SQLSTATE('I', 'N', '0', '0', '4')
#define ERRCODE_INVENTORY_IDEMPOTENCY_CONFLICT MAKE_SQLSTATE('I', 'N', '0', '0', '5')
#define ERRCODE_INVENTORY_BELOW_RESERVED       MAKE_SQLSTATE('I', 'N', '0', '0', '6')

#endif							/* INVENTORY_ERRORS_H */
