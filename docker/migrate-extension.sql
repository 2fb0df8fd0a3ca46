-- migrate-extension.sql: brings a database to the pg_inventory version whose files the server has
-- installed. Idempotent; run by the image's first start and by the k8s migration Job before every
-- rollout, as a superuser (the extension's control file says superuser = true):
--   psql -X -v ON_ERROR_STOP=1 -d inventory -f migrate-extension.sql
-- pg_cron is created only where it can be: it must be preloaded and this must be the database named
-- by cron.database_name. The reaper job is scheduled when it is missing and never rescheduled, so a
-- schedule a DBA changed stays as it is.
\set ON_ERROR_STOP on
SET client_min_messages = warning;
-- An upgrade script that waits behind a long transaction would queue every order behind itself:
-- give up after a few seconds instead; the Job retries with backoff.
SET lock_timeout = '5s';

SELECT coalesce(current_setting('cron.database_name', true), '') = current_database()
       AND EXISTS (SELECT 1 FROM pg_available_extensions WHERE name = 'pg_cron') AS cron_belongs_here
\gset
\if :cron_belongs_here
CREATE EXTENSION IF NOT EXISTS pg_cron;
\endif

CREATE EXTENSION IF NOT EXISTS pg_inventory;
ALTER EXTENSION pg_inventory UPDATE;

SELECT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'pg_cron') AS cron_installed
\gset
\if :cron_installed
SELECT NOT EXISTS (SELECT 1 FROM cron.job WHERE jobname = 'inventory-expire-reservations') AS reaper_missing
\gset
\if :reaper_missing
SELECT inventory_schedule_reaper() AS reaper_job_id;
\endif
\endif

SELECT extversion AS pg_inventory_version FROM pg_extension WHERE extname = 'pg_inventory';
