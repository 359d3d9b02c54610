-- series: equality on series-key columns (=, IN, = ANY) becomes a series
-- filter pushed with the time range, against constants, parameters (generic
-- plans), PL/pgSQL variables and nested-loop parameters; answers equal
-- PostgreSQL's on a heap table holding the same rows
SET client_min_messages = warning;
DROP DATABASE IF EXISTS pulsora_series;
CREATE DATABASE pulsora_series;
\c pulsora_series
SET timezone = 'UTC';
SET datestyle = 'ISO, YMD';
CREATE EXTENSION pulsora;
CREATE SERVER s FOREIGN DATA WRAPPER pulsora OPTIONS (data_dir '/tmp/pulsora_regress/series');

-- The oracle: ticks every 7 seconds for about 6 hours, five symbols (one
-- of them NULL) on three venues.
SELECT setseed(0.5);
CREATE TABLE oracle (ts timestamptz NOT NULL, symbol text, venue bigint, px float8, qty bigint);
INSERT INTO oracle
SELECT '2024-01-02 00:00:00+00'::timestamptz + i * interval '7 seconds',
       (ARRAY['AAPL', 'MSFT', 'IBM', 'ORCL', NULL])[1 + i % 5], i % 3,
       round((random() * 1000)::numeric, 1)::float8, i
  FROM generate_series(0, 2999) i;

-- The INSERT creates the store table with the foreign table's series key.
CREATE FOREIGN TABLE ticks (ts timestamptz, symbol text, venue bigint, px float8, qty bigint)
  SERVER s OPTIONS (series_key 'symbol,venue');
INSERT INTO ticks SELECT * FROM oracle;
SELECT * FROM pulsora_schema('s', 'ticks');

-- Rows of a query on ticks against the same query on the oracle.
CREATE FUNCTION same(q text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
  o text := replace(q, 'ticks', 'oracle');
  n bigint;
  missing bigint;
  extra bigint;
BEGIN
  EXECUTE format('SELECT count(*) FROM (%s) d', q) INTO n;
  EXECUTE format('SELECT count(*) FROM ((%s) EXCEPT ALL (%s)) d', o, q) INTO missing;
  EXECUTE format('SELECT count(*) FROM ((%s) EXCEPT ALL (%s)) d', q, o) INTO extra;
  RETURN format('%s rows, %s missing, %s extra', n, missing, extra);
END $$;

-- constants: =, IN, = ANY, both operand orders, integer operands of any width
SELECT same('SELECT * FROM ticks WHERE symbol = ''AAPL''');
SELECT same('SELECT * FROM ticks WHERE ''IBM'' = symbol');
SELECT same('SELECT * FROM ticks WHERE symbol IN (''AAPL'', ''IBM'')');
SELECT same('SELECT * FROM ticks WHERE symbol IN (''AAPL'', NULL, ''nope'')');
SELECT same('SELECT * FROM ticks WHERE symbol = ANY (ARRAY[''MSFT'', ''ORCL''])');
SELECT same('SELECT * FROM ticks WHERE symbol = ANY (''{}''::text[])');
SELECT same('SELECT * FROM ticks WHERE venue = 1');
SELECT same('SELECT * FROM ticks WHERE venue IN (0, 2::smallint)');
SELECT same('SELECT * FROM ticks WHERE 2::bigint = venue');
SELECT same('SELECT * FROM ticks WHERE symbol = lower(''AAPL'')');
-- with a time range, and with other quals PostgreSQL keeps
SELECT same('SELECT * FROM ticks WHERE symbol IN (''AAPL'', ''MSFT'') AND venue = 1
             AND ts >= ''2024-01-02 01:00:00+00'' AND ts < ''2024-01-02 03:00:00+00''');
SELECT same('SELECT * FROM ticks WHERE symbol = ''ORCL'' AND px > 500');
SELECT same('SELECT * FROM ticks WHERE symbol = ''ORCL'' OR venue = 2');
-- several quals on one column: their intersection
SELECT same('SELECT * FROM ticks WHERE symbol IN (''AAPL'', ''IBM'') AND symbol IN (''IBM'', ''ORCL'')');
SELECT same('SELECT * FROM ticks WHERE symbol IN (''AAPL'', ''MSFT'') AND symbol = ANY (''{IBM,ORCL}'')');
-- not series filters: other operators, NULL tests, expressions, non-key columns
SELECT same('SELECT * FROM ticks WHERE symbol <> ''AAPL''');
SELECT same('SELECT * FROM ticks WHERE symbol NOT IN (''AAPL'', ''IBM'')');
SELECT same('SELECT * FROM ticks WHERE symbol IS NULL');
SELECT same('SELECT * FROM ticks WHERE symbol LIKE ''%M%''');
SELECT same('SELECT * FROM ticks WHERE upper(symbol) = ''IBM''');
SELECT same('SELECT * FROM ticks WHERE qty = 5');
SELECT same('SELECT * FROM ticks WHERE qty IN (5, 10, 15)');
-- a case-insensitive collation matches more than bytes do: not pushed
CREATE COLLATION nocase (provider = icu, locale = 'und-u-ks-level2', deterministic = false);
SELECT same('SELECT * FROM ticks WHERE symbol = ''aapl'' COLLATE nocase');
SELECT same('SELECT * FROM ticks WHERE symbol = ''AAPL'' COLLATE "C"');
-- aggregates and ORDER BY ... LIMIT over a filter
SELECT symbol, count(*), sum(qty), min(ts), max(ts) FROM ticks
 WHERE symbol IN ('AAPL', 'IBM') GROUP BY symbol ORDER BY symbol;
SELECT symbol, count(*), sum(qty), min(ts), max(ts) FROM oracle
 WHERE symbol IN ('AAPL', 'IBM') GROUP BY symbol ORDER BY symbol;
SELECT * FROM ticks WHERE symbol = 'MSFT' AND venue = 2 ORDER BY ts DESC LIMIT 3;
SELECT * FROM oracle WHERE symbol = 'MSFT' AND venue = 2 ORDER BY ts DESC LIMIT 3;

-- EXPLAIN shows the filter beside the time range; exact filters leave no Filter
EXPLAIN (COSTS OFF) SELECT * FROM ticks WHERE symbol = 'AAPL';
EXPLAIN (COSTS OFF) SELECT * FROM ticks WHERE symbol IN ('IBM', 'AAPL', 'IBM');
EXPLAIN (COSTS OFF) SELECT * FROM ticks WHERE symbol = ANY ('{ORCL,MSFT}') AND venue IN (2, 0)
  AND ts >= '2024-01-02 01:00:00+00' AND ts < '2024-01-02 02:00:00+00';
EXPLAIN (VERBOSE, COSTS OFF) SELECT count(*) FROM ticks WHERE symbol = 'AAPL' AND venue = 1;
EXPLAIN (VERBOSE, COSTS OFF) SELECT px FROM ticks WHERE symbol = 'AAPL' AND px > 990;
EXPLAIN (COSTS OFF) SELECT * FROM ticks WHERE symbol = 'MSFT' ORDER BY ts DESC LIMIT 3;
EXPLAIN (COSTS OFF) SELECT * FROM ticks WHERE symbol IN ('AAPL', 'IBM') AND symbol IN ('IBM', 'ORCL');
-- no value can match: no scan at all
EXPLAIN (COSTS OFF) SELECT * FROM ticks WHERE symbol IN ('AAPL', 'MSFT') AND symbol = ANY ('{IBM,ORCL}');
EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF)
  SELECT * FROM ticks WHERE symbol = ANY ('{NULL}'::text[]);
-- not pushed
EXPLAIN (COSTS OFF) SELECT * FROM ticks WHERE symbol NOT IN ('AAPL', 'IBM');
EXPLAIN (COSTS OFF) SELECT * FROM ticks WHERE qty = 5;
EXPLAIN (COSTS OFF) SELECT * FROM ticks WHERE symbol = 'aapl' COLLATE nocase;
EXPLAIN (COSTS OFF) SELECT * FROM ticks WHERE symbol = 'ORCL' OR venue = 2;
EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF)
  SELECT count(*) FROM ticks WHERE symbol = 'ORCL' AND venue = 0;

-- estimates: a filter keeps a share of the table's rows
CREATE FUNCTION plan_rows(q text) RETURNS float8 LANGUAGE plpgsql AS $$
DECLARE
  plan json;
BEGIN
  EXECUTE 'EXPLAIN (FORMAT JSON) ' || q INTO plan;
  RETURN (plan -> 0 -> 'Plan' ->> 'Plan Rows')::float8;
END $$;
SELECT plan_rows('SELECT * FROM ticks') AS all_rows,
       plan_rows('SELECT * FROM ticks WHERE symbol = ''AAPL''') < 3000 AS one_symbol_fewer,
       plan_rows('SELECT * FROM ticks WHERE symbol = ''AAPL''')
         <= plan_rows('SELECT * FROM ticks WHERE symbol IN (''AAPL'', ''IBM'')') AS two_symbols_more;

-- parameters: generic plans evaluate them when the scan starts
SET plan_cache_mode = force_generic_plan;
PREPARE p1(text) AS SELECT count(*), sum(qty) FROM ticks WHERE symbol = $1;
EXPLAIN (COSTS OFF) EXECUTE p1('AAPL');
EXECUTE p1('AAPL');
SELECT count(*), sum(qty) FROM oracle WHERE symbol = 'AAPL';
EXECUTE p1('nope');
EXECUTE p1(NULL);
PREPARE p2(text, text, int) AS
  SELECT count(*), sum(qty) FROM ticks WHERE symbol IN ($1, $2) AND venue = $3;
EXPLAIN (COSTS OFF) EXECUTE p2('AAPL', 'IBM', 2);
EXECUTE p2('AAPL', 'IBM', 2);
SELECT count(*), sum(qty) FROM oracle WHERE symbol IN ('AAPL', 'IBM') AND venue = 2;
EXECUTE p2('AAPL', NULL, 2);
-- an array parameter: its length is known only at run time, so PostgreSQL
-- keeps the qual too (the filter still goes to the owner)
PREPARE p3(text[]) AS SELECT count(*), sum(qty) FROM ticks WHERE symbol = ANY ($1);
EXPLAIN (COSTS OFF) EXECUTE p3('{MSFT,ORCL}');
EXECUTE p3('{MSFT,ORCL}');
SELECT count(*), sum(qty) FROM oracle WHERE symbol = ANY ('{MSFT,ORCL}');
EXECUTE p3('{MSFT,NULL}');
EXECUTE p3('{}');
EXECUTE p3(NULL);
EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF) EXECUTE p3('{ORCL,IBM,ORCL}');
-- more values than a scan can carry (65536): PostgreSQL filters alone
CREATE FUNCTION plan_property(q text, property text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
  plan json;
BEGIN
  EXECUTE 'EXPLAIN (ANALYZE, FORMAT JSON) ' || q INTO plan;
  RETURN coalesce(plan -> 0 -> 'Plan' -> 'Plans' -> 0 ->> property, '(none)');
END $$;
SELECT array_agg('S' || i) || '{IBM}' AS many FROM generate_series(1, 70000) i \gset
SELECT plan_property(format('EXECUTE p3(%L)', :'many'), 'Series Filter') AS run_time_array,
       plan_property(format('EXECUTE p3(%L)', :'many'), 'Filter') AS run_time_recheck;
EXECUTE p3(:'many');
SELECT plan_property(format('SELECT count(*) FROM ticks WHERE symbol = ANY (%L::text[])', :'many'),
                     'Series Filter') AS constant_array;
SELECT count(*), sum(qty) FROM ticks WHERE symbol = ANY (:'many'::text[]);
SELECT count(*), sum(qty) FROM oracle WHERE symbol = ANY (:'many'::text[]);
-- a time range and a series filter from parameters together
PREPARE p4(timestamptz, timestamptz, text) AS
  SELECT count(*), sum(qty) FROM ticks WHERE ts >= $1 AND ts < $2 AND symbol = $3;
EXPLAIN (COSTS OFF) EXECUTE p4('2024-01-02 01:00:00+00', '2024-01-02 02:00:00+00', 'IBM');
EXECUTE p4('2024-01-02 01:00:00+00', '2024-01-02 02:00:00+00', 'IBM');
SELECT count(*), sum(qty) FROM oracle
 WHERE ts >= '2024-01-02 01:00:00+00' AND ts < '2024-01-02 02:00:00+00' AND symbol = 'IBM';

-- PL/pgSQL: variables become parameters of cached plans (generic ones here)
CREATE FUNCTION sym_count(s text, v bigint) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
  n bigint;
BEGIN
  SELECT count(*) INTO n FROM ticks WHERE symbol = s AND venue = v;
  RETURN n;
END $$;
SELECT s, v, sym_count(s, v) AS pulsora,
       (SELECT count(*) FROM oracle WHERE symbol = s AND venue = v) AS oracle
  FROM unnest(ARRAY['AAPL', 'IBM', 'ORCL', 'nope', NULL]) s, generate_series(0, 2) v
 ORDER BY 1, 2;
CREATE FUNCTION sym_rows(syms text[]) RETURNS SETOF ticks LANGUAGE plpgsql AS $$
BEGIN
  RETURN QUERY SELECT * FROM ticks WHERE symbol = ANY (syms) AND venue = 1 ORDER BY ts LIMIT 3;
END $$;
SELECT * FROM sym_rows('{IBM,ORCL}');
SELECT * FROM sym_rows('{IBM,ORCL}');
SELECT * FROM oracle WHERE symbol = ANY ('{IBM,ORCL}') AND venue = 1 ORDER BY ts LIMIT 3;
RESET plan_cache_mode;

-- nested loops and LATERAL: the outer row's values become the filter
CREATE TABLE wanted (sym text, v bigint);
INSERT INTO wanted VALUES ('AAPL', 0), ('IBM', 1), ('ZZZ', 2), (NULL, 1), ('ORCL', 1);
SET enable_hashjoin = off;
SET enable_mergejoin = off;
EXPLAIN (COSTS OFF)
  SELECT w.sym, w.v, count(*) FROM wanted w JOIN ticks t ON t.symbol = w.sym AND t.venue = w.v
   GROUP BY 1, 2;
SELECT w.sym, w.v, count(*), sum(t.qty) FROM wanted w JOIN ticks t ON t.symbol = w.sym AND t.venue = w.v
 GROUP BY 1, 2 ORDER BY 1, 2;
SELECT w.sym, w.v, count(*), sum(t.qty) FROM wanted w JOIN oracle t ON t.symbol = w.sym AND t.venue = w.v
 GROUP BY 1, 2 ORDER BY 1, 2;
EXPLAIN (COSTS OFF)
  SELECT w.sym, x.* FROM wanted w,
         LATERAL (SELECT count(*), max(ts) FROM ticks t WHERE t.symbol = w.sym) x;
SELECT w.sym, x.* FROM wanted w,
       LATERAL (SELECT count(*), max(ts) FROM ticks t WHERE t.symbol = w.sym) x ORDER BY 1;
SELECT w.sym, x.* FROM wanted w,
       LATERAL (SELECT count(*), max(ts) FROM oracle t WHERE t.symbol = w.sym) x ORDER BY 1;
EXPLAIN (COSTS OFF)
  SELECT w.sym, x.ts, x.qty FROM wanted w,
         LATERAL (SELECT * FROM ticks t WHERE t.symbol = w.sym AND t.venue = w.v
                   ORDER BY ts DESC LIMIT 2) x;
SELECT w.sym, x.ts, x.qty FROM wanted w,
       LATERAL (SELECT * FROM ticks t WHERE t.symbol = w.sym AND t.venue = w.v
                 ORDER BY ts DESC LIMIT 2) x ORDER BY 1, 2;
SELECT w.sym, x.ts, x.qty FROM wanted w,
       LATERAL (SELECT * FROM oracle t WHERE t.symbol = w.sym AND t.venue = w.v
                 ORDER BY ts DESC LIMIT 2) x ORDER BY 1, 2;
-- the last rescan's values show after the run
EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF)
  SELECT w.sym, x.* FROM (SELECT * FROM wanted WHERE sym IS NOT NULL) w,
         LATERAL (SELECT count(*) FROM ticks t WHERE t.symbol = w.sym) x;
-- initplans
EXPLAIN (COSTS OFF)
  SELECT count(*) FROM ticks WHERE symbol = (SELECT min(sym) FROM wanted);
SELECT count(*) FROM ticks WHERE symbol = (SELECT min(sym) FROM wanted);
SELECT count(*) FROM oracle WHERE symbol = (SELECT min(sym) FROM wanted);
SELECT count(*) FROM ticks WHERE symbol = ANY (ARRAY(SELECT sym FROM wanted));
SELECT count(*) FROM oracle WHERE symbol = ANY (ARRAY(SELECT sym FROM wanted));
RESET enable_hashjoin;
RESET enable_mergejoin;

-- a foreign column mapped to another store name filters on that name
CREATE FOREIGN TABLE renamed (t timestamptz OPTIONS (column_name 'ts'),
                              sym text OPTIONS (column_name 'symbol'), venue bigint)
  SERVER s OPTIONS (table 'ticks');
EXPLAIN (COSTS OFF) SELECT count(*) FROM renamed WHERE sym = 'IBM' AND venue = 0;
SELECT count(*) FROM renamed WHERE sym = 'IBM' AND venue = 0;
SELECT count(*) FROM oracle WHERE symbol = 'IBM' AND venue = 0;

-- a boolean key: PostgreSQL writes "flag = true" as "flag"
CREATE FOREIGN TABLE flags (ts timestamptz, flag boolean, n bigint)
  SERVER s OPTIONS (series_key 'flag');
INSERT INTO flags SELECT '2024-01-01'::timestamptz + i * interval '1 minute',
       CASE WHEN i % 3 = 0 THEN NULL ELSE i % 2 = 0 END, i
  FROM generate_series(1, 30) i;
EXPLAIN (COSTS OFF) SELECT count(*) FROM flags WHERE flag = true;
SELECT count(*), sum(n) FROM flags WHERE flag = true;
EXPLAIN (COSTS OFF) SELECT count(*) FROM flags WHERE NOT flag;
SELECT count(*), sum(n) FROM flags WHERE NOT flag;
SELECT count(*), sum(n) FROM flags WHERE flag IN (true, false);
SELECT count(*), sum(n) FROM flags WHERE flag IS NULL;

-- estimates: with constant series filters the planner's row count is the
-- owner's count from block metadata, as series differ in size (plan_rows
-- is defined above)
CREATE FOREIGN TABLE skewed (ts timestamptz, symbol text, n bigint) SERVER s;
INSERT INTO skewed SELECT '2024-01-01'::timestamptz + i * interval '1 second',
       CASE WHEN i % 100 = 0 THEN 'RARE' ELSE 'COMMON' END, i
  FROM generate_series(0, 9999) i;
SELECT plan_rows('SELECT * FROM skewed WHERE symbol = ''RARE''');
SELECT plan_rows('SELECT * FROM skewed WHERE symbol = ''COMMON''');
SELECT plan_rows('SELECT * FROM skewed WHERE symbol IN (''RARE'', ''COMMON'')');
SELECT plan_rows('SELECT * FROM skewed WHERE symbol = ''NONE''');
-- the time range too: the first hour holds 3600 rows, 36 of them RARE
SELECT plan_rows('SELECT * FROM skewed WHERE symbol = ''RARE'' AND ts < ''2024-01-01 01:00''');
SELECT count(*) FROM skewed WHERE symbol = 'RARE' AND ts < '2024-01-01 01:00';
