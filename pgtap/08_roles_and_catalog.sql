-- 08_roles_and_catalog.sql
-- Roles, grants and the installed catalog.
-- Roles: inventory_reader / writer / admin / relay exist, cannot log in, inherit as documented
-- (admin > writer > reader), and hold exactly the function, table and schema privileges the
-- install script grants; PUBLIC holds none; the privileges are also exercised by SET ROLE
-- (a writer reserves through the functions but cannot write a table, a reader cannot read the
-- outbox, a relay reads the outbox only through its functions).
-- Catalog: the extension's functions are exactly the documented API, each has a COMMENT, runs
-- SECURITY DEFINER with a pinned search_path (except the reads and the pg_cron helpers), reads
-- are STABLE;
-- tables, keys (all containing product_id), constraints, no triggers, and the inventory.*
-- settings with their documented defaults.
-- Runs in one transaction that is rolled back; uses only products named 'tap-08-*'.
BEGIN;
CREATE EXTENSION IF NOT EXISTS pgtap;
SELECT plan(74);

-- The extension's functions as name(argument types).
CREATE FUNCTION pg_temp.tap_functions() RETURNS TABLE (signature text, oid oid) LANGUAGE sql AS $$
SELECT p.proname || '(' || oidvectortypes(p.proargtypes) || ')', p.oid
  FROM pg_depend d JOIN pg_proc p ON p.oid = d.objid
 WHERE d.classid = 'pg_proc'::regclass AND d.deptype = 'e' AND d.refclassid = 'pg_extension'::regclass
   AND d.refobjid = (SELECT oid FROM pg_extension WHERE extname = 'pg_inventory')
$$;

-- The extension functions a role may execute.
CREATE FUNCTION pg_temp.tap_executable_by(role_name text) RETURNS SETOF text LANGUAGE sql AS $$
SELECT signature FROM pg_temp.tap_functions() WHERE has_function_privilege(role_name, oid, 'EXECUTE')
$$;

-- The privileges a role holds on the extension's tables and view, as 'table:PRIVILEGE'.
CREATE FUNCTION pg_temp.tap_table_privileges(role_name text) RETURNS SETOF text LANGUAGE sql AS $$
SELECT t.name || ':' || p.privilege
  FROM (VALUES ('inventory.stock'), ('inventory.reservations'), ('inventory.ledger'), ('inventory.outbox'),
               ('inventory.consumer_offsets'), ('inventory.dead_letters'), ('inventory.consumed_messages'),
               ('inventory.parked_events'), ('inventory.stock_requests'), ('inventory.idempotency_keys'),
               ('inventory_stock_levels')) t(name)
 CROSS JOIN (VALUES ('SELECT'), ('INSERT'), ('UPDATE'), ('DELETE'), ('TRUNCATE'), ('REFERENCES'), ('TRIGGER')) p(privilege)
 WHERE has_table_privilege(role_name, t.name, p.privilege)
$$;

SELECT is((SELECT count(*) FROM inventory.stock WHERE product_id LIKE 'tap-08-%'), 0::bigint,
          'precondition: no stock rows of tap-08-* products exist');
DO $$
BEGIN
    PERFORM inventory_set_stock('tap-08-a', 10);
END
$$;

-- Roles -----------------------------------------------------------------------------------------

SELECT has_role('inventory_reader', 'role inventory_reader exists');
SELECT has_role('inventory_writer', 'role inventory_writer exists');
SELECT has_role('inventory_admin', 'role inventory_admin exists');
SELECT has_role('inventory_relay', 'role inventory_relay exists');
SELECT is_empty($$SELECT rolname FROM pg_roles WHERE rolname LIKE 'inventory\_%' AND (rolcanlogin OR rolsuper)
                   AND rolname IN ('inventory_reader', 'inventory_writer', 'inventory_admin', 'inventory_relay')$$,
                'the four roles cannot log in and are not superusers');
SELECT is((SELECT count(*)::integer FROM pg_roles
            WHERE rolname IN ('inventory_reader', 'inventory_writer', 'inventory_admin', 'inventory_relay')
              AND shobj_description(oid, 'pg_authid') = 'pg_inventory group role; created by CREATE EXTENSION pg_inventory'),
          4, 'the four roles carry the comment that lets a later CREATE EXTENSION reuse them silently');
SELECT is_member_of('inventory_reader', 'inventory_writer', 'a writer is a reader');
SELECT is_member_of('inventory_writer', 'inventory_admin', 'an admin is a writer');
SELECT ok(NOT pg_has_role('inventory_relay', 'inventory_reader', 'MEMBER')
          AND NOT pg_has_role('inventory_reader', 'inventory_relay', 'MEMBER')
          AND NOT pg_has_role('inventory_admin', 'inventory_relay', 'MEMBER'),
          'the relay role is separate from the reader, writer and admin roles');

-- Function privileges ---------------------------------------------------------------------------

SELECT set_eq($$SELECT * FROM pg_temp.tap_executable_by('inventory_reader')$$,
    ARRAY['inventory_available(text, text)', 'inventory_check(text, bigint, text)',
          'inventory_overdue_quantity(text, text)'],
    'inventory_reader may execute exactly the reads inventory_available, inventory_check and inventory_overdue_quantity');
SELECT set_eq($$SELECT * FROM pg_temp.tap_executable_by('inventory_writer')$$,
    ARRAY['inventory_available(text, text)', 'inventory_check(text, bigint, text)',
          'inventory_overdue_quantity(text, text)', 'inventory_reserve_batch(jsonb)',
          'inventory_reserve_batch(text, jsonb)',
          'inventory_reserve(text, text, bigint, text, interval, text)', 'inventory_reserve_order(text, jsonb, interval, text)',
          'inventory_confirm(uuid, text)', 'inventory_confirm_order(text, text)', 'inventory_release(uuid, text)',
          'inventory_release_order(text, text)', 'inventory_ship(uuid, text)', 'inventory_ship_order(text, text)',
          'inventory_return(uuid, bigint, boolean, text, text)',
          'inventory_idempotency_begin(text, text, text)',
          'inventory_idempotency_complete(text, text, text, integer, text, text)',
          'inventory_claim_message(text, text, integer, bigint)', 'inventory_consumer_offsets(text)',
          'inventory_dead_letter(text, text, integer, bigint, text, text, text, text)',
          'inventory_consume_batch(text, jsonb, interval)', 'inventory_sweep_parked_events(integer)',
          'inventory_forget_consumed_messages(interval, integer)', 'inventory_dead_letters_claim(integer, interval)',
          'inventory_dead_letters_published(bigint[])', 'inventory_dead_letters_failed(bigint[], text, interval)'],
    'inventory_writer may execute the reads, the reservation and return moves, the Idempotency-Key store and the Kafka consumer functions, nothing else');
SELECT set_eq($$SELECT * FROM pg_temp.tap_executable_by('inventory_admin')$$,
    ARRAY['inventory_available(text, text)', 'inventory_check(text, bigint, text)',
          'inventory_overdue_quantity(text, text)', 'inventory_reserve_batch(jsonb)',
          'inventory_reserve_batch(text, jsonb)',
          'inventory_reserve(text, text, bigint, text, interval, text)', 'inventory_reserve_order(text, jsonb, interval, text)',
          'inventory_confirm(uuid, text)', 'inventory_confirm_order(text, text)', 'inventory_release(uuid, text)',
          'inventory_release_order(text, text)', 'inventory_ship(uuid, text)', 'inventory_ship_order(text, text)',
          'inventory_return(uuid, bigint, boolean, text, text)',
          'inventory_idempotency_begin(text, text, text)',
          'inventory_idempotency_complete(text, text, text, integer, text, text)',
          'inventory_expire_reservations(integer)', 'inventory_expire_overdue(integer, integer)',
          'inventory_restock(text, bigint, text, text, text, text)',
          'inventory_adjust(text, bigint, text, text, text, text)', 'inventory_set_stock(text, bigint, text, text, bigint, text, text)',
          'inventory_remove(text, text, text)', 'inventory_claim_message(text, text, integer, bigint)', 'inventory_consumer_offsets(text)',
          'inventory_dead_letter(text, text, integer, bigint, text, text, text, text)',
          'inventory_consume_batch(text, jsonb, interval)', 'inventory_sweep_parked_events(integer)',
          'inventory_forget_consumed_messages(interval, integer)', 'inventory_dead_letters_claim(integer, interval)',
          'inventory_dead_letters_published(bigint[])', 'inventory_dead_letters_failed(bigint[], text, interval)',
          'inventory_redrive_dead_letter(bigint)'],
    'inventory_admin may also change stock, expire reservations and re-drive dead letters, but not touch the outbox or the job');
SELECT set_eq($$SELECT * FROM pg_temp.tap_executable_by('inventory_relay')$$,
    ARRAY['inventory_outbox_fetch(integer)', 'inventory_outbox_ack(bigint[])',
          'inventory_outbox_ack_events(uuid[], text[])', 'inventory_outbox_fetch_after(bigint, integer)'],
    'inventory_relay may execute exactly the outbox functions');
SELECT is_empty(
    $$SELECT f.signature FROM pg_temp.tap_functions() f JOIN pg_proc p ON p.oid = f.oid, aclexplode(p.proacl) a
       WHERE a.grantee = 0$$,
    'PUBLIC may execute none of the extension''s functions');
SELECT is_empty(
    $$SELECT f.signature FROM pg_temp.tap_functions() f JOIN pg_proc p ON p.oid = f.oid, aclexplode(p.proacl) a
       WHERE f.signature IN ('inventory_schedule_reaper(text)', 'inventory_unschedule_reaper()')
         AND a.grantee <> p.proowner$$,
    'the pg_cron helpers are granted to no role');

-- Table and schema privileges ---------------------------------------------------------------------

SELECT set_eq($$SELECT * FROM pg_temp.tap_table_privileges('inventory_reader')$$,
    ARRAY['inventory.stock:SELECT', 'inventory.reservations:SELECT', 'inventory.ledger:SELECT',
          'inventory.consumer_offsets:SELECT', 'inventory.dead_letters:SELECT', 'inventory.consumed_messages:SELECT',
          'inventory.parked_events:SELECT', 'inventory_stock_levels:SELECT'],
    'inventory_reader may only SELECT stock, reservations, ledger, the Kafka consumer tables and the view');
SELECT set_eq($$SELECT * FROM pg_temp.tap_table_privileges('inventory_writer')$$,
    $$SELECT * FROM pg_temp.tap_table_privileges('inventory_reader')$$,
    'inventory_writer has no table privileges beyond a reader''s: it cannot INSERT, UPDATE or DELETE');
SELECT set_eq($$SELECT * FROM pg_temp.tap_table_privileges('inventory_admin')$$,
    $$SELECT * FROM pg_temp.tap_table_privileges('inventory_reader')$$,
    'inventory_admin has no table privileges beyond a reader''s either');
SELECT is_empty($$SELECT * FROM pg_temp.tap_table_privileges('inventory_relay')$$,
                'inventory_relay has no privilege on any table');
SELECT ok(NOT has_table_privilege('inventory_reader', 'inventory.outbox', 'SELECT'),
          'inventory_reader cannot read inventory.outbox');
SELECT ok(NOT has_table_privilege('inventory_writer', 'inventory.stock', 'INSERT')
          AND NOT has_table_privilege('inventory_writer', 'inventory.stock', 'UPDATE')
          AND NOT has_table_privilege('inventory_writer', 'inventory.reservations', 'INSERT')
          AND NOT has_table_privilege('inventory_writer', 'inventory.reservations', 'UPDATE')
          AND NOT has_table_privilege('inventory_writer', 'inventory.ledger', 'DELETE')
          AND NOT has_table_privilege('inventory_writer', 'inventory.outbox', 'DELETE'),
          'inventory_writer cannot INSERT, UPDATE or DELETE the tables');
SELECT is_empty(
    $$SELECT c.oid::regclass FROM pg_class c, aclexplode(coalesce(c.relacl, acldefault('r', c.relowner))) a
       WHERE (c.relnamespace = 'inventory'::regnamespace OR c.oid = 'inventory_stock_levels'::regclass)
         AND c.relkind IN ('r', 'v', 'p') AND a.grantee = 0$$,
    'PUBLIC has no privilege on the tables or the view');
SELECT ok(has_schema_privilege('inventory_reader', 'inventory', 'USAGE')
          AND has_schema_privilege('inventory_relay', 'inventory', 'USAGE')
          AND NOT has_schema_privilege('inventory_writer', 'inventory', 'CREATE'),
          'reader and relay may use schema inventory; nobody but its owner may create in it');
SELECT is_empty($$SELECT 1 FROM pg_namespace n, aclexplode(n.nspacl) a WHERE n.nspname = 'inventory' AND a.grantee = 0$$,
                'PUBLIC has no privilege on schema inventory');

-- Privileges exercised ----------------------------------------------------------------------------

SET LOCAL ROLE inventory_reader;
SELECT is(inventory_available('tap-08-a'), 10::bigint, 'a reader can call inventory_available');
SELECT is((SELECT on_hand FROM inventory_stock_levels WHERE product_id = 'tap-08-a'), 10::bigint,
          'a reader can read the view');
SELECT throws_ok($$SELECT count(*) FROM inventory.outbox$$, '42501', NULL, 'a reader cannot read inventory.outbox');
SELECT throws_ok($$SELECT * FROM inventory_reserve('tap-08-o0', 'tap-08-a', 1)$$, '42501', NULL,
                 'a reader cannot reserve');
RESET ROLE;

SET LOCAL ROLE inventory_writer;
SELECT results_eq($$SELECT quantity, created FROM inventory_reserve('tap-08-o1', 'tap-08-a', 2)$$,
                  $$VALUES (2::bigint, true)$$, 'a writer can reserve through the function');
SELECT results_eq($$SELECT status FROM inventory_confirm_order('tap-08-o1')$$,
                  $$VALUES ('confirmed'::text)$$, 'a writer can confirm');
SELECT throws_ok($$INSERT INTO inventory.stock (product_id, on_hand) VALUES ('tap-08-x', 5)$$, '42501', NULL,
                 'a writer cannot INSERT into inventory.stock');
SELECT throws_ok($$UPDATE inventory.stock SET on_hand = 1000 WHERE product_id = 'tap-08-a'$$, '42501', NULL,
                 'a writer cannot UPDATE inventory.stock');
SELECT throws_ok($$UPDATE inventory.reservations SET status = 'released' WHERE order_id = 'tap-08-o1'$$, '42501', NULL,
                 'a writer cannot UPDATE inventory.reservations');
SELECT throws_ok($$DELETE FROM inventory.ledger WHERE product_id = 'tap-08-a'$$, '42501', NULL,
                 'a writer cannot DELETE from inventory.ledger');
SELECT throws_ok($$SELECT inventory_restock('tap-08-a', 1)$$, '42501', NULL, 'a writer cannot restock');
SELECT throws_ok($$SELECT * FROM inventory_outbox_fetch(1)$$, '42501', NULL, 'a writer cannot fetch the outbox');
RESET ROLE;

SET LOCAL ROLE inventory_admin;
SELECT results_eq($$SELECT on_hand FROM inventory_restock('tap-08-a', 5)$$, $$VALUES (15::bigint)$$,
                  'an admin can restock');
SELECT lives_ok($$SELECT inventory_expire_reservations()$$, 'an admin can run the reaper');
SELECT throws_ok($$CALL inventory_expire_overdue(0)$$, '22023', 'max_seconds must be between 1 and 3600, not 0', 'the reaper job''s procedure refuses a time budget out of range');
SELECT throws_ok($$DELETE FROM inventory.outbox WHERE aggregateid = 'tap-08-a'$$, '42501', NULL,
                 'an admin cannot DELETE from inventory.outbox');
SELECT throws_ok($$SELECT inventory_outbox_ack(ARRAY[1::bigint])$$, '42501', NULL, 'an admin cannot ack the outbox');
SELECT throws_ok($$SELECT inventory_schedule_reaper()$$, '42501', NULL, 'an admin cannot schedule the reaper');
RESET ROLE;

-- Set aside other events (the transaction is rolled back), so fetch reaches ours whatever the
-- database's backlog. A relay running meanwhile waits for this suite to end.
DELETE FROM inventory.outbox WHERE aggregateid NOT LIKE 'tap-08-%';
SET LOCAL ROLE inventory_relay;
SELECT ok((SELECT count(*) FROM inventory_outbox_fetch(100000) WHERE aggregateid = 'tap-08-a') >= 3,
          'the relay can fetch events through inventory_outbox_fetch');
SELECT throws_ok($$SELECT count(*) FROM inventory.outbox$$, '42501', NULL, 'the relay cannot read inventory.outbox directly');
SELECT throws_ok($$SELECT inventory_available('tap-08-a')$$, '42501', NULL, 'the relay cannot call the reads');
RESET ROLE;

SELECT results_eq($$SELECT db_user::text FROM inventory.ledger WHERE product_id = 'tap-08-a' AND reason = 'reserve'$$,
                  $$VALUES (session_user::text)$$,
                  'the ledger records the session user, not the extension owner the function ran as');

-- Catalog -----------------------------------------------------------------------------------------

SELECT set_eq($$SELECT signature FROM pg_temp.tap_functions()$$,
    ARRAY['inventory_reserve(text, text, bigint, text, interval, text)', 'inventory_reserve_order(text, jsonb, interval, text)',
          'inventory_reserve_batch(jsonb)', 'inventory_reserve_batch(text, jsonb)', 'inventory_overdue_quantity(text, text)',
          'inventory_confirm(uuid, text)', 'inventory_confirm_order(text, text)', 'inventory_release(uuid, text)',
          'inventory_release_order(text, text)', 'inventory_ship(uuid, text)', 'inventory_ship_order(text, text)',
          'inventory_return(uuid, bigint, boolean, text, text)',
          'inventory_idempotency_begin(text, text, text)',
          'inventory_idempotency_complete(text, text, text, integer, text, text)',
          'inventory_expire_reservations(integer)', 'inventory_expire_overdue(integer, integer)',
          'inventory_restock(text, bigint, text, text, text, text)',
          'inventory_adjust(text, bigint, text, text, text, text)', 'inventory_set_stock(text, bigint, text, text, bigint, text, text)',
          'inventory_remove(text, text, text)', 'inventory_available(text, text)', 'inventory_check(text, bigint, text)',
          'inventory_outbox_fetch(integer)', 'inventory_outbox_ack(bigint[])',
          'inventory_outbox_ack_events(uuid[], text[])', 'inventory_schedule_reaper(text)', 'inventory_unschedule_reaper()',
          'inventory_routing_support(internal)',
          'inventory_claim_message(text, text, integer, bigint)', 'inventory_consumer_offsets(text)',
          'inventory_dead_letter(text, text, integer, bigint, text, text, text, text)',
          'inventory_consume_batch(text, jsonb, interval)', 'inventory_sweep_parked_events(integer)',
          'inventory_forget_consumed_messages(interval, integer)', 'inventory_dead_letters_claim(integer, interval)',
          'inventory_dead_letters_published(bigint[])', 'inventory_dead_letters_failed(bigint[], text, interval)',
          'inventory_redrive_dead_letter(bigint)', 'inventory_outbox_fetch_after(bigint, integer)',
          'kafka_lock_orders(text[])', 'kafka_order_state(text)',
          'kafka_next_step(text, bigint, bigint, bigint, bigint, bigint, boolean)',
          'kafka_record_dead_letter(text, jsonb, text, text)',
          'kafka_dead_letter_parked(inventory.parked_events, text, text)', 'kafka_apply_order_move(text, text)',
          'kafka_is_permanent(text)', 'kafka_apply_parked(text, boolean)', 'kafka_follow_up(text, jsonb, interval)',
          'kafka_reserve_requests(jsonb)', 'kafka_reserve_created(text, jsonb, integer[])'],
    'the extension''s functions are exactly the documented SQL API (and the internal kafka_* helpers in schema inventory)');
SELECT is_empty($$SELECT signature FROM pg_temp.tap_functions() WHERE coalesce(obj_description(oid, 'pg_proc'), '') = ''$$,
                'every function of the extension has a COMMENT');
SELECT ok(coalesce(obj_description('inventory_stock_levels'::regclass, 'pg_class'), '') <> ''
          AND coalesce(obj_description('inventory.stock'::regclass, 'pg_class'), '') <> ''
          AND coalesce(obj_description('inventory.reservations'::regclass, 'pg_class'), '') <> ''
          AND coalesce(obj_description('inventory.ledger'::regclass, 'pg_class'), '') <> ''
          AND coalesce(obj_description('inventory.outbox'::regclass, 'pg_class'), '') <> ''
          AND coalesce(obj_description('inventory_reservation'::regtype, 'pg_type'), '') <> ''
          AND coalesce(obj_description('inventory'::regnamespace, 'pg_namespace'), '') <> '',
          'the schema, tables, view and type have a COMMENT');
SELECT set_eq(
    $$SELECT f.signature FROM pg_temp.tap_functions() f JOIN pg_proc p ON p.oid = f.oid
       WHERE p.prosecdef AND 'search_path=pg_catalog, pg_temp' = ANY (p.proconfig)$$,
    $$SELECT signature FROM pg_temp.tap_functions()
       WHERE signature NOT IN ('inventory_schedule_reaper(text)', 'inventory_unschedule_reaper()',
                               'inventory_expire_overdue(integer, integer)',
                               'inventory_available(text, text)', 'inventory_check(text, bigint, text)',
                               'inventory_overdue_quantity(text, text)', 'inventory_routing_support(internal)')$$,
    'every function but the reads, the pg_cron helpers, the reaper job''s procedure and the planner support is SECURITY DEFINER with search_path pinned to pg_catalog, pg_temp');
SELECT is_empty(
    $$SELECT f.signature FROM pg_temp.tap_functions() f JOIN pg_proc p ON p.oid = f.oid
       WHERE f.signature IN ('inventory_available(text, text)', 'inventory_check(text, bigint, text)',
                             'inventory_overdue_quantity(text, text)') AND p.prosecdef$$,
    'the reads run with the caller''s rights (a reader''s grants suffice)');
SELECT is_empty(
    $$SELECT f.signature FROM pg_temp.tap_functions() f JOIN pg_proc p ON p.oid = f.oid
       WHERE f.signature IN ('inventory_schedule_reaper(text)', 'inventory_unschedule_reaper()')
         AND (p.prosecdef OR NOT 'search_path=pg_catalog, pg_temp' = ANY (p.proconfig))$$,
    'the pg_cron helpers run as the caller, with a pinned search_path');
SELECT is_empty(
    $$SELECT f.signature FROM pg_temp.tap_functions() f JOIN pg_proc p ON p.oid = f.oid
       WHERE f.signature = 'inventory_expire_overdue(integer, integer)' AND (p.prosecdef OR p.proconfig IS NOT NULL OR p.prokind <> 'p')$$,
    'the reaper job''s procedure runs as the caller with no settings of its own, which a procedure that commits needs');
SELECT set_eq(
    $$SELECT f.signature FROM pg_temp.tap_functions() f JOIN pg_proc p ON p.oid = f.oid WHERE p.provolatile = 's'$$,
    ARRAY['inventory_available(text, text)', 'inventory_check(text, bigint, text)', 'inventory_outbox_fetch(integer)',
          'inventory_consumer_offsets(text)', 'inventory_overdue_quantity(text, text)',
          'inventory_outbox_fetch_after(bigint, integer)', 'kafka_order_state(text)'],
    'the reads are STABLE');
SELECT set_eq(
    $$SELECT f.signature FROM pg_temp.tap_functions() f JOIN pg_proc p ON p.oid = f.oid WHERE p.provolatile = 'i'$$,
    ARRAY['inventory_routing_support(internal)',
          'kafka_next_step(text, bigint, bigint, bigint, bigint, bigint, boolean)', 'kafka_is_permanent(text)'],
    'the planner support and the two pure kafka_* rules are IMMUTABLE; every other function is VOLATILE');
SELECT is_empty(
    $$SELECT p.oid::regprocedure FROM pg_proc p
       WHERE p.prosupport = 'inventory_routing_support'::regproc
      EXCEPT SELECT unnest(ARRAY['inventory_reserve(text, text, bigint, text, interval, text)',
                                 'inventory_reserve_batch(text, jsonb)', 'inventory_restock(text, bigint, text, text, text, text)',
                                 'inventory_adjust(text, bigint, text, text, text, text)',
                                 'inventory_set_stock(text, bigint, text, text, bigint, text, text)', 'inventory_remove(text, text, text)',
                                 'inventory_available(text, text)', 'inventory_check(text, bigint, text)']::regprocedure[])$$,
    'the planner support serves only the functions routed by product');
SELECT is((SELECT count(*)::integer FROM pg_proc WHERE prosupport = 'inventory_routing_support'::regproc), 8,
          'every function routed by product has the planner support that keeps a NULL product from Citus''s routing');
SELECT is_empty(
    $$SELECT f.signature FROM pg_temp.tap_functions() f JOIN pg_proc p ON p.oid = f.oid
       WHERE p.provolatile = 'v' AND p.proparallel <> 'u'$$,
    'every VOLATILE function is PARALLEL UNSAFE');

SELECT tables_are('inventory', ARRAY['stock', 'reservations', 'ledger', 'outbox', 'stock_requests',
                                     'consumer_offsets', 'dead_letters', 'consumed_messages', 'parked_events',
                                     'idempotency_keys'],
                  'schema inventory holds the five product tables, the four Kafka consumer tables and the Idempotency-Key store');
SELECT col_is_pk('inventory', 'stock', ARRAY['product_id', 'warehouse'], 'stock is keyed by (product_id, warehouse)');
SELECT col_is_pk('inventory', 'reservations', ARRAY['id', 'product_id'],
                 'reservations are keyed by (id, product_id): lookups by id use it, and it holds the distribution column');
SELECT col_is_pk('inventory', 'ledger', ARRAY['product_id', 'warehouse', 'version'],
                 'the ledger is keyed by (product_id, warehouse, version)');
SELECT col_is_pk('inventory', 'outbox', ARRAY['aggregateid', 'id'], 'the outbox is keyed by (aggregateid, id)');
SELECT is_empty(
    $$SELECT i.indexrelid::regclass FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid
       WHERE c.relnamespace = 'inventory'::regnamespace AND i.indisunique
         AND c.relname NOT IN ('consumer_offsets', 'dead_letters', 'consumed_messages', 'parked_events',
                               'idempotency_keys')
         AND NOT EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = i.indrelid AND a.attnum = ANY (i.indkey)
                            AND a.attname IN ('product_id', 'aggregateid'))$$,
    'every unique index of a product table contains the product (distributable by product_id)');
SELECT columns_are('inventory', 'outbox',
    ARRAY['seq', 'id', 'aggregatetype', 'aggregateid', 'type', 'payload', 'warehouse', 'version', 'created_at'],
    'the outbox has the Debezium outbox columns (id, aggregatetype, aggregateid, type, payload) plus relay columns');
SELECT is((SELECT string_agg(attname || ' ' || format_type(atttypid, atttypmod), ', ' ORDER BY attname)
             FROM pg_attribute WHERE attrelid = 'inventory.outbox'::regclass AND attname IN ('id', 'payload')),
          'id uuid, payload jsonb', 'outbox id is uuid and payload is jsonb');
SELECT is_empty($$SELECT tgname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
                   WHERE c.relnamespace = 'inventory'::regnamespace AND NOT t.tgisinternal$$,
                'no triggers on the inventory tables');
SELECT throws_ok($$UPDATE inventory.stock SET reserved = on_hand + 1 WHERE product_id = 'tap-08-a'$$, '23514', NULL,
                 'the database refuses reserved above on_hand');
SELECT throws_ok($$UPDATE inventory.stock SET reserved = -1 WHERE product_id = 'tap-08-a'$$, '23514', NULL,
                 'the database refuses negative reserved');
SELECT throws_ok($$UPDATE inventory.reservations SET quantity = 0 WHERE order_id = 'tap-08-o1'$$, '23514', NULL,
                 'the database refuses a reservation quantity of 0');
SELECT throws_ok($$UPDATE inventory.reservations SET status = 'lost' WHERE order_id = 'tap-08-o1'$$, '23514', NULL,
                 'the database refuses an unknown reservation status');

-- Settings ----------------------------------------------------------------------------------------

SELECT set_eq(
    $$SELECT name, boot_val, coalesce(unit, ''), context FROM pg_settings WHERE name LIKE 'inventory.%'$$,
    $$VALUES ('inventory.reservation_ttl', '900', 's', 'user'),
             ('inventory.max_reservation_ttl', '604800', 's', 'superuser'),
             ('inventory.max_quantity', '1000000000', '', 'superuser'),
             ('inventory.max_order_lines', '1000', '', 'superuser'),
             ('inventory.updated_topic', 'inventory.updated', '', 'superuser'),
             ('inventory.alerts_topic', 'inventory.alerts', '', 'superuser'),
             ('inventory.max_batch_requests', '500', '', 'superuser'),
             ('inventory.reaper_lock_timeout', '200', 'ms', 'superuser'),
             ('inventory.notify_channel', '', '', 'superuser'),
             ('inventory.notify_queue_limit', '0.5', '', 'superuser'),
             ('inventory.actor', '', '', 'user'),
             ('inventory.idempotency_ttl', '86400', 's', 'superuser')$$,
    'the inventory.* settings have the documented defaults and who may set them');
SELECT throws_ok($$SET LOCAL inventory.reservation_tll = '1min'$$, '42602', NULL,
                 'the inventory.* prefix is reserved: a misspelt setting is an error');

SELECT * FROM finish();
ROLLBACK;
