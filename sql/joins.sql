-- joins: several scans open at once on one connection (self-join, nested
-- loop re-scans with parameters, cursors left open)
SET client_min_messages = warning;
DROP DATABASE IF EXISTS pulsora_joins;
CREATE DATABASE pulsora_joins;
\c pulsora_joins
SET timezone = 'UTC';
SET datestyle = 'ISO, YMD';
CREATE EXTENSION pulsora;
CREATE SERVER s FOREIGN DATA WRAPPER pulsora OPTIONS (data_dir '/tmp/pulsora_regress/joins');
CREATE FOREIGN TABLE trades (ts timestamptz, sym text, px float8) SERVER s;
CREATE FOREIGN TABLE quotes (ts timestamptz, sym text, bid float8) SERVER s;
INSERT INTO trades SELECT '2024-01-01'::timestamptz + i * interval '1 second', (ARRAY['A', 'B'])[1 + i % 2], i
  FROM generate_series(0, 999) i;
INSERT INTO quotes SELECT '2024-01-01'::timestamptz + i * interval '500 milliseconds', (ARRAY['A', 'B'])[1 + i % 2], i / 2.0
  FROM generate_series(0, 1999) i;
CREATE TABLE h_trades AS SELECT * FROM trades;
CREATE TABLE h_quotes AS SELECT * FROM quotes;

-- a self-join: two scans of one table at once
SELECT count(*) FROM trades a JOIN trades b ON a.ts = b.ts + interval '1 second';
SELECT count(*) FROM h_trades a JOIN h_trades b ON a.ts = b.ts + interval '1 second';
SET enable_hashjoin = off;
SET enable_mergejoin = off;
SELECT count(*), sum(a.px - b.px) FROM trades a JOIN trades b ON a.ts = b.ts + interval '1 second'
  WHERE a.ts < '2024-01-01 00:01:00';
RESET enable_hashjoin;
RESET enable_mergejoin;

-- a parameterised nested loop: the time range comes from the outer row
CREATE TABLE marks (t timestamptz);
INSERT INTO marks SELECT '2024-01-01'::timestamptz + i * interval '100 seconds' FROM generate_series(0, 9) i;
ANALYZE marks;
EXPLAIN (COSTS OFF)
  SELECT m.t, count(*) FROM marks m JOIN trades f ON f.ts >= m.t AND f.ts < m.t + interval '10 seconds'
  GROUP BY m.t;
SELECT m.t, count(*), min(f.ts), max(f.ts)
  FROM marks m JOIN trades f ON f.ts >= m.t AND f.ts < m.t + interval '10 seconds'
  GROUP BY m.t ORDER BY m.t;
EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF)
  SELECT count(*) FROM marks m JOIN trades f ON f.ts >= m.t AND f.ts < m.t + interval '10 seconds';
-- an equality join can drive the range too (here once hash and merge joins are off)
SET enable_hashjoin = off;
SET enable_mergejoin = off;
EXPLAIN (COSTS OFF)
  SELECT * FROM marks m JOIN trades f ON f.ts = m.t;
SELECT * FROM marks m JOIN trades f ON f.ts = m.t ORDER BY 1;
RESET enable_hashjoin;
RESET enable_mergejoin;

-- as-of join: the last quote at or before each trade, via LATERAL
SELECT t.ts, t.sym, q.ts AS quote_ts, q.bid
  FROM trades t,
       LATERAL (SELECT * FROM quotes q WHERE q.ts <= t.ts ORDER BY q.ts DESC LIMIT 1) q
  WHERE t.ts BETWEEN '2024-01-01 00:05:00' AND '2024-01-01 00:05:03'
  ORDER BY t.ts;
-- the same against the heap tables
SELECT count(*) FROM (
  (SELECT t.ts, q.ts AS qts, q.bid FROM trades t,
          LATERAL (SELECT * FROM quotes q WHERE q.ts <= t.ts ORDER BY q.ts DESC LIMIT 1) q
   EXCEPT
   SELECT t.ts, q.ts, q.bid FROM h_trades t,
          LATERAL (SELECT * FROM h_quotes q WHERE q.ts <= t.ts ORDER BY q.ts DESC LIMIT 1) q)
  UNION ALL
  (SELECT t.ts, q.ts, q.bid FROM h_trades t,
          LATERAL (SELECT * FROM h_quotes q WHERE q.ts <= t.ts ORDER BY q.ts DESC LIMIT 1) q
   EXCEPT
   SELECT t.ts, q.ts AS qts, q.bid FROM trades t,
          LATERAL (SELECT * FROM quotes q WHERE q.ts <= t.ts ORDER BY q.ts DESC LIMIT 1) q)) d;

-- correlated subqueries re-scan with new parameters
SELECT t.ts, (SELECT count(*) FROM quotes q WHERE q.ts > t.ts - interval '2 seconds' AND q.ts <= t.ts)
  FROM trades t WHERE t.ts < '2024-01-01 00:00:04' ORDER BY t.ts;

-- cursors: several open at once, fetched alternately, one left open
BEGIN;
DECLARE c1 CURSOR FOR SELECT ts, px FROM trades ORDER BY ts;
DECLARE c2 CURSOR FOR SELECT ts, bid FROM quotes ORDER BY ts DESC;
DECLARE c3 CURSOR FOR SELECT ts FROM trades WHERE ts >= '2024-01-01 00:10:00' ORDER BY ts;
FETCH 2 FROM c1;
FETCH 2 FROM c2;
FETCH 1 FROM c3;
FETCH 2 FROM c1;
CLOSE c2;
FETCH 1 FROM c3;
SELECT count(*) FROM trades;
COMMIT;
-- the cursors' scans closed with the transaction; the connection goes on
SELECT count(*) FROM quotes;
-- an error in the middle of a scan leaves the connection usable
SELECT 1 / (px - 500)::int FROM trades;
SELECT count(*) FROM trades WHERE ts >= '2024-01-01 00:16:00';
