-- options: validation of server, table and column options
SET client_min_messages = warning;
DROP DATABASE IF EXISTS pulsora_options;
CREATE DATABASE pulsora_options;
\c pulsora_options
SET timezone = 'UTC';
SET datestyle = 'ISO, YMD';
CREATE EXTENSION pulsora;

-- servers: data_dir is required and must be an absolute, usable path
CREATE SERVER bad FOREIGN DATA WRAPPER pulsora;
CREATE SERVER bad FOREIGN DATA WRAPPER pulsora OPTIONS (data_dir 'relative/dir');
CREATE SERVER bad FOREIGN DATA WRAPPER pulsora
  OPTIONS (data_dir '/tmp/pulsora_regress/options/a-directory-name-long-enough-that-its-socket-path-does-not-fit-into-sun-path');
CREATE SERVER bad FOREIGN DATA WRAPPER pulsora
  OPTIONS (data_dir '/tmp/pulsora_regress/options/s', datadir '/x');
CREATE SERVER bad FOREIGN DATA WRAPPER pulsora
  OPTIONS (data_dir '/tmp/pulsora_regress/options/s', autostart 'maybe');
CREATE SERVER bad FOREIGN DATA WRAPPER pulsora
  OPTIONS (data_dir '/tmp/pulsora_regress/options/s', table 't');
CREATE SERVER s FOREIGN DATA WRAPPER pulsora
  OPTIONS (data_dir '/tmp/pulsora_regress/options/s', autostart 'off');
ALTER SERVER s OPTIONS (DROP data_dir);
ALTER SERVER s OPTIONS (SET autostart 'true');
ALTER SERVER s OPTIONS (ADD autostart 'false');
SELECT srvname, srvoptions FROM pg_foreign_server ORDER BY srvname;

-- foreign tables: option table; columns: option column_name
CREATE FOREIGN TABLE t (ts timestamptz OPTIONS (column_name 'time'), v float8)
  SERVER s OPTIONS (table 'ticks');
CREATE FOREIGN TABLE bad (ts timestamptz) SERVER s OPTIONS (tablename 'x');
CREATE FOREIGN TABLE bad (ts timestamptz) SERVER s OPTIONS (table '');
CREATE FOREIGN TABLE bad (ts timestamptz) SERVER s OPTIONS (data_dir '/tmp');
CREATE FOREIGN TABLE bad (ts timestamptz OPTIONS (name 'x')) SERVER s;
CREATE FOREIGN TABLE bad (ts timestamptz OPTIONS (column_name '')) SERVER s;
ALTER FOREIGN TABLE t ALTER COLUMN v OPTIONS (ADD column_name 'value');
SELECT attname, attfdwoptions FROM pg_attribute
  WHERE attrelid = 't'::regclass AND attnum > 0 ORDER BY attnum;
SELECT ftoptions FROM pg_foreign_table WHERE ftrelid = 't'::regclass;

-- user mappings and the wrapper itself take no options
CREATE USER MAPPING FOR CURRENT_USER SERVER s OPTIONS (user 'x');
CREATE USER MAPPING FOR CURRENT_USER SERVER s;
ALTER FOREIGN DATA WRAPPER pulsora OPTIONS (ADD data_dir '/tmp');

-- only a superuser may name a data directory
SET client_min_messages = warning;
DROP ROLE IF EXISTS pulsora_options_user;
RESET client_min_messages;
CREATE ROLE pulsora_options_user;
GRANT USAGE ON FOREIGN DATA WRAPPER pulsora TO pulsora_options_user;
SET ROLE pulsora_options_user;
CREATE SERVER mine FOREIGN DATA WRAPPER pulsora
  OPTIONS (data_dir '/tmp/pulsora_regress/options/mine');
RESET ROLE;
