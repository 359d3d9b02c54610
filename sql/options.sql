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

-- user mappings take a token only; the wrapper itself takes no options
CREATE USER MAPPING FOR CURRENT_USER SERVER s OPTIONS (user 'x');
CREATE USER MAPPING FOR CURRENT_USER SERVER s OPTIONS (token '');
CREATE USER MAPPING FOR CURRENT_USER SERVER s;
ALTER FOREIGN DATA WRAPPER pulsora OPTIONS (ADD data_dir '/tmp');

-- remote owners: host and port instead of data_dir, never both
CREATE SERVER r1 FOREIGN DATA WRAPPER pulsora OPTIONS (host '127.0.0.1', port '1');
CREATE SERVER r2 FOREIGN DATA WRAPPER pulsora
  OPTIONS (host 'pulsora.example', port '7820', tls 'require', connect_timeout '3');
CREATE SERVER bad FOREIGN DATA WRAPPER pulsora
  OPTIONS (data_dir '/tmp/pulsora_regress/options/x', host '127.0.0.1', port '7820');
CREATE SERVER bad FOREIGN DATA WRAPPER pulsora OPTIONS (host '127.0.0.1');
CREATE SERVER bad FOREIGN DATA WRAPPER pulsora OPTIONS (port '7820');
CREATE SERVER bad FOREIGN DATA WRAPPER pulsora OPTIONS (host '127.0.0.1', port '65536');
CREATE SERVER bad FOREIGN DATA WRAPPER pulsora OPTIONS (host '127.0.0.1', port 'x');
CREATE SERVER bad FOREIGN DATA WRAPPER pulsora OPTIONS (host '', port '7820');
CREATE SERVER bad FOREIGN DATA WRAPPER pulsora OPTIONS (host '127.0.0.1', port '7820', tls 'on');
CREATE SERVER bad FOREIGN DATA WRAPPER pulsora
  OPTIONS (host '127.0.0.1', port '7820', connect_timeout '-1');
CREATE SERVER bad FOREIGN DATA WRAPPER pulsora
  OPTIONS (host '127.0.0.1', port '7820', tls_ca_file 'ca.pem');
CREATE SERVER bad FOREIGN DATA WRAPPER pulsora
  OPTIONS (host '127.0.0.1', port '7820', autostart 'false');
CREATE SERVER bad FOREIGN DATA WRAPPER pulsora
  OPTIONS (data_dir '/tmp/pulsora_regress/options/x', tls 'disable');
ALTER SERVER r2 OPTIONS (ADD data_dir '/tmp/pulsora_regress/options/x');
ALTER SERVER r2 OPTIONS (DROP port);
SELECT srvname, srvoptions FROM pg_foreign_server WHERE srvname LIKE 'r_' ORDER BY srvname;
-- a remote owner needs a user mapping, and its errors name the server and address
SELECT * FROM pulsora_tables('r1');
CREATE USER MAPPING FOR CURRENT_USER SERVER r1 OPTIONS (token 'secret');
SELECT * FROM pulsora_tables('r1');

-- only a superuser may name a data directory
SET client_min_messages = warning;
DROP ROLE IF EXISTS pulsora_options_user;
RESET client_min_messages;
CREATE ROLE pulsora_options_user;
GRANT USAGE ON FOREIGN DATA WRAPPER pulsora TO pulsora_options_user;
SET ROLE pulsora_options_user;
CREATE SERVER mine FOREIGN DATA WRAPPER pulsora
  OPTIONS (data_dir '/tmp/pulsora_regress/options/mine');
-- nor a CA file; a remote server it may create, and map itself with a token
CREATE SERVER mine FOREIGN DATA WRAPPER pulsora
  OPTIONS (host '127.0.0.1', port '7820', tls 'verify-full', tls_ca_file '/etc/ssl/ca.pem');
CREATE SERVER mine FOREIGN DATA WRAPPER pulsora OPTIONS (host '127.0.0.1', port '7820');
CREATE USER MAPPING FOR CURRENT_USER SERVER mine OPTIONS (token 'its-own');
RESET ROLE;
-- a token shows to superusers and to the mapping's own user, as postgres_fdw's password
CREATE USER MAPPING FOR pulsora_options_user SERVER r1 OPTIONS (token 'users-token');
SELECT srvname, usename, umoptions FROM pg_user_mappings WHERE srvname IN ('r1', 'mine')
  ORDER BY 1, 2;
SET ROLE pulsora_options_user;
SELECT srvname, usename, umoptions FROM pg_user_mappings WHERE srvname IN ('r1', 'mine')
  ORDER BY 1, 2;
RESET ROLE;
DROP USER MAPPING FOR pulsora_options_user SERVER r1;
DROP USER MAPPING FOR pulsora_options_user SERVER mine;
DROP SERVER mine;
