-- import: IMPORT FOREIGN SCHEMA creates a foreign table per store table,
-- with LIMIT TO and EXCEPT
SET client_min_messages = warning;
DROP DATABASE IF EXISTS pulsora_import;
CREATE DATABASE pulsora_import;
\c pulsora_import
SET timezone = 'UTC';
SET datestyle = 'ISO, YMD';
CREATE EXTENSION pulsora;
CREATE SERVER s FOREIGN DATA WRAPPER pulsora OPTIONS (data_dir '/tmp/pulsora_regress/import');
SELECT rows_loaded FROM pulsora_ingest_csv('s', 'trades',
  E'ts,symbol,price,size,buy\n2024-01-01T00:00:00Z,AAPL,150.25,10,true\n');
SELECT rows_loaded FROM pulsora_ingest_csv('s', 'quotes',
  E'time,bid,ask,seen\n2024-01-01T00:00:00Z,1.5,1.75,2024-01-01T00:00:00.5Z\n');
SELECT rows_loaded FROM pulsora_ingest_csv('s', 'Mixed-Case',
  E'date,value\n2024-01-01,1\n');

CREATE SCHEMA everything;
IMPORT FOREIGN SCHEMA pulsora FROM SERVER s INTO everything;
\det+ everything.*
\d everything.trades
\d everything.quotes
SELECT * FROM everything.trades;
SELECT * FROM everything."Mixed-Case";

CREATE SCHEMA subset;
IMPORT FOREIGN SCHEMA pulsora LIMIT TO (quotes, "Mixed-Case", nosuch) FROM SERVER s INTO subset;
\det subset.*
CREATE SCHEMA others;
IMPORT FOREIGN SCHEMA pulsora EXCEPT (quotes) FROM SERVER s INTO others;
\det others.*
-- importing twice collides, as for any foreign table
IMPORT FOREIGN SCHEMA pulsora LIMIT TO (quotes) FROM SERVER s INTO subset;
