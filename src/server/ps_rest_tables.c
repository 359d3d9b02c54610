/*
 * ps_rest_tables.c — the routes of pulsorad's REST API that are answered at
 * once, from the store: GET /health, /tables, /tables/{t}/schema,
 * /tables/{t}/count, /tables/{t}/query, /tables/{t}/aggregate and
 * /tables/{t}/latest (built by ps_rest_query.c, ps_rest_aggregate.c and
 * ps_rest_latest.c, queued here),
 * DELETE /tables/{t}/rows and DELETE /tables/{t}.
 *
 * Invariants: each handler is called by ps_rest.c's dispatch once the
 * request is authenticated, its method fits and its table name (where it
 * takes one) is valid; an unknown table is a 404 naming it, other store
 * errors get ps_rest_http_status_for's status.  Times in answers are epoch
 * milliseconds.
 */
#include "ps_rest_int.h"

#include <stdlib.h>

#include "core/ps_schema.h"
#include "core/ps_time.h"
#include "core/ps_types.h"
#include "ps_log.h"
#include "ps_rest_aggregate.h"
#include "ps_rest_latest.h"
#include "ps_rest_query.h"

enum MHD_Result
ps_rest_handle_health(request *rq, struct MHD_Connection *conn)
{
	return ps_rest_respond_envelope(rq, conn, MHD_HTTP_OK,
									json_pack("{s:s, s:s}", "status", "healthy",
											  "version", rq->rest->version), NULL);
}

enum MHD_Result
ps_rest_handle_tables(request *rq, struct MHD_Connection *conn)
{
	ps_table_info *tables;
	size_t		n;
	ps_error	err;
	json_t	   *names;

	if (ps_store_list_tables(rq->rest->store, &tables, &n, &err) != PS_OK)
		return ps_rest_respond_status(rq, conn, &err);
	names = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(names, json_string(tables[i].name));
	free(tables);
	return ps_rest_respond_envelope(rq, conn, MHD_HTTP_OK, names, NULL);
}

/* A load default of a table: null when it has none (NULL or ""). */
static json_t *
default_or_null(const char *value)
{
	return value != NULL && value[0] != '\0' ? json_string(value) : json_null();
}

/* The data of GET /tables/{t}/schema for schema; also the "schema" of an ingest that created its table. */
json_t *
ps_rest_schema_json(const ps_schema *schema, const ps_table_info *info)
{
	json_t	   *cols;
	json_t	   *key;

	cols = json_array();
	for (uint32_t i = 0; i < schema->ncolumns; i++)
		json_array_append_new(cols, json_pack("{s:s, s:s, s:b, s:b}",
											  "name", schema->columns[i].name,
											  "data_type", ps_type_name(schema->columns[i].type),
											  "nullable", schema->columns[i].nullable,
											  "series", ps_schema_is_series(schema, i)));
	/* The series-key columns in key order ([] without a key): query?<column>= filters on them. */
	key = json_array();
	for (uint32_t k = 0; k < schema->nseries; k++)
		json_array_append_new(key, json_string(schema->columns[schema->series[k]].name));
	return json_pack("{s:o, s:s, s:o, s:o, s:o}", "columns", cols,
					 "timestamp_column", schema->columns[schema->time_index].name,
					 "series_key", key,
					 "time_format", default_or_null(info ? info->time_format : NULL),
					 "timezone", default_or_null(info ? info->timezone : NULL));
}

enum MHD_Result
ps_rest_handle_schema(request *rq, struct MHD_Connection *conn)
{
	ps_table_info info;
	ps_schema  *schema;
	ps_error	err;
	json_t	   *data;

	if (ps_store_table_info(rq->rest->store, rq->table, &info, &schema, &err) != PS_OK)
		return err.code == PS_ENOTFOUND ? ps_rest_respond_not_found(rq, conn) : ps_rest_respond_status(rq, conn, &err);
	data = ps_rest_schema_json(schema, &info);
	ps_schema_free(schema);
	return ps_rest_respond_envelope(rq, conn, MHD_HTTP_OK, data, NULL);
}

static json_t *
epoch_ms_or_null(bool present, int64_t ns)
{
	return present ? json_integer(ps_time_floor_div(ns, NS_PER_MS)) : json_null();
}

enum MHD_Result
ps_rest_handle_count(request *rq, struct MHD_Connection *conn)
{
	ps_table_info info;
	ps_error	err;

	if (ps_store_table_info(rq->rest->store, rq->table, &info, NULL, &err) != PS_OK)
		return err.code == PS_ENOTFOUND ? ps_rest_respond_not_found(rq, conn) : ps_rest_respond_status(rq, conn, &err);
	return ps_rest_respond_envelope(rq, conn, MHD_HTTP_OK,
									json_pack("{s:I, s:o, s:o, s:I}", "count", (json_int_t) info.row_count,
											  "min_ts", epoch_ms_or_null(info.row_count > 0, info.min_time),
											  "max_ts", epoch_ms_or_null(info.row_count > 0, info.max_time),
											  "series", (json_int_t) info.nseries),
									NULL);
}

enum MHD_Result
ps_rest_handle_drop(request *rq, struct MHD_Connection *conn)
{
	ps_error	err;

	if (ps_store_drop_table(rq->rest->store, rq->table, &err) != PS_OK)
		return err.code == PS_ENOTFOUND ? ps_rest_respond_not_found(rq, conn) : ps_rest_respond_status(rq, conn, &err);
	ps_log(PS_LOG_INFO, "dropped table %s", rq->table);
	return ps_rest_respond_envelope(rq, conn, MHD_HTTP_OK,
									json_pack("{s:s, s:b}", "table", rq->table, "dropped", 1), NULL);
}

enum MHD_Result
ps_rest_handle_delete_rows(request *rq, struct MHD_Connection *conn)
{
	ps_rest_args args;
	int64_t		start, end;
	uint64_t	removed;
	ps_error	err;

	ps_rest_collect_args(conn, PS_REST_ARGS_DELETE_ROWS, &args);
	if (ps_rest_delete_range_parse(&args, &start, &end, &err) != PS_OK)
		return ps_rest_respond_error(rq, conn, MHD_HTTP_BAD_REQUEST, "%s", err.message);
	if (ps_store_delete_range(rq->rest->store, rq->table, start, end - 1, &removed, &err) != PS_OK)
		return err.code == PS_ENOTFOUND ? ps_rest_respond_not_found(rq, conn) : ps_rest_respond_status(rq, conn, &err);
	ps_log(PS_LOG_INFO, "deleted %llu rows from table %s", (unsigned long long) removed, rq->table);
	return ps_rest_respond_envelope(rq, conn, MHD_HTTP_OK,
									json_pack("{s:I}", "rows_deleted", (json_int_t) removed), NULL);
}

/* Queue an answer built elsewhere, or the error that came instead. */
static enum MHD_Result
queue_answer(request *rq, struct MHD_Connection *conn, const ps_rest_answer *answer)
{
	if (answer->response != NULL)
		return ps_rest_queue(rq, conn, MHD_HTTP_OK, answer->response, answer->content_type);
	if (answer->error.code == PS_OK)
		return MHD_NO;
	if (answer->error.code == PS_ENOTFOUND)
		return ps_rest_respond_not_found(rq, conn);
	return ps_rest_respond_status(rq, conn, &answer->error);
}

/* GET /tables/{t}/query: built by ps_rest_query.c, queued here. */
enum MHD_Result
ps_rest_handle_query(request *rq, struct MHD_Connection *conn)
{
	ps_rest_answer answer;

	ps_rest_query_answer(rq->rest->store, rq->table, conn, &answer);
	return queue_answer(rq, conn, &answer);
}

/* GET /tables/{t}/aggregate: built by ps_rest_aggregate.c, queued here. */
enum MHD_Result
ps_rest_handle_aggregate(request *rq, struct MHD_Connection *conn)
{
	ps_rest_answer answer;

	ps_rest_aggregate_answer(rq->rest->store, rq->table, conn, &answer);
	return queue_answer(rq, conn, &answer);
}

/* GET /tables/{t}/latest: built by ps_rest_latest.c, queued here. */
enum MHD_Result
ps_rest_handle_latest(request *rq, struct MHD_Connection *conn)
{
	ps_rest_answer answer;

	ps_rest_latest_answer(rq->rest->store, rq->table, conn, &answer);
	return queue_answer(rq, conn, &answer);
}
