-- privileges: EXECUTE is revoked from PUBLIC; loads and reads need USAGE on
-- the server, delete, drop and backups need its ownership, file loads need
-- pg_read_server_files; foreign tables need SELECT/INSERT as usual
SET client_min_messages = warning;
DROP DATABASE IF EXISTS pulsora_privileges;
CREATE DATABASE pulsora_privileges;
\c pulsora_privileges
SET client_min_messages = warning;
SET timezone = 'UTC';
SET datestyle = 'ISO, YMD';
CREATE EXTENSION pulsora;
CREATE SERVER s FOREIGN DATA WRAPPER pulsora OPTIONS (data_dir '/tmp/pulsora_regress/privileges/store');
SELECT rows_loaded FROM pulsora_ingest_csv('s', 't', E'ts,v\n2024-01-01T00:00:00Z,1\n2024-01-02T00:00:00Z,2\n');
COPY (SELECT '2024-01-03T00:00:00Z' AS ts, 3 AS v) TO '/tmp/pulsora_regress/privileges/t.csv' WITH (FORMAT csv, HEADER);
CREATE FOREIGN TABLE t (ts timestamptz, v bigint) SERVER s;
DROP ROLE IF EXISTS pulsora_priv_user;
CREATE ROLE pulsora_priv_user;

-- nothing by default
SET ROLE pulsora_priv_user;
SELECT * FROM pulsora_tables('s');
SELECT * FROM pulsora_ingest_csv('s', 't', E'ts,v\n2024-01-04T00:00:00Z,4\n');
SELECT * FROM t;
INSERT INTO t VALUES ('2024-01-04', 4);
RESET ROLE;

-- EXECUTE alone is not enough: the functions check USAGE on the server
GRANT EXECUTE ON FUNCTION pulsora_tables(name), pulsora_schema(name, text), pulsora_status(name),
  pulsora_ingest_csv(name, text, text, jsonb), pulsora_load_csv(name, text, text, jsonb),
  pulsora_delete_range(name, text, timestamptz, timestamptz), pulsora_drop_table(name, text),
  pulsora_backup(name), pulsora_backups(name), pulsora_loads(name)
  TO pulsora_priv_user;
SET ROLE pulsora_priv_user;
SELECT * FROM pulsora_tables('s');
SELECT * FROM pulsora_ingest_csv('s', 't', E'ts,v\n2024-01-04T00:00:00Z,4\n');
RESET ROLE;

-- with USAGE: reads and client loads; not file loads, deletes or drops
GRANT USAGE ON FOREIGN SERVER s TO pulsora_priv_user;
SET ROLE pulsora_priv_user;
SELECT table_name, row_count FROM pulsora_tables('s');
SELECT column_name FROM pulsora_schema('s', 't');
SELECT kind FROM pulsora_status('s');
SELECT rows_loaded FROM pulsora_ingest_csv('s', 't', E'ts,v\n2024-01-04T00:00:00Z,4\n');
SELECT * FROM pulsora_load_csv('s', 't', '/tmp/pulsora_regress/privileges/t.csv');
SELECT pulsora_delete_range('s', 't', '-infinity', 'infinity');
SELECT pulsora_drop_table('s', 't');
-- loads in progress are visible (none runs now); backups are not
SELECT count(*) FROM pulsora_loads('s');
SELECT * FROM pulsora_backup('s');
SELECT * FROM pulsora_backups('s');
-- the foreign table itself still needs its own privileges
SELECT * FROM t;
-- nor may it alter the server
ALTER SERVER s OPTIONS (SET data_dir '/tmp');
RESET ROLE;

-- table privileges, and the right to read server files
GRANT SELECT, INSERT ON t TO pulsora_priv_user;
GRANT pg_read_server_files TO pulsora_priv_user;
SET ROLE pulsora_priv_user;
SELECT * FROM t ORDER BY ts;
INSERT INTO t VALUES ('2024-01-05', 5);
SELECT rows_loaded FROM pulsora_load_csv('s', 't', '/tmp/pulsora_regress/privileges/t.csv');
SELECT count(*) FROM t;
RESET ROLE;

-- owning the server allows deletes and drops
GRANT USAGE ON FOREIGN DATA WRAPPER pulsora TO pulsora_priv_user;
ALTER SERVER s OWNER TO pulsora_priv_user;
SET ROLE pulsora_priv_user;
ALTER SERVER s OPTIONS (SET data_dir '/tmp');
SELECT pulsora_delete_range('s', 't', '2024-01-05', 'infinity');
SELECT count(*) FROM t;
-- and backups, into the owner's backup directory, listed oldest first
SELECT path LIKE '/tmp/pulsora_regress/privileges/store/backups/2%' AS in_backup_dir,
       bytes > 0 AS has_bytes, elapsed_ms > 0 AS timed
  FROM pulsora_backup('s');
SELECT path AS second_path FROM pulsora_backup('s') \gset
SELECT count(*) AS backups, bool_and(path = '/tmp/pulsora_regress/privileges/store/backups/' || name)
         AS named_by_path,
       bool_and(bytes > 0 AND elapsed_ms > 0 AND created > now() - interval '1 hour') AS figures,
       max(n) FILTER (WHERE path = :'second_path') = 2 AS newest_last
  FROM pulsora_backups('s') WITH ORDINALITY AS b(name, path, bytes, created, elapsed_ms, n);
SELECT pulsora_drop_table('s', 't');
SELECT count(*) FROM pulsora_tables('s');
RESET ROLE;
