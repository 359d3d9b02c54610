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
COPY (SELECT 1) TO PROGRAM :'kill_owner';
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
