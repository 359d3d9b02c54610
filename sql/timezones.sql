-- timezones: CSV loads with the time_format and timezone options (IANA
-- zones), compared in the same test with PostgreSQL's own
-- `timestamp AT TIME ZONE` around the DST changes of New York and London:
-- the spring gap (local times that never happen), the autumn repeat (local
-- times that happen twice), and years past the last transition of the
-- zone files (their footer rule); then the table's defaults and the errors.
SET client_min_messages = warning;
DROP DATABASE IF EXISTS pulsora_timezones;
CREATE DATABASE pulsora_timezones;
\c pulsora_timezones
SET timezone = 'UTC';
SET datestyle = 'ISO, YMD';
CREATE EXTENSION pulsora;
CREATE SERVER s FOREIGN DATA WRAPPER pulsora OPTIONS (data_dir '/tmp/pulsora_regress/timezones/store');

CREATE TABLE local_times (n int, zone text, local_time timestamp);
INSERT INTO local_times VALUES
  -- New York springs forward at 02:00 on 2024-03-10 (02:00-02:59 do not exist) ...
  (1, 'America/New_York', '2024-03-10 01:59:59'), (2, 'America/New_York', '2024-03-10 02:00:00'),
  (3, 'America/New_York', '2024-03-10 02:30:00'), (4, 'America/New_York', '2024-03-10 02:59:59'),
  (5, 'America/New_York', '2024-03-10 03:00:00'), (6, 'America/New_York', '2024-03-10 03:30:00'),
  -- ... and falls back at 02:00 on 2024-11-03 (01:00-01:59 happen twice)
  (7, 'America/New_York', '2024-11-03 00:59:59'), (8, 'America/New_York', '2024-11-03 01:00:00'),
  (9, 'America/New_York', '2024-11-03 01:30:00'), (10, 'America/New_York', '2024-11-03 01:59:59'),
  (11, 'America/New_York', '2024-11-03 02:00:00'), (12, 'America/New_York', '2024-07-04 12:00:00'),
  -- past 2037, the last transition in the file: the footer rule EST5EDT,M3.2.0,M11.1.0
  (13, 'America/New_York', '2040-03-11 02:30:00'), (14, 'America/New_York', '2040-11-04 01:30:00'),
  (15, 'America/New_York', '2100-03-14 02:30:00'), (16, 'America/New_York', '2100-11-07 01:30:00'),
  -- London springs forward at 01:00 on 2024-03-31 and falls back at 02:00 on 2024-10-27
  (21, 'Europe/London', '2024-03-31 00:59:59'), (22, 'Europe/London', '2024-03-31 01:00:00'),
  (23, 'Europe/London', '2024-03-31 01:30:00'), (24, 'Europe/London', '2024-03-31 02:00:00'),
  (25, 'Europe/London', '2024-10-27 00:59:59'), (26, 'Europe/London', '2024-10-27 01:00:00'),
  (27, 'Europe/London', '2024-10-27 01:30:00'), (28, 'Europe/London', '2024-10-27 02:00:00'),
  (29, 'Europe/London', '2040-03-25 01:30:00'), (30, 'Europe/London', '2040-10-28 01:30:00');

-- New York through pulsora_load_csv: a server-side file, dates written
-- month/day/year with a 12-hour clock
COPY (SELECT to_char(local_time, 'MM/DD/YYYY HH12:MI:SS AM') AS ts, n FROM local_times
       WHERE zone = 'America/New_York' ORDER BY n)
  TO '/tmp/pulsora_regress/timezones/ny.csv' WITH (FORMAT csv, HEADER);
SELECT rows_loaded, rows_rejected FROM pulsora_load_csv('s', 'ny', '/tmp/pulsora_regress/timezones/ny.csv',
  '{"time_format": "%m/%d/%Y %I:%M:%S %p", "timezone": "America/New_York"}');
-- London through pulsora_ingest_csv: CSV text, ISO-8601 without an offset
SELECT rows_loaded, rows_rejected FROM pulsora_ingest_csv('s', 'london',
  (SELECT E'ts,n\n' || string_agg(local_time::text || ',' || n, E'\n' ORDER BY n) || E'\n'
     FROM local_times WHERE zone = 'Europe/London'),
  '{"timezone": "Europe/London"}');

CREATE FOREIGN TABLE ny (ts timestamptz, n bigint) SERVER s;
CREATE FOREIGN TABLE london (ts timestamptz, n bigint) SERVER s;
CREATE VIEW compared AS
  SELECT l.n, l.zone, l.local_time, p.ts AS pulsora, l.local_time AT TIME ZONE l.zone AS postgresql
    FROM local_times l JOIN (SELECT * FROM ny UNION ALL SELECT * FROM london) p ON p.n = l.n;
-- every row: what pulsora stored (UTC) and what PostgreSQL makes of the same local time
SELECT n, zone, local_time, pulsora, postgresql, pulsora = postgresql AS same
  FROM compared ORDER BY n;
SELECT count(*) AS rows, count(*) FILTER (WHERE pulsora = postgresql) AS agree FROM compared;
-- the same instants shown as local time in each zone: the gap moved forward, the repeat the later hour
SELECT n, local_time, pulsora AT TIME ZONE zone AS back_in_zone FROM compared
 WHERE n IN (3, 9, 13, 14, 23, 27) ORDER BY n;

-- the table keeps the time_format and timezone it was created with: a later
-- load that names none reads its dates the same way
SELECT rows_loaded FROM pulsora_ingest_csv('s', 'ny', E'ts,n\n03/10/2024 02:30:00 AM,100\n11/03/2024 01:30:00 AM,101\n');
SELECT n, ts, ts = ('2024-03-10 02:30:00'::timestamp AT TIME ZONE 'America/New_York') OR
              ts = ('2024-11-03 01:30:00'::timestamp AT TIME ZONE 'America/New_York') AS same
  FROM ny WHERE n >= 100 ORDER BY n;
-- ... and one that names a timezone uses it (with the table's time_format)
SELECT rows_loaded FROM pulsora_ingest_csv('s', 'ny', E'ts,n\n03/10/2024 02:30:00 AM,102\n', '{"timezone": "UTC"}');
SELECT n, ts FROM ny WHERE n = 102;
-- %Z: a zone abbreviation tells the two 01:30s of the repeat apart
SELECT rows_loaded FROM pulsora_ingest_csv('s', 'abbrev',
  E'ts,n\n2024-11-03 01:30 EDT,1\n2024-11-03 01:30 EST,2\n2024-11-03 01:30 UTC,3\n',
  '{"time_format": "%Y-%m-%d %H:%M %Z", "timezone": "America/New_York"}');
CREATE FOREIGN TABLE abbrev (ts timestamptz, n bigint) SERVER s;
SELECT n, ts FROM abbrev ORDER BY n;
SELECT (SELECT ts FROM abbrev WHERE n = 1) = '2024-11-03 01:30:00-04'::timestamptz AS edt_same,
       (SELECT ts FROM abbrev WHERE n = 2) = '2024-11-03 01:30:00-05'::timestamptz AS est_same;

-- errors: an unknown zone, a bad pattern, a row that does not match
SELECT * FROM pulsora_ingest_csv('s', 'x', E'ts,v\n2024-01-01 00:00:00,1\n', '{"timezone": "Mars/Olympus"}');
SELECT * FROM pulsora_ingest_csv('s', 'x', E'ts,v\n2024-01-01 00:00:00,1\n', '{"timezone": "../../etc/passwd"}');
SELECT * FROM pulsora_ingest_csv('s', 'x', E'ts,v\n2024-01-01,1\n', '{"time_format": "%Y-%m-%q"}');
SELECT * FROM pulsora_ingest_csv('s', 'ny', E'ts,n\n03/10/2024 02:30:00 AM,200\n2024-03-10 02:30:00,201\n');
-- ... skipped under on_error skip
SET client_min_messages = notice;
SELECT rows_loaded, rows_rejected FROM pulsora_ingest_csv('s', 'ny',
  E'ts,n\n03/10/2024 02:30:00 AM,200\n2024-03-10 02:30:00,201\n13/10/2024 02:30:00 AM,202\n', '{"on_error": "skip"}');
SET client_min_messages = warning;
SELECT n FROM ny WHERE n >= 200 ORDER BY n;
