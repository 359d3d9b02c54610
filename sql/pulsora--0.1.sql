/*
 * pulsora--0.1.sql — objects of the extension pulsora (DESIGN §5): the
 * foreign-data wrapper and the SQL functions.  EXECUTE on the functions
 * that reach a store (pulsora_load_csv ... pulsora_loads) is revoked from
 * PUBLIC; they check USAGE or ownership of the server on top of that, and
 * pulsora_load_csv the right to read server files.  time_bucket, first and
 * last (and the aggregates' support functions) are plain functions of any
 * table, open to everyone.
 */

-- complain if script is sourced in psql, rather than via CREATE EXTENSION
\echo Use "CREATE EXTENSION pulsora" to load this file. \quit

CREATE FUNCTION pulsora_fdw_handler()
RETURNS fdw_handler
AS 'MODULE_PATHNAME'
LANGUAGE C STRICT;

CREATE FUNCTION pulsora_fdw_validator(text[], oid)
RETURNS void
AS 'MODULE_PATHNAME'
LANGUAGE C STRICT;

CREATE FOREIGN DATA WRAPPER pulsora
  HANDLER pulsora_fdw_handler
  VALIDATOR pulsora_fdw_validator;

-- Load a server-side CSV file (superuser or pg_read_server_files, as COPY).
CREATE FUNCTION pulsora_load_csv(server name, table_name text, path text,
                                 options jsonb DEFAULT '{}')
RETURNS TABLE (rows_loaded bigint, rows_rejected bigint, elapsed_ms float8)
AS 'MODULE_PATHNAME'
LANGUAGE C STRICT VOLATILE;

-- Load CSV text sent by the client.
CREATE FUNCTION pulsora_ingest_csv(server name, table_name text, csv text,
                                   options jsonb DEFAULT '{}')
RETURNS TABLE (rows_loaded bigint, rows_rejected bigint, elapsed_ms float8)
AS 'MODULE_PATHNAME'
LANGUAGE C STRICT VOLATILE;

CREATE FUNCTION pulsora_tables(server name)
RETURNS TABLE (table_name text, row_count bigint,
               min_time timestamptz, max_time timestamptz)
AS 'MODULE_PATHNAME'
LANGUAGE C STRICT VOLATILE;

-- is_series: the column is part of the table's series key.
CREATE FUNCTION pulsora_schema(server name, table_name text)
RETURNS TABLE (column_name text, data_type text, is_time boolean, is_series boolean)
AS 'MODULE_PATHNAME'
LANGUAGE C STRICT VOLATILE;

-- Remove the rows with start_time <= time < end_time; returns how many.
CREATE FUNCTION pulsora_delete_range(server name, table_name text,
                                     start_time timestamptz, end_time timestamptz)
RETURNS bigint
AS 'MODULE_PATHNAME'
LANGUAGE C STRICT VOLATILE;

CREATE FUNCTION pulsora_drop_table(server name, table_name text)
RETURNS void
AS 'MODULE_PATHNAME'
LANGUAGE C STRICT VOLATILE;

CREATE FUNCTION pulsora_status(server name)
RETURNS TABLE (pid integer, kind text, rest_address text, version text,
               data_bytes bigint, data_dir text, connections integer,
               open_scans bigint, open_loads bigint)
AS 'MODULE_PATHNAME'
LANGUAGE C STRICT VOLATILE;

-- Take an online backup into the owner's [storage] backup_dir (operations.c).
CREATE FUNCTION pulsora_backup(server name)
RETURNS TABLE (path text, bytes bigint, elapsed_ms double precision)
AS 'MODULE_PATHNAME'
LANGUAGE C STRICT VOLATILE;

-- The complete backups in the owner's backup_dir, oldest first.
CREATE FUNCTION pulsora_backups(server name)
RETURNS TABLE (name text, path text, bytes bigint, created timestamptz,
               elapsed_ms double precision)
AS 'MODULE_PATHNAME'
LANGUAGE C STRICT VOLATILE;

-- The loads in progress on the owner, whoever runs them (rest, sql, copy,
-- insert, cli), oldest first.
CREATE FUNCTION pulsora_loads(server name)
RETURNS TABLE (id bigint, table_name text, source text, rows bigint, bytes bigint,
               started timestamptz, rows_per_second double precision)
AS 'MODULE_PATHNAME'
LANGUAGE C STRICT VOLATILE;

REVOKE EXECUTE ON FUNCTION pulsora_load_csv(name, text, text, jsonb) FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION pulsora_ingest_csv(name, text, text, jsonb) FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION pulsora_tables(name) FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION pulsora_schema(name, text) FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION pulsora_delete_range(name, text, timestamptz, timestamptz) FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION pulsora_drop_table(name, text) FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION pulsora_status(name) FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION pulsora_backup(name) FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION pulsora_backups(name) FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION pulsora_loads(name) FROM PUBLIC;

-- Time buckets and first/last, with TimescaleDB's names and semantics
-- (time_bucket.c, first_last.c): plain functions usable on any table, so
-- EXECUTE stays granted to PUBLIC.  time_bucket never reads the session's
-- TimeZone (timestamptz buckets are on the UTC timeline): IMMUTABLE.
CREATE FUNCTION time_bucket(bucket_width interval, ts timestamptz)
RETURNS timestamptz
AS 'MODULE_PATHNAME', 'pulsora_time_bucket_timestamptz'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION time_bucket(bucket_width interval, ts timestamptz, origin timestamptz)
RETURNS timestamptz
AS 'MODULE_PATHNAME', 'pulsora_time_bucket_timestamptz'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION time_bucket(bucket_width interval, ts timestamp)
RETURNS timestamp
AS 'MODULE_PATHNAME', 'pulsora_time_bucket_timestamp'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION time_bucket(bucket_width interval, ts timestamp, origin timestamp)
RETURNS timestamp
AS 'MODULE_PATHNAME', 'pulsora_time_bucket_timestamp'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

-- first(value, time) and last(value, time).  The support functions take
-- internal, so they cannot be called from SQL outside an aggregate.
CREATE FUNCTION pulsora_first_sfunc(internal, anyelement, timestamptz)
RETURNS internal
AS 'MODULE_PATHNAME', 'pulsora_first_sfunc'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE FUNCTION pulsora_first_sfunc(internal, anyelement, timestamp)
RETURNS internal
AS 'MODULE_PATHNAME', 'pulsora_first_sfunc'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE FUNCTION pulsora_last_sfunc(internal, anyelement, timestamptz)
RETURNS internal
AS 'MODULE_PATHNAME', 'pulsora_last_sfunc'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE FUNCTION pulsora_last_sfunc(internal, anyelement, timestamp)
RETURNS internal
AS 'MODULE_PATHNAME', 'pulsora_last_sfunc'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE FUNCTION pulsora_first_combine(internal, internal)
RETURNS internal
AS 'MODULE_PATHNAME', 'pulsora_first_combine'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE FUNCTION pulsora_last_combine(internal, internal)
RETURNS internal
AS 'MODULE_PATHNAME', 'pulsora_last_combine'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE FUNCTION pulsora_first_last_serialize(internal)
RETURNS bytea
AS 'MODULE_PATHNAME', 'pulsora_first_last_serialize'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION pulsora_first_last_deserialize(bytea, internal)
RETURNS internal
AS 'MODULE_PATHNAME', 'pulsora_first_last_deserialize'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

-- The final function is not strict: with FINALFUNC_EXTRA its dummy
-- arguments (which give the result type) are always NULL.
CREATE FUNCTION pulsora_first_last_final(internal, anyelement, timestamptz)
RETURNS anyelement
AS 'MODULE_PATHNAME', 'pulsora_first_last_final'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE FUNCTION pulsora_first_last_final(internal, anyelement, timestamp)
RETURNS anyelement
AS 'MODULE_PATHNAME', 'pulsora_first_last_final'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE AGGREGATE first(value anyelement, "time" timestamptz) (
  SFUNC = pulsora_first_sfunc,
  STYPE = internal,
  COMBINEFUNC = pulsora_first_combine,
  SERIALFUNC = pulsora_first_last_serialize,
  DESERIALFUNC = pulsora_first_last_deserialize,
  FINALFUNC = pulsora_first_last_final,
  FINALFUNC_EXTRA,
  PARALLEL = SAFE
);

CREATE AGGREGATE first(value anyelement, "time" timestamp) (
  SFUNC = pulsora_first_sfunc,
  STYPE = internal,
  COMBINEFUNC = pulsora_first_combine,
  SERIALFUNC = pulsora_first_last_serialize,
  DESERIALFUNC = pulsora_first_last_deserialize,
  FINALFUNC = pulsora_first_last_final,
  FINALFUNC_EXTRA,
  PARALLEL = SAFE
);

CREATE AGGREGATE last(value anyelement, "time" timestamptz) (
  SFUNC = pulsora_last_sfunc,
  STYPE = internal,
  COMBINEFUNC = pulsora_last_combine,
  SERIALFUNC = pulsora_first_last_serialize,
  DESERIALFUNC = pulsora_first_last_deserialize,
  FINALFUNC = pulsora_first_last_final,
  FINALFUNC_EXTRA,
  PARALLEL = SAFE
);

CREATE AGGREGATE last(value anyelement, "time" timestamp) (
  SFUNC = pulsora_last_sfunc,
  STYPE = internal,
  COMBINEFUNC = pulsora_last_combine,
  SERIALFUNC = pulsora_first_last_serialize,
  DESERIALFUNC = pulsora_first_last_deserialize,
  FINALFUNC = pulsora_first_last_final,
  FINALFUNC_EXTRA,
  PARALLEL = SAFE
);
