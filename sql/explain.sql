-- explain: the pushed time range for every predicate form, ORDER BY and
-- LIMIT without a Sort, rows fetched
SET client_min_messages = warning;
DROP DATABASE IF EXISTS pulsora_explain;
CREATE DATABASE pulsora_explain;
\c pulsora_explain
SET timezone = 'UTC';
SET datestyle = 'ISO, YMD';
CREATE EXTENSION pulsora;
CREATE SERVER s FOREIGN DATA WRAPPER pulsora OPTIONS (data_dir '/tmp/pulsora_regress/explain');
CREATE FOREIGN TABLE ft (ts timestamptz, sym text, px float8, qty bigint) SERVER s;
-- one row a minute for a day (the first INSERT creates the store table)
INSERT INTO ft
SELECT '2024-01-01 00:00:00+00'::timestamptz + i * interval '1 minute',
       (ARRAY['AAPL', 'MSFT'])[1 + i % 2], 100 + i / 10.0, i
  FROM generate_series(0, 1439) i;
SELECT * FROM pulsora_tables('s');

-- constants, every operator, both operand orders
EXPLAIN (COSTS OFF) SELECT * FROM ft WHERE ts >= '2024-01-01 10:00:00+00';
EXPLAIN (COSTS OFF) SELECT * FROM ft WHERE ts > '2024-01-01 10:00:00+00';
EXPLAIN (COSTS OFF) SELECT * FROM ft WHERE ts < '2024-01-01 10:00:00+00';
EXPLAIN (COSTS OFF) SELECT * FROM ft WHERE ts <= '2024-01-01 10:00:00+00';
EXPLAIN (COSTS OFF) SELECT * FROM ft WHERE ts = '2024-01-01 10:00:00+00';
EXPLAIN (COSTS OFF) SELECT * FROM ft WHERE '2024-01-01 10:00:00+00' < ts;
EXPLAIN (COSTS OFF) SELECT * FROM ft
  WHERE ts BETWEEN '2024-01-01 10:00:00+00' AND '2024-01-01 11:00:00+00';
EXPLAIN (COSTS OFF) SELECT * FROM ft
  WHERE ts >= '2024-01-01 10:00:00+00' AND ts >= '2024-01-01 10:30:00+00' AND ts < '2024-01-01 12:00:00+00';
-- each bound shows as written ("<" and ">" open, "<=" and ">=" closed); of two
-- quals on one side the tighter stays, and at equal values the exclusive one
EXPLAIN (COSTS OFF) SELECT * FROM ft
  WHERE ts > '2024-01-01 10:00:00+00' AND ts <= '2024-01-01 11:00:00+00';
EXPLAIN (COSTS OFF) SELECT * FROM ft
  WHERE ts < '2024-01-01 11:00:00+00' AND ts <= '2024-01-01 10:30:00+00';
EXPLAIN (COSTS OFF) SELECT * FROM ft
  WHERE ts <= '2024-01-01 11:00:00+00' AND ts < '2024-01-01 11:00:00+00'
    AND ts >= '2024-01-01 10:00:00+00' AND ts > '2024-01-01 10:00:00+00';
-- other quals stay with PostgreSQL (but sym, the table's inferred series key,
-- becomes a series filter: see series.sql)
EXPLAIN (COSTS OFF) SELECT * FROM ft
  WHERE ts >= '2024-01-01 10:00:00+00' AND sym = 'AAPL' AND (ts < '2024-01-01 11:00:00+00' OR qty = 1);
EXPLAIN (COSTS OFF) SELECT * FROM ft WHERE ts IN ('2024-01-01 10:00:00+00', '2024-01-01 11:00:00+00');
EXPLAIN (COSTS OFF) SELECT * FROM ft WHERE sym = 'AAPL';

-- timestamp and date operands mean instants in the session's time zone
SET timezone = 'America/New_York';
EXPLAIN (COSTS OFF) SELECT * FROM ft WHERE ts >= '2024-01-01 05:00:00'::timestamp;
EXPLAIN (COSTS OFF) SELECT * FROM ft WHERE ts < '2024-01-02'::date;
SELECT count(*) FROM ft WHERE ts >= '2024-01-01 05:00:00'::timestamp AND ts < '2024-01-01 06:00:00'::timestamp;
SET timezone = 'UTC';
EXPLAIN (COSTS OFF) SELECT * FROM ft WHERE ts >= '2024-01-01'::date AND ts < '2024-01-01 01:00'::timestamp;

-- infinity and contradictions: no scan at all
EXPLAIN (COSTS OFF) SELECT * FROM ft WHERE ts > '-infinity';
EXPLAIN (COSTS OFF) SELECT * FROM ft WHERE ts < 'infinity';
EXPLAIN (COSTS OFF) SELECT * FROM ft WHERE ts > 'infinity';
EXPLAIN (COSTS OFF) SELECT * FROM ft WHERE ts >= '2024-01-01 12:00:00+00' AND ts < '2024-01-01 11:00:00+00';
EXPLAIN (COSTS OFF) SELECT * FROM ft WHERE ts >= '2300-01-01';
EXPLAIN (COSTS OFF) SELECT * FROM ft WHERE ts = NULL::timestamptz;
EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF)
  SELECT * FROM ft WHERE ts > '2024-01-01 12:00:00+00' AND ts < '2024-01-01 11:00:00+00';

-- stable expressions are evaluated when the scan starts
EXPLAIN (COSTS OFF) SELECT * FROM ft WHERE ts >= '2024-01-01 12:00:00+00'::timestamptz - interval '1 hour';
CREATE FUNCTION pushed_range(query text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
  plan json;
BEGIN
  EXECUTE 'EXPLAIN (FORMAT JSON) ' || query INTO plan;
  RETURN plan -> 0 -> 'Plan' ->> 'Time Range';
END $$;
SELECT pushed_range('SELECT * FROM ft WHERE ts >= now() - interval ''1 hour''')
       = format('[%s, infinity]', now() - interval '1 hour') AS now_minus_one_hour;
SELECT count(*) FROM ft WHERE ts >= now() - interval '1 hour';

-- parameters: custom plans, then the generic plan (after five executions)
PREPARE q(timestamptz, timestamptz, bigint) AS
  SELECT count(*) FROM ft WHERE ts >= $1 AND ts < $2 AND qty > $3;
EXECUTE q('2024-01-01 10:00:00+00', '2024-01-01 11:00:00+00', 0);
EXECUTE q('2024-01-01 10:00:00+00', '2024-01-01 11:00:00+00', 0);
EXECUTE q('2024-01-01 10:00:00+00', '2024-01-01 11:00:00+00', 0);
EXECUTE q('2024-01-01 10:00:00+00', '2024-01-01 11:00:00+00', 0);
EXECUTE q('2024-01-01 10:00:00+00', '2024-01-01 11:00:00+00', 0);
EXECUTE q('2024-01-01 10:00:00+00', '2024-01-01 10:30:00+00', 0);
EXPLAIN (COSTS OFF) EXECUTE q('2024-01-01 10:00:00+00', '2024-01-01 10:30:00+00', 0);
EXECUTE q('2024-01-01 20:00:00+00', '2024-01-02 00:00:00+00', 1300);
SET plan_cache_mode = force_generic_plan;
PREPARE g(timestamptz) AS SELECT count(*) FROM ft WHERE ts < $1;
EXPLAIN (COSTS OFF) EXECUTE g('2024-01-01 00:10:00+00');
EXECUTE g('2024-01-01 00:10:00+00');
EXECUTE g('-infinity');
EXECUTE g(NULL);
RESET plan_cache_mode;

-- initplan and nested-loop parameters are known only at run time
EXPLAIN (COSTS OFF)
  SELECT * FROM ft WHERE ts > (SELECT max(ts) - interval '3 minutes' FROM ft);
EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF)
  SELECT * FROM ft WHERE ts > (SELECT max(ts) - interval '3 minutes' FROM ft);
CREATE TABLE marks (t timestamptz);
INSERT INTO marks VALUES ('2024-01-01 06:00:00+00'), ('2024-01-01 18:00:00+00');
EXPLAIN (COSTS OFF)
  SELECT m.t, f.ts, f.qty FROM marks m,
         LATERAL (SELECT * FROM ft WHERE ts >= m.t ORDER BY ts LIMIT 2) f;
SELECT m.t, f.ts, f.qty FROM marks m,
       LATERAL (SELECT * FROM ft WHERE ts >= m.t ORDER BY ts LIMIT 2) f ORDER BY 1, 2;

-- ORDER BY the time column needs no Sort; LIMIT stops the scan
EXPLAIN (COSTS OFF) SELECT * FROM ft ORDER BY ts DESC LIMIT 5;
SELECT * FROM ft ORDER BY ts DESC LIMIT 5;
EXPLAIN (COSTS OFF) SELECT * FROM ft WHERE ts < '2024-01-01 12:00:00+00' ORDER BY ts DESC LIMIT 3;
SELECT * FROM ft WHERE ts < '2024-01-01 12:00:00+00' ORDER BY ts DESC LIMIT 3;
EXPLAIN (COSTS OFF) SELECT * FROM ft ORDER BY ts LIMIT 3 OFFSET 2;
SELECT * FROM ft ORDER BY ts LIMIT 3 OFFSET 2;
EXPLAIN (COSTS OFF) SELECT * FROM ft ORDER BY ts DESC NULLS LAST;
EXPLAIN (COSTS OFF) SELECT * FROM ft LIMIT 4;
EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF) SELECT * FROM ft ORDER BY ts DESC LIMIT 7;
-- a series filter (sym is the table's inferred series key) is exact: the LIMIT goes along
EXPLAIN (COSTS OFF) SELECT * FROM ft WHERE sym = 'AAPL' ORDER BY ts DESC LIMIT 5;
SELECT * FROM ft WHERE sym = 'AAPL' ORDER BY ts DESC LIMIT 5;
-- not when rows may be dropped or reordered between the scan and the LIMIT
EXPLAIN (COSTS OFF) SELECT * FROM ft WHERE qty % 2 = 0 ORDER BY ts DESC LIMIT 5;
SELECT * FROM ft WHERE qty % 2 = 0 ORDER BY ts DESC LIMIT 5;
EXPLAIN (COSTS OFF) SELECT * FROM ft ORDER BY qty DESC LIMIT 5;
EXPLAIN (COSTS OFF) SELECT * FROM ft ORDER BY ts, qty LIMIT 5;
EXPLAIN (COSTS OFF) SELECT DISTINCT sym FROM ft LIMIT 5;
-- (a LIMIT over groups the owner computes goes with them: it keeps that many groups)
EXPLAIN (COSTS OFF) SELECT sym, count(*) FROM ft GROUP BY sym LIMIT 1;

-- only the columns a query uses travel (count(*) computed from the rows, not by the owner)
EXPLAIN (VERBOSE, COSTS OFF) SELECT sym FROM ft WHERE qty > 5;
SET pulsora.enable_aggregate_pushdown = off;
EXPLAIN (VERBOSE, COSTS OFF) SELECT count(*) FROM ft WHERE ts < '2024-01-01 01:00:00+00';
RESET pulsora.enable_aggregate_pushdown;
EXPLAIN (VERBOSE, COSTS OFF) SELECT count(*) FROM ft WHERE ts < '2024-01-01 01:00:00+00';
EXPLAIN (VERBOSE, COSTS OFF) SELECT ft FROM ft LIMIT 1;
EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF)
  SELECT count(*) FROM ft WHERE ts >= '2024-01-01 23:00:00+00';

-- estimates come from the catalog's count and time bounds
EXPLAIN SELECT * FROM ft;
EXPLAIN SELECT * FROM ft WHERE ts >= '2024-01-01 12:00:00+00';
EXPLAIN SELECT * FROM ft WHERE ts >= '2024-01-01 23:00:00+00';
