-- create-login-roles.sql: login roles for inventory-svc, as members of the group roles that
-- CREATE EXTENSION pg_inventory made. Idempotent; run as a superuser after migrate-extension.sql,
-- with four psql variables (the image's entrypoint sets them from the environment):
--   create_svc_role     true|false   inventory_svc: the REST role (stock admin, reservations, reads)
--   svc_password        its password
--   create_worker_role  true|false   inventory_worker_svc: the consumer+relay role (reservations and
--                                    CDC stock upserts through inventory_admin, the outbox through
--                                    inventory_relay)
--   worker_password     its password
-- A password is set again on every run, so rotating it is: change the Secret, run this again.
\set ON_ERROR_STOP on
SET client_min_messages = warning;

\if :create_svc_role
SELECT NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'inventory_svc') AS svc_role_missing
\gset
\if :svc_role_missing
CREATE ROLE inventory_svc LOGIN;
\endif
ALTER ROLE inventory_svc WITH LOGIN PASSWORD :'svc_password';
GRANT inventory_admin TO inventory_svc;
\endif

\if :create_worker_role
SELECT NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'inventory_worker_svc') AS worker_role_missing
\gset
\if :worker_role_missing
CREATE ROLE inventory_worker_svc LOGIN;
\endif
ALTER ROLE inventory_worker_svc WITH LOGIN PASSWORD :'worker_password';
GRANT inventory_admin, inventory_relay TO inventory_worker_svc;
\endif
