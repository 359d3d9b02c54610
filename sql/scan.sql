-- scan: answers equal PostgreSQL's on a heap table holding the same rows,
-- for many time ranges and every predicate form
SET client_min_messages = warning;
DROP DATABASE IF EXISTS pulsora_scan;
CREATE DATABASE pulsora_scan;
\c pulsora_scan
SET timezone = 'UTC';
SET datestyle = 'ISO, YMD';
CREATE EXTENSION pulsora;
CREATE SERVER s FOREIGN DATA WRAPPER pulsora OPTIONS (data_dir '/tmp/pulsora_regress/scan');

-- The oracle: a heap table.  Times are microseconds; the CSV loaded into
-- pulsora adds 0..999 nanoseconds to each, which PostgreSQL must see floored.
-- Negative times (before 1970), duplicates, NULLs and the extremes of the
-- store's range are included.
SELECT setseed(0.25);
CREATE TABLE oracle (ts timestamptz NOT NULL, sym text, px float8, qty bigint, ok boolean,
                     ns int NOT NULL);
INSERT INTO oracle
SELECT '2024-03-10 00:00:00+00'::timestamptz + make_interval(secs => random() * 172800),
       (ARRAY['AAPL', 'MSFT', 'GOOG', NULL])[1 + floor(random() * 4)::int],
       CASE WHEN random() < 0.05 THEN NULL ELSE round((random() * 1000)::numeric, 3)::float8 + 0.5 END,
       (random() * 1000000)::bigint - 500000,
       CASE WHEN random() < 0.1 THEN NULL ELSE random() < 0.5 END,
       floor(random() * 1000)::int
  FROM generate_series(1, 4000);
INSERT INTO oracle   -- around the Unix epoch, negative times included
SELECT '1970-01-01 00:00:00+00'::timestamptz + make_interval(secs => random() * 20 - 10),
       'EPOCH', 1.5, i, true, floor(random() * 1000)::int
  FROM generate_series(1, 300) i;
INSERT INTO oracle   -- many rows at one time
SELECT '2024-03-10 12:00:00+00', 'DUP', 2.5, i, false, i * 10
  FROM generate_series(0, 99) i;
INSERT INTO oracle VALUES
  ('1677-09-21 00:12:43.145225+00', 'MIN', 0.5, 1, true, 0),
  ('2262-04-11 23:47:16.854775+00', 'MAX', 0.5, 2, true, 807),
  ('1969-12-31 23:59:59.999999+00', 'EDGE', 0.5, 3, true, 999),
  ('1970-01-01 00:00:00+00', 'EDGE', 0.5, 4, true, 0);

SELECT 'ts,sym,px,qty,ok' || E'\n' ||
       string_agg(format('%s%sZ,%s,%s,%s,%s',
                         to_char(ts AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US'),
                         lpad(ns::text, 3, '0'), sym, px, qty, ok), E'\n' ORDER BY ts) AS csv
  FROM oracle \gset
SELECT rows_loaded, rows_rejected
  FROM pulsora_ingest_csv('s', 'ticks', :'csv', '{"time_column": "ts"}');
SELECT * FROM pulsora_schema('s', 'ticks');

CREATE FOREIGN TABLE ft (ts timestamptz, sym text, px float8, qty bigint, ok boolean)
  SERVER s OPTIONS (table 'ticks');

-- every row, both ways
SELECT count(*) FROM ft;
SELECT count(*) AS missing_in_pulsora FROM (
  SELECT ts, sym, px, qty, ok FROM oracle EXCEPT ALL SELECT * FROM ft) d;
SELECT count(*) AS extra_in_pulsora FROM (
  SELECT * FROM ft EXCEPT ALL SELECT ts, sym, px, qty, ok FROM oracle) d;

-- nanoseconds are floored to microseconds, also before 1970
SELECT ts, sym, qty FROM ft WHERE sym IN ('EDGE', 'MIN', 'MAX') ORDER BY ts;
SELECT count(*) FROM ft WHERE ts = '1969-12-31 23:59:59.999999+00';
SELECT count(*) FROM ft WHERE ts < '1970-01-01 00:00:00+00' AND ts >= '1969-12-31 23:59:59.999999+00';
SELECT count(*) FROM ft WHERE ts > '1969-12-31 23:59:59.999999+00' AND ts <= '1970-01-01 00:00:00+00';

-- Compare pulsora with the oracle for one predicate; NOTICE on a difference.
CREATE FUNCTION mismatches(pred text) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
  n bigint;
BEGIN
  EXECUTE format('SELECT count(*) FROM (
                    (SELECT ts, sym, px, qty, ok FROM ft WHERE %1$s
                     EXCEPT ALL SELECT ts, sym, px, qty, ok FROM oracle WHERE %1$s)
                    UNION ALL
                    (SELECT ts, sym, px, qty, ok FROM oracle WHERE %1$s
                     EXCEPT ALL SELECT ts, sym, px, qty, ok FROM ft WHERE %1$s)) d', pred)
    INTO n;
  IF n > 0 THEN
    RAISE NOTICE 'mismatch for %: % rows', pred, n;
  END IF;
  RETURN n;
END $$;

-- Random bounds: stored times (exact hits) and their neighbours 1 us away,
-- random times, the extremes, and ±infinity; every comparison form.
CREATE FUNCTION random_bound() RETURNS timestamptz LANGUAGE sql AS $$
  SELECT CASE floor(random() * 6)::int
    WHEN 0 THEN (SELECT ts FROM oracle OFFSET floor(random() * 4404)::int LIMIT 1)
    WHEN 1 THEN (SELECT ts FROM oracle OFFSET floor(random() * 4404)::int LIMIT 1) + interval '1 microsecond'
    WHEN 2 THEN (SELECT ts FROM oracle OFFSET floor(random() * 4404)::int LIMIT 1) - interval '1 microsecond'
    WHEN 3 THEN '2024-03-09 12:00:00+00'::timestamptz + make_interval(secs => random() * 259200)
    WHEN 4 THEN '1970-01-01 00:00:00+00'::timestamptz + make_interval(secs => random() * 30 - 15)
    ELSE (ARRAY['-infinity', 'infinity', '1677-09-21 00:12:43.145225+00',
                '2262-04-11 23:47:16.854775+00', '2024-03-10 12:00:00+00'])[1 + floor(random() * 5)::int]::timestamptz
  END
$$ VOLATILE;

CREATE TABLE forms (form text);
INSERT INTO forms VALUES
  ('ts >= %1$L AND ts < %2$L'), ('ts > %1$L AND ts <= %2$L'), ('ts BETWEEN %1$L AND %2$L'),
  ('ts = %1$L'), ('ts < %1$L'), ('ts <= %1$L'), ('ts > %1$L'), ('ts >= %1$L'),
  ('%1$L <= ts AND %2$L > ts'), ('%1$L = ts'),
  ('ts >= %1$L AND ts >= %2$L AND ts < %1$L::timestamptz + interval ''1 hour'''),
  ('ts >= %1$L::timestamp AND ts < %2$L::timestamp'),
  ('ts > %1$L::date AND ts <= %2$L::date'), ('ts = %1$L::date'),
  ('ts >= %1$L AND ts < %2$L AND sym = ''AAPL'''),
  ('ts >= %1$L AND (ts < %2$L OR qty > 0)'),
  ('ts IN (%1$L, %2$L)'), ('ts >= %1$L AND ts IS NOT NULL'),
  ('ts > %1$L::timestamptz - interval ''1 day'' AND ts < %2$L::timestamptz + interval ''1 day''');

-- in UTC, then where timestamp and date operands mean other instants
SELECT setseed(0.5);
SELECT count(*) AS checks, sum(mismatches(format(form, random_bound(), random_bound()))) AS mismatches
  FROM forms, generate_series(1, 12);
SET timezone = 'America/New_York';
SELECT count(*) AS checks, sum(mismatches(format(form, random_bound(), random_bound()))) AS mismatches
  FROM forms, generate_series(1, 6);
SET timezone = 'Asia/Kolkata';
SELECT count(*) AS checks, sum(mismatches(format(form, random_bound(), random_bound()))) AS mismatches
  FROM forms, generate_series(1, 6);
SET timezone = 'UTC';

-- parameters of a generic plan (PL/pgSQL caches it with $1, $2)
CREATE FUNCTION param_mismatches(lo timestamptz, hi timestamptz) RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
  n bigint;
BEGIN
  SELECT count(*) INTO n FROM (
    (SELECT ts, sym, px, qty, ok FROM ft WHERE ts >= lo AND ts <= hi
     EXCEPT ALL SELECT ts, sym, px, qty, ok FROM oracle WHERE ts >= lo AND ts <= hi)
    UNION ALL
    (SELECT ts, sym, px, qty, ok FROM oracle WHERE ts >= lo AND ts <= hi
     EXCEPT ALL SELECT ts, sym, px, qty, ok FROM ft WHERE ts >= lo AND ts <= hi)) d;
  RETURN n;
END $$;
SET plan_cache_mode = force_generic_plan;
SELECT count(*) AS checks, sum(param_mismatches(least(a, b), greatest(a, b))) AS mismatches
  FROM (SELECT random_bound() a, random_bound() b FROM generate_series(1, 60)) r;
RESET plan_cache_mode;

-- a timestamp (without time zone) column shows UTC wall-clock time; against
-- timestamptz operands the range is widened and PostgreSQL rechecks
CREATE FOREIGN TABLE ft_local (ts timestamp, sym text, px float8, qty bigint, ok boolean)
  SERVER s OPTIONS (table 'ticks');
CREATE VIEW oracle_local AS SELECT ts AT TIME ZONE 'UTC' AS ts, sym, px, qty, ok FROM oracle;
CREATE FUNCTION local_mismatches(pred text) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
  n bigint;
BEGIN
  EXECUTE format('SELECT count(*) FROM (
                    (SELECT * FROM ft_local WHERE %1$s EXCEPT ALL SELECT * FROM oracle_local WHERE %1$s)
                    UNION ALL
                    (SELECT * FROM oracle_local WHERE %1$s EXCEPT ALL SELECT * FROM ft_local WHERE %1$s)) d',
                 pred)
    INTO n;
  IF n > 0 THEN
    RAISE NOTICE 'mismatch for %: % rows', pred, n;
  END IF;
  RETURN n;
END $$;
SET timezone = 'America/New_York';
SELECT setseed(0.75);
SELECT count(*) AS checks,
       sum(local_mismatches(format(f, random_bound(), random_bound()))) AS mismatches
  FROM unnest(ARRAY['ts >= %1$L::timestamp AND ts < %2$L::timestamp',
                    'ts >= %1$L::timestamptz AND ts < %2$L::timestamptz',
                    'ts = %1$L::timestamptz', 'ts > %1$L::date',
                    'ts <= %1$L::timestamptz']) f,
       generate_series(1, 10);
SET timezone = 'UTC';
SELECT * FROM ft_local WHERE sym = 'EDGE' ORDER BY ts;

-- type checks against the store's schema name the column
CREATE FOREIGN TABLE wrong_type (ts timestamptz, qty integer) SERVER s OPTIONS (table 'ticks');
SELECT * FROM wrong_type;
CREATE FOREIGN TABLE wrong_time (ts text) SERVER s OPTIONS (table 'ticks');
SELECT * FROM wrong_time;
CREATE FOREIGN TABLE no_column (ts timestamptz, volume bigint) SERVER s OPTIONS (table 'ticks');
SELECT * FROM no_column;
CREATE FOREIGN TABLE renamed (time timestamptz OPTIONS (column_name 'ts'),
                              price float8 OPTIONS (column_name 'px')) SERVER s OPTIONS (table 'ticks');
SELECT * FROM renamed WHERE time < '1677-09-22';
CREATE FOREIGN TABLE twice (a float8 OPTIONS (column_name 'px'), b float8 OPTIONS (column_name 'px'))
  SERVER s OPTIONS (table 'ticks');
SELECT * FROM twice;
CREATE FOREIGN TABLE nosuch (ts timestamptz) SERVER s;
SELECT * FROM nosuch;
-- a foreign table without the time column still scans (all of it)
CREATE FOREIGN TABLE no_time (sym text) SERVER s OPTIONS (table 'ticks');
SELECT sym, count(*) FROM no_time GROUP BY sym ORDER BY sym;
