-- pg_inventory 1.1 -> 1.2: flash-sale batches and bounded work on hot rows; Kafka input that never
-- drops or blocks.

\echo Use "ALTER EXTENSION pg_inventory UPDATE TO '1.2'" to load this file. \quit

-- Flash sale: batched reservations, bounded expiry, reads that stay fast ----------------------

-- Kafka input: message identity, dead letters relayed like the outbox, parked early events ------
