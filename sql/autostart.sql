-- autostart: the first query finds no owner and starts pulsorad itself
SET client_min_messages = warning;
DROP DATABASE IF EXISTS pulsora_autostart;
CREATE DATABASE pulsora_autostart;
\c pulsora_autostart
SET timezone = 'UTC';
SET datestyle = 'ISO, YMD';
CREATE EXTENSION pulsora;

CREATE SERVER manual FOREIGN DATA WRAPPER pulsora
  OPTIONS (data_dir '/tmp/pulsora_regress/autostart/manual', autostart 'false');
CREATE SERVER auto FOREIGN DATA WRAPPER pulsora
  OPTIONS (data_dir '/tmp/pulsora_regress/autostart/auto');

-- without autostart, no owner is an error naming the directory
SELECT * FROM pulsora_tables('manual');
CREATE FOREIGN TABLE m (ts timestamptz) SERVER manual;
SELECT * FROM m;

-- with it, the owner is started (no pulsorad runs for this directory yet)
SELECT * FROM pulsora_tables('auto');
SELECT kind, rest_address, version, data_dir FROM pulsora_status('auto');
SELECT pid = trim(pg_read_file('/tmp/pulsora_regress/autostart/auto/pulsorad.pid'))::int
  AS pid_file_names_owner
  FROM pulsora_status('auto');

-- the owner is not a child of the postmaster, and not in its session
-- (/proc/PID/stat: field 4 is the parent, field 6 the session)
CREATE FUNCTION proc_stat_field(pid int, n int) RETURNS int LANGUAGE sql AS $$
  SELECT (string_to_array(split_part(pg_read_file('/proc/' || pid || '/stat'), ') ', 2), ' '))[n - 2]::int
$$;
SELECT trim(split_part(pg_read_file('postmaster.pid'), E'\n', 1))::int AS postmaster_pid \gset
SELECT proc_stat_field(pid, 4) <> :postmaster_pid AS not_postmaster_child,
       proc_stat_field(pid, 6) <> proc_stat_field(:postmaster_pid, 6) AS own_session
  FROM pulsora_status('auto');

-- another server on the same directory shares the owner and the connection
CREATE SERVER auto2 FOREIGN DATA WRAPPER pulsora
  OPTIONS (data_dir '/tmp/pulsora_regress/autostart/auto');
SELECT (SELECT pid FROM pulsora_status('auto')) = (SELECT pid FROM pulsora_status('auto2'))
  AS same_owner;

-- a new session connects to the running owner instead of starting another
SELECT pid AS first_pid FROM pulsora_status('auto') \gset
\c pulsora_autostart
SELECT pid = :first_pid AS same_owner FROM pulsora_status('auto');

-- switching autostart on lets the next query start an owner
ALTER SERVER manual OPTIONS (SET autostart 'true');
SELECT kind FROM pulsora_status('manual');
SELECT count(*) FROM pulsora_tables('manual');

-- an owner that stops is replaced by the next query of the same session
SELECT pid AS old_pid FROM pulsora_status('auto') \gset
\set kill_owner 'kill -TERM ' :old_pid
CREATE TEMP TABLE program_output (line text);
COPY program_output FROM PROGRAM :'kill_owner';
DO $$
BEGIN
  -- wait (at most 10 s) until the old owner is gone
  FOR i IN 1..200 LOOP
    EXIT WHEN NOT EXISTS (SELECT 1 FROM pg_ls_dir('/tmp/pulsora_regress/autostart/auto') f
                          WHERE f = 'pulsorad.pid');
    PERFORM pg_sleep(0.05);
  END LOOP;
END $$;
SELECT pid <> :old_pid AS new_owner, kind FROM pulsora_status('auto');

-- sessions racing to start the owner leave exactly one
CREATE EXTENSION dblink;
CREATE SERVER race FOREIGN DATA WRAPPER pulsora
  OPTIONS (data_dir '/tmp/pulsora_regress/autostart/race');
SELECT format('dbname=%s host=%s port=%s', current_database(),
              split_part(current_setting('unix_socket_directories'), ',', 1),
              current_setting('port')) AS conninfo \gset
SELECT dblink_connect('r' || i, :'conninfo') FROM generate_series(1, 4) i;
SELECT dblink_send_query('r' || i, 'SELECT pid FROM pulsora_status(''race'')') FROM generate_series(1, 4) i;
SELECT count(*) AS answers, count(DISTINCT pid) AS owners
  FROM generate_series(1, 4) i, dblink_get_result('r' || i) AS t(pid int);
SELECT dblink_disconnect('r' || i) FROM generate_series(1, 4) i;
CREATE FUNCTION owner_processes(dir text) RETURNS int LANGUAGE plpgsql AS $$
DECLARE
  n int := 0;
  p text;
BEGIN
  FOR p IN SELECT f FROM pg_ls_dir('/proc') f WHERE f ~ '^[0-9]+$' LOOP
    BEGIN
      -- arguments are NUL-separated: look for "-D", DIR
      IF position('\x2d4400'::bytea || convert_to(dir, 'UTF8') || '\x00'::bytea
                  IN pg_read_binary_file('/proc/' || p || '/cmdline')) > 0 THEN
        n := n + 1;
      END IF;
    EXCEPTION WHEN OTHERS THEN
      NULL;  -- the process went away meanwhile
    END;
  END LOOP;
  RETURN n;
END $$;
SELECT owner_processes('/tmp/pulsora_regress/autostart/race') AS race_owners,
       owner_processes('/tmp/pulsora_regress/autostart/auto') AS auto_owners;
