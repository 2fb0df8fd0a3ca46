// prepared_statements.cpp: the SQL text. Column lists are fixed; row_mapping.cpp reads them by
// position. Timestamps leave the database as ISO-8601 UTC text.
#include "adapters/prepared_statements.h"

#include <string>

namespace inventory::statement {
namespace {

std::string Iso(const std::string& column) {
  return "to_char(" + column + " AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')";
}

const std::string kLevelColumns =
    "product_id, warehouse, name, on_hand, reserved, available, low_stock_threshold, "
    "low_stock, version, " +
    Iso("updated_at");
// Functions return inventory.stock rows, which have no low_stock column.
const std::string kStockRowColumns =
    "product_id, warehouse, name, on_hand, reserved, available, "
    "low_stock_threshold, available <= coalesce(low_stock_threshold, -1), version, " +
    Iso("updated_at");
const std::string kReservationColumns =
    "reservation_id::text, order_id, product_id, warehouse, quantity, status, " + Iso("expires_at") + ", " +
    Iso("created_at") + ", " + Iso("updated_at") + ", created";
// The statements that change stock carry the caller's actor as their last parameter, passed as the
// functions' actor argument (it travels with a call that Citus routes to a worker; a session
// setting would not). inventory_expire_reservations has no actor argument: putting
// set_config(..., is_local => true) in the CASE that yields its argument makes PostgreSQL set
// inventory.actor before it calls the function, inside the statement's own transaction, so the
// setting cannot leak to the next user of the connection and costs no extra round trip. NULL (no
// actor) is stored as '' which the extension records as NULL.
std::string WithActor(const std::string& first_argument, int actor_parameter) {
  return "CASE WHEN set_config('inventory.actor', coalesce($" + std::to_string(actor_parameter) +
         "::text, ''), true) IS NULL THEN NULL ELSE " + first_argument + " END";
}

const std::string kReservationTableColumns = "id::text, order_id, product_id, warehouse, quantity, status, " +
                                             Iso("expires_at") + ", " + Iso("created_at") + ", " +
                                             Iso("updated_at") + ", false";

}  // namespace

void PrepareAll(pqxx::connection_base& connection) {
  connection.prepare(
      kStockOfProduct,
      "SELECT " + kLevelColumns + " FROM inventory_stock_levels WHERE product_id = $1 ORDER BY warehouse");
  connection.prepare(kListStock,
                     "SELECT " + kLevelColumns +
                         " FROM inventory_stock_levels"
                         " WHERE ($1::text IS NULL OR warehouse = $1)"
                         "   AND (NOT $2::boolean OR low_stock)"
                         "   AND ($3::text IS NULL OR (product_id, warehouse) > ($3::text, $4::text))"
                         " ORDER BY product_id, warehouse LIMIT $5");
  connection.prepare(kAvailable, "SELECT inventory_available($1, $2)");
  connection.prepare(
      kSetStock, "SELECT " + kStockRowColumns + " FROM inventory_set_stock($1, $2, $3, $4, $5, actor => $6)");
  connection.prepare(kRestock,
                     "SELECT " + kStockRowColumns + " FROM inventory_restock($1, $2, $3, $4, actor => $5)");
  connection.prepare(kAdjust,
                     "SELECT " + kStockRowColumns + " FROM inventory_adjust($1, $2, $3, $4, actor => $5)");
  connection.prepare(kRemove, "SELECT inventory_remove($1, $2, actor => $3)");
  connection.prepare(
      kLedger,
      "SELECT product_id, warehouse, version, on_hand_delta, reserved_delta, on_hand_after,"
      " reserved_after, reason, note, order_id, reservation_id::text, db_user::text, actor, " +
          Iso("created_at") +
          " FROM inventory.ledger WHERE product_id = $1 AND ($2::text IS NULL OR warehouse = $2)"
          "   AND ($3::text IS NULL OR (warehouse, version) > ($3::text, $4::bigint))"
          " ORDER BY warehouse, version LIMIT $5");
  // One row per reservation of each request (one row with NULL reservation columns for a request
  // without any), in request order: the contract of inventory_reserve_batch, flattened for libpqxx.
  connection.prepare(kReserveBatch,
                     "SELECT b.request_index, b.outcome, b.error_code, b.error_message, b.shortages::text, "
                     "r.reservation_id::text, r.order_id, r.product_id, r.warehouse, r.quantity, r.status, " +
                         Iso("r.expires_at") + ", " + Iso("r.created_at") + ", " + Iso("r.updated_at") +
                         ", r.created"
                         " FROM inventory_reserve_batch($1::jsonb) b"
                         " LEFT JOIN LATERAL unnest(b.reservations) WITH ORDINALITY r ON true"
                         " ORDER BY b.request_index, r.ordinality");
  // On Citus only (reservation_batch_call.h), a batch of one product: one row per request, its
  // reservations as a jsonb array. Citus routes only a function call alone in FROM (no join, no
  // WHERE, no subquery), so the statement cannot flatten them. libpqxx sends a statement to the
  // server on its first use, so on one PostgreSQL this one is never prepared there.
  connection.prepare(kReserveBatchOfProduct,
                     "SELECT b.request_index, b.outcome, b.error_code, b.error_message, b.shortages::text,"
                     " to_jsonb(b.reservations)::text FROM inventory_reserve_batch($1, $2::jsonb) b");
  connection.prepare(kFindReservation, "SELECT " + kReservationTableColumns +
                                           " FROM inventory.reservations WHERE id = $1::uuid");
  connection.prepare(kOrderReservations, "SELECT " + kReservationTableColumns +
                                             " FROM inventory.reservations WHERE order_id = $1"
                                             " ORDER BY product_id, warehouse, created_at");
  connection.prepare(kConfirm,
                     "SELECT " + kReservationColumns + " FROM inventory_confirm($1::uuid, actor => $2)");
  connection.prepare(kRelease,
                     "SELECT " + kReservationColumns + " FROM inventory_release($1::uuid, actor => $2)");
  connection.prepare(kShip, "SELECT " + kReservationColumns + " FROM inventory_ship($1::uuid, actor => $2)");
  connection.prepare(kConfirmOrder,
                     "SELECT " + kReservationColumns + " FROM inventory_confirm_order($1, actor => $2)");
  connection.prepare(kReleaseOrder,
                     "SELECT " + kReservationColumns + " FROM inventory_release_order($1, actor => $2)");
  connection.prepare(kShipOrder,
                     "SELECT " + kReservationColumns + " FROM inventory_ship_order($1, actor => $2)");
  connection.prepare(kExpire, "SELECT inventory_expire_reservations(" + WithActor("$1::integer", 2) + ")");
  connection.prepare(kReturn,
                     "SELECT reservation_id::text, order_id, product_id, warehouse, shipped_quantity,"
                     " returned_quantity, on_hand, reserved, available, version"
                     " FROM inventory_return($1::uuid, $2, $3, $4, $5)");
  // The Idempotency-Key store: one key, or the keys of a reservation batch given as a jsonb array of
  // {subject, key, fingerprint} (and status, body, content_type to complete), one round trip each.
  connection.prepare(kIdempotencyBegin, "SELECT * FROM inventory_idempotency_begin($1, $2, $3)");
  connection.prepare(kIdempotencyBeginMany,
                     "SELECT b.* FROM jsonb_array_elements($1::jsonb) WITH ORDINALITY k(entry, position),"
                     " LATERAL inventory_idempotency_begin(k.entry->>'subject', k.entry->>'key',"
                     "                                     k.entry->>'fingerprint') b"
                     " ORDER BY k.position");
  connection.prepare(kIdempotencyCompleteMany,
                     "SELECT count(*) FROM jsonb_array_elements($1::jsonb) k(entry),"
                     " LATERAL inventory_idempotency_complete(k.entry->>'subject', k.entry->>'key',"
                     "   k.entry->>'fingerprint', (k.entry->>'status')::integer, k.entry->>'body',"
                     "   k.entry->>'content_type') c");
  connection.prepare(kExtensionVersion, "SELECT extversion FROM pg_extension WHERE extname = 'pg_inventory'");
}

}  // namespace inventory::statement
