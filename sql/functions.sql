-- functions: CSV loads from a server-side file and from client text, the
-- catalog, deleting a time range, dropping a table, the owner's status
SET client_min_messages = warning;
DROP DATABASE IF EXISTS pulsora_functions;
CREATE DATABASE pulsora_functions;
\c pulsora_functions
SET timezone = 'UTC';
SET datestyle = 'ISO, YMD';
CREATE EXTENSION pulsora;
CREATE SERVER s FOREIGN DATA WRAPPER pulsora OPTIONS (data_dir '/tmp/pulsora_regress/functions/store');

-- a server-side file, written here by COPY TO (as the database server's user)
COPY (SELECT '2024-01-01T00:00:00Z'::text AS timestamp, 'AAPL' AS symbol, 150.25 AS price, 100 AS volume
      UNION ALL SELECT '2024-01-01T00:00:01.123456789Z', 'MSFT', 300.5, 200
      UNION ALL SELECT '2024-01-01T00:00:02Z', 'GOOG', NULL, 300)
  TO '/tmp/pulsora_regress/functions/trades.csv' WITH (FORMAT csv, HEADER);
SELECT rows_loaded, rows_rejected, elapsed_ms >= 0 AS timed
  FROM pulsora_load_csv('s', 'trades', '/tmp/pulsora_regress/functions/trades.csv');
SELECT * FROM pulsora_tables('s');
SELECT * FROM pulsora_schema('s', 'trades');
CREATE FOREIGN TABLE trades (timestamp timestamptz, symbol text, price float8, volume bigint)
  SERVER s;
SELECT * FROM trades;

-- the same file again: columns are matched by name; a second load appends
SELECT rows_loaded FROM pulsora_load_csv('s', 'trades', '/tmp/pulsora_regress/functions/trades.csv');
SELECT count(*) FROM trades;
-- ... unless the table deduplicates (option dedup, at creation)
SELECT rows_loaded FROM pulsora_load_csv('s', 'trades_dedup', '/tmp/pulsora_regress/functions/trades.csv',
                                         '{"dedup": true}');
SELECT rows_loaded FROM pulsora_load_csv('s', 'trades_dedup', '/tmp/pulsora_regress/functions/trades.csv');
SELECT row_count FROM pulsora_tables('s') WHERE table_name = 'trades_dedup';

-- CSV text from the client, with options
SELECT rows_loaded, rows_rejected FROM pulsora_ingest_csv('s', 'bars',
  E'day;open;close\n2024-01-02;1.5;2\n2024-01-03;2;2.5\n',
  '{"delimiter": ";", "time_column": "day"}');
SELECT * FROM pulsora_schema('s', 'bars');
SELECT rows_loaded FROM pulsora_ingest_csv('s', 'epochs', E'ts,v\n1704067200,1\n1704067201,2\n',
                                          '{"time_unit": "s"}');
SELECT min_time, max_time FROM pulsora_tables('s') WHERE table_name = 'epochs';
SELECT rows_loaded FROM pulsora_ingest_csv('s', 'local', E'ts,v\n2024-01-01 09:30:00,1\n',
                                          '{"timezone": "-05:00", "header": true}');
SELECT min_time FROM pulsora_tables('s') WHERE table_name = 'local';
SELECT rows_loaded FROM pulsora_ingest_csv('s', 'noheader', E'2024-01-01T00:00:00Z,1\n',
                                          '{"header": false, "time_column": "column1"}');
SELECT * FROM pulsora_schema('s', 'noheader');

-- bad rows: an error naming line, column and reason, and nothing is loaded ...
SELECT * FROM pulsora_ingest_csv('s', 'trades',
  E'timestamp,symbol,price,volume\n2024-01-05T00:00:00Z,X,1,1\n2024-01-05T00:00:01Z,Y,abc,2\n');
SELECT count(*) FROM trades WHERE timestamp >= '2024-01-05';
-- ... or, with on_error skip, the good rows load and the bad ones are reported
SET client_min_messages = notice;
SELECT rows_loaded, rows_rejected FROM pulsora_ingest_csv('s', 'trades',
  E'timestamp,symbol,price,volume\n2024-01-05T00:00:00Z,X,1,1\n2024-01-05T00:00:01Z,Y,abc,2\nnot a time,Z,1,1\n',
  '{"on_error": "skip"}');
SET client_min_messages = warning;
SELECT count(*) FROM trades WHERE timestamp >= '2024-01-05';
-- unknown columns need add_columns
SELECT * FROM pulsora_ingest_csv('s', 'trades', E'timestamp,venue\n2024-01-06T00:00:00Z,XNAS\n');
SELECT rows_loaded FROM pulsora_ingest_csv('s', 'trades', E'timestamp,venue\n2024-01-06T00:00:00Z,XNAS\n',
                                          '{"add_columns": true}');
SELECT column_name, data_type FROM pulsora_schema('s', 'trades');

-- option errors
SELECT * FROM pulsora_ingest_csv('s', 'x', E'ts\n2024-01-01\n', '{"delimeter": ";"}');
SELECT * FROM pulsora_ingest_csv('s', 'x', E'ts\n2024-01-01\n', '{"on_error": "ignore"}');
SELECT * FROM pulsora_ingest_csv('s', 'x', E'ts\n2024-01-01\n', '{"header": null}');
SELECT * FROM pulsora_ingest_csv('s', 'x', E'ts\n2024-01-01\n', '[1]');
SELECT * FROM pulsora_ingest_csv('s', 'x', E'a,b\n1,2\n');
SELECT * FROM pulsora_ingest_csv('s', 'bad name!', E'ts\n2024-01-01\n');
SELECT * FROM pulsora_load_csv('s', 'x', '/tmp/pulsora_regress/functions/missing.csv');
SELECT * FROM pulsora_load_csv('s', 'x', '/tmp/pulsora_regress/functions');
SELECT * FROM pulsora_tables('nosuch');
CREATE FOREIGN DATA WRAPPER other;
CREATE SERVER other_server FOREIGN DATA WRAPPER other;
SELECT * FROM pulsora_tables('other_server');

-- delete_range removes [start, end) exactly as a scan shows it
SELECT pulsora_delete_range('s', 'trades', '2024-01-01 00:00:01.123456+00', '2024-01-01 00:00:02+00');
SELECT timestamp, symbol FROM trades ORDER BY timestamp;
SELECT pulsora_delete_range('s', 'trades', '2024-01-02', '2024-01-01');
SELECT pulsora_delete_range('s', 'trades', '-infinity', '2024-01-01 00:00:00.000001+00');
SELECT pulsora_delete_range('s', 'trades', '2024-01-05', 'infinity');
SELECT row_count, min_time, max_time FROM pulsora_tables('s') WHERE table_name = 'trades';
SELECT pulsora_delete_range('s', 'nosuch', '2024-01-01', '2024-01-02');
SELECT pulsora_delete_range('s', 'nosuch', '2024-01-02', '2024-01-01');

-- drop_table
SELECT pulsora_drop_table('s', 'bars');
SELECT table_name FROM pulsora_tables('s');
SELECT pulsora_drop_table('s', 'bars');

-- status of the owner
SELECT pid > 0 AS has_pid, kind, rest_address, version <> '' AS has_version,
       data_bytes > 0 AS has_data, data_dir
  FROM pulsora_status('s');

-- functions act at once: ROLLBACK does not undo them
BEGIN;
SELECT rows_loaded FROM pulsora_ingest_csv('s', 'kept', E'ts,v\n2024-01-01T00:00:00Z,1\n');
ROLLBACK;
SELECT row_count FROM pulsora_tables('s') WHERE table_name = 'kept';
