/*
 * functions.c — the SQL functions of the extension (DESIGN §5): CSV loads
 * (a server-side file or text sent by the client), the catalog, deleting a
 * time range, dropping a table, the owner's status (backups and loads in
 * progress are in operations.c).
 *
 * Privileges, checked here on top of EXECUTE (revoked from PUBLIC by the
 * install script): USAGE on the server for loads and reads; ownership of
 * the server for pulsora_delete_range and pulsora_drop_table; for
 * pulsora_load_csv also the right to read server files (superuser or
 * pg_read_server_files), exactly like COPY FROM a file.  The backend reads
 * the file itself and streams it to the owner in chunks: the owner never
 * opens a path a client names, and memory stays bounded.  These functions
 * act at once — each load commits before returning — and are not undone by
 * ROLLBACK.  A load interrupted by an error or a cancel is aborted.
 */
#include "postgres.h"

#include <sys/stat.h>

#include "access/htup_details.h"
#include "access/stratnum.h"
#include "catalog/pg_authid.h"
#include "catalog/pg_type.h"
#include "fmgr.h"
#include "funcapi.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "portability/instr_time.h"
#include "storage/fd.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/numeric.h"
#include "utils/timestamp.h"

#include "core/ps_time.h"
#include "pulsora_fdw.h"

/* Bytes per chunk sent to the owner; interrupts are checked between chunks. */
#define CSV_CHUNK_BYTES (256 * 1024)

/*
 * Keys of the jsonb `options` argument: the load options of DESIGN §4, and
 * series_key (a string "a,b", or an array of column names).
 */
static const char *const csv_option_keys[] = {
	"header", "delimiter", "quote", "time_column", "time_unit", "time_format", "timezone",
	"on_error", "add_columns", "dedup", "series_key", NULL
};

PG_FUNCTION_INFO_V1(pulsora_load_csv);
PG_FUNCTION_INFO_V1(pulsora_ingest_csv);
PG_FUNCTION_INFO_V1(pulsora_tables);
PG_FUNCTION_INFO_V1(pulsora_schema);
PG_FUNCTION_INFO_V1(pulsora_delete_range);
PG_FUNCTION_INFO_V1(pulsora_drop_table);
PG_FUNCTION_INFO_V1(pulsora_status);

/* The named pulsora server, after checking the caller's right on it. */
ForeignServer *
pulsora_server_for_call(Name name, PulsoraServerRight right)
{
	ForeignServer *server = GetForeignServerByName(NameStr(*name), false);

	if (!pulsora_is_own_server(server))
		ereport(ERROR,
				(errcode(ERRCODE_WRONG_OBJECT_TYPE),
				 errmsg("server \"%s\" does not use the pulsora foreign-data wrapper",
						server->servername)));
	if (right == SERVER_OWNER)
	{
		if (!pg_foreign_server_ownercheck(server->serverid, GetUserId()))
			aclcheck_error(ACLCHECK_NOT_OWNER, OBJECT_FOREIGN_SERVER, server->servername);
	}
	else
	{
		AclResult	result = pg_foreign_server_aclcheck(server->serverid, GetUserId(), ACL_USAGE);

		if (result != ACLCHECK_OK)
			aclcheck_error(result, OBJECT_FOREIGN_SERVER, server->servername);
	}
	return server;
}

/* ---------------------------------------------------------------- CSV loads */

/*
 * A jsonb array of column names as the option text "a,b".  A name that is
 * not a string, or is empty or holds a comma, could not be told apart there.
 */
static char *
csv_option_names(JsonbValue *array, const char *key)
{
	JsonbIterator *it = JsonbIteratorInit(array->val.binary.data);
	JsonbValue	v;
	JsonbIteratorToken tok;
	StringInfoData buf;
	bool		first = true;

	initStringInfo(&buf);
	while ((tok = JsonbIteratorNext(&it, &v, true)) != WJB_DONE)
	{
		if (tok != WJB_ELEM)
			continue;
		if (v.type != jbvString || v.val.string.len == 0 ||
			memchr(v.val.string.val, ',', v.val.string.len) != NULL)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("load option \"%s\" must list column names", key),
					 errdetail("Each element must be a non-empty string without a comma.")));
		appendStringInfo(&buf, "%s%.*s", first ? "" : ",", v.val.string.len, v.val.string.val);
		first = false;
	}
	return buf.data;
}


typedef struct CsvOptions
{
	int			n;
	const char **keys;
	const char **values;
} CsvOptions;

static void
csv_options_from_jsonb(Jsonb *jb, CsvOptions *out)
{
	JsonbIterator *it;
	JsonbValue	v;
	JsonbIteratorToken tok;
	int			cap;
	StringInfoData valid;

	if (!JB_ROOT_IS_OBJECT(jb))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("load options must be a JSON object")));
	cap = Max(JB_ROOT_COUNT(jb), 1);
	out->n = 0;
	out->keys = palloc(sizeof(char *) * cap);
	out->values = palloc(sizeof(char *) * cap);

	it = JsonbIteratorInit(&jb->root);
	while ((tok = JsonbIteratorNext(&it, &v, true)) != WJB_DONE)
	{
		if (tok == WJB_KEY)
		{
			char	   *key = pnstrdup(v.val.string.val, v.val.string.len);
			bool		known = false;

			for (const char *const *k = csv_option_keys; *k; k++)
				known |= strcmp(*k, key) == 0;
			if (!known)
			{
				initStringInfo(&valid);
				for (const char *const *k = csv_option_keys; *k; k++)
					appendStringInfo(&valid, "%s%s", k == csv_option_keys ? "" : ", ", *k);
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("unknown load option \"%s\"", key),
						 errhint("Valid options are: %s.", valid.data)));
			}
			out->keys[out->n] = key;
		}
		else if (tok == WJB_VALUE)
		{
			const char *key = out->keys[out->n];

			switch (v.type)
			{
				case jbvString:
					out->values[out->n] = pnstrdup(v.val.string.val, v.val.string.len);
					break;
				case jbvBool:
					out->values[out->n] = v.val.boolean ? "true" : "false";
					break;
				case jbvNumeric:
					out->values[out->n] = DatumGetCString(DirectFunctionCall1(numeric_out,
																			  NumericGetDatum(v.val.numeric)));
					break;
				case jbvBinary:
					/* ["symbol", "venue"] for series_key; other arrays fall through. */
					if (strcmp(key, "series_key") == 0 && JsonContainerIsArray(v.val.binary.data))
					{
						out->values[out->n] = csv_option_names(&v, key);
						break;
					}
					/* FALLTHROUGH */
				default:
					ereport(ERROR,
							(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
							 errmsg("load option \"%s\" must be a string, number or boolean", key),
							 strcmp(key, "series_key") == 0
							 ? errhint("Give the series-key columns as a string \"a,b\" or an array [\"a\", \"b\"].")
							 : 0));
			}
			out->n++;
		}
	}
}

/* Where CSV bytes come from: a server-side file or a text argument. */
typedef struct CsvSource
{
	FILE	   *file;			/* or NULL */
	const char *path;
	const char *data;			/* when file is NULL */
	size_t		len;
	size_t		pos;
	char	   *buf;			/* CSV_CHUNK_BYTES for file reads */
} CsvSource;

/* Next chunk into *chunk; 0 at the end. */
static size_t
csv_source_next(CsvSource *src, const char **chunk)
{
	size_t		n;

	if (src->file == NULL)
	{
		n = Min(CSV_CHUNK_BYTES, src->len - src->pos);
		*chunk = src->data + src->pos;
		src->pos += n;
		return n;
	}
	n = fread(src->buf, 1, CSV_CHUNK_BYTES, src->file);
	if (n == 0 && ferror(src->file))
		ereport(ERROR,
				(errcode_for_file_access(),
				 errmsg("could not read file \"%s\": %m", src->path)));
	*chunk = src->buf;
	return n;
}

static void
report_skipped_rows(const ps_client_load_result *res, const char *table)
{
	for (size_t i = 0; i < res->nerrors; i++)
	{
		const ps_error *e = &res->errors[i];

		ereport(NOTICE,
				(errmsg("skipped a row of pulsora table \"%s\": %s%s",
						table, pulsora_error_position(e), e->message)));
	}
	if (res->rows_rejected > res->nerrors)
		ereport(NOTICE,
				(errmsg("skipped " UINT64_FORMAT " more rows of pulsora table \"%s\"",
						res->rows_rejected - (uint64) res->nerrors, table)));
}

/* Stream src into table as one load, commit it, and return the result row. */
static Datum
csv_load(FunctionCallInfo fcinfo, ForeignServer *server, const char *table, Jsonb *options,
		 CsvSource *src)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	PulsoraConn *conn;
	CsvOptions	opts;
	ps_client_load *volatile load = NULL;
	ps_client_load_result res;
	ps_error	err;
	ps_status	st;
	instr_time	start;
	instr_time	elapsed;
	Datum		values[3];
	bool		nulls[3] = {false, false, false};

	InitMaterializedSRF(fcinfo, 0);
	csv_options_from_jsonb(options, &opts);
	conn = pulsora_connect(server);
	pulsora_forget_table_info(conn);
	INSTR_TIME_SET_CURRENT(start);

	/* The source goes with the client: set it again on a new connection. */
	PULSORA_CALL_OWNER(conn, st,
					   (ps_client_set_load_source(pulsora_conn_client(conn), "sql"),
						ps_client_load_csv_begin(pulsora_conn_client(conn), table, opts.keys,
												 opts.values, (uint32) opts.n,
												 (ps_client_load **) &load, &err)));
	if (st != PS_OK)
		pulsora_report(conn, st, &err, psprintf("could not load CSV into pulsora table \"%s\"", table));

	memset(&res, 0, sizeof res);
	PG_TRY();
	{
		const char *chunk;
		size_t		n;

		while ((n = csv_source_next(src, &chunk)) > 0)
		{
			CHECK_FOR_INTERRUPTS();
			st = ps_client_load_csv_data(load, chunk, n, &err);
			if (st != PS_OK)
				pulsora_report(conn, st, &err, psprintf("could not load CSV into pulsora table \"%s\"", table));
		}
		st = ps_client_load_finish(load, &res, &err);
		if (st != PS_OK)
			pulsora_report(conn, st, &err, psprintf("could not load CSV into pulsora table \"%s\"", table));
	}
	PG_CATCH();
	{
		ps_client_load_result_free(&res);
		ps_client_load_abort(load);
		PG_RE_THROW();
	}
	PG_END_TRY();

	{
		ps_client_load *commit = load;

		load = NULL;			/* commit frees the handle whatever happens */
		st = ps_client_load_commit(&commit, 1, &err);
	}
	if (st != PS_OK)
	{
		ps_client_load_result_free(&res);
		pulsora_report(conn, st, &err, psprintf("could not commit CSV load into pulsora table \"%s\"", table));
	}
	INSTR_TIME_SET_CURRENT(elapsed);
	INSTR_TIME_SUBTRACT(elapsed, start);

	values[0] = Int64GetDatum((int64) res.rows_loaded);
	values[1] = Int64GetDatum((int64) res.rows_rejected);
	values[2] = Float8GetDatum(INSTR_TIME_GET_MILLISEC(elapsed));
	PG_TRY();
	{
		report_skipped_rows(&res, table);
	}
	PG_FINALLY();
	{
		ps_client_load_result_free(&res);
	}
	PG_END_TRY();
	tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	return (Datum) 0;
}

/* pulsora_load_csv(server name, table_name text, path text, options jsonb) */
Datum
pulsora_load_csv(PG_FUNCTION_ARGS)
{
	ForeignServer *server = pulsora_server_for_call(PG_GETARG_NAME(0), SERVER_USAGE);
	char	   *table = text_to_cstring(PG_GETARG_TEXT_PP(1));
	char	   *path = text_to_cstring(PG_GETARG_TEXT_PP(2));
	Jsonb	   *options = PG_GETARG_JSONB_P(3);
	CsvSource	src;
	struct stat st;

	if (!has_privs_of_role(GetUserId(), ROLE_PG_READ_SERVER_FILES))
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("must be superuser or have privileges of the pg_read_server_files role to load a file"),
				 errhint("Anyone can load CSV sent by the client with pulsora_ingest_csv().")));

	memset(&src, 0, sizeof src);
	src.path = path;
	src.file = AllocateFile(path, PG_BINARY_R);
	if (src.file == NULL)
		ereport(ERROR,
				(errcode_for_file_access(),
				 errmsg("could not open file \"%s\" for reading: %m", path)));
	if (fstat(fileno(src.file), &st) == 0 && S_ISDIR(st.st_mode))
		ereport(ERROR,
				(errcode(ERRCODE_WRONG_OBJECT_TYPE),
				 errmsg("\"%s\" is a directory", path)));
	src.buf = palloc(CSV_CHUNK_BYTES);
	csv_load(fcinfo, server, table, options, &src);
	FreeFile(src.file);
	return (Datum) 0;
}

/* pulsora_ingest_csv(server name, table_name text, csv text, options jsonb) */
Datum
pulsora_ingest_csv(PG_FUNCTION_ARGS)
{
	ForeignServer *server = pulsora_server_for_call(PG_GETARG_NAME(0), SERVER_USAGE);
	char	   *table = text_to_cstring(PG_GETARG_TEXT_PP(1));
	text	   *csv = PG_GETARG_TEXT_PP(2);
	Jsonb	   *options = PG_GETARG_JSONB_P(3);
	CsvSource	src;
	int			encoding = GetDatabaseEncoding();

	memset(&src, 0, sizeof src);
	src.data = VARDATA_ANY(csv);
	src.len = VARSIZE_ANY_EXHDR(csv);
	/* The store holds UTF-8. */
	if (encoding != PG_UTF8 && encoding != PG_SQL_ASCII)
	{
		const char *utf8 = pg_server_to_any(src.data, (int) src.len, PG_UTF8);

		if (utf8 != src.data)
			src.len = strlen(utf8);
		src.data = utf8;
	}
	csv_load(fcinfo, server, table, options, &src);
	return (Datum) 0;
}

/* ---------------------------------------------------------------- catalog */

static int
compare_table_names(const void *a, const void *b)
{
	return strcmp(((const PulsoraTableInfo *) a)->name, ((const PulsoraTableInfo *) b)->name);
}

/* pulsora_tables(server name) */
Datum
pulsora_tables(PG_FUNCTION_ARGS)
{
	ForeignServer *server = pulsora_server_for_call(PG_GETARG_NAME(0), SERVER_USAGE);
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	PulsoraConn *conn;
	ps_client_table *tables = NULL;
	size_t		n = 0;
	PulsoraTableInfo *copy;
	ps_error	err;
	ps_status	st;

	InitMaterializedSRF(fcinfo, 0);
	conn = pulsora_connect(server);
	PULSORA_CALL_OWNER(conn, st, ps_client_tables(pulsora_conn_client(conn), &tables, &n, &err));
	if (st != PS_OK)
		pulsora_report(conn, st, &err, "could not list pulsora tables");
	copy = palloc(sizeof(PulsoraTableInfo) * Max(n, 1));
	for (size_t i = 0; i < n; i++)
	{
		copy[i].name = pstrdup(tables[i].name);
		copy[i].row_count = tables[i].row_count;
		copy[i].min_time = tables[i].min_time;
		copy[i].max_time = tables[i].max_time;
	}
	ps_client_tables_free(tables, n);
	qsort(copy, n, sizeof(PulsoraTableInfo), compare_table_names);

	for (size_t i = 0; i < n; i++)
	{
		Datum		values[4];
		bool		nulls[4] = {false, false, false, false};

		values[0] = CStringGetTextDatum(copy[i].name);
		values[1] = Int64GetDatum((int64) copy[i].row_count);
		if (copy[i].row_count > 0)
		{
			values[2] = TimestampTzGetDatum(pulsora_ns_to_pg(copy[i].min_time));
			values[3] = TimestampTzGetDatum(pulsora_ns_to_pg(copy[i].max_time));
		}
		else
			nulls[2] = nulls[3] = true;
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	return (Datum) 0;
}

/* pulsora_schema(server name, table_name text) */
Datum
pulsora_schema(PG_FUNCTION_ARGS)
{
	ForeignServer *server = pulsora_server_for_call(PG_GETARG_NAME(0), SERVER_USAGE);
	char	   *table = text_to_cstring(PG_GETARG_TEXT_PP(1));
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	PulsoraTableInfo info;

	InitMaterializedSRF(fcinfo, 0);
	pulsora_table_info(pulsora_connect(server), table, false, &info);
	for (int i = 0; i < info.ncolumns; i++)
	{
		Datum		values[4];
		bool		nulls[4] = {false, false, false, false};

		values[0] = CStringGetTextDatum(info.column_names[i]);
		values[1] = CStringGetTextDatum(ps_type_sql_name(info.column_types[i]));
		values[2] = BoolGetDatum(i == info.time_column);
		values[3] = BoolGetDatum(info.column_series[i] > 0);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	return (Datum) 0;
}

/* pulsora_delete_range(server name, table_name text, start_time, end_time) — [start, end) */
Datum
pulsora_delete_range(PG_FUNCTION_ARGS)
{
	ForeignServer *server = pulsora_server_for_call(PG_GETARG_NAME(0), SERVER_OWNER);
	char	   *table = text_to_cstring(PG_GETARG_TEXT_PP(1));
	PulsoraConn *conn = pulsora_connect(server);
	PulsoraRange range;
	PulsoraTableInfo info;
	int64		lo;
	int64		hi;
	uint64		removed = 0;
	ps_error	err;
	ps_status	st;

	/* Exactly the rows "ts >= start AND ts < end" shows. */
	pulsora_range_init(&range);
	pulsora_range_apply(&range, TIMESTAMPTZOID, BTGreaterEqualStrategyNumber, TIMESTAMPTZOID,
						PG_GETARG_DATUM(2), false);
	pulsora_range_apply(&range, TIMESTAMPTZOID, BTLessStrategyNumber, TIMESTAMPTZOID,
						PG_GETARG_DATUM(3), false);
	if (!pulsora_range_to_ns(&range, &lo, &hi))
	{
		/* Nothing to remove, but a missing table is still an error. */
		pulsora_table_info(conn, table, false, &info);
		PG_RETURN_INT64(0);
	}
	pulsora_forget_table_info(conn);
	PULSORA_CALL_OWNER(conn, st,
					   ps_client_delete_range(pulsora_conn_client(conn), table, lo, hi, &removed,
											  &err));
	if (st != PS_OK)
		pulsora_report(conn, st, &err, psprintf("could not delete from pulsora table \"%s\"", table));
	PG_RETURN_INT64((int64) removed);
}

/* pulsora_drop_table(server name, table_name text) */
Datum
pulsora_drop_table(PG_FUNCTION_ARGS)
{
	ForeignServer *server = pulsora_server_for_call(PG_GETARG_NAME(0), SERVER_OWNER);
	char	   *table = text_to_cstring(PG_GETARG_TEXT_PP(1));
	PulsoraConn *conn = pulsora_connect(server);
	ps_error	err;
	ps_status	st;

	pulsora_forget_table_info(conn);
	PULSORA_CALL_OWNER(conn, st, ps_client_drop_table(pulsora_conn_client(conn), table, &err));
	if (st != PS_OK)
		pulsora_report(conn, st, &err, psprintf("could not drop pulsora table \"%s\"", table));
	PG_RETURN_VOID();
}

/* pulsora_status(server name) */
Datum
pulsora_status(PG_FUNCTION_ARGS)
{
	ForeignServer *server = pulsora_server_for_call(PG_GETARG_NAME(0), SERVER_USAGE);
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	PulsoraConn *conn;
	ps_client_status status;
	ps_error	err;
	ps_status	st;
	Datum		values[9];
	bool		nulls[9] = {false};

	InitMaterializedSRF(fcinfo, 0);
	conn = pulsora_connect(server);
	memset(&status, 0, sizeof status);
	PULSORA_CALL_OWNER(conn, st, ps_client_status_get(pulsora_conn_client(conn), &status, &err));
	if (st != PS_OK)
		pulsora_report(conn, st, &err, "could not get the status of pulsorad");
	/* The fixed-size strings come from the wire: make sure they end. */
	status.kind[sizeof status.kind - 1] = '\0';
	status.rest_address[sizeof status.rest_address - 1] = '\0';
	status.version[sizeof status.version - 1] = '\0';

	values[0] = Int32GetDatum(status.pid);
	values[1] = CStringGetTextDatum(status.kind);
	if (status.rest_address[0])
		values[2] = CStringGetTextDatum(status.rest_address);
	else
		nulls[2] = true;
	values[3] = CStringGetTextDatum(status.version);
	values[4] = Int64GetDatum((int64) status.data_bytes);
	/* A remote owner's data directory is its own business. */
	if (pulsora_conn_data_dir(conn) != NULL)
		values[5] = CStringGetTextDatum(pulsora_conn_data_dir(conn));
	else
		nulls[5] = true;
	values[6] = Int32GetDatum((int32) status.connections);
	values[7] = Int64GetDatum((int64) status.open_scans);
	values[8] = Int64GetDatum((int64) status.open_loads);
	tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	return (Datum) 0;
}
