-- pushdown: GROUP BY queries that the owner computes (upper_plan.c,
-- upper_exec.c) give exactly what a heap table of the same rows gives and
-- what PostgreSQL computes from the rows (pulsora.enable_aggregate_pushdown
-- off); queries the owner cannot compute are aggregated locally, as before.
-- Prices are multiples of 0.25, so float sums are exact in any order.
SET client_min_messages = warning;
DROP DATABASE IF EXISTS pulsora_pushdown;
CREATE DATABASE pulsora_pushdown;
\c pulsora_pushdown
SET timezone = 'UTC';
SET datestyle = 'ISO, YMD';
CREATE EXTENSION pulsora;
CREATE SERVER s FOREIGN DATA WRAPPER pulsora OPTIONS (data_dir '/tmp/pulsora_regress/pushdown');

CREATE TABLE heap (ts timestamptz, symbol text, venue bigint, px float8, qty bigint, note text,
                   flag boolean);
INSERT INTO heap
SELECT '2023-12-29'::timestamptz + i * interval '7 seconds' + interval '123 microseconds',
       (ARRAY['AAPL', 'IBM', 'MSFT', NULL])[1 + i % 4], i % 3,
       CASE WHEN i % 11 = 0 THEN NULL ELSE (i % 1000) * 0.25 END,
       i - 50000, CASE WHEN i % 5 = 0 THEN NULL ELSE 'n' || (i % 13) END, i % 2 = 0
  FROM generate_series(0, 99999) i;
CREATE FOREIGN TABLE ticks (ts timestamptz, symbol text, venue bigint, px float8, qty bigint,
                            note text, flag boolean)
  SERVER s OPTIONS (series_key 'symbol');
INSERT INTO ticks SELECT * FROM heap;

-- check(q): whether the owner computed q (and PostgreSQL aggregated
-- nothing itself), and the rows by which q differs from the same query
-- on the heap table and from PostgreSQL's own aggregation of the rows.
CREATE FUNCTION check_query(q text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
  line text;
  pushed boolean := false;
  local_agg boolean := false;
  hq text := replace(q, 'ticks', 'heap');
  vs_heap bigint;
  vs_local bigint;
BEGIN
  FOR line IN EXECUTE 'EXPLAIN (VERBOSE, COSTS OFF) ' || q LOOP
    pushed := pushed OR line ~ 'Pushed (Partial )?Aggregates';
    local_agg := local_agg OR line ~ 'Aggregate  |Aggregate$|GroupAggregate|HashAggregate';
  END LOOP;
  EXECUTE format('SELECT count(*) FROM (((%s) EXCEPT ALL (%s)) UNION ALL ((%s) EXCEPT ALL (%s))) d',
                 q, hq, hq, q) INTO vs_heap;
  EXECUTE format('CREATE TEMP TABLE pushed_rows AS %s', q);
  PERFORM set_config('pulsora.enable_aggregate_pushdown', 'off', true);
  EXECUTE format('CREATE TEMP TABLE local_rows AS %s', q);
  PERFORM set_config('pulsora.enable_aggregate_pushdown', 'on', true);
  SELECT count(*) INTO vs_local FROM
    ((TABLE pushed_rows EXCEPT ALL TABLE local_rows) UNION ALL
     (TABLE local_rows EXCEPT ALL TABLE pushed_rows)) d;
  DROP TABLE pushed_rows;
  DROP TABLE local_rows;
  RETURN format('pushed %s, local aggregate %s, rows differing from the heap %s, from local %s',
                pushed, local_agg, vs_heap, vs_local);
END $$;

-- Pushed: the whole table, ranges, series filters, buckets, groups, HAVING.
SELECT check_query($q$SELECT count(*) AS n, count(px) AS n_px, count(note) AS n_note, sum(qty),
  avg(qty), sum(px) AS sum_px, avg(px) AS avg_px, min(px) AS min_px, max(px) AS max_px,
  min(qty) AS min_qty, max(qty) AS max_qty, min(ts) AS min_ts, max(ts) AS max_ts FROM ticks$q$);
SELECT check_query($q$SELECT count(*), sum(qty), avg(px), min(ts), max(ts) FROM ticks
  WHERE ts >= '2024-01-01' AND ts < '2024-01-02 03:00'$q$);
SELECT check_query($q$SELECT symbol, count(*), sum(qty), avg(qty), max(px) FROM ticks GROUP BY symbol$q$);
SELECT check_query($q$SELECT symbol, time_bucket('1 hour', ts) AS bucket, first(px, ts) AS open,
  max(px) AS high, min(px) AS low, last(px, ts) AS close, sum(qty) AS volume
  FROM ticks GROUP BY symbol, bucket$q$);
SELECT check_query($q$SELECT time_bucket('15 minutes', ts, '2024-01-01 00:07:30') AS b, count(*), sum(px)
  FROM ticks WHERE symbol IN ('AAPL', 'IBM') AND ts < '2024-01-03' GROUP BY b$q$);
SELECT check_query($q$SELECT date_bin('10 minutes', ts, '2023-12-30 00:03:00') AS b, symbol, count(*)
  FROM ticks GROUP BY b, symbol$q$);
SELECT check_query($q$SELECT symbol, sum(px) / nullif(sum(qty), 0) AS ratio, count(*) * 2 AS twice
  FROM ticks GROUP BY symbol$q$);
SELECT check_query($q$SELECT symbol, count(*) FROM ticks GROUP BY symbol HAVING sum(qty) > 0$q$);
-- VWAP: sum(price * size) / sum(size), the product summed by the owner
SELECT check_query($q$SELECT symbol, time_bucket('1 hour', ts) AS h,
  sum(px * qty) / nullif(sum(qty), 0) AS vwap, sum(px * px) AS sq FROM ticks GROUP BY 1, 2$q$);
SELECT check_query($q$SELECT venue, symbol, count(*), last(note, ts) AS last_note,
  first(flag, ts) AS first_flag, first(note, ts) AS first_note FROM ticks GROUP BY venue, symbol$q$);
SELECT check_query($q$SELECT time_bucket('1 day', ts) + interval '1 day' AS next_day, count(*)
  FROM ticks GROUP BY time_bucket('1 day', ts)$q$);
-- Grafana's $__timeGroupAlias(ts, 1m) and $__timeGroup(ts, 5m)
SELECT check_query($q$SELECT floor(extract(epoch from ts)/60)*60 AS "time", symbol, avg(px) AS px
  FROM ticks WHERE ts >= '2024-01-02' AND ts < '2024-01-02 06:00' GROUP BY 1, 2$q$);
SELECT check_query($q$SELECT floor(extract(epoch from ts)/300)*300 AS t, count(*) FROM ticks GROUP BY 1$q$);
-- an empty range: one group of nothing without GROUP BY, none with it
SELECT check_query($q$SELECT count(*), sum(qty), avg(px), min(ts), last(px, ts) FROM ticks
  WHERE ts < '1990-01-01'$q$);
SELECT check_query($q$SELECT symbol, count(*) FROM ticks WHERE ts < '1990-01-01' GROUP BY symbol$q$);
SELECT check_query($q$SELECT symbol, count(*) FROM ticks WHERE symbol = 'NONE' GROUP BY symbol$q$);

-- Times before 1970 (negative in the store), buckets and origins around
-- them and across day partitions, and DESC orders with LIMIT over groups.
CREATE TABLE old_heap (ts timestamptz, symbol text, px float8, qty bigint);
INSERT INTO old_heap SELECT '1969-12-30 22:00'::timestamptz + i * interval '13 minutes 7 seconds',
       (ARRAY['A', 'B'])[1 + i % 2], CASE WHEN i % 9 = 0 THEN NULL ELSE i * 0.5 END, i - 100
  FROM generate_series(0, 999) i;
CREATE FOREIGN TABLE old_ticks (ts timestamptz, symbol text, px float8, qty bigint)
  SERVER s OPTIONS (series_key 'symbol');
INSERT INTO old_ticks SELECT * FROM old_heap;
SELECT check_query($q$SELECT symbol, time_bucket('1 hour', ts) AS b, count(*), sum(qty),
  first(px, ts) AS f, last(px, ts) AS l FROM old_ticks GROUP BY 1, 2$q$);
SELECT check_query($q$SELECT date_bin('25 minutes', ts, '1970-01-01 00:10') AS b, count(*),
  min(ts), max(ts) FROM old_ticks GROUP BY 1$q$);
SELECT check_query($q$SELECT time_bucket('7 hours', ts, '1969-12-31 03:00') AS b, avg(qty) AS q, avg(px) AS p
  FROM old_ticks WHERE ts >= '1969-12-31 01:00' GROUP BY 1$q$);
SELECT check_query($q$SELECT symbol, time_bucket('1 hour', ts) AS b, sum(qty) FROM old_ticks
  GROUP BY 1, 2 ORDER BY b DESC, symbol DESC LIMIT 5$q$);
SELECT check_query($q$SELECT symbol, max(px) AS m FROM old_ticks GROUP BY 1 ORDER BY m DESC LIMIT 1$q$);

-- ORDER BY over the groups, with LIMIT and OFFSET: sorted and cut by the
-- owner (no Sort or Limit left above the scan) when every key is a group
-- column, the bucket or an aggregate it computes, text only under "C";
-- otherwise sorted or cut locally.  check_ordered(q) compares the rows in
-- order with the heap's and with PostgreSQL's own aggregation.
CREATE FUNCTION check_ordered(q text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
  line text;
  pushed_sort boolean := false;
  pushed_limit boolean := false;
  local_sort boolean := false;
  local_limit boolean := false;
  rows_q text := 'SELECT string_agg(t::text, '' | '') FROM (%s) t';
  pushed_rows text;
  heap_rows text;
  local_rows text;
BEGIN
  FOR line IN EXECUTE 'EXPLAIN (VERBOSE, COSTS OFF) ' || q LOOP
    pushed_sort := pushed_sort OR line LIKE '%Pushed Sort Keys%';
    pushed_limit := pushed_limit OR line ~ 'Pushed (Limit|Offset)';
    local_sort := local_sort OR line ~ '^\s*(->\s+)?(Incremental )?Sort\M';
    local_limit := local_limit OR line ~ '^\s*(->\s+)?Limit\M';
  END LOOP;
  EXECUTE format(rows_q, q) INTO pushed_rows;
  EXECUTE format(rows_q, replace(q, 'ticks', 'heap')) INTO heap_rows;
  PERFORM set_config('pulsora.enable_aggregate_pushdown', 'off', true);
  EXECUTE format(rows_q, q) INTO local_rows;
  PERFORM set_config('pulsora.enable_aggregate_pushdown', 'on', true);
  RETURN format('sort pushed %s, limit pushed %s, local sort %s, local limit %s, same as the heap %s, as local %s',
                pushed_sort, pushed_limit, local_sort, local_limit,
                pushed_rows IS NOT DISTINCT FROM heap_rows, pushed_rows IS NOT DISTINCT FROM local_rows);
END $$;
-- an aggregate, descending: an exact sum (numeric), a float sum, a count with ties broken by a group column
SELECT check_ordered($q$SELECT symbol, sum(qty) AS s FROM ticks GROUP BY symbol ORDER BY s DESC LIMIT 5$q$);
SELECT check_ordered($q$SELECT symbol COLLATE "C" AS sym, venue, sum(px) AS s, count(*) FROM ticks
  GROUP BY symbol, venue ORDER BY sum(px) DESC, 1, venue LIMIT 5$q$);
SELECT check_ordered($q$SELECT venue, count(*) AS n FROM ticks GROUP BY venue ORDER BY n, venue DESC LIMIT 2$q$);
-- ties the keys leave open: any of the tied groups, so only the keys are compared
SELECT check_ordered($q$SELECT n FROM (SELECT venue, count(*) AS n FROM ticks GROUP BY venue
  ORDER BY n LIMIT 1) x$q$);
-- the bucket, with OFFSET, and OFFSET alone; the epoch form
SELECT check_ordered($q$SELECT time_bucket('1 hour', ts) AS b, count(*), max(px) FROM ticks
  GROUP BY b ORDER BY b DESC LIMIT 10$q$);
SELECT check_ordered($q$SELECT time_bucket('1 hour', ts) AS b, count(*), max(px) FROM ticks
  WHERE symbol IN ('AAPL', 'MSFT') GROUP BY b ORDER BY b DESC LIMIT 10 OFFSET 5$q$);
SELECT check_ordered($q$SELECT time_bucket('1 hour', ts) AS b, symbol COLLATE "C" AS sym, sum(qty) FROM ticks
  GROUP BY b, symbol ORDER BY b, 2 OFFSET 750$q$);
SELECT check_ordered($q$SELECT floor(extract(epoch from ts)/300)*300 AS t, count(*) FROM ticks
  GROUP BY 1 ORDER BY 1 DESC LIMIT 3$q$);
-- NULLs: of the group column and of an aggregate (last(px) of a bucket whose last row has none), first or last
SELECT check_ordered($q$SELECT symbol COLLATE "C" AS s, count(*) FROM ticks GROUP BY symbol ORDER BY 1 NULLS FIRST$q$);
SELECT check_ordered($q$SELECT symbol COLLATE "C" AS s, count(*) FROM ticks GROUP BY symbol ORDER BY 1 DESC NULLS LAST$q$);
SELECT check_ordered($q$SELECT symbol COLLATE "C" AS s, time_bucket('1 hour', ts) AS b, last(px, ts) AS l
  FROM ticks GROUP BY symbol, b ORDER BY l NULLS FIRST, b, 1 LIMIT 10$q$);
SELECT check_ordered($q$SELECT symbol COLLATE "C" AS s, time_bucket('1 hour', ts) AS b, last(px, ts) AS l
  FROM ticks GROUP BY symbol, b ORDER BY l DESC NULLS LAST, b DESC, 1 LIMIT 10 OFFSET 3$q$);
-- timestamps, booleans, first() of text under "C"
SELECT check_ordered($q$SELECT symbol COLLATE "C" AS s, max(ts) AS m FROM ticks GROUP BY symbol ORDER BY m DESC, 1 LIMIT 2$q$);
SELECT check_ordered($q$SELECT flag, venue, min(qty) FROM ticks GROUP BY flag, venue ORDER BY flag DESC, venue$q$);
SELECT check_ordered($q$SELECT venue, first(note, ts) AS f FROM ticks GROUP BY venue
  ORDER BY first(note, ts) COLLATE "C" DESC LIMIT 2$q$);
-- DISTINCT ON's groups, ordered and cut
SELECT check_ordered($q$SELECT DISTINCT ON (venue) venue, ts, px FROM ticks ORDER BY venue DESC, ts DESC LIMIT 2$q$);
-- HAVING: sorted by the owner, but cut locally (the groups HAVING drops would count against the limit)
SELECT check_ordered($q$SELECT symbol COLLATE "C" AS s, count(*) AS n FROM ticks GROUP BY symbol
  HAVING sum(qty) > 0 ORDER BY n DESC, 1 LIMIT 1$q$);
-- sorted locally: avg, arithmetic over aggregates, text under another collation;
-- cut locally: a LIMIT that is not a constant
CREATE COLLATION icu_und (provider = icu, locale = 'und');
SELECT check_ordered($q$SELECT venue, avg(px) AS a FROM ticks GROUP BY venue ORDER BY a DESC LIMIT 2$q$);
SELECT check_ordered($q$SELECT venue, count(*) FROM ticks GROUP BY venue ORDER BY count(*) + venue LIMIT 2$q$);
SELECT check_ordered($q$SELECT symbol, count(*) FROM ticks GROUP BY symbol ORDER BY symbol COLLATE icu_und LIMIT 3$q$);
SELECT check_ordered($q$SELECT venue, count(*) FROM ticks GROUP BY venue ORDER BY venue
  LIMIT (SELECT 2)$q$);
EXPLAIN (VERBOSE, COSTS OFF)
SELECT symbol, sum(qty) AS s FROM ticks GROUP BY symbol ORDER BY s DESC NULLS LAST LIMIT 2 OFFSET 1;
SELECT symbol, sum(qty) AS s FROM ticks GROUP BY symbol ORDER BY s DESC NULLS LAST LIMIT 2 OFFSET 1;

-- DISTINCT ON: the newest (oldest) row of each group, computed by the owner.
SELECT check_query($q$SELECT DISTINCT ON (symbol) symbol, ts, px, note, flag FROM ticks
  ORDER BY symbol, ts DESC$q$);
SELECT check_query($q$SELECT DISTINCT ON (symbol) symbol, ts, qty FROM ticks
  WHERE ts < '2024-01-02' AND symbol IN ('IBM', 'MSFT') ORDER BY symbol, ts$q$);
SELECT check_query($q$SELECT DISTINCT ON (venue, symbol) px, venue, symbol FROM ticks
  ORDER BY symbol, venue, ts DESC$q$);
EXPLAIN (VERBOSE, COSTS OFF)
SELECT DISTINCT ON (symbol) symbol, ts, px FROM ticks ORDER BY symbol, ts DESC;
-- not pushed: another key after the time, a local qual
SELECT check_query($q$SELECT DISTINCT ON (symbol) symbol, ts, px FROM ticks
  ORDER BY symbol, ts DESC, px$q$);
SELECT check_query($q$SELECT DISTINCT ON (symbol) symbol, ts FROM ticks WHERE px > 10
  ORDER BY symbol, ts DESC$q$);

-- Not pushed: a local qual, a month bucket, DISTINCT, FILTER, ORDER BY in
-- the aggregate, grouping by the time column, an aggregate of an expression.
SELECT check_query($q$SELECT symbol, count(*) FROM ticks WHERE px > 100 GROUP BY symbol$q$);
SELECT check_query($q$SELECT time_bucket('1 month', ts) AS m, count(*) FROM ticks GROUP BY m$q$);
SELECT check_query($q$SELECT count(DISTINCT symbol) FROM ticks$q$);
SELECT check_query($q$SELECT count(*) FILTER (WHERE flag) FROM ticks$q$);
SELECT check_query($q$SELECT symbol, string_agg(note, ',' ORDER BY ts) IS NOT NULL FROM ticks GROUP BY symbol$q$);
SELECT check_query($q$SELECT ts, count(*) FROM ticks WHERE ts < '2023-12-29 00:10' GROUP BY ts$q$);
SELECT check_query($q$SELECT symbol, sum(qty * 2) FROM ticks GROUP BY symbol$q$);
CREATE COLLATION nocase (provider = icu, locale = 'und-u-ks-level2', deterministic = false);
CREATE FOREIGN TABLE nocase_ft (ts timestamptz, symbol text COLLATE nocase, qty bigint)
  SERVER s OPTIONS (table 'ticks');
SELECT check_query($q$SELECT lower(symbol), count(*) FROM nocase_ft GROUP BY symbol$q$);
SELECT check_query($q$SELECT symbol, sum(px * 2) FROM ticks GROUP BY symbol$q$);
SELECT check_query($q$SELECT time_bucket('1 day', ts) AS d, sum(px * 1) FROM ticks GROUP BY d$q$);

-- Partitionwise: each foreign partition computes its own groups (checked
-- against local aggregation; the heap comparison is of the query with itself).
CREATE TABLE parted (ts timestamptz, symbol text, px float8, qty bigint) PARTITION BY LIST (symbol);
CREATE FOREIGN TABLE parted_a PARTITION OF parted FOR VALUES IN ('AAPL', 'IBM')
  SERVER s OPTIONS (table 'parted_a', series_key 'symbol');
CREATE FOREIGN TABLE parted_b PARTITION OF parted FOR VALUES IN ('MSFT')
  SERVER s OPTIONS (table 'parted_b', series_key 'symbol');
INSERT INTO parted_a SELECT ts, symbol, px, qty FROM heap WHERE symbol IN ('AAPL', 'IBM');
INSERT INTO parted_b SELECT ts, symbol, px, qty FROM heap WHERE symbol = 'MSFT';
SET enable_partitionwise_aggregate = on;
EXPLAIN (COSTS OFF)
SELECT symbol, time_bucket('1 day', ts) AS d, count(*), sum(qty), last(px, ts) FROM parted
 WHERE ts < '2024-01-03' GROUP BY symbol, d;
SELECT check_query($q$SELECT symbol, time_bucket('1 day', ts) AS d, count(*), sum(qty), last(px, ts) AS l
  FROM parted WHERE ts < '2024-01-03' GROUP BY symbol, d$q$);
RESET enable_partitionwise_aggregate;

-- Partial partitionwise aggregation: partitions by time grouped by symbol
-- (groups spanning partitions).  Each owner computes its partition's
-- partial groups as transition states and PostgreSQL finishes them
-- (upper_state.c); the view rheap is the same rows in a heap.
CREATE TABLE rticks (ts timestamptz, symbol text, venue bigint, px float8, qty bigint, note text,
                     flag boolean) PARTITION BY RANGE (ts);
CREATE FOREIGN TABLE rticks_1 PARTITION OF rticks FOR VALUES FROM (MINVALUE) TO ('2024-01-01')
  SERVER s OPTIONS (table 'rticks_1', series_key 'symbol');
CREATE FOREIGN TABLE rticks_2 PARTITION OF rticks FOR VALUES FROM ('2024-01-01') TO ('2024-01-03')
  SERVER s OPTIONS (table 'rticks_2', series_key 'symbol');
CREATE FOREIGN TABLE rticks_3 PARTITION OF rticks FOR VALUES FROM ('2024-01-03') TO (MAXVALUE)
  SERVER s OPTIONS (table 'rticks_3', series_key 'symbol');
INSERT INTO rticks SELECT * FROM heap;
CREATE VIEW rheap AS SELECT * FROM heap;
SET enable_partitionwise_aggregate = on;
EXPLAIN (COSTS OFF)
SELECT symbol, count(*), sum(qty), avg(qty), avg(px), first(px, ts), last(note, ts) FROM rticks
 GROUP BY symbol;
SELECT check_query($q$SELECT symbol, count(*), count(px) AS n_px, sum(qty), avg(qty), sum(px) AS s_px,
  avg(px) AS a_px, min(px) AS min_px, max(qty) AS max_qty, min(ts) AS min_ts, max(ts) AS max_ts,
  first(px, ts) AS f_px, last(note, ts) AS l_note,
  first(flag, ts) AS f_flag, last(venue, ts) AS l_venue FROM rticks GROUP BY symbol$q$);
SELECT check_query($q$SELECT count(*), sum(qty), avg(qty), avg(px) AS a_px, min(ts), max(px),
  first(note, ts) AS f_note, last(flag, ts) AS l_flag FROM rticks$q$);
SELECT check_query($q$SELECT symbol, venue, sum(px * qty) / nullif(sum(qty), 0) AS vwap, count(*)
  FROM rticks GROUP BY symbol, venue HAVING count(*) > 8000$q$);
SELECT check_query($q$SELECT symbol, time_bucket('1 week', ts) AS w, first(px, ts) AS open,
  last(px, ts) AS close, sum(qty) FROM rticks WHERE ts >= '2023-12-31 12:00' GROUP BY 1, 2$q$);
-- a partition whose range holds no row: its owner's group of nothing
SELECT check_query($q$SELECT count(*), sum(qty), avg(px) AS a_px, first(note, ts) AS f_note
  FROM rticks WHERE ts >= '2024-01-02' AND ts < '2024-01-05'$q$);
-- exact sums beyond 64 bits, and negative ones, from three owners
CREATE TABLE bigsum (ts timestamptz, k text, v bigint) PARTITION BY RANGE (ts);
CREATE FOREIGN TABLE bigsum_1 PARTITION OF bigsum FOR VALUES FROM (MINVALUE) TO ('2024-01-02')
  SERVER s OPTIONS (table 'bigsum_1');
CREATE FOREIGN TABLE bigsum_2 PARTITION OF bigsum FOR VALUES FROM ('2024-01-02') TO ('2024-01-03')
  SERVER s OPTIONS (table 'bigsum_2');
CREATE FOREIGN TABLE bigsum_3 PARTITION OF bigsum FOR VALUES FROM ('2024-01-03') TO (MAXVALUE)
  SERVER s OPTIONS (table 'bigsum_3');
INSERT INTO bigsum
SELECT '2024-01-01'::timestamptz + i * interval '1 hour', k,
       CASE k WHEN 'up' THEN 9223372036854775807 - i WHEN 'down' THEN -9223372036854775807 + i
              WHEN 'mixed' THEN (CASE WHEN i % 2 = 0 THEN 1 ELSE -1 END) * (4611686018427387904 + i)
              ELSE NULL END
  FROM generate_series(0, 71) i, unnest(ARRAY['up', 'down', 'mixed', 'none']) k;
SELECT check_query($q$SELECT k, count(v), sum(v), avg(v) FROM bigsum GROUP BY k$q$);
SELECT k, count(v), sum(v), avg(v) FROM bigsum GROUP BY k ORDER BY k;
-- avg of double precision over infinities and NaN in some partitions: as
-- PostgreSQL's own partial aggregation gives it, without an overflow error
CREATE TABLE floats (ts timestamptz, k text, v float8) PARTITION BY RANGE (ts);
CREATE FOREIGN TABLE floats_1 PARTITION OF floats FOR VALUES FROM (MINVALUE) TO ('2024-01-02')
  SERVER s OPTIONS (table 'floats_1');
CREATE FOREIGN TABLE floats_2 PARTITION OF floats FOR VALUES FROM ('2024-01-02') TO (MAXVALUE)
  SERVER s OPTIONS (table 'floats_2');
INSERT INTO floats VALUES
  ('2024-01-01 01:00', 'inf', 'Infinity'), ('2024-01-02 01:00', 'inf', 1.5),
  ('2024-01-01 01:00', 'both', 'Infinity'), ('2024-01-02 01:00', 'both', '-Infinity'),
  ('2024-01-01 01:00', 'nan', 'NaN'), ('2024-01-02 01:00', 'nan', 2),
  ('2024-01-01 01:00', 'plain', 1), ('2024-01-02 01:00', 'plain', 4);
SELECT check_query($q$SELECT k, count(v), avg(v), sum(v) FROM floats GROUP BY k$q$);
SELECT k, count(v), avg(v), sum(v) FROM floats GROUP BY k ORDER BY k;
RESET enable_partitionwise_aggregate;

-- What EXPLAIN shows.
EXPLAIN (VERBOSE, COSTS OFF)
SELECT symbol, time_bucket('1 hour', ts) AS bucket, first(px, ts), last(px, ts), avg(qty)
  FROM ticks WHERE ts >= '2024-01-01' AND ts < '2024-01-02' AND symbol IN ('AAPL', 'IBM')
 GROUP BY symbol, bucket HAVING count(*) > 10 ORDER BY symbol, bucket;

-- Parameters: a generic plan evaluates the range and filters per execution.
SET plan_cache_mode = force_generic_plan;
PREPARE bars(timestamptz, text) AS
  SELECT time_bucket('6 hours', ts) AS b, count(*), sum(qty) FROM ticks
   WHERE ts >= $1 AND symbol = $2 GROUP BY b ORDER BY b;
EXPLAIN (COSTS OFF) EXECUTE bars('2024-01-05', 'IBM');
EXECUTE bars('2024-01-05', 'IBM');
EXECUTE bars('2024-01-06', 'MSFT');
RESET plan_cache_mode;

-- A few figures, to read: OHLC bars of one symbol.
SELECT time_bucket('1 day', ts) AS day, first(px, ts) AS open, max(px) AS high, min(px) AS low,
       last(px, ts) AS close, sum(qty) AS volume, avg(px) AS avg_px
  FROM ticks WHERE symbol = 'AAPL' GROUP BY day ORDER BY day;

DROP COLLATION icu_und;
DROP FOREIGN TABLE ticks, nocase_ft, old_ticks;
DROP TABLE parted;
SELECT pulsora_drop_table('s', t) FROM unnest(ARRAY['ticks', 'parted_a', 'parted_b', 'old_ticks']) t;
