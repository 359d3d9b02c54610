-- analyze: ANALYZE samples a foreign table through a scan; plans use the
-- catalog's exact count and time bounds
SET client_min_messages = warning;
DROP DATABASE IF EXISTS pulsora_analyze;
CREATE DATABASE pulsora_analyze;
\c pulsora_analyze
SET timezone = 'UTC';
SET datestyle = 'ISO, YMD';
CREATE EXTENSION pulsora;
CREATE SERVER s FOREIGN DATA WRAPPER pulsora OPTIONS (data_dir '/tmp/pulsora_regress/analyze');
CREATE FOREIGN TABLE ticks (ts timestamptz, sym text, px float8) SERVER s;
INSERT INTO ticks SELECT '2024-01-01'::timestamptz + i * interval '1 second',
                         (ARRAY['A', 'B', 'C', 'D'])[1 + i % 4], i % 100
  FROM generate_series(0, 49999) i;

-- before ANALYZE: the count is exact anyway, other quals use defaults
EXPLAIN SELECT * FROM ticks;
EXPLAIN SELECT * FROM ticks WHERE ts < '2024-01-01 01:00:00+00';
EXPLAIN SELECT * FROM ticks WHERE ts >= '2024-01-01 06:00:00+00' AND ts < '2024-01-01 06:30:00+00';
EXPLAIN SELECT * FROM ticks WHERE ts > '2024-02-01';
EXPLAIN SELECT * FROM ticks WHERE sym = 'A';

SET client_min_messages = info;
ANALYZE VERBOSE ticks;
SET client_min_messages = warning;
SELECT reltuples FROM pg_class WHERE relname = 'ticks';
SELECT attname, n_distinct, array_length(most_common_vals::text::text[], 1) AS common_values
  FROM pg_stats WHERE tablename = 'ticks' AND attname IN ('sym', 'px') ORDER BY attname;

-- after ANALYZE: statistics for the other columns (the sample is random,
-- so estimates are checked against bounds)
CREATE FUNCTION estimated_rows(query text) RETURNS float8 LANGUAGE plpgsql AS $$
DECLARE
  plan json;
BEGIN
  EXECUTE 'EXPLAIN (FORMAT JSON) ' || query INTO plan;
  RETURN (plan -> 0 -> 'Plan' ->> 'Plan Rows')::float8;
END $$;
SELECT estimated_rows('SELECT * FROM ticks WHERE sym = ''A''') BETWEEN 11500 AND 13500 AS sym_a;
SELECT estimated_rows('SELECT * FROM ticks WHERE sym = ''A'' AND ts < ''2024-01-01 01:00:00+00''')
       BETWEEN 800 AND 1000 AS sym_a_first_hour;
SELECT estimated_rows('SELECT * FROM ticks WHERE px < 10') BETWEEN 4000 AND 6000 AS px_below_10;
