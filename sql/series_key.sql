-- series_key: choosing a table's series key (the foreign table option
-- series_key when an INSERT or COPY creates the table, the load option of
-- the CSV functions, inference from column names), and seeing it
-- (pulsora_schema, IMPORT FOREIGN SCHEMA)
SET client_min_messages = warning;
DROP DATABASE IF EXISTS pulsora_series_key;
CREATE DATABASE pulsora_series_key;
\c pulsora_series_key
SET timezone = 'UTC';
SET datestyle = 'ISO, YMD';
CREATE EXTENSION pulsora;
CREATE SERVER s FOREIGN DATA WRAPPER pulsora OPTIONS (data_dir '/tmp/pulsora_regress/series_key');

-- inferred from a column named like a symbol
CREATE FOREIGN TABLE inferred (ts timestamptz, ticker text, px float8) SERVER s;
INSERT INTO inferred VALUES ('2024-01-01 00:00:00+00', 'A', 1);
SELECT * FROM pulsora_schema('s', 'inferred');
-- named by the option, in key order (not the columns' order), on an INSERT
CREATE FOREIGN TABLE keyed (ts timestamptz, symbol text, venue bigint, px float8)
  SERVER s OPTIONS (series_key 'venue,symbol');
INSERT INTO keyed VALUES ('2024-01-01 00:00:00+00', 'A', 1, 1.5), ('2024-01-01 00:00:01+00', 'B', 2, 2.5);
SELECT * FROM pulsora_schema('s', 'keyed');
-- '' means no key at all, not even the inferred one; COPY creates the table too
CREATE FOREIGN TABLE unkeyed (ts timestamptz, symbol text, px float8)
  SERVER s OPTIONS (series_key '');
COPY unkeyed FROM STDIN WITH (FORMAT csv);
2024-01-01 00:00:00+00,A,1
\.
SELECT * FROM pulsora_schema('s', 'unkeyed');
EXPLAIN (COSTS OFF) SELECT * FROM unkeyed WHERE symbol = 'A';
-- the option is for creating the table: an existing table keeps its key
ALTER FOREIGN TABLE unkeyed OPTIONS (SET series_key 'symbol');
INSERT INTO unkeyed VALUES ('2024-01-01 00:00:01+00', 'B', 2);
SELECT * FROM pulsora_schema('s', 'unkeyed');
-- a column mapped by column_name is named by its store name
CREATE FOREIGN TABLE mapped (ts timestamptz, s text OPTIONS (column_name 'code'), px float8)
  SERVER s OPTIONS (series_key 'code');
INSERT INTO mapped VALUES ('2024-01-01 00:00:00+00', 'X', 1);
SELECT * FROM pulsora_schema('s', 'mapped');
EXPLAIN (COSTS OFF) SELECT * FROM mapped WHERE s = 'X';
SELECT * FROM mapped WHERE s = 'X';

-- bad values of the option are refused when set...
CREATE FOREIGN TABLE bad (ts timestamptz, a text) SERVER s OPTIONS (series_key 'a,');
CREATE FOREIGN TABLE bad (ts timestamptz, a text) SERVER s OPTIONS (series_key ',a');
CREATE FOREIGN TABLE bad (ts timestamptz, a text) SERVER s OPTIONS (series_key 'a,a');
CREATE FOREIGN TABLE bad (ts timestamptz, a text) SERVER s OPTIONS (series_key 'a,b,c,d,e,f,g,h,i');
CREATE FOREIGN TABLE bad (ts timestamptz, a text) SERVER s OPTIONS (seriess_key 'a');
CREATE SERVER s2 FOREIGN DATA WRAPPER pulsora OPTIONS (data_dir '/tmp/x', series_key 'a');
-- ...and columns that cannot form the key when a write creates the table
CREATE FOREIGN TABLE bad (ts timestamptz, a text, px float8, other text)
  SERVER s OPTIONS (series_key 'nope');
INSERT INTO bad VALUES ('2024-01-01', 'x', 1, 'y');
ALTER FOREIGN TABLE bad OPTIONS (SET series_key 'a,px');
INSERT INTO bad VALUES ('2024-01-01', 'x', 1, 'y');
ALTER FOREIGN TABLE bad OPTIONS (SET series_key 'ts');
INSERT INTO bad VALUES ('2024-01-01', 'x', 1, 'y');
ALTER FOREIGN TABLE bad OPTIONS (SET series_key 'a, other');
INSERT INTO bad VALUES ('2024-01-01', 'x', 1, 'y');
SELECT count(*) FROM pulsora_tables('s') WHERE table_name = 'bad';
ALTER FOREIGN TABLE bad OPTIONS (SET series_key 'other,a');
INSERT INTO bad VALUES ('2024-01-01', 'x', 1, 'y');
SELECT * FROM pulsora_schema('s', 'bad');

-- the jsonb options of the CSV functions: a string or an array of names
SELECT rows_loaded FROM pulsora_ingest_csv('s', 'csv_string',
  E'ts,code,exch,px\n2024-01-01T00:00:00Z,A,X,1\n2024-01-01T00:00:01Z,B,Y,2\n',
  '{"series_key": "exch,code"}');
SELECT * FROM pulsora_schema('s', 'csv_string');
SELECT rows_loaded FROM pulsora_ingest_csv('s', 'csv_array',
  E'ts,code,exch,px\n2024-01-01T00:00:00Z,A,X,1\n', '{"series_key": ["code", "exch"]}');
SELECT * FROM pulsora_schema('s', 'csv_array');
SELECT rows_loaded FROM pulsora_ingest_csv('s', 'csv_none',
  E'ts,symbol,px\n2024-01-01T00:00:00Z,A,1\n', '{"series_key": ""}');
SELECT * FROM pulsora_schema('s', 'csv_none');
SELECT rows_loaded FROM pulsora_ingest_csv('s', 'csv_bad',
  E'ts,code,px\n2024-01-01T00:00:00Z,A,1\n', '{"series_key": "nope"}');
SELECT rows_loaded FROM pulsora_ingest_csv('s', 'csv_bad',
  E'ts,code,px\n2024-01-01T00:00:00Z,A,1.5\n', '{"series_key": "px"}');
SELECT rows_loaded FROM pulsora_ingest_csv('s', 'csv_bad',
  E'ts,code,px\n2024-01-01T00:00:00Z,A,1\n', '{"series_key": ["code", 1]}');
SELECT rows_loaded FROM pulsora_ingest_csv('s', 'csv_bad',
  E'ts,code,px\n2024-01-01T00:00:00Z,A,1\n', '{"series_key": ["a,b"]}');
SELECT rows_loaded FROM pulsora_ingest_csv('s', 'csv_bad',
  E'ts,code,px\n2024-01-01T00:00:00Z,A,1\n', '{"series_key": {"code": true}}');
SELECT count(*) FROM pulsora_tables('s') WHERE table_name = 'csv_bad';

-- IMPORT FOREIGN SCHEMA carries the key, in key order
CREATE SCHEMA imported;
IMPORT FOREIGN SCHEMA pulsora FROM SERVER s INTO imported;
\det+ imported.*
EXPLAIN (COSTS OFF) SELECT * FROM imported.csv_string WHERE exch = 'Y' AND code IN ('A', 'B');
SELECT * FROM imported.csv_string WHERE exch = 'Y' AND code IN ('A', 'B');
