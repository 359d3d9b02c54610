-- writes: INSERT and COPY FROM commit with the transaction and roll back
-- with it (savepoints included); UPDATE and DELETE are refused
SET client_min_messages = warning;
DROP DATABASE IF EXISTS pulsora_writes;
CREATE DATABASE pulsora_writes;
\c pulsora_writes
SET timezone = 'UTC';
SET datestyle = 'ISO, YMD';
CREATE EXTENSION pulsora;
CREATE SERVER s FOREIGN DATA WRAPPER pulsora OPTIONS (data_dir '/tmp/pulsora_regress/writes');

-- the first write creates the store table from the foreign table's columns;
-- its first timestamptz column is the time
CREATE FOREIGN TABLE quotes (sym text, ts timestamptz, bid float8, size bigint, ok boolean,
                             seen timestamptz)
  SERVER s;
INSERT INTO quotes VALUES ('AAPL', '2024-01-01 00:00:00+00', 150.25, 10, true, '2024-01-01 00:00:00.5+00');
SELECT * FROM pulsora_schema('s', 'quotes');
SELECT * FROM quotes;

-- a transaction does not see its own uncommitted rows; ROLLBACK discards them
BEGIN;
INSERT INTO quotes VALUES ('MSFT', '2024-01-01 00:00:01+00', 300.5, 20, false, NULL);
SELECT count(*) FROM quotes;
ROLLBACK;
SELECT count(*) FROM quotes;

-- COMMIT publishes every statement's rows at once
BEGIN;
INSERT INTO quotes VALUES ('MSFT', '2024-01-01 00:00:01+00', 300.5, 20, false, NULL);
INSERT INTO quotes SELECT 'GOOG', '2024-01-01 00:00:02+00'::timestamptz + i * interval '1 second', i, i, NULL, NULL
  FROM generate_series(0, 9) i;
COMMIT;
SELECT count(*) FROM quotes;

-- savepoints: a rolled-back savepoint drops only its own rows
BEGIN;
INSERT INTO quotes VALUES ('S1', '2024-01-02 00:00:00+00', 1, 1, true, NULL);
SAVEPOINT a;
INSERT INTO quotes VALUES ('S2', '2024-01-02 00:00:01+00', 2, 2, true, NULL);
ROLLBACK TO SAVEPOINT a;
INSERT INTO quotes VALUES ('S3', '2024-01-02 00:00:02+00', 3, 3, true, NULL);
SAVEPOINT b;
INSERT INTO quotes VALUES ('S4', '2024-01-02 00:00:03+00', 4, 4, true, NULL);
RELEASE SAVEPOINT b;
SAVEPOINT c;
INSERT INTO quotes VALUES ('S5', '2024-01-02 00:00:04+00', 5, 5, true, NULL);
SAVEPOINT d;
INSERT INTO quotes VALUES ('S6', '2024-01-02 00:00:05+00', 6, 6, true, NULL);
RELEASE SAVEPOINT d;
ROLLBACK TO SAVEPOINT c;
COMMIT;
SELECT sym FROM quotes WHERE ts >= '2024-01-02' ORDER BY ts;

-- a table created in this transaction can be written again in a savepoint
CREATE FOREIGN TABLE fresh (ts timestamptz, v bigint) SERVER s;
BEGIN;
INSERT INTO fresh VALUES ('2024-01-01', 1);
SAVEPOINT a;
INSERT INTO fresh VALUES ('2024-01-02', 2);
RELEASE SAVEPOINT a;
COMMIT;
SELECT * FROM fresh ORDER BY ts;

-- an error inside a PL/pgSQL exception block undoes that block's rows only
DO $$
BEGIN
  INSERT INTO quotes VALUES ('P1', '2024-01-03 00:00:00+00', 1, 1, true, NULL);
  BEGIN
    INSERT INTO quotes VALUES ('P2', '2024-01-03 00:00:01+00', 2, 2, true, NULL);
    PERFORM 1 / 0;
  EXCEPTION WHEN division_by_zero THEN
    NULL;
  END;
  INSERT INTO quotes VALUES ('P3', '2024-01-03 00:00:02+00', 3, 3, true, NULL);
END $$;
SELECT sym FROM quotes WHERE ts >= '2024-01-03' ORDER BY ts;

-- a failing statement aborts the transaction's rows
BEGIN;
INSERT INTO quotes VALUES ('E1', '2024-01-04 00:00:00+00', 1, 1, true, NULL);
INSERT INTO quotes VALUES ('E2', NULL, 1, 1, true, NULL);
COMMIT;
SELECT count(*) FROM quotes WHERE ts >= '2024-01-04';

-- RETURNING, and writes into two tables in one transaction
CREATE FOREIGN TABLE trades (ts timestamptz, sym text, px float8) SERVER s;
BEGIN;
INSERT INTO quotes VALUES ('R1', '2024-01-05 00:00:00+00', 1, 1, true, NULL) RETURNING sym, ts;
INSERT INTO trades VALUES ('2024-01-05 00:00:00+00', 'R1', 1.5);
COMMIT;
SELECT (SELECT count(*) FROM quotes WHERE sym = 'R1') AS quotes, (SELECT count(*) FROM trades) AS trades;

-- COPY FROM STDIN streams rows into a load as well
COPY trades FROM STDIN WITH (FORMAT csv);
2024-01-06 00:00:00+00,C1,10
2024-01-06 00:00:00.000001+00,C2,
2024-01-06 00:00:01+00,"C,3",30.5
\.
SELECT * FROM trades WHERE ts >= '2024-01-06' ORDER BY ts;
BEGIN;
COPY trades FROM STDIN WITH (FORMAT csv);
2024-01-07 00:00:00+00,X,1
\.
ROLLBACK;
SELECT count(*) FROM trades WHERE ts >= '2024-01-07';

-- columns of the foreign table must exist in the store, with matching types
CREATE FOREIGN TABLE trades_more (ts timestamptz, sym text, px float8, venue text)
  SERVER s OPTIONS (table 'trades');
INSERT INTO trades_more VALUES ('2024-01-08', 'V', 1, 'XNAS');
-- a foreign table with fewer columns writes NULL into the others
CREATE FOREIGN TABLE trades_few (ts timestamptz, sym text) SERVER s OPTIONS (table 'trades');
INSERT INTO trades_few VALUES ('2024-01-08 00:00:00+00', 'FEW');
SELECT * FROM trades WHERE sym = 'FEW';
CREATE FOREIGN TABLE trades_no_time (sym text, px float8) SERVER s OPTIONS (table 'trades');
INSERT INTO trades_no_time VALUES ('NT', 1);
CREATE FOREIGN TABLE new_no_time (sym text) SERVER s;
INSERT INTO new_no_time VALUES ('x');
CREATE FOREIGN TABLE new_bad_type (ts timestamptz, n numeric) SERVER s;
INSERT INTO new_bad_type VALUES ('2024-01-01', 1);

-- times outside the store's range (1677..2262) and infinities are refused
INSERT INTO trades VALUES ('1677-09-21 00:12:43.145224+00', 'LOW', 1);
INSERT INTO trades VALUES ('1677-09-21 00:12:43.145225+00', 'LOW', 1);
INSERT INTO trades VALUES ('2262-04-11 23:47:16.854776+00', 'HIGH', 1);
INSERT INTO trades VALUES ('2262-04-11 23:47:16.854775+00', 'HIGH', 1);
INSERT INTO trades VALUES ('infinity', 'INF', 1);
INSERT INTO quotes VALUES ('T', '2024-01-01', 1, 1, true, '-infinity');
SELECT ts, sym FROM trades WHERE sym IN ('LOW', 'HIGH') ORDER BY ts;

-- NaN, infinities, empty and non-ASCII strings survive the round trip
INSERT INTO trades VALUES ('2024-01-09 00:00:00+00', '', 'NaN'), ('2024-01-09 00:00:01+00', 'Zürich €', '-Infinity');
SELECT sym, px FROM trades WHERE ts >= '2024-01-09' ORDER BY ts;

-- UPDATE and DELETE are refused and point to pulsora_delete_range
UPDATE trades SET px = 0;
DELETE FROM trades WHERE ts < '2024-01-06';
INSERT INTO trades VALUES ('2024-01-01', 'X', 1) ON CONFLICT DO NOTHING;
TRUNCATE trades;
SELECT count(*) FROM trades;

-- PREPARE TRANSACTION cannot carry pulsora writes
BEGIN;
INSERT INTO trades VALUES ('2024-01-10', 'PT', 1);
PREPARE TRANSACTION 'p1';
SELECT count(*) FROM trades WHERE sym = 'PT';
