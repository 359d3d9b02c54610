-- async: an Append over foreign partitions on three owners scans them as
-- async foreign scans (option async_capable, on by default), with the same
-- answers as a heap table: full and range scans, pruning, ORDER BY ...
-- LIMIT, joins (a nested loop rescanning the partitions per outer row),
-- aggregates with and without partitionwise aggregation, partitions that
-- share an owner, cursors interleaved with other queries, writes in the
-- same transaction; and the plain Foreign Scan when async_capable is off
SET client_min_messages = warning;
DROP DATABASE IF EXISTS pulsora_async;
CREATE DATABASE pulsora_async;
\c pulsora_async
SET timezone = 'UTC';
SET datestyle = 'ISO, YMD';
CREATE EXTENSION pulsora;
CREATE SERVER a1 FOREIGN DATA WRAPPER pulsora OPTIONS (data_dir '/tmp/pulsora_regress/async/a1');
CREATE SERVER a2 FOREIGN DATA WRAPPER pulsora OPTIONS (data_dir '/tmp/pulsora_regress/async/a2');
CREATE SERVER a3 FOREIGN DATA WRAPPER pulsora OPTIONS (data_dir '/tmp/pulsora_regress/async/a3');

-- one month per owner
CREATE TABLE ticks (ts timestamptz NOT NULL, symbol text, price float8, qty bigint)
  PARTITION BY RANGE (ts);
CREATE FOREIGN TABLE ticks_jan PARTITION OF ticks
  FOR VALUES FROM ('2024-01-01') TO ('2024-02-01') SERVER a1 OPTIONS (table 'ticks', series_key 'symbol');
CREATE FOREIGN TABLE ticks_feb PARTITION OF ticks
  FOR VALUES FROM ('2024-02-01') TO ('2024-03-01') SERVER a2 OPTIONS (table 'ticks', series_key 'symbol');
CREATE FOREIGN TABLE ticks_mar PARTITION OF ticks
  FOR VALUES FROM ('2024-03-01') TO ('2024-04-01') SERVER a3 OPTIONS (table 'ticks', series_key 'symbol');

-- The oracle: about 43,000 rows a month, so each partition's scan moves
-- several batches (the first of 1,000 rows, later ones of up to 1 MB).
CREATE TABLE heap (LIKE ticks);
INSERT INTO heap
SELECT '2024-01-01'::timestamptz + i * interval '1 minute', 'S' || (i % 7),
       CASE WHEN i % 101 = 0 THEN NULL ELSE (i % 1000) * 0.25 END, i
  FROM generate_series(0, 131039) i;
INSERT INTO ticks SELECT * FROM heap;
SELECT 1 AS month, count(*) FROM ticks_jan UNION ALL SELECT 2, count(*) FROM ticks_feb
  UNION ALL SELECT 3, count(*) FROM ticks_mar ORDER BY month;

-- rows of query q that are not in query r, and the other way round
CREATE FUNCTION differing(q text, r text) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE n bigint;
BEGIN
  EXECUTE format('SELECT count(*) FROM (((%s) EXCEPT ALL (%s)) UNION ALL ((%s) EXCEPT ALL (%s))) d',
                 q, r, r, q) INTO n;
  RETURN n;
END $$;

-- full scans
EXPLAIN (COSTS OFF) SELECT * FROM ticks;
SELECT differing('SELECT * FROM ticks', 'SELECT * FROM heap');
SELECT count(*), sum(qty), sum(price), min(ts), max(ts) FROM ticks;
SELECT count(*), sum(qty), sum(price), min(ts), max(ts) FROM heap;

-- range scans: pruned to the partitions the range touches
EXPLAIN (COSTS OFF)
SELECT * FROM ticks WHERE ts >= '2024-01-20' AND ts < '2024-02-10';
SELECT differing($$SELECT * FROM ticks WHERE ts >= '2024-01-20' AND ts < '2024-02-10'$$,
                 $$SELECT * FROM heap WHERE ts >= '2024-01-20' AND ts < '2024-02-10'$$);
EXPLAIN (COSTS OFF)
SELECT * FROM ticks WHERE ts >= '2024-03-05' AND ts < '2024-03-06';
SELECT differing($$SELECT * FROM ticks WHERE ts >= '2024-03-05' AND ts < '2024-03-06'$$,
                 $$SELECT * FROM heap WHERE ts >= '2024-03-05' AND ts < '2024-03-06'$$);
SELECT differing($$SELECT * FROM ticks WHERE symbol IN ('S1', 'S4') AND qty % 3 = 0$$,
                 $$SELECT * FROM heap WHERE symbol IN ('S1', 'S4') AND qty % 3 = 0$$);
-- pruning at executor start-up (a generic plan's parameter)
SET plan_cache_mode = force_generic_plan;
PREPARE since(timestamptz) AS SELECT count(*), sum(qty) FROM ticks WHERE ts >= $1;
EXPLAIN (COSTS OFF) EXECUTE since('2024-02-15');
EXECUTE since('2024-02-15');
SELECT count(*), sum(qty) FROM heap WHERE ts >= '2024-02-15';
DEALLOCATE since;
RESET plan_cache_mode;

-- ORDER BY ... LIMIT: in time order the Append keeps its partitions in
-- order (PostgreSQL runs ordered Appends synchronously); in another order
-- the partitions are scanned async and sorted above
EXPLAIN (COSTS OFF) SELECT * FROM ticks ORDER BY ts DESC LIMIT 5;
SELECT * FROM ticks ORDER BY ts DESC LIMIT 5;
SELECT * FROM heap ORDER BY ts DESC LIMIT 5;
EXPLAIN (COSTS OFF) SELECT * FROM ticks ORDER BY price DESC NULLS LAST, qty LIMIT 5;
SELECT * FROM ticks ORDER BY price DESC NULLS LAST, qty LIMIT 5;
SELECT * FROM heap ORDER BY price DESC NULLS LAST, qty LIMIT 5;

-- joins
CREATE TABLE syms (symbol text PRIMARY KEY, sector text);
INSERT INTO syms VALUES ('S0', 'tech'), ('S1', 'tech'), ('S2', 'energy'), ('S3', 'energy'),
  ('S4', 'banks'), ('S5', 'banks');
SELECT differing($$SELECT s.sector, count(*), sum(t.qty) FROM ticks t JOIN syms s USING (symbol) GROUP BY s.sector$$,
                 $$SELECT s.sector, count(*), sum(t.qty) FROM heap t JOIN syms s USING (symbol) GROUP BY s.sector$$);
SELECT count(*) FROM ticks t JOIN heap h USING (ts, qty);
-- a nested loop rescans the async partitions for every outer row
CREATE TABLE probes (ts timestamptz);
INSERT INTO probes SELECT '2024-01-01'::timestamptz + i * interval '9 days 7 hours 3 minutes'
  FROM generate_series(0, 9) i;
SET enable_hashjoin = off;
SET enable_mergejoin = off;
SET enable_material = off;
EXPLAIN (COSTS OFF) SELECT p.ts, t.qty FROM probes p JOIN ticks t ON t.ts = p.ts;
SELECT differing('SELECT p.ts, t.qty FROM probes p JOIN ticks t ON t.ts = p.ts',
                 'SELECT p.ts, t.qty FROM probes p JOIN heap t ON t.ts = p.ts');
SELECT count(*) FROM probes p JOIN ticks t ON t.ts = p.ts;
RESET enable_hashjoin;
RESET enable_mergejoin;
RESET enable_material;

-- aggregates, with and without partitionwise aggregation
SELECT differing('SELECT symbol, count(*), sum(qty), min(price), max(price), count(price) FROM ticks GROUP BY symbol',
                 'SELECT symbol, count(*), sum(qty), min(price), max(price), count(price) FROM heap GROUP BY symbol');
SELECT differing($$SELECT date_trunc('day', ts), avg(price), max(qty) FROM ticks WHERE symbol <> 'S3' GROUP BY 1$$,
                 $$SELECT date_trunc('day', ts), avg(price), max(qty) FROM heap WHERE symbol <> 'S3' GROUP BY 1$$);
SET enable_partitionwise_aggregate = on;
SELECT differing('SELECT symbol, count(*), sum(qty), min(price), max(price), count(price) FROM ticks GROUP BY symbol',
                 'SELECT symbol, count(*), sum(qty), min(price), max(price), count(price) FROM heap GROUP BY symbol');
SELECT differing($$SELECT date_trunc('day', ts), avg(price), max(qty) FROM ticks WHERE symbol <> 'S3' GROUP BY 1$$,
                 $$SELECT date_trunc('day', ts), avg(price), max(qty) FROM heap WHERE symbol <> 'S3' GROUP BY 1$$);
-- grouped by symbol over month partitions: each owner computes its partial
-- groups, all three asked at once
EXPLAIN (COSTS OFF)
SELECT symbol, count(*), sum(qty), avg(price), first(price, ts), last(price, ts) FROM ticks GROUP BY symbol;
SELECT differing('SELECT symbol, count(*), sum(qty), avg(price), first(price, ts), last(price, ts) FROM ticks GROUP BY symbol',
                 'SELECT symbol, count(*), sum(qty), avg(price), first(price, ts), last(price, ts) FROM heap GROUP BY symbol');
-- ... rescanned per outer row with a new series filter (LATERAL)
EXPLAIN (COSTS OFF)
SELECT s.sym, a.* FROM (VALUES ('S1'), ('S2'), ('S5'), ('none')) s(sym),
  LATERAL (SELECT count(*), sum(qty), last(price, ts) FROM ticks WHERE symbol = s.sym AND ts >= '2024-01-20') a;
SELECT differing($$SELECT s.sym, a.* FROM (VALUES ('S1'), ('S2'), ('S5'), ('none')) s(sym),
                   LATERAL (SELECT count(*), sum(qty), last(price, ts) FROM ticks
                             WHERE symbol = s.sym AND ts >= '2024-01-20') a$$,
                 $$SELECT s.sym, a.* FROM (VALUES ('S1'), ('S2'), ('S5'), ('none')) s(sym),
                   LATERAL (SELECT count(*), sum(qty), last(price, ts) FROM heap
                             WHERE symbol = s.sym AND ts >= '2024-01-20') a$$);
RESET enable_partitionwise_aggregate;

-- EXPLAIN ANALYZE counts the rows of every async partition
EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF)
SELECT * FROM ticks WHERE qty % 10 = 0;

-- async_capable: off on the servers, the plain Foreign Scan; a table
-- option overrides its server's
ALTER SERVER a1 OPTIONS (ADD async_capable 'false');
ALTER SERVER a2 OPTIONS (ADD async_capable 'false');
ALTER SERVER a3 OPTIONS (ADD async_capable 'false');
EXPLAIN (COSTS OFF) SELECT * FROM ticks;
SELECT differing('SELECT * FROM ticks', 'SELECT * FROM heap');
ALTER FOREIGN TABLE ticks_feb OPTIONS (ADD async_capable 'true');
EXPLAIN (COSTS OFF) SELECT * FROM ticks;
ALTER FOREIGN TABLE ticks_feb OPTIONS (DROP async_capable);
ALTER SERVER a1 OPTIONS (DROP async_capable);
ALTER SERVER a2 OPTIONS (DROP async_capable);
ALTER SERVER a3 OPTIONS (SET async_capable 'true');
EXPLAIN (COSTS OFF) SELECT * FROM ticks;
ALTER SERVER a3 OPTIONS (SET async_capable 'maybe');
ALTER FOREIGN TABLE ticks_mar OPTIONS (ADD async_capable '');

-- partitions that share an owner (and so a connection): two on a1
CREATE TABLE ticks2 (LIKE ticks) PARTITION BY RANGE (ts);
CREATE FOREIGN TABLE ticks2_jan PARTITION OF ticks2
  FOR VALUES FROM ('2024-01-01') TO ('2024-02-01') SERVER a1 OPTIONS (table 'jan2');
CREATE FOREIGN TABLE ticks2_feb PARTITION OF ticks2
  FOR VALUES FROM ('2024-02-01') TO ('2024-03-01') SERVER a1 OPTIONS (table 'feb2');
CREATE FOREIGN TABLE ticks2_mar PARTITION OF ticks2
  FOR VALUES FROM ('2024-03-01') TO ('2024-04-01') SERVER a2 OPTIONS (table 'mar2');
INSERT INTO ticks2 SELECT * FROM ticks;
EXPLAIN (COSTS OFF) SELECT * FROM ticks2;
SELECT differing('SELECT * FROM ticks2', 'SELECT * FROM heap');
-- six async scans in one Append, three of them on a1
SELECT differing('SELECT * FROM ticks UNION ALL SELECT * FROM ticks2',
                 'SELECT * FROM heap UNION ALL SELECT * FROM heap');
SELECT count(*), sum(qty) FROM (SELECT * FROM ticks UNION ALL SELECT * FROM ticks2) u
 WHERE ts < '2024-02-20';
SELECT 2 * count(*), 2 * sum(qty) FROM heap WHERE ts < '2024-02-20';

-- a cursor stopped in the middle of its async scans while other queries
-- use the same connections, then read to its end
BEGIN;
DECLARE cur CURSOR FOR SELECT qty FROM ticks UNION ALL SELECT qty FROM ticks2;
FETCH 3 FROM cur \g /dev/null
SELECT count(*) FROM ticks_jan;
SELECT count(*) FROM ticks2 WHERE ts >= '2024-02-01';
MOVE FORWARD ALL IN cur;
\echo the cursor read 3 + :ROW_COUNT rows
CLOSE cur;
COMMIT;

-- writes in the transaction of async scans of the same owners: the rows
-- of the transaction commit with it (and scans see committed rows only)
CREATE TABLE copies (LIKE ticks) PARTITION BY RANGE (ts);
CREATE FOREIGN TABLE copies_jan PARTITION OF copies
  FOR VALUES FROM ('2024-01-01') TO ('2024-02-01') SERVER a1 OPTIONS (table 'copies');
CREATE FOREIGN TABLE copies_feb PARTITION OF copies
  FOR VALUES FROM ('2024-02-01') TO ('2024-03-01') SERVER a2 OPTIONS (table 'copies');
CREATE FOREIGN TABLE copies_mar PARTITION OF copies
  FOR VALUES FROM ('2024-03-01') TO ('2024-04-01') SERVER a3 OPTIONS (table 'copies');
BEGIN;
INSERT INTO copies SELECT * FROM ticks WHERE qty % 2 = 0;
SELECT count(*) FROM ticks;
INSERT INTO copies SELECT * FROM ticks2 WHERE qty % 2 = 1;
COMMIT;
SELECT differing('SELECT * FROM copies', 'SELECT * FROM heap');
BEGIN;
INSERT INTO copies SELECT * FROM ticks WHERE ts < '2024-01-02';
ROLLBACK;
SELECT count(*) FROM copies;
