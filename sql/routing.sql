-- routing: INSERT and COPY into a partitioned table whose partitions are
-- pulsora foreign tables on three owners reach each partition's owner, and
-- commit or roll back with the transaction on every owner together
-- (savepoints, an error in one partition's rows, a row no partition takes);
-- by time range and by hash of the symbol, checked against a heap table
SET client_min_messages = warning;
DROP DATABASE IF EXISTS pulsora_routing;
CREATE DATABASE pulsora_routing;
\c pulsora_routing
SET timezone = 'UTC';
SET datestyle = 'ISO, YMD';
CREATE EXTENSION pulsora;
CREATE SERVER n1 FOREIGN DATA WRAPPER pulsora OPTIONS (data_dir '/tmp/pulsora_regress/routing/n1');
CREATE SERVER n2 FOREIGN DATA WRAPPER pulsora OPTIONS (data_dir '/tmp/pulsora_regress/routing/n2');
CREATE SERVER n3 FOREIGN DATA WRAPPER pulsora OPTIONS (data_dir '/tmp/pulsora_regress/routing/n3');

-- one month per owner
CREATE TABLE ticks (ts timestamptz NOT NULL, symbol text, price float8, qty bigint)
  PARTITION BY RANGE (ts);
CREATE FOREIGN TABLE ticks_jan PARTITION OF ticks
  FOR VALUES FROM ('2024-01-01') TO ('2024-02-01') SERVER n1 OPTIONS (table 'ticks');
CREATE FOREIGN TABLE ticks_feb PARTITION OF ticks
  FOR VALUES FROM ('2024-02-01') TO ('2024-03-01') SERVER n2 OPTIONS (table 'ticks');
CREATE FOREIGN TABLE ticks_mar PARTITION OF ticks
  FOR VALUES FROM ('2024-03-01') TO ('2024-04-01') SERVER n3 OPTIONS (table 'ticks');
CREATE TABLE heap (LIKE ticks);

CREATE FUNCTION owner_rows() RETURNS TABLE (server text, row_count bigint) LANGUAGE sql AS $$
  SELECT 'n1', coalesce((SELECT row_count FROM pulsora_tables('n1') WHERE table_name = 'ticks'), 0)
  UNION ALL
  SELECT 'n2', coalesce((SELECT row_count FROM pulsora_tables('n2') WHERE table_name = 'ticks'), 0)
  UNION ALL
  SELECT 'n3', coalesce((SELECT row_count FROM pulsora_tables('n3') WHERE table_name = 'ticks'), 0)
$$;

-- INSERT through the parent: each row goes to its month's owner
INSERT INTO ticks
  SELECT '2024-01-01'::timestamptz + i * interval '7 hours', 'S' || (i % 5), i * 0.5, i
  FROM generate_series(0, 299) i;
INSERT INTO heap
  SELECT '2024-01-01'::timestamptz + i * interval '7 hours', 'S' || (i % 5), i * 0.5, i
  FROM generate_series(0, 299) i;
SELECT * FROM owner_rows();

-- COPY through the parent
COPY ticks FROM STDIN WITH (FORMAT csv);
2024-01-31 23:59:59.999999+00,S9,1.5,1
2024-02-01 00:00:00+00,S9,2.5,2
2024-03-31 23:59:59+00,S9,3.5,3
\.
INSERT INTO heap VALUES ('2024-01-31 23:59:59.999999+00', 'S9', 1.5, 1),
  ('2024-02-01 00:00:00+00', 'S9', 2.5, 2), ('2024-03-31 23:59:59+00', 'S9', 3.5, 3);
SELECT * FROM owner_rows();

-- what the owners hold is what the heap holds
SELECT count(*), sum(qty), sum(price), min(ts), max(ts) FROM ticks;
SELECT count(*), sum(qty), sum(price), min(ts), max(ts) FROM heap;
SELECT count(*) AS differing FROM (
  (SELECT * FROM ticks EXCEPT ALL SELECT * FROM heap)
  UNION ALL
  (SELECT * FROM heap EXCEPT ALL SELECT * FROM ticks)) d;
SELECT tableoid::regclass, count(*), min(ts), max(ts) FROM ticks GROUP BY 1 ORDER BY 1;

-- ROLLBACK discards the rows on every owner
BEGIN;
INSERT INTO ticks VALUES ('2024-01-15', 'R', 1, 1), ('2024-02-15', 'R', 1, 1), ('2024-03-15', 'R', 1, 1);
ROLLBACK;
SELECT * FROM owner_rows();

-- a row that no partition takes fails the statement: no owner keeps any of it
INSERT INTO ticks VALUES ('2024-01-16', 'X', 1, 1), ('2024-02-16', 'X', 1, 1), ('2024-05-01', 'X', 1, 1);
SELECT * FROM owner_rows();

-- a bad row for one owner (NULL time) fails the transaction on all of them
BEGIN;
INSERT INTO ticks VALUES ('2024-01-17', 'Y', 1, 1), ('2024-03-17', 'Y', 1, 1);
INSERT INTO ticks_feb VALUES (NULL, 'Y', 1, 1);
COMMIT;
SELECT * FROM owner_rows();

-- savepoints: a rolled-back savepoint drops only its own rows, on each owner
BEGIN;
INSERT INTO ticks VALUES ('2024-01-18', 'Z', 1, 1), ('2024-02-18', 'Z', 1, 1);
SAVEPOINT a;
INSERT INTO ticks VALUES ('2024-02-19', 'Z', 1, 1), ('2024-03-19', 'Z', 1, 1);
ROLLBACK TO a;
INSERT INTO ticks VALUES ('2024-03-20', 'Z', 1, 1);
COMMIT;
SELECT * FROM owner_rows();
SELECT ts, tableoid::regclass FROM ticks WHERE symbol = 'Z' ORDER BY ts;

-- by hash of the symbol: a symbol's rows all live on one owner
CREATE TABLE trades (ts timestamptz NOT NULL, symbol text NOT NULL, px float8)
  PARTITION BY HASH (symbol);
CREATE FOREIGN TABLE trades_0 PARTITION OF trades
  FOR VALUES WITH (MODULUS 3, REMAINDER 0) SERVER n1 OPTIONS (table 'trades');
CREATE FOREIGN TABLE trades_1 PARTITION OF trades
  FOR VALUES WITH (MODULUS 3, REMAINDER 1) SERVER n2 OPTIONS (table 'trades');
CREATE FOREIGN TABLE trades_2 PARTITION OF trades
  FOR VALUES WITH (MODULUS 3, REMAINDER 2) SERVER n3 OPTIONS (table 'trades');
CREATE TABLE trades_heap (LIKE trades);
INSERT INTO trades
  SELECT '2024-01-01'::timestamptz + i * interval '1 minute', 'SYM' || (i % 12), i FROM generate_series(0, 599) i;
INSERT INTO trades_heap
  SELECT '2024-01-01'::timestamptz + i * interval '1 minute', 'SYM' || (i % 12), i FROM generate_series(0, 599) i;
SELECT (SELECT count(DISTINCT tableoid) FROM trades) AS owners_used,
       bool_and(n = 1) AS one_owner_per_symbol
  FROM (SELECT symbol, count(DISTINCT tableoid) AS n FROM trades GROUP BY symbol) s;
SELECT (SELECT coalesce(sum(row_count), 0) FROM pulsora_tables('n1') WHERE table_name = 'trades')
     + (SELECT coalesce(sum(row_count), 0) FROM pulsora_tables('n2') WHERE table_name = 'trades')
     + (SELECT coalesce(sum(row_count), 0) FROM pulsora_tables('n3') WHERE table_name = 'trades')
     AS rows_on_owners;
-- one symbol is pruned to its owner, and its rows are the heap's
SELECT count(*), sum(px) FROM trades WHERE symbol = 'SYM7';
SELECT count(*), sum(px) FROM trades_heap WHERE symbol = 'SYM7';
SELECT symbol, count(*), sum(px), min(ts), max(ts) FROM trades GROUP BY symbol
EXCEPT
SELECT symbol, count(*), sum(px), min(ts), max(ts) FROM trades_heap GROUP BY symbol;
