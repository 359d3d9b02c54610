/*
 * ps_rest.c — the REST API of pulsorad on libmicrohttpd (DESIGN §5).
 *
 * MHD runs one thread per connection (MHD_USE_THREAD_PER_CONNECTION), so
 * each request is handled start to end by one thread and may block: an
 * ingest feeding the CSV loader or an export reading a scan never stalls
 * other clients.  A request's state lives in a `request` hung on MHD's
 * per-request pointer and is freed by the completion callback, which also
 * aborts an ingest whose client went away and counts the request for
 * /metrics.
 *
 * Invariants:
 *  - Every response except /metrics and CSV/NDJSON exports is the envelope
 *    {"success", "data", "error"} built with jansson.
 *  - Memory per request is bounded: ingest bodies go to ps_csv_feed chunk by
 *    chunk as MHD hands them over (nothing is buffered here), and query
 *    results are streamed from an open scan by ps_rest_query.c, which
 *    builds the query's response (this file queues it).
 *  - Authentication (a bearer token compared in constant time) is checked
 *    before anything else on every route but /health.
 *  - Table names from the path are checked with ps_table_name_valid before
 *    any store call; "%00" is never decoded, and a request whose URL holds a
 *    raw NUL byte (which MHD would cut the URL at) is refused with 400
 *    before routing, so a name cannot be cut short.
 *
 * Slow clients.  MHD's connection timeout only counts silence, so a client
 * sending a byte every few seconds would hold a connection (and a thread)
 * for ever, and max_connections of them would deny service.  A watchdog
 * thread therefore also enforces deadlines, with request_timeout_s (T) of
 * ps_rest_config.connection_timeout_s:
 *  - a client must finish its request headers within T of connecting (or,
 *    on a kept-alive connection, of the end of its previous request);
 *  - a request body must arrive at MIN_BODY_BYTES_PER_S (1 KiB/s) on
 *    average, judged over each window of T seconds: fewer than 1 KiB x T
 *    bytes in a window ends the connection.  The time the owner itself
 *    spends handling body chunks (loading, a RocksDB stall) does not count
 *    against the client, so only a slow sender is cut.  1 KiB/s is far
 *    below any real link, and averaging over T lets a bursty uploader pause.
 * A request being answered (an export to a slow reader) is governed by
 * MHD's idle timeout alone, so exports and ingests that make progress are
 * never cut.  The watchdog ends a connection with shutdown(2) on its socket:
 * MHD then sees the end of the stream, closes the connection and aborts its
 * ingest through the completion callback, as for a client that went away;
 * each cut is logged and counted in pulsora_http_slow_clients_closed_total.
 * Watched connections live in a table of max_connections slots (MHD never
 * has more open), each registered by MHD's connection-started notification
 * and released by its closed notification under the same mutex; MHD sends
 * that notification before it closes the socket, so the watchdog never
 * shuts down a descriptor that has been reused.
 */
#include "ps_rest.h"

#include <errno.h>
#include <netdb.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <microhttpd.h>

#include "core/ps_buf.h"
#include "core/ps_schema.h"
#include "core/ps_time.h"
#include "core/ps_types.h"
#include "ps_log.h"
#include "ps_rest_params.h"
#include "ps_rest_query.h"

/* MHD's per-connection pool bounds the size of the upload chunks handed to us. */
#define CONNECTION_MEMORY (256 * 1024)
#define LISTEN_BACKLOG 128
#define NS_PER_MS INT64_C(1000000)
/* Slow clients (see the module comment). */
#define MIN_BODY_BYTES_PER_S 1024
#define WATCHDOG_TICK_MS 250

/* ---------------------------------------------------------------- routes and metrics */

typedef enum route_id {
	ROUTE_HEALTH,
	ROUTE_TABLES,
	ROUTE_INGEST,
	ROUTE_QUERY,
	ROUTE_SCHEMA,
	ROUTE_COUNT,
	ROUTE_DELETE_ROWS,
	ROUTE_DROP,
	ROUTE_METRICS,
	ROUTE_UNKNOWN,
	NROUTES
} route_id;

/* Route labels of pulsora_http_requests_total. */
static const char *const route_labels[NROUTES] = {
	"/health", "/tables", "/tables/{t}/ingest", "/tables/{t}/query", "/tables/{t}/schema",
	"/tables/{t}/count", "/tables/{t}/rows", "/tables/{t}", "/metrics", "unknown"
};

/* Statuses this API answers with; the last slot counts any other. */
static const int counted_statuses[] = {200, 400, 401, 404, 405, 409, 413, 500, 0};
#define NSTATUSES (sizeof counted_statuses / sizeof counted_statuses[0])

/* ---------------------------------------------------------------- watched connections */

typedef enum watch_phase {
	WATCH_FREE,					/* slot unused */
	WATCH_HEADERS,				/* waiting for a request's headers */
	WATCH_BODY,					/* reading a request's body */
	WATCH_ANSWER,				/* answering: MHD's idle timeout governs */
	WATCH_CLOSING				/* shut down by the watchdog, MHD closing it */
} watch_phase;

/* Why the watchdog ended a connection: labels of pulsora_http_slow_clients_closed_total. */
typedef enum slow_kind { SLOW_HEADERS, SLOW_BODY, NSLOW } slow_kind;
static const char *const slow_labels[NSLOW] = {"headers", "body"};

/* One open connection; every field is guarded by ps_rest.watch_lock. */
typedef struct watched {
	watch_phase phase;
	int			fd;
	bool		busy;				/* our handler is running: the owner, not the client, is slow */
	int64_t		busy_since_ns;
	int64_t		since_ns;			/* HEADERS: start of the wait; BODY: start of the window */
	uint64_t	window_bytes;		/* body bytes received in the window */
} watched;

struct ps_rest {
	struct MHD_Daemon *daemon;
	ps_store   *store;
	char	   *auth_token;			/* NULL = no authentication */
	uint64_t	max_body_bytes;
	char	   *version;
	ps_csv_options csv;
	atomic_uint_fast64_t requests[NROUTES][NSTATUSES];
	atomic_uint_fast64_t rows_ingested;
	atomic_uint_fast64_t slow_closed[NSLOW];
	/* Slow-client watchdog. */
	int64_t		deadline_ns;		/* request_timeout_s */
	uint64_t	min_window_bytes;	/* body bytes due per deadline_ns window */
	pthread_mutex_t watch_lock;
	pthread_cond_t watch_wake;		/* signalled to stop the watchdog */
	bool		watch_stop;
	bool		watchdog_running;
	watched    *slots;				/* nslots = max_connections of them */
	uint32_t	nslots;
	uint32_t   *free_slots;			/* stack of free slot indexes */
	uint32_t	nfree;
	pthread_t	watchdog;
};

typedef enum table_name_check { NAME_OK, NAME_BAD, NAME_NONE } table_name_check;

typedef struct request {
	ps_rest    *rest;
	watched    *watch;				/* of the connection; NULL if it could not be watched */
	const char *raw_url;			/* as MHD first saw it (see url_arrived_whole) */
	size_t		raw_url_len;
	bool		headers_seen;		/* the access handler has been called */
	route_id	route;
	bool		method_ok;			/* the method fits the route */
	table_name_check name;			/* of the table name in the path */
	char		table[PS_MAX_NAME + 1];
	int			status;				/* of the queued response, 0 before */
	int64_t		started_ns;
	char		method[16];
	char		path[160];
	/* ingest */
	ps_csv_load *load;
	uint64_t	body_bytes;
	int			failed_status;		/* nonzero once the ingest has failed */
	ps_error	failure;
} request;

static void
count_request(ps_rest *r, route_id route, int status)
{
	size_t		i = 0;

	while (counted_statuses[i] != 0 && counted_statuses[i] != status)
		i++;
	atomic_fetch_add_explicit(&r->requests[route][i], 1, memory_order_relaxed);
}

static int64_t
monotonic_ns(void)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (int64_t) now.tv_sec * PS_NS_PER_SEC + now.tv_nsec;
}

static double
elapsed_ms(int64_t since_ns)
{
	return (double) (monotonic_ns() - since_ns) / 1e6;
}

/* ---------------------------------------------------------------- responses */

static int
http_status_for(ps_status st)
{
	switch (st)
	{
		case PS_EINVAL:
		case PS_EBADROW:
		case PS_ESCHEMA:
		case PS_ETIME:
			return MHD_HTTP_BAD_REQUEST;
		case PS_ENOTFOUND:
			return MHD_HTTP_NOT_FOUND;
		case PS_EBUSY:
		case PS_EEXISTS:
			return MHD_HTTP_CONFLICT;
		case PS_ETOOBIG:
			return MHD_HTTP_CONTENT_TOO_LARGE;
		default:
			return MHD_HTTP_INTERNAL_SERVER_ERROR;
	}
}

static enum MHD_Result
queue(request *rq, struct MHD_Connection *conn, int status, struct MHD_Response *resp,
	  const char *content_type)
{
	enum MHD_Result ret;

	if (resp == NULL)
		return MHD_NO;
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, content_type);
	if (status == MHD_HTTP_UNAUTHORIZED)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_WWW_AUTHENTICATE, "Bearer");
	ret = MHD_queue_response(conn, (unsigned) status, resp);
	MHD_destroy_response(resp);
	if (ret == MHD_YES)
		rq->status = status;
	return ret;
}

/* Queue {"success": error == NULL, "data": data, "error": error}; steals data. */
static enum MHD_Result
respond_envelope(request *rq, struct MHD_Connection *conn, int status, json_t *data,
				 const char *error)
{
	json_t	   *env = json_pack("{s:b, s:o, s:s?}", "success", error == NULL,
								"data", data != NULL ? data : json_null(), "error", error);
	char	   *text = env != NULL ? json_dumps(env, JSON_COMPACT) : NULL;

	json_decref(env);
	if (text == NULL)
		return MHD_NO;
	return queue(rq, conn, status,
				 MHD_create_response_from_buffer(strlen(text), text, MHD_RESPMEM_MUST_FREE),
				 "application/json");
}

static enum MHD_Result
respond_error(request *rq, struct MHD_Connection *conn, int status, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/*
 * Messages quote client input (paths, parameters, CSV fields), which may not
 * be UTF-8, and jansson refuses such strings: make them safe, in place.
 */
static const char *
utf8_safe(char *s)
{
	if (!ps_utf8_valid(s, strlen(s)))
		for (char *p = s; *p; p++)
			if ((unsigned char) *p >= 0x80)
				*p = '?';
	return s;
}

static enum MHD_Result
respond_error(request *rq, struct MHD_Connection *conn, int status, const char *fmt, ...)
{
	char		message[PS_ERROR_MESSAGE_MAX + 64];
	va_list		ap;

	va_start(ap, fmt);
	vsnprintf(message, sizeof message, fmt, ap);
	va_end(ap);
	utf8_safe(message);
	if (status >= 500)
		ps_log(PS_LOG_ERROR, "%s %s: %s", rq->method, rq->path, message);
	return respond_envelope(rq, conn, status, NULL, message);
}

/* An error from the store or the loader (whose messages name line and column). */
static enum MHD_Result
respond_status(request *rq, struct MHD_Connection *conn, const ps_error *err)
{
	return respond_error(rq, conn, http_status_for(err->code), "%s", err->message);
}

static enum MHD_Result
respond_not_found(request *rq, struct MHD_Connection *conn)
{
	return respond_error(rq, conn, MHD_HTTP_NOT_FOUND, "table \"%s\" not found", rq->table);
}

/* ---------------------------------------------------------------- parameters */

static enum MHD_Result
collect_arg(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
	(void) kind;
	ps_rest_args_add(cls, key, value);
	return MHD_YES;
}

/* The query-string arguments of a route of this kind (values borrowed from MHD). */
static void
collect_args(struct MHD_Connection *conn, ps_rest_args_kind kind, ps_rest_args *a)
{
	ps_rest_args_init(a, kind);
	MHD_get_connection_values(conn, MHD_GET_ARGUMENT_KIND, collect_arg, a);
}

/* ---------------------------------------------------------------- authentication */

/* Time depends only on the expected token's length, not on where a guess differs. */
static bool
token_matches(const char *given, size_t given_len, const char *want)
{
	size_t		want_len = strlen(want);
	unsigned char diff = (unsigned char) (given_len != want_len);

	for (size_t i = 0; i < want_len; i++)
		diff |= (unsigned char) (want[i] ^ (i < given_len ? given[i] : 0));
	return diff == 0;
}

static bool
authorized(const ps_rest *r, struct MHD_Connection *conn)
{
	const char *h;

	if (r->auth_token == NULL)
		return true;
	h = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION);
	if (h == NULL || strncasecmp(h, "Bearer ", 7) != 0)
		return false;
	h += 7;
	while (*h == ' ')
		h++;
	return token_matches(h, strlen(h), r->auth_token);
}

/* ---------------------------------------------------------------- routing */

typedef enum method_id { M_GET, M_POST, M_DELETE, M_OTHER } method_id;

static method_id
method_of(const char *method)
{
	/* HEAD is answered like GET; MHD omits the body. */
	if (strcmp(method, MHD_HTTP_METHOD_GET) == 0 || strcmp(method, MHD_HTTP_METHOD_HEAD) == 0)
		return M_GET;
	if (strcmp(method, MHD_HTTP_METHOD_POST) == 0)
		return M_POST;
	if (strcmp(method, MHD_HTTP_METHOD_DELETE) == 0)
		return M_DELETE;
	return M_OTHER;
}

/*
 * Map the path to a route and copy the table name.  *method_ok tells whether
 * the method fits the route; *name tells whether the table name is valid.
 */
static route_id
resolve_route(const char *url, method_id m, char *table, bool *method_ok, table_name_check *name)
{
	const char *rest;
	const char *slash;
	size_t		len;

	*name = NAME_NONE;
	*method_ok = (m == M_GET);
	if (strcmp(url, "/health") == 0)
		return ROUTE_HEALTH;
	if (strcmp(url, "/metrics") == 0)
		return ROUTE_METRICS;
	if (strcmp(url, "/tables") == 0)
		return ROUTE_TABLES;
	if (strncmp(url, "/tables/", 8) != 0)
		return ROUTE_UNKNOWN;
	rest = url + 8;
	slash = strchr(rest, '/');
	len = slash != NULL ? (size_t) (slash - rest) : strlen(rest);
	if (len == 0)
		return ROUTE_UNKNOWN;
	if (len <= PS_MAX_NAME)
	{
		memcpy(table, rest, len);
		table[len] = '\0';
	}
	else
	{
		/* Keep a truncated copy for messages only. */
		snprintf(table, PS_MAX_NAME + 1, "%.*s", PS_MAX_NAME - 3, rest);
		strcat(table, "...");
	}
	*name = (len <= PS_MAX_NAME && ps_table_name_valid(table)) ? NAME_OK : NAME_BAD;
	if (slash == NULL)
	{
		*method_ok = (m == M_DELETE);
		return ROUTE_DROP;
	}
	slash++;
	if (strcmp(slash, "ingest") == 0)
	{
		*method_ok = (m == M_POST);
		return ROUTE_INGEST;
	}
	if (strcmp(slash, "rows") == 0)
	{
		*method_ok = (m == M_DELETE);
		return ROUTE_DELETE_ROWS;
	}
	if (strcmp(slash, "query") == 0)
		return ROUTE_QUERY;
	if (strcmp(slash, "schema") == 0)
		return ROUTE_SCHEMA;
	if (strcmp(slash, "count") == 0)
		return ROUTE_COUNT;
	*name = NAME_NONE;
	return ROUTE_UNKNOWN;
}

/* ---------------------------------------------------------------- simple routes */

static enum MHD_Result
handle_health(request *rq, struct MHD_Connection *conn)
{
	return respond_envelope(rq, conn, MHD_HTTP_OK,
							json_pack("{s:s, s:s}", "status", "healthy",
									  "version", rq->rest->version), NULL);
}

static enum MHD_Result
handle_tables(request *rq, struct MHD_Connection *conn)
{
	ps_table_info *tables;
	size_t		n;
	ps_error	err;
	json_t	   *names;

	if (ps_store_list_tables(rq->rest->store, &tables, &n, &err) != PS_OK)
		return respond_status(rq, conn, &err);
	names = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(names, json_string(tables[i].name));
	free(tables);
	return respond_envelope(rq, conn, MHD_HTTP_OK, names, NULL);
}

static enum MHD_Result
handle_schema(request *rq, struct MHD_Connection *conn)
{
	ps_table_info info;
	ps_schema  *schema;
	ps_error	err;
	json_t	   *cols;
	json_t	   *key;
	json_t	   *data;

	if (ps_store_table_info(rq->rest->store, rq->table, &info, &schema, &err) != PS_OK)
		return err.code == PS_ENOTFOUND ? respond_not_found(rq, conn) : respond_status(rq, conn, &err);
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
	data = json_pack("{s:o, s:s, s:o}", "columns", cols,
					 "timestamp_column", schema->columns[schema->time_index].name,
					 "series_key", key);
	ps_schema_free(schema);
	return respond_envelope(rq, conn, MHD_HTTP_OK, data, NULL);
}

static json_t *
epoch_ms_or_null(bool present, int64_t ns)
{
	return present ? json_integer(ps_time_floor_div(ns, NS_PER_MS)) : json_null();
}

static enum MHD_Result
handle_count(request *rq, struct MHD_Connection *conn)
{
	ps_table_info info;
	ps_error	err;

	if (ps_store_table_info(rq->rest->store, rq->table, &info, NULL, &err) != PS_OK)
		return err.code == PS_ENOTFOUND ? respond_not_found(rq, conn) : respond_status(rq, conn, &err);
	return respond_envelope(rq, conn, MHD_HTTP_OK,
							json_pack("{s:I, s:o, s:o, s:I}", "count", (json_int_t) info.row_count,
									  "min_ts", epoch_ms_or_null(info.row_count > 0, info.min_time),
									  "max_ts", epoch_ms_or_null(info.row_count > 0, info.max_time),
									  "series", (json_int_t) info.nseries),
							NULL);
}

static enum MHD_Result
handle_drop(request *rq, struct MHD_Connection *conn)
{
	ps_error	err;

	if (ps_store_drop_table(rq->rest->store, rq->table, &err) != PS_OK)
		return err.code == PS_ENOTFOUND ? respond_not_found(rq, conn) : respond_status(rq, conn, &err);
	ps_log(PS_LOG_INFO, "dropped table %s", rq->table);
	return respond_envelope(rq, conn, MHD_HTTP_OK,
							json_pack("{s:s, s:b}", "table", rq->table, "dropped", 1), NULL);
}

static enum MHD_Result
handle_delete_rows(request *rq, struct MHD_Connection *conn)
{
	ps_rest_args args;
	int64_t		start, end;
	uint64_t	removed;
	ps_error	err;

	collect_args(conn, PS_REST_ARGS_DELETE_ROWS, &args);
	if (ps_rest_delete_range_parse(&args, &start, &end, &err) != PS_OK)
		return respond_error(rq, conn, MHD_HTTP_BAD_REQUEST, "%s", err.message);
	if (ps_store_delete_range(rq->rest->store, rq->table, start, end - 1, &removed, &err) != PS_OK)
		return err.code == PS_ENOTFOUND ? respond_not_found(rq, conn) : respond_status(rq, conn, &err);
	ps_log(PS_LOG_INFO, "deleted %llu rows from table %s", (unsigned long long) removed, rq->table);
	return respond_envelope(rq, conn, MHD_HTTP_OK,
							json_pack("{s:I}", "rows_deleted", (json_int_t) removed), NULL);
}

static uint64_t
resident_bytes(void)
{
	unsigned long long size, resident;
	FILE	   *f = fopen("/proc/self/statm", "r");
	int			n;

	if (f == NULL)
		return 0;
	n = fscanf(f, "%llu %llu", &size, &resident);
	fclose(f);
	return n == 2 ? (uint64_t) resident * (uint64_t) sysconf(_SC_PAGESIZE) : 0;
}

static enum MHD_Result
handle_metrics(request *rq, struct MHD_Connection *conn)
{
	ps_rest    *r = rq->rest;
	ps_buf		out = PS_BUF_INIT;
	ps_table_info *tables;
	size_t		n;
	ps_error	err;
	ps_status	st;

	if (ps_store_list_tables(r->store, &tables, &n, &err) != PS_OK)
		return respond_status(rq, conn, &err);
	st = ps_buf_printf(&out, "# HELP pulsora_http_requests_total REST requests by route and status.\n"
					   "# TYPE pulsora_http_requests_total counter\n");
	for (int i = 0; i < NROUTES; i++)
		for (size_t j = 0; j < NSTATUSES; j++)
		{
			uint64_t	v = atomic_load_explicit(&r->requests[i][j], memory_order_relaxed);

			if (v == 0 || st != PS_OK)
				continue;
			if (counted_statuses[j] != 0)
				st = ps_buf_printf(&out, "pulsora_http_requests_total{route=\"%s\",status=\"%d\"} %llu\n",
								   route_labels[i], counted_statuses[j], (unsigned long long) v);
			else
				st = ps_buf_printf(&out, "pulsora_http_requests_total{route=\"%s\",status=\"other\"} %llu\n",
								   route_labels[i], (unsigned long long) v);
		}
	if (st == PS_OK)
		st = ps_buf_printf(&out, "# HELP pulsora_http_slow_clients_closed_total Connections ended for "
						   "sending headers or a body too slowly.\n"
						   "# TYPE pulsora_http_slow_clients_closed_total counter\n");
	for (int i = 0; i < NSLOW && st == PS_OK; i++)
		st = ps_buf_printf(&out, "pulsora_http_slow_clients_closed_total{phase=\"%s\"} %llu\n",
						   slow_labels[i], (unsigned long long) atomic_load(&r->slow_closed[i]));
	if (st == PS_OK)
		st = ps_buf_printf(&out, "# HELP pulsora_rows_ingested_total Rows committed by REST ingests.\n"
						   "# TYPE pulsora_rows_ingested_total counter\n"
						   "pulsora_rows_ingested_total %llu\n"
						   "# HELP pulsora_table_rows Committed rows per table.\n"
						   "# TYPE pulsora_table_rows gauge\n",
						   (unsigned long long) atomic_load(&r->rows_ingested));
	/* Table names are [A-Za-z0-9_-]: nothing to escape in a label. */
	for (size_t i = 0; i < n && st == PS_OK; i++)
		st = ps_buf_printf(&out, "pulsora_table_rows{table=\"%s\"} %llu\n", tables[i].name,
						   (unsigned long long) tables[i].row_count);
	free(tables);
	if (st == PS_OK)
		st = ps_buf_printf(&out, "# HELP pulsora_data_bytes Bytes on disk of the store (SST and WAL).\n"
						   "# TYPE pulsora_data_bytes gauge\n"
						   "pulsora_data_bytes %llu\n"
						   "# HELP pulsora_process_resident_bytes Resident memory of pulsorad.\n"
						   "# TYPE pulsora_process_resident_bytes gauge\n"
						   "pulsora_process_resident_bytes %llu\n",
						   (unsigned long long) ps_store_disk_size(r->store),
						   (unsigned long long) resident_bytes());
	if (st != PS_OK)
	{
		ps_buf_free(&out);
		return respond_error(rq, conn, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory");
	}
	/* MUST_FREE hands the ps_buf's malloc'd bytes to MHD. */
	return queue(rq, conn, MHD_HTTP_OK,
				 MHD_create_response_from_buffer(out.len, out.data, MHD_RESPMEM_MUST_FREE),
				 "text/plain; version=0.0.4; charset=utf-8");
}

/* ---------------------------------------------------------------- ingest */

static bool
is_csv_content_type(const char *ct)
{
	size_t		len;

	if (ct == NULL)
		return false;
	while (*ct == ' ')
		ct++;
	len = strcspn(ct, "; ");
	return len == 8 && strncasecmp(ct, "text/csv", 8) == 0;
}

/* Stop the ingest (nothing is stored); the error is answered at the end of the body. */
static void
fail_ingest(request *rq, int status, const ps_error *err)
{
	ps_csv_abort(rq->load);
	rq->load = NULL;
	rq->failed_status = status;
	rq->failure = *err;
}

typedef struct option_walk {
	ps_csv_options *opts;
	ps_error	err;
	bool		failed;
} option_walk;

static enum MHD_Result
apply_load_option(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
	option_walk *w = cls;

	(void) kind;
	if (!w->failed && ps_csv_option_set(w->opts, key, value != NULL ? value : "", &w->err) != PS_OK)
		w->failed = true;
	return MHD_YES;
}

/* First call: check everything that can be checked before the body, then begin the load. */
static enum MHD_Result
ingest_begin(request *rq, struct MHD_Connection *conn)
{
	ps_rest    *r = rq->rest;
	ps_csv_options opts = r->csv;
	option_walk w = {&opts, {0}, false};
	const char *length;
	uint64_t	declared;
	ps_error	err;

	if (!is_csv_content_type(MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
														 MHD_HTTP_HEADER_CONTENT_TYPE)))
		return respond_error(rq, conn, MHD_HTTP_BAD_REQUEST,
							 "the body must be CSV sent with \"Content-Type: text/csv\"");
	length = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
	if (length != NULL && ps_rest_parse_u64(length, 0, UINT64_MAX, &declared) && declared > r->max_body_bytes)
		return respond_error(rq, conn, MHD_HTTP_CONTENT_TOO_LARGE,
							 "request body of %llu bytes exceeds max_body_size_mb (%llu bytes)",
							 (unsigned long long) declared, (unsigned long long) r->max_body_bytes);
	MHD_get_connection_values(conn, MHD_GET_ARGUMENT_KIND, apply_load_option, &w);
	if (w.failed)
		return respond_error(rq, conn, MHD_HTTP_BAD_REQUEST, "%s", w.err.message);
	if (ps_csv_begin(r->store, rq->table, &opts, &rq->load, &err) != PS_OK)
		return respond_status(rq, conn, &err);
	return MHD_YES;
}

static enum MHD_Result
ingest_data(request *rq, const char *data, size_t *size)
{
	ps_rest    *r = rq->rest;
	size_t		n = *size;
	ps_error	err;

	*size = 0;
	rq->body_bytes += n;
	if (rq->failed_status != 0)
	{
		/*
		 * MHD answers only once the body is complete, so the rest of a failed
		 * body is read and dropped for the client to get its error; one that
		 * keeps sending past twice the size limit is disconnected instead.
		 */
		return rq->body_bytes / 2 > r->max_body_bytes ? MHD_NO : MHD_YES;
	}
	if (rq->body_bytes > r->max_body_bytes)
	{
		ps_error_set(&err, PS_ETOOBIG, "request body exceeds max_body_size_mb (%llu bytes); "
					 "nothing was stored", (unsigned long long) r->max_body_bytes);
		fail_ingest(rq, MHD_HTTP_CONTENT_TOO_LARGE, &err);
	}
	else if (ps_csv_feed(rq->load, data, n, &err) != PS_OK)
		fail_ingest(rq, http_status_for(err.code), &err);
	return MHD_YES;
}

static enum MHD_Result
ingest_end(request *rq, struct MHD_Connection *conn)
{
	ps_csv_result res;
	ps_error	err;
	ps_csv_load *load = rq->load;
	json_t	   *errors;

	if (rq->failed_status != 0)
		return respond_error(rq, conn, rq->failed_status, "%s", rq->failure.message);
	rq->load = NULL;
	if (ps_csv_finish(load, &res, &err) != PS_OK)
		return respond_status(rq, conn, &err);
	atomic_fetch_add(&rq->rest->rows_ingested, res.rows_loaded);
	errors = json_array();
	for (size_t i = 0; i < res.nerrors; i++)
		json_array_append_new(errors, json_pack("{s:I, s:i, s:s}",
												"line", (json_int_t) res.errors[i].line,
												"column", (int) res.errors[i].column,
												"message", utf8_safe(res.errors[i].message)));
	ps_log(PS_LOG_INFO, "ingest into %s: %llu rows inserted, %llu rejected, %llu bytes",
		   rq->table, (unsigned long long) res.rows_loaded, (unsigned long long) res.rows_rejected,
		   (unsigned long long) rq->body_bytes);
	return respond_envelope(rq, conn, MHD_HTTP_OK,
							json_pack("{s:I, s:I, s:I, s:o}",
									  "rows_inserted", (json_int_t) res.rows_loaded,
									  "rows_rejected", (json_int_t) res.rows_rejected,
									  "processing_time_ms", (json_int_t) elapsed_ms(rq->started_ns),
									  "errors", errors), NULL);
}

/* ---------------------------------------------------------------- query */

/* GET /tables/{t}/query: built by ps_rest_query.c, queued here. */
static enum MHD_Result
handle_query(request *rq, struct MHD_Connection *conn)
{
	ps_rest_answer answer;

	ps_rest_query_answer(rq->rest->store, rq->table, conn, &answer);
	if (answer.response != NULL)
		return queue(rq, conn, MHD_HTTP_OK, answer.response, answer.content_type);
	if (answer.error.code == PS_OK)
		return MHD_NO;
	if (answer.error.code == PS_ENOTFOUND)
		return respond_not_found(rq, conn);
	return respond_status(rq, conn, &answer.error);
}

/* ---------------------------------------------------------------- slow clients */

/* The slot table and its lock (r zeroed); ps_rest_stop frees them. */
static ps_status
watch_init(ps_rest *r, const ps_rest_config *cfg)
{
	pthread_condattr_t attr;
	int			rc;

	r->deadline_ns = (int64_t) cfg->connection_timeout_s * PS_NS_PER_SEC;
	r->min_window_bytes = (uint64_t) MIN_BODY_BYTES_PER_S * cfg->connection_timeout_s;
	r->nslots = cfg->max_connections;
	r->slots = calloc(r->nslots, sizeof *r->slots);
	r->free_slots = calloc(r->nslots, sizeof *r->free_slots);
	if (r->slots == NULL || r->free_slots == NULL)
		goto fail;
	for (uint32_t i = 0; i < r->nslots; i++)
	{
		r->slots[i] = (watched) {.phase = WATCH_FREE, .fd = -1};
		r->free_slots[r->nfree++] = r->nslots - 1 - i;
	}
	pthread_mutex_init(&r->watch_lock, NULL);
	/* The watchdog's ticks are on the monotonic clock, like every deadline. */
	if (pthread_condattr_init(&attr) != 0)
		goto fail_lock;
	rc = pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	if (rc == 0)
		rc = pthread_cond_init(&r->watch_wake, &attr);
	pthread_condattr_destroy(&attr);
	if (rc == 0)
		return PS_OK;
fail_lock:
	pthread_mutex_destroy(&r->watch_lock);
fail:
	free(r->slots);
	free(r->free_slots);
	return PS_ENOMEM;
}

/* A connection opened (MHD's accept thread): watch it, waiting for headers. NULL when full. */
static watched *
watch_add(ps_rest *r, int fd)
{
	watched    *w = NULL;

	pthread_mutex_lock(&r->watch_lock);
	if (r->nfree > 0)
	{
		w = &r->slots[r->free_slots[--r->nfree]];
		*w = (watched) {.phase = WATCH_HEADERS, .fd = fd, .since_ns = monotonic_ns()};
	}
	pthread_mutex_unlock(&r->watch_lock);
	return w;
}

/* A connection closed; MHD closes its socket only after this returns. */
static void
watch_remove(ps_rest *r, watched *w)
{
	if (w == NULL)
		return;
	pthread_mutex_lock(&r->watch_lock);
	*w = (watched) {.phase = WATCH_FREE, .fd = -1};
	r->free_slots[r->nfree++] = (uint32_t) (w - r->slots);
	pthread_mutex_unlock(&r->watch_lock);
}

/* Whether the phase of w is still ours to move on (not released, not being closed). */
static bool
watch_active(const watched *w)
{
	return w->phase != WATCH_FREE && w->phase != WATCH_CLOSING;
}

/* Our handler starts work on the connection: the client is not to blame meanwhile. */
static void
watch_busy(ps_rest *r, watched *w)
{
	if (w == NULL)
		return;
	pthread_mutex_lock(&r->watch_lock);
	w->busy = true;
	w->busy_since_ns = monotonic_ns();
	pthread_mutex_unlock(&r->watch_lock);
}

/*
 * Our handler is done with a call that brought body_bytes of body: the
 * connection is now in phase next.  A new phase starts its clock; within
 * the body phase, the time the handler took is not the client's.
 */
static void
watch_idle(ps_rest *r, watched *w, watch_phase next, size_t body_bytes)
{
	int64_t		now;

	if (w == NULL)
		return;
	now = monotonic_ns();
	pthread_mutex_lock(&r->watch_lock);
	w->busy = false;
	if (watch_active(w))
	{
		if (w->phase != next)
		{
			w->phase = next;
			w->since_ns = now;
			w->window_bytes = 0;
		}
		else if (next == WATCH_BODY)
			w->since_ns += now - w->busy_since_ns;
		w->window_bytes += body_bytes;
	}
	pthread_mutex_unlock(&r->watch_lock);
}

/* A request ended: on a kept-alive connection, the next one's headers are due. */
static void
watch_next_request(ps_rest *r, watched *w)
{
	if (w == NULL)
		return;
	pthread_mutex_lock(&r->watch_lock);
	if (watch_active(w))
	{
		w->phase = WATCH_HEADERS;
		w->since_ns = monotonic_ns();
		w->window_bytes = 0;
	}
	pthread_mutex_unlock(&r->watch_lock);
}

/* Whether w is past its deadline at now (and why); starts a new body window when one passed. */
static bool
watch_overdue(const ps_rest *r, watched *w, int64_t now, slow_kind *why)
{
	if (w->busy || now - w->since_ns < r->deadline_ns)
		return false;
	if (w->phase == WATCH_HEADERS)
	{
		*why = SLOW_HEADERS;
		return true;
	}
	if (w->phase != WATCH_BODY)
		return false;
	if (w->window_bytes < r->min_window_bytes)
	{
		*why = SLOW_BODY;
		return true;
	}
	w->since_ns = now;
	w->window_bytes = 0;
	return false;
}

static void
log_slow_client(const ps_rest *r, const watched *w, slow_kind why)
{
	struct sockaddr_storage peer;
	socklen_t	len = sizeof peer;
	char		host[NI_MAXHOST] = "?";
	char		port[NI_MAXSERV] = "?";
	unsigned	timeout_s = (unsigned) (r->deadline_ns / PS_NS_PER_SEC);

	if (getpeername(w->fd, (struct sockaddr *) &peer, &len) == 0)
		getnameinfo((struct sockaddr *) &peer, len, host, sizeof host, port, sizeof port,
					NI_NUMERICHOST | NI_NUMERICSERV);
	if (why == SLOW_HEADERS)
		ps_log(PS_LOG_WARN, "http: closing the connection from %s port %s: request headers not "
			   "complete within request_timeout_s (%u s)", host, port, timeout_s);
	else
		ps_log(PS_LOG_WARN, "http: closing the connection from %s port %s: request body slower "
			   "than %d bytes/s (%llu bytes in %u s)", host, port, MIN_BODY_BYTES_PER_S,
			   (unsigned long long) w->window_bytes, timeout_s);
}

static void *
watchdog_main(void *arg)
{
	ps_rest    *r = arg;
	struct timespec wake;

	pthread_mutex_lock(&r->watch_lock);
	clock_gettime(CLOCK_MONOTONIC, &wake);
	while (!r->watch_stop)
	{
		int64_t		now;

		wake.tv_nsec += WATCHDOG_TICK_MS * NS_PER_MS;
		if (wake.tv_nsec >= PS_NS_PER_SEC)
		{
			wake.tv_sec++;
			wake.tv_nsec -= PS_NS_PER_SEC;
		}
		while (!r->watch_stop &&
			   pthread_cond_timedwait(&r->watch_wake, &r->watch_lock, &wake) != ETIMEDOUT)
			;
		now = monotonic_ns();
		for (uint32_t i = 0; i < r->nslots && !r->watch_stop; i++)
		{
			watched    *w = &r->slots[i];
			slow_kind	why;

			if (!watch_overdue(r, w, now, &why))
				continue;
			/* MHD sees the end of the stream and closes the connection itself. */
			log_slow_client(r, w, why);
			shutdown(w->fd, SHUT_RDWR);
			w->phase = WATCH_CLOSING;
			atomic_fetch_add(&r->slow_closed[why], 1);
		}
	}
	pthread_mutex_unlock(&r->watch_lock);
	return NULL;
}

static void
notify_connection(void *cls, struct MHD_Connection *conn, void **socket_context,
				  enum MHD_ConnectionNotificationCode toe)
{
	ps_rest    *r = cls;
	const union MHD_ConnectionInfo *info;

	if (toe != MHD_CONNECTION_NOTIFY_STARTED)
	{
		watch_remove(r, *socket_context);
		*socket_context = NULL;
		return;
	}
	info = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
	if (info == NULL)
		return;
	*socket_context = watch_add(r, info->connect_fd);
	/* MHD keeps at most max_connections open, so this is not expected: refuse rather than not watch. */
	if (*socket_context == NULL)
	{
		ps_log(PS_LOG_WARN, "http: no free connection slot; closing a new connection");
		shutdown(info->connect_fd, SHUT_RDWR);
	}
}

/* ---------------------------------------------------------------- dispatch */

/* Answer the request (or, for an ingest, check it and begin the load). */
static enum MHD_Result
dispatch(request *rq, struct MHD_Connection *conn)
{
	if (rq->route != ROUTE_HEALTH && !authorized(rq->rest, conn))
		return respond_error(rq, conn, MHD_HTTP_UNAUTHORIZED,
							 "missing or wrong \"Authorization: Bearer <token>\" header");
	if (rq->route == ROUTE_UNKNOWN)
		return respond_error(rq, conn, MHD_HTTP_NOT_FOUND, "no route %s %s", rq->method, rq->path);
	if (!rq->method_ok)
		return respond_error(rq, conn, MHD_HTTP_METHOD_NOT_ALLOWED,
							 "method %s is not allowed on %s", rq->method, route_labels[rq->route]);
	if (rq->name == NAME_BAD)
		return respond_error(rq, conn, MHD_HTTP_BAD_REQUEST,
							 "invalid table name \"%s\" (1 to %d characters of A-Z a-z 0-9 _ -)",
							 rq->table, PS_MAX_NAME);
	switch (rq->route)
	{
		case ROUTE_HEALTH: return handle_health(rq, conn);
		case ROUTE_TABLES: return handle_tables(rq, conn);
		case ROUTE_INGEST: return ingest_begin(rq, conn);
		case ROUTE_QUERY: return handle_query(rq, conn);
		case ROUTE_SCHEMA: return handle_schema(rq, conn);
		case ROUTE_COUNT: return handle_count(rq, conn);
		case ROUTE_DELETE_ROWS: return handle_delete_rows(rq, conn);
		case ROUTE_DROP: return handle_drop(rq, conn);
		case ROUTE_METRICS: return handle_metrics(rq, conn);
		case ROUTE_UNKNOWN:
		case NROUTES:
			break;
	}
	return MHD_NO;
}

/*
 * MHD's URI log callback, called once per request as soon as its request
 * line is parsed, before MHD splits off the query or unescapes anything:
 * the request's state starts here.  NULL (out of memory) makes the access
 * handler close the connection.
 */
static void *
request_begin(void *cls, const char *uri, struct MHD_Connection *conn)
{
	const union MHD_ConnectionInfo *info;
	request    *rq = calloc(1, sizeof *rq);

	if (rq == NULL)
		return NULL;
	rq->rest = cls;
	info = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
	rq->watch = info != NULL ? info->socket_context : NULL;
	rq->raw_url = uri;
	rq->raw_url_len = uri != NULL ? strlen(uri) : 0;
	return rq;
}

/*
 * libmicrohttpd 0.9.75 reads the request line by its length but hands the
 * URL on as a C string, so a raw NUL byte in it would cut the path short
 * ("DELETE /tables/t<NUL>/../x" acting on table t).  MHD ends the URL by
 * writing a NUL over the space before the HTTP version, which follows at
 * once (MHD answers a request without one with 400 itself): so the URL
 * arrived whole exactly when the version string starts one byte past the
 * end of the URL as the log callback saw it.
 */
static bool
url_arrived_whole(const request *rq, const char *version)
{
	return rq->raw_url != NULL && version == rq->raw_url + rq->raw_url_len + 1;
}

/*
 * One call of the access handler (see access_handler).  An ingest is
 * checked and begun at the first call (so a bad request is refused before
 * its body is sent); every other request is answered at the last, which
 * lets MHD keep the connection alive.
 */
static enum MHD_Result
handle_call(request *rq, struct MHD_Connection *conn, const char *url, const char *method,
			const char *version, const char *upload_data, size_t *upload_data_size)
{
	if (!rq->headers_seen)
	{
		rq->headers_seen = true;
		rq->started_ns = monotonic_ns();
		snprintf(rq->method, sizeof rq->method, "%s", method);
		snprintf(rq->path, sizeof rq->path, "%s", url);
		if (!url_arrived_whole(rq, version))
		{
			rq->route = ROUTE_UNKNOWN;
			return respond_error(rq, conn, MHD_HTTP_BAD_REQUEST,
								 "the request URL holds a NUL byte");
		}
		rq->route = resolve_route(url, method_of(method), rq->table, &rq->method_ok, &rq->name);
		return rq->route == ROUTE_INGEST && rq->method_ok ? dispatch(rq, conn) : MHD_YES;
	}
	if (rq->status == 0 && rq->route == ROUTE_INGEST && rq->method_ok)
	{
		if (*upload_data_size > 0)
			return ingest_data(rq, upload_data, upload_data_size);
		return ingest_end(rq, conn);
	}
	if (*upload_data_size > 0)
	{
		/* A body no route reads, or the rest of one answered already: drop it, within bounds. */
		rq->body_bytes += *upload_data_size;
		*upload_data_size = 0;
		return rq->body_bytes / 2 > rq->rest->max_body_bytes ? MHD_NO : MHD_YES;
	}
	return rq->status == 0 ? dispatch(rq, conn) : MHD_YES;
}

/*
 * MHD calls this once when the headers are in, once per body chunk, and once
 * at the end of the body.  The watchdog learns what the connection waits
 * for: more body until a response is queued, then the answer.
 */
static enum MHD_Result
access_handler(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
			   const char *version, const char *upload_data, size_t *upload_data_size,
			   void **con_cls)
{
	request    *rq = *con_cls;
	size_t		body_bytes = *upload_data_size;
	enum MHD_Result ret;

	(void) cls;
	if (rq == NULL)
		return MHD_NO;
	watch_busy(rq->rest, rq->watch);
	ret = handle_call(rq, conn, url, method, version, upload_data, upload_data_size);
	watch_idle(rq->rest, rq->watch, rq->status != 0 ? WATCH_ANSWER : WATCH_BODY, body_bytes);
	return ret;
}

static void
request_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
				  enum MHD_RequestTerminationCode toe)
{
	ps_rest    *r = cls;
	request    *rq = *con_cls;

	(void) conn;
	if (rq == NULL)
		return;
	watch_next_request(r, rq->watch);
	if (rq->load != NULL)
	{
		/* The client went away before the end of its body: nothing is stored. */
		ps_log(PS_LOG_WARN, "ingest into %s aborted: connection ended after %llu bytes",
			   rq->table, (unsigned long long) rq->body_bytes);
		ps_csv_abort(rq->load);
	}
	/* A request that ended before its headers were in (MHD refused it) is not ours to count. */
	if (rq->headers_seen)
	{
		count_request(r, rq->route, rq->status);
		if (ps_log_enabled(PS_LOG_DEBUG))
			ps_log(PS_LOG_DEBUG, "%s %s -> %d%s in %.1f ms", rq->method, rq->path, rq->status,
				   toe == MHD_REQUEST_TERMINATED_COMPLETED_OK ? "" : " (connection ended early)",
				   elapsed_ms(rq->started_ns));
	}
	free(rq);
	*con_cls = NULL;
}

/* See ps_rest_unescape: "%00" is never decoded. */
static size_t
unescape(void *cls, struct MHD_Connection *conn, char *s)
{
	(void) cls;
	(void) conn;
	return ps_rest_unescape(s);
}

static void
mhd_log(void *cls, const char *fmt, va_list ap)
{
	char		message[PS_LOG_LINE_MAX];
	size_t		len;

	(void) cls;
	vsnprintf(message, sizeof message, fmt, ap);
	len = strlen(message);
	while (len > 0 && message[len - 1] == '\n')
		message[--len] = '\0';
	/* A client that goes away mid-response is routine (wrk, curl ^C), not a warning. */
	ps_log(strstr(message, "Failed to send") ? PS_LOG_DEBUG : PS_LOG_WARN, "http: %s", message);
}

/* Bind and listen ourselves, so "address in use" is told apart from other failures. */
static ps_status
open_listener(const char *host, uint16_t port, int *fd_out, int *family, ps_error *err)
{
	struct addrinfo hints = {0};
	struct addrinfo *res;
	char		service[8];
	int			rc;
	int			saved = 0;

	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	snprintf(service, sizeof service, "%u", (unsigned) port);
	rc = getaddrinfo(host, service, &hints, &res);
	if (rc != 0)
		return ps_error_set(err, PS_EINVAL, "cannot resolve REST host \"%s\": %s", host,
							gai_strerror(rc));
	for (struct addrinfo *ai = res; ai != NULL; ai = ai->ai_next)
	{
		int			one = 1;
		int			fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);

		if (fd < 0)
		{
			saved = errno;
			continue;
		}
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
		if (bind(fd, ai->ai_addr, ai->ai_addrlen) == 0 && listen(fd, LISTEN_BACKLOG) == 0)
		{
			*fd_out = fd;
			*family = ai->ai_family;
			freeaddrinfo(res);
			return PS_OK;
		}
		saved = errno;
		close(fd);
	}
	freeaddrinfo(res);
	return ps_error_set(err, saved == EADDRINUSE ? PS_EBUSY : PS_EIO,
						"cannot listen on %s port %u: %s", host, (unsigned) port, strerror(saved));
}

ps_status
ps_rest_start(ps_store *st, const ps_rest_config *cfg, ps_rest **out, ps_error *err)
{
	ps_rest    *r;
	int			fd = -1;
	int			family = AF_UNSPEC;
	ps_status	rc;
	unsigned int flags = MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD |
		/* poll(), not select(): RocksDB keeps many descriptors, beyond FD_SETSIZE. */
		MHD_USE_POLL | MHD_USE_ERROR_LOG;

	*out = NULL;
	r = calloc(1, sizeof *r);
	if (r == NULL || watch_init(r, cfg) != PS_OK)
	{
		free(r);
		return ps_error_set(err, PS_ENOMEM, "out of memory");
	}
	r->store = st;
	r->max_body_bytes = cfg->max_body_bytes;
	r->csv = cfg->csv;
	r->version = strdup(cfg->version != NULL ? cfg->version : "");
	if (cfg->auth_token != NULL && cfg->auth_token[0] != '\0')
		r->auth_token = strdup(cfg->auth_token);
	if (r->version == NULL || (cfg->auth_token != NULL && cfg->auth_token[0] != '\0' &&
							   r->auth_token == NULL))
	{
		ps_rest_stop(r);
		return ps_error_set(err, PS_ENOMEM, "out of memory");
	}
	if ((rc = open_listener(cfg->host, cfg->port, &fd, &family, err)) != PS_OK)
	{
		ps_rest_stop(r);
		return rc;
	}
	if (family == AF_INET6)
		flags |= MHD_USE_IPv6;
	r->daemon = MHD_start_daemon(flags, 0, NULL, NULL, access_handler, r,
								 MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL,
								 MHD_OPTION_LISTEN_SOCKET, fd,
								 MHD_OPTION_CONNECTION_LIMIT, (unsigned int) cfg->max_connections,
								 MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int) cfg->connection_timeout_s,
								 MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t) CONNECTION_MEMORY,
								 MHD_OPTION_NOTIFY_COMPLETED, request_completed, r,
								 MHD_OPTION_NOTIFY_CONNECTION, notify_connection, r,
								 MHD_OPTION_URI_LOG_CALLBACK, request_begin, r,
								 MHD_OPTION_UNESCAPE_CALLBACK, unescape, NULL,
								 MHD_OPTION_END);
	if (r->daemon == NULL)
	{
		close(fd);
		ps_rest_stop(r);
		return ps_error_set(err, PS_EIO, "cannot start the HTTP server on %s port %u",
							cfg->host, (unsigned) cfg->port);
	}
	/* A timeout of 0 means none, for MHD's idle timeout and for the deadlines alike. */
	if (r->deadline_ns > 0)
	{
		if (pthread_create(&r->watchdog, NULL, watchdog_main, r) != 0)
		{
			ps_rest_stop(r);
			return ps_error_set(err, PS_EIO, "cannot start the REST watchdog thread");
		}
		r->watchdog_running = true;
	}
	*out = r;
	return PS_OK;
}

void
ps_rest_stop(ps_rest *r)
{
	if (r == NULL)
		return;
	if (r->watchdog_running)
	{
		pthread_mutex_lock(&r->watch_lock);
		r->watch_stop = true;
		pthread_cond_signal(&r->watch_wake);
		pthread_mutex_unlock(&r->watch_lock);
		pthread_join(r->watchdog, NULL);
	}
	/*
	 * Closes the listener and every connection; their completion callbacks
	 * abort loads, and their closed notifications release their slots.
	 */
	if (r->daemon != NULL)
		MHD_stop_daemon(r->daemon);
	pthread_cond_destroy(&r->watch_wake);
	pthread_mutex_destroy(&r->watch_lock);
	free(r->slots);
	free(r->free_slots);
	free(r->auth_token);
	free(r->version);
	free(r);
}
