-- manual_owner: a pulsorad started by hand (here by the test runner, with
-- REST on) owns the data directory; the FDW uses it, and REST ingestion
-- runs next to SQL writes without either seeing the other's uncommitted rows
SET client_min_messages = warning;
DROP DATABASE IF EXISTS pulsora_manual_owner;
CREATE DATABASE pulsora_manual_owner;
\c pulsora_manual_owner
SET timezone = 'UTC';
SET datestyle = 'ISO, YMD';
CREATE EXTENSION pulsora;
CREATE SERVER m FOREIGN DATA WRAPPER pulsora
  OPTIONS (data_dir '/tmp/pulsora_regress/manual_owner', autostart 'false');
SELECT kind, rest_address IS NOT NULL AS serves_rest FROM pulsora_status('m');
SELECT pid = trim(pg_read_file('/tmp/pulsora_regress/manual_owner/pulsorad.pid'))::int AS same_pid
  FROM pulsora_status('m');
SELECT 'http://' || rest_address AS base FROM pulsora_status('m') \gset

CREATE FOREIGN TABLE rt (ts timestamptz, src text, n bigint) SERVER m OPTIONS (table 'rest_ticks');
SELECT rows_loaded FROM pulsora_ingest_csv('m', 'rest_ticks', E'ts,src,n\n2024-01-01T00:00:00Z,sql,0\n');
COPY (SELECT '2024-01-02'::timestamptz + i * interval '1 second' AS ts, 'rest' AS src, i AS n
        FROM generate_series(1, 500) i)
  TO '/tmp/pulsora_regress/manual_owner/rest.csv' WITH (FORMAT csv, HEADER);
CREATE TEMP TABLE responses (body text);
\set ingest 'curl -sS -X POST -H "Content-Type: text/csv" --data-binary @/tmp/pulsora_regress/manual_owner/rest.csv ' :base '/tables/rest_ticks/ingest'
\set count 'curl -sS ' :base '/tables/rest_ticks/count'

-- SQL rows in an open transaction, REST rows committed meanwhile
BEGIN;
INSERT INTO rt SELECT '2024-01-01'::timestamptz + i * interval '1 second', 'sql', i
  FROM generate_series(1, 1000) i;
COPY responses FROM PROGRAM :'ingest';
SELECT body::jsonb -> 'success' AS success, body::jsonb -> 'data' -> 'rows_inserted' AS rows_inserted
  FROM responses;
SELECT src, count(*) FROM rt GROUP BY src ORDER BY src;
TRUNCATE responses;
COPY responses FROM PROGRAM :'count';
SELECT body::jsonb -> 'data' -> 'count' AS rest_count FROM responses;
COMMIT;

-- after the commit both agree
SELECT src, count(*) FROM rt GROUP BY src ORDER BY src;
TRUNCATE responses;
COPY responses FROM PROGRAM :'count';
SELECT body::jsonb -> 'data' -> 'count' AS rest_count FROM responses;
