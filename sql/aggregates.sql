-- aggregates: time_bucket, first and last (TimescaleDB's names and
-- semantics) on heap tables, against hand-computed buckets and against
-- ORDER BY ... LIMIT 1; in parallel plans against serial ones; and on a
-- pulsora foreign table (computed locally) against a heap table
SET client_min_messages = warning;
DROP DATABASE IF EXISTS pulsora_aggregates;
CREATE DATABASE pulsora_aggregates;
\c pulsora_aggregates
SET timezone = 'UTC';
SET datestyle = 'ISO, YMD';
CREATE EXTENSION pulsora;

-- volatility, strictness and parallel safety
SELECT p.oid::regprocedure AS function, p.prokind, p.provolatile, p.proisstrict, p.proparallel
  FROM pg_proc p JOIN pg_depend d ON d.classid = 'pg_proc'::regclass AND d.objid = p.oid
 WHERE d.refclassid = 'pg_extension'::regclass AND d.deptype = 'e'
   AND p.proname IN ('time_bucket', 'first', 'last')
 ORDER BY p.oid::regprocedure::text;

-- ---------------------------------------------------------------- time_bucket
-- Hand-computed buckets (timestamptz, read as UTC).  Without an origin,
-- fixed widths count from 2000-01-03 00:00 UTC (a Monday), months from
-- 2000-01; with one, only its year and month count for month widths.
CREATE TABLE bucket_cases (id int, width interval, ts timestamptz, origin timestamptz,
                           expected timestamptz);
INSERT INTO bucket_cases VALUES
  -- 1 second: floors before 2000 and before the origin too
  (1, '1 second', '2024-03-10 12:34:56.789', NULL, '2024-03-10 12:34:56'),
  (2, '1 second', '1999-12-31 23:59:59.5', NULL, '1999-12-31 23:59:59'),
  (3, '1 second', '2000-01-02 23:59:59.999999', NULL, '2000-01-02 23:59:59'),
  (4, '1 microsecond', '2024-03-10 12:34:56.789012', NULL, '2024-03-10 12:34:56.789012'),
  -- 1 minute
  (5, '1 minute', '2024-03-10 12:34:56', NULL, '2024-03-10 12:34:00'),
  (6, '1 minute', '1969-07-20 20:17:40', NULL, '1969-07-20 20:17:00'),
  -- 5 minutes, with and without an origin
  (7, '5 minutes', '2024-03-10 12:34:56', NULL, '2024-03-10 12:30:00'),
  (8, '5 minutes', '2024-03-10 12:35:00', NULL, '2024-03-10 12:35:00'),
  (9, '5 minutes', '1969-07-20 20:17:40', NULL, '1969-07-20 20:15:00'),
  (10, '5 minutes', '2024-03-10 12:34:56', '2000-01-01 00:02:30', '2024-03-10 12:32:30'),
  -- 1 hour
  (11, '1 hour', '2024-03-10 12:34:56', NULL, '2024-03-10 12:00:00'),
  (12, '1 hour', '1950-06-15 07:59:59.999999', NULL, '1950-06-15 07:00:00'),
  (13, '1 hour', '2024-03-10 12:34:00', '2024-01-01 00:30', '2024-03-10 12:30:00'),
  (14, '1 hour', '2024-03-10 12:29:00', '2024-01-01 00:30', '2024-03-10 11:30:00'),
  -- 1 day; a trading day from 06:00; an origin after ts; BC
  (15, '1 day', '2024-03-10 12:34:56', NULL, '2024-03-10 00:00:00'),
  (16, '1 day', '1899-12-31 23:59:59', NULL, '1899-12-31 00:00:00'),
  (17, '1 day', '2024-03-10 05:59:59', '2024-01-01 06:00', '2024-03-09 06:00:00'),
  (18, '1 day', '2024-03-10 06:00:00', '2024-01-01 06:00', '2024-03-10 06:00:00'),
  (19, '1 day', '2024-03-10 05:00:00', '2030-01-01 06:00', '2024-03-09 06:00:00'),
  (20, '1 day', '0044-03-15 12:00 BC', NULL, '0044-03-15 00:00 BC'),
  -- 1 week: Mondays by default (2024-03-10 is a Sunday, 1970-01-01 a Thursday)
  (21, '1 week', '2024-03-10 12:34:00', NULL, '2024-03-04 00:00:00'),
  (22, '1 week', '2024-03-11 00:00:00', NULL, '2024-03-11 00:00:00'),
  (23, '1 week', '2000-01-02 23:59:00', NULL, '1999-12-27 00:00:00'),
  (24, '1 week', '1970-01-01 00:00:00', NULL, '1969-12-29 00:00:00'),
  -- Sunday weeks from a Sunday origin (2024-01-07)
  (25, '7 days', '2024-03-09 23:00:00', '2024-01-07', '2024-03-03 00:00:00'),
  (26, '1 week', '2024-03-10 12:34:00', '2024-01-07', '2024-03-10 00:00:00'),
  -- widths that do not divide a day count from the origin
  (27, '7 hours', '2000-01-02 23:00', NULL, '2000-01-02 17:00'),
  (28, '90 minutes', '2000-01-03 02:59', NULL, '2000-01-03 01:30'),
  (29, '1 day 12 hours', '2000-01-01 00:00', NULL, '1999-12-31 00:00'),
  (30, '10 seconds', '1960-01-01 00:00:04.5', '1960-01-01 00:00:05', '1959-12-31 23:59:55'),
  -- 1 month: calendar months
  (31, '1 month', '2024-03-10 12:34:00', NULL, '2024-03-01'),
  (32, '1 month', '2024-02-29 23:59:59.999999', NULL, '2024-02-01'),
  (33, '1 month', '1999-12-31 23:59:59', NULL, '1999-12-01'),
  (34, '1 month', '2024-03-10', '2000-01-15 13:00', '2024-03-01'),
  (35, '1 month', '0044-03-15 12:00 BC', NULL, '0044-03-01 BC'),
  -- 3 months: quarters from January by default, else from the origin's month
  (36, '3 months', '2024-03-10', NULL, '2024-01-01'),
  (37, '3 months', '2024-04-01', NULL, '2024-04-01'),
  (38, '3 months', '2024-12-31 23:59', NULL, '2024-10-01'),
  (39, '3 months', '1999-11-15', NULL, '1999-10-01'),
  (40, '3 months', '2024-03-10', '2000-02-01', '2024-02-01'),
  (41, '3 months', '2024-01-31', '2000-02-01', '2023-11-01'),
  (42, '3 months', '2024-01-31', '2030-02-01', '2023-11-01'),
  -- years
  (43, '1 year', '2024-07-04 12:00', NULL, '2024-01-01'),
  (44, '1 year', '1999-07-04', NULL, '1999-01-01'),
  (45, '5 years', '1999-07-04', NULL, '1995-01-01'),
  -- the far end of the range
  (46, '1 day', '294276-12-31 23:59:59.999999', NULL, '294276-12-31'),
  (47, '1 month', '294276-12-31 23:59:59.999999', NULL, '294276-12-01');

-- timestamptz, and timestamp on the same values (AT TIME ZONE 'UTC' does
-- not depend on the session)
CREATE FUNCTION bucket_tz(c bucket_cases) RETURNS timestamptz LANGUAGE sql AS $$
  SELECT CASE WHEN c.origin IS NULL THEN time_bucket(c.width, c.ts)
              ELSE time_bucket(c.width, c.ts, c.origin) END $$;
CREATE FUNCTION bucket_ts(c bucket_cases) RETURNS timestamp LANGUAGE sql AS $$
  SELECT CASE WHEN c.origin IS NULL THEN time_bucket(c.width, c.ts AT TIME ZONE 'UTC')
              ELSE time_bucket(c.width, c.ts AT TIME ZONE 'UTC', c.origin AT TIME ZONE 'UTC') END $$;
SELECT id, width, ts, origin, bucket_tz(c) AS bucket,
       bucket_tz(c) = expected AS tz_ok,
       bucket_ts(c) = expected AT TIME ZONE 'UTC' AS ts_ok
  FROM bucket_cases c ORDER BY id;

-- The timestamptz result does not depend on the session's TimeZone (buckets
-- are on the UTC timeline), nor the timestamp one.
SET timezone = 'America/New_York';
SELECT count(*) AS cases, count(*) FILTER (WHERE bucket_tz(c) <> expected) AS tz_wrong,
       count(*) FILTER (WHERE bucket_ts(c) <> expected AT TIME ZONE 'UTC') AS ts_wrong
  FROM bucket_cases c;
SELECT time_bucket('1 day', '2024-03-10 02:00:00-05'::timestamptz) AS utc_day_shown_in_new_york,
       time_bucket('1 day', '2024-03-10 02:00:00'::timestamp) AS naive_day;
SET timezone = 'Asia/Kolkata';
SELECT count(*) AS cases, count(*) FILTER (WHERE bucket_tz(c) <> expected) AS tz_wrong,
       count(*) FILTER (WHERE bucket_ts(c) <> expected AT TIME ZONE 'UTC') AS ts_wrong
  FROM bucket_cases c;
SELECT time_bucket('1 month', '2024-03-01 02:00:00+05:30'::timestamptz) AS utc_month_shown_in_kolkata;
SET timezone = 'UTC';

-- infinities return themselves; NULL in, NULL out
SELECT time_bucket('1 hour', 'infinity'::timestamptz) AS a, time_bucket('1 hour', '-infinity'::timestamptz) AS b,
       time_bucket('1 month', 'infinity'::timestamp) AS c,
       time_bucket('1 day', '-infinity'::timestamp, '2024-01-01 06:00') AS d;
SELECT time_bucket(NULL, now()) IS NULL AS a, time_bucket('1 hour', NULL::timestamptz) IS NULL AS b,
       time_bucket('1 hour', now(), NULL) IS NULL AS c,
       time_bucket('1 hour', NULL::timestamp, '2024-01-01') IS NULL AS d;
-- the earliest timestamp is a bucket start of 1 day, not of 1 month
SELECT time_bucket('1 day', '4714-11-24 12:00:00 BC'::timestamptz) AS earliest_day;

-- errors: widths that mix months with days or time, widths <= 0, an
-- infinite origin, results before the earliest timestamp
SELECT time_bucket('1 month 1 day', '2024-03-10'::timestamptz);
SELECT time_bucket('1 year 2 hours', '2024-03-10'::timestamp);
SELECT time_bucket('0 seconds', '2024-03-10'::timestamptz);
SELECT time_bucket('-1 hour', '2024-03-10'::timestamptz);
SELECT time_bucket('1 day -24 hours', '2024-03-10'::timestamp);
SELECT time_bucket('-3 months', '2024-03-10'::timestamptz);
SELECT time_bucket('2147483647 days', '2024-03-10'::timestamptz);
SELECT time_bucket('1 hour', '2024-03-10'::timestamptz, 'infinity');
SELECT time_bucket('0 seconds', 'infinity'::timestamptz);
SELECT time_bucket('1 month', '4714-11-24 12:00:00 BC'::timestamptz);
SELECT time_bucket('1 day', '4714-11-24 12:00:00 BC'::timestamp, '2000-01-01 18:00');
SELECT time_bucket('100000 years', '1999-03-10'::timestamptz);

-- ---------------------------------------------------------------- first/last
-- first returns the value of the row with the smallest time, last the
-- largest; rows with a NULL time are ignored; a NULL value wins like any
-- other.  Ties go to the first row the aggregate sees: its input order,
-- which a plain scan of this small heap gives in ctid order, but a sort (not
-- stable) or a parallel plan does not; so the oracles below break ties by
-- ctid only without GROUP BY, and else accept any of the tied rows.
CREATE TABLE obs (g int, ts timestamptz, v int, t text, n numeric);
INSERT INTO obs VALUES
  -- 1: the earliest row's value is NULL; a row with a NULL time
  (1, '2024-01-01 10:00', 10, 'ten', 10.5),
  (1, '2024-01-01 09:00', NULL, NULL, NULL),
  (1, '2024-01-01 11:00', 11, 'eleven', 11.25),
  (1, NULL, 99, 'no time', 99.9),
  -- 2: only NULL times
  (2, NULL, 1, 'a', 1),
  (2, NULL, 2, 'b', 2),
  -- 3: ties at both ends
  (3, '2024-01-02 00:00', 1, 'tie first a', 1.1),
  (3, '2024-01-02 00:00', 2, 'tie first b', 2.2),
  (3, '2024-01-02 12:00', 3, 'middle', 3.3),
  (3, '2024-01-03 00:00', 4, 'tie last a', 4.4),
  (3, '2024-01-03 00:00', 5, 'tie last b', 5.5),
  -- 4: infinite times
  (4, '2024-01-01', 2, 'finite', 2),
  (4, 'infinity', 3, 'plus', 3),
  (4, '-infinity', 1, 'minus', 1),
  -- 5: one row, its value NULL
  (5, '2024-01-01', NULL, NULL, NULL);
SET max_parallel_workers_per_gather = 0;
SELECT g, first(v, ts) AS first_v, last(v, ts) AS last_v, first(t, ts) AS first_t,
       last(t, ts) AS last_t, first(n, ts) AS first_n, last(n, ts) AS last_n
  FROM obs WHERE g <> 3 GROUP BY g ORDER BY g;
-- the oracle: ORDER BY time LIMIT 1
CREATE VIEW obs_oracle AS
SELECT gs.g, f.v AS first_v, l.v AS last_v, f.t AS first_t, l.t AS last_t, f.n AS first_n, l.n AS last_n
  FROM (SELECT DISTINCT g FROM obs WHERE g <> 3) gs
  LEFT JOIN LATERAL (SELECT v, t, n FROM obs WHERE obs.g = gs.g AND ts IS NOT NULL
                     ORDER BY ts LIMIT 1) f ON true
  LEFT JOIN LATERAL (SELECT v, t, n FROM obs WHERE obs.g = gs.g AND ts IS NOT NULL
                     ORDER BY ts DESC LIMIT 1) l ON true;
SELECT count(*) AS differences FROM (
  (SELECT g, first(v, ts), last(v, ts), first(t, ts), last(t, ts), first(n, ts), last(n, ts)
     FROM obs WHERE g <> 3 GROUP BY g EXCEPT ALL TABLE obs_oracle)
  UNION ALL
  (TABLE obs_oracle EXCEPT ALL
   SELECT g, first(v, ts), last(v, ts), first(t, ts), last(t, ts), first(n, ts), last(n, ts)
     FROM obs WHERE g <> 3 GROUP BY g)) d;
-- ties, in a plain scan: the first row seen of each tied pair (the oracle
-- breaks ties by ctid)
SELECT first(v, ts) AS first_v, last(v, ts) AS last_v, first(t, ts) AS first_t,
       last(t, ts) AS last_t, first(n, ts) AS first_n, last(n, ts) AS last_n
  FROM obs WHERE g = 3;
SELECT f.v AS first_v, l.v AS last_v, f.t AS first_t, l.t AS last_t, f.n AS first_n, l.n AS last_n
  FROM (SELECT * FROM obs WHERE g = 3 ORDER BY ts, ctid LIMIT 1) f,
       (SELECT * FROM obs WHERE g = 3 ORDER BY ts DESC, ctid LIMIT 1) l;
-- the timestamp overloads; no group, and an empty group
SELECT first(t, ts::timestamp) AS first_t, last(t, ts::timestamp) AS last_t FROM obs WHERE g = 1;
SELECT first(t, ts), last(n, ts), first(v, ts::timestamp) FROM obs WHERE false;
SELECT first(t, ts) AS nothing_timed FROM obs WHERE g = 2;
-- as a window aggregate: the running first and last
SELECT g, ts, first(t, ts) OVER w AS running_first, last(t, ts) OVER w AS running_last
  FROM obs WHERE g = 1 WINDOW w AS (ORDER BY ts ROWS UNBOUNDED PRECEDING) ORDER BY ts;

-- out-of-line (TOASTed) values are kept whole
CREATE TABLE wide (ts timestamptz, t text);
INSERT INTO wide SELECT '2024-01-01'::timestamptz + i * interval '1 hour',
       (SELECT string_agg(md5(i::text || '/' || j::text), '') FROM generate_series(1, 300) j)
  FROM generate_series(1, 4) i;
SELECT length(first(t, ts)) AS len, md5(first(t, ts)) = md5((SELECT t FROM wide ORDER BY ts LIMIT 1)) AS first_ok,
       md5(last(t, ts)) = md5((SELECT t FROM wide ORDER BY ts DESC LIMIT 1)) AS last_ok
  FROM wide;

-- GROUP BY on a larger table: NULL symbols, NULL times, NULL prices, ties
-- (each time of a symbol appears about four times), text and numeric
CREATE TABLE ticks (symbol text, ts timestamptz, px numeric, note text);
INSERT INTO ticks
SELECT (ARRAY['AAPL', 'MSFT', 'IBM', NULL])[1 + i % 4],
       CASE WHEN i % 17 = 0 THEN NULL
            ELSE '2024-01-01'::timestamptz + ((i * 7919) % 5000) * interval '1 second' END,
       CASE WHEN i % 13 = 0 THEN NULL ELSE (i % 1000) / 10.0 END,
       'note ' || i
  FROM generate_series(1, 20000) i;
-- per symbol, and per symbol and 15-minute bar (OHLC): each answer is the
-- value of one of the rows with the smallest (largest) time of its group
CREATE FUNCTION check_ticks(q text) RETURNS TABLE (groups bigint, bad_first bigint, bad_last bigint)
LANGUAGE plpgsql AS $$
BEGIN
  RETURN QUERY EXECUTE format($q$
    WITH a AS (%s)
    SELECT count(*),
           count(*) FILTER (WHERE (a.open_ts IS NULL AND (a.open IS NOT NULL OR a.open_note IS NOT NULL))
             OR NOT EXISTS (SELECT FROM ticks t WHERE t.symbol IS NOT DISTINCT FROM a.symbol
                            AND t.ts = a.open_ts AND t.px IS NOT DISTINCT FROM a.open)
             OR NOT EXISTS (SELECT FROM ticks t WHERE t.symbol IS NOT DISTINCT FROM a.symbol
                            AND t.ts = a.open_ts AND t.note = a.open_note)),
           count(*) FILTER (WHERE (a.close_ts IS NULL AND (a.close IS NOT NULL OR a.close_note IS NOT NULL))
             OR NOT EXISTS (SELECT FROM ticks t WHERE t.symbol IS NOT DISTINCT FROM a.symbol
                            AND t.ts = a.close_ts AND t.px IS NOT DISTINCT FROM a.close)
             OR NOT EXISTS (SELECT FROM ticks t WHERE t.symbol IS NOT DISTINCT FROM a.symbol
                            AND t.ts = a.close_ts AND t.note = a.close_note))
      FROM a $q$, q);
END $$;
SELECT * FROM check_ticks(
  'SELECT symbol, min(ts) AS open_ts, max(ts) AS close_ts, first(px, ts) AS open, last(px, ts) AS close,
          first(note, ts) AS open_note, last(note, ts) AS close_note
     FROM ticks GROUP BY symbol');
SELECT * FROM check_ticks(
  'SELECT symbol, time_bucket(''15 minutes'', ts), min(ts) AS open_ts, max(ts) AS close_ts,
          first(px, ts) AS open, last(px, ts) AS close, first(note, ts) AS open_note, last(note, ts) AS close_note
     FROM ticks WHERE ts IS NOT NULL GROUP BY 1, 2');

-- everyone may use them
SET client_min_messages = warning;
DROP ROLE IF EXISTS pulsora_aggregates_user;
RESET client_min_messages;
CREATE ROLE pulsora_aggregates_user;
GRANT SELECT ON obs TO pulsora_aggregates_user;
SET ROLE pulsora_aggregates_user;
SELECT time_bucket('1 hour', ts) AS bucket, first(v, ts), last(t, ts::timestamp)
  FROM obs WHERE g = 1 GROUP BY 1 ORDER BY 1;
RESET ROLE;
DROP OWNED BY pulsora_aggregates_user;
DROP ROLE pulsora_aggregates_user;

-- ---------------------------------------------------------------- parallel
-- Unique times (ties are not defined across parallel plans) in shuffled
-- heap order, NULL times and values, a group with no time at all, text,
-- numeric and anonymous records (serialized between processes).
CREATE TABLE big (symbol text, ts timestamptz, px numeric, note text);
INSERT INTO big
SELECT CASE WHEN i % 997 = 0 THEN 'NOTIME' ELSE (ARRAY['AAPL', 'MSFT', 'IBM', 'ORCL', NULL])[1 + i % 5] END,
       CASE WHEN i % 997 = 0 OR i % 101 = 0 THEN NULL
            ELSE '2024-01-01'::timestamptz + ((i::bigint * 7919) % 100003) * interval '1 second' END,
       CASE WHEN i % 13 = 0 THEN NULL ELSE (i % 1000) / 10.0 END,
       'note ' || i
  FROM generate_series(0, 100002) i;
ANALYZE big;
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
SET max_parallel_workers_per_gather = 2;
SET parallel_leader_participation = off;
EXPLAIN (COSTS OFF)
SELECT symbol, count(*), first(px, ts), last(px, ts), first(note, ts), last(note, ts),
       first(ROW(px, note), ts), last(ts, ts)
  FROM big GROUP BY symbol ORDER BY symbol;
SELECT symbol, count(*), first(px, ts), last(px, ts), first(note, ts), last(note, ts),
       first(ROW(px, note), ts), last(ts, ts)
  FROM big GROUP BY symbol ORDER BY symbol;
EXPLAIN (COSTS OFF)
SELECT first(note, ts), last(note, ts), first(px, ts::timestamp), last(px, ts::timestamp) FROM big;
SELECT first(note, ts), last(note, ts), first(px, ts::timestamp), last(px, ts::timestamp) FROM big;
-- the workers did run (EXPLAIN ANALYZE's "Workers Launched")
CREATE FUNCTION workers_launched(q text) RETURNS int LANGUAGE plpgsql AS $$
DECLARE
  plan json;
BEGIN
  EXECUTE 'EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF, FORMAT JSON) ' || q INTO plan;
  RETURN (SELECT max((m[1])::int) FROM regexp_matches(plan::text, '"Workers Launched": (\d+)', 'g') m);
END $$;
SELECT workers_launched('SELECT symbol, first(px, ts), last(note, ts) FROM big GROUP BY symbol') > 0 AS parallel;
-- the same queries without parallelism
RESET parallel_leader_participation;
SET max_parallel_workers_per_gather = 0;
SELECT symbol, count(*), first(px, ts), last(px, ts), first(note, ts), last(note, ts),
       first(ROW(px, note), ts), last(ts, ts)
  FROM big GROUP BY symbol ORDER BY symbol;
SELECT first(note, ts), last(note, ts), first(px, ts::timestamp), last(px, ts::timestamp) FROM big;
-- and both against ORDER BY time LIMIT 1
SELECT count(*) AS differences FROM (
  SELECT symbol, first(px, ts), last(px, ts), first(note, ts), last(note, ts) FROM big GROUP BY symbol
  EXCEPT ALL
  SELECT s.symbol, f.px, l.px, f.note, l.note
    FROM (SELECT DISTINCT symbol FROM big) s
    LEFT JOIN LATERAL (SELECT px, note FROM big b WHERE b.symbol IS NOT DISTINCT FROM s.symbol
                       AND b.ts IS NOT NULL ORDER BY b.ts LIMIT 1) f ON true
    LEFT JOIN LATERAL (SELECT px, note FROM big b WHERE b.symbol IS NOT DISTINCT FROM s.symbol
                       AND b.ts IS NOT NULL ORDER BY b.ts DESC LIMIT 1) l ON true) d;
RESET parallel_setup_cost;
RESET parallel_tuple_cost;
RESET min_parallel_table_scan_size;
RESET max_parallel_workers_per_gather;

-- ---------------------------------------------------------------- foreign table
-- the same rows (with a time) in a pulsora foreign table: computed locally
CREATE SERVER s FOREIGN DATA WRAPPER pulsora OPTIONS (data_dir '/tmp/pulsora_regress/aggregates');
CREATE FOREIGN TABLE ft (ts timestamptz, symbol text, px float8, note text)
  SERVER s OPTIONS (series_key 'symbol');
INSERT INTO ft SELECT ts, symbol, px::float8, note FROM big WHERE ts IS NOT NULL;
EXPLAIN (COSTS OFF)
SELECT symbol, first(px, ts), last(note, ts) FROM ft GROUP BY symbol;
SELECT symbol, count(*), first(px, ts), last(px, ts), first(note, ts), last(note, ts)
  FROM ft GROUP BY symbol ORDER BY symbol;
-- OHLC bars by time_bucket against the heap table
CREATE FUNCTION bars(tab text) RETURNS TABLE (symbol text, bucket timestamptz, open float8,
    high float8, low float8, close float8, n bigint) LANGUAGE plpgsql AS $$
BEGIN
  RETURN QUERY EXECUTE format(
    'SELECT symbol, time_bucket(''5 minutes'', ts), first(px::float8, ts), max(px::float8),
            min(px::float8), last(px::float8, ts), count(*)
       FROM %I WHERE ts IS NOT NULL GROUP BY 1, 2', tab);
END $$;
SELECT (SELECT count(*) FROM bars('ft')) AS bars,
       (SELECT count(*) FROM (SELECT * FROM bars('ft') EXCEPT ALL SELECT * FROM bars('big')) d) AS missing,
       (SELECT count(*) FROM (SELECT * FROM bars('big') EXCEPT ALL SELECT * FROM bars('ft')) d) AS extra;
-- days from 06:00 (the first bucket starts before the data), with a series
-- filter, against the heap table
SELECT symbol, time_bucket('1 day', ts, '2024-01-01 06:00') AS day, first(note, ts), last(note, ts), count(*)
  FROM ft WHERE symbol IN ('IBM', 'MSFT') GROUP BY 1, 2 ORDER BY 1, 2;
SELECT count(*) AS differences FROM (
  (SELECT symbol, time_bucket('1 day', ts, '2024-01-01 06:00'), first(note, ts), last(note, ts), count(*)
     FROM ft WHERE symbol IN ('IBM', 'MSFT') GROUP BY 1, 2
   EXCEPT ALL
   SELECT symbol, time_bucket('1 day', ts, '2024-01-01 06:00'), first(note, ts), last(note, ts), count(*)
     FROM big WHERE symbol IN ('IBM', 'MSFT') AND ts IS NOT NULL GROUP BY 1, 2)
  UNION ALL
  (SELECT symbol, time_bucket('1 day', ts, '2024-01-01 06:00'), first(note, ts), last(note, ts), count(*)
     FROM big WHERE symbol IN ('IBM', 'MSFT') AND ts IS NOT NULL GROUP BY 1, 2
   EXCEPT ALL
   SELECT symbol, time_bucket('1 day', ts, '2024-01-01 06:00'), first(note, ts), last(note, ts), count(*)
     FROM ft WHERE symbol IN ('IBM', 'MSFT') GROUP BY 1, 2)) d;
