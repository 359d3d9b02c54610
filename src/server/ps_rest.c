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
 * This file starts and stops the server, routes each request and holds
 * MHD's callbacks; the other modules share ps_rest_int.h:
 *   ps_rest_respond.c  responses: the envelope, errors and their statuses;
 *   ps_rest_tables.c   the routes answered at once (health, tables, schema,
 *                      count, query, aggregate, latest, row deletes, drop);
 *   ps_rest_ingest.c   POST /tables/{t}/ingest, fed to the CSV loader;
 *   ps_rest_metrics.c  request counters and GET /metrics;
 *   ps_rest_backup.c   POST and GET /backups;
 *   ps_rest_loads.c    GET /loads;
 *   ps_rest_watch.c    the slow-client watchdog;
 * and ps_rest_query.c, ps_rest_aggregate.c and ps_rest_latest.c build
 * query, aggregate and latest responses, ps_rest_params.c parses query strings.
 *
 * Invariants:
 *  - Every response except /metrics and CSV/NDJSON exports is the envelope
 *    {"success", "data", "error"} built with jansson.
 *  - Memory per request is bounded: ingest bodies go to ps_csv_feed chunk by
 *    chunk as MHD hands them over (nothing is buffered here), and query
 *    results are streamed from an open scan by ps_rest_query.c, which
 *    builds the query's response (ps_rest_tables.c queues it).
 *  - Authentication (a bearer token compared in constant time,
 *    ps_proto_token_matches, as the native protocol's) is checked before
 *    anything else on every route but /health.
 *  - With the owner's certificate REST serves HTTPS only (MHD_USE_TLS,
 *    TLS 1.2 or later as the protocol's PS_TLS_PRIORITY).
 *  - Table names from the path are checked with ps_table_name_valid before
 *    any store call; "%00" is never decoded, and a request whose URL holds a
 *    raw NUL byte (which MHD would cut the URL at) is refused with 400
 *    before routing, so a name cannot be cut short.
 */
#include "ps_rest_int.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "ps_log.h"

/* MHD's per-connection pool bounds the size of the upload chunks handed to us. */
#define CONNECTION_MEMORY (256 * 1024)
#define LISTEN_BACKLOG 128

/* ---------------------------------------------------------------- authentication */

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
	return ps_proto_token_matches(h, strlen(h), r->auth_token);
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
	if (strcmp(url, "/loads") == 0)
		return ROUTE_LOADS;
	if (strcmp(url, "/backups") == 0)
	{
		*method_ok = (m == M_GET || m == M_POST);
		return ROUTE_BACKUPS;
	}
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
	if (strcmp(slash, "aggregate") == 0)
		return ROUTE_AGGREGATE;
	if (strcmp(slash, "latest") == 0)
		return ROUTE_LATEST;
	if (strcmp(slash, "schema") == 0)
		return ROUTE_SCHEMA;
	if (strcmp(slash, "count") == 0)
		return ROUTE_COUNT;
	*name = NAME_NONE;
	return ROUTE_UNKNOWN;
}

/* Answer the request (or, for an ingest, check it and begin the load). */
static enum MHD_Result
dispatch(request *rq, struct MHD_Connection *conn)
{
	if (rq->route != ROUTE_HEALTH && !authorized(rq->rest, conn))
		return ps_rest_respond_error(rq, conn, MHD_HTTP_UNAUTHORIZED,
									 "missing or wrong \"Authorization: Bearer <token>\" header");
	if (rq->route == ROUTE_UNKNOWN)
		return ps_rest_respond_error(rq, conn, MHD_HTTP_NOT_FOUND, "no route %s %s", rq->method, rq->path);
	if (!rq->method_ok)
		return ps_rest_respond_error(rq, conn, MHD_HTTP_METHOD_NOT_ALLOWED,
									 "method %s is not allowed on %s", rq->method, ps_rest_route_labels[rq->route]);
	if (rq->name == NAME_BAD)
		return ps_rest_respond_error(rq, conn, MHD_HTTP_BAD_REQUEST,
									 "invalid table name \"%s\" (1 to %d characters of A-Z a-z 0-9 _ -)",
									 rq->table, PS_MAX_NAME);
	switch (rq->route)
	{
		case ROUTE_HEALTH: return ps_rest_handle_health(rq, conn);
		case ROUTE_TABLES: return ps_rest_handle_tables(rq, conn);
		case ROUTE_INGEST: return ps_rest_ingest_begin(rq, conn);
		case ROUTE_QUERY: return ps_rest_handle_query(rq, conn);
		case ROUTE_AGGREGATE: return ps_rest_handle_aggregate(rq, conn);
		case ROUTE_LATEST: return ps_rest_handle_latest(rq, conn);
		case ROUTE_SCHEMA: return ps_rest_handle_schema(rq, conn);
		case ROUTE_COUNT: return ps_rest_handle_count(rq, conn);
		case ROUTE_DELETE_ROWS: return ps_rest_handle_delete_rows(rq, conn);
		case ROUTE_DROP: return ps_rest_handle_drop(rq, conn);
		case ROUTE_METRICS: return ps_rest_handle_metrics(rq, conn);
		case ROUTE_BACKUPS: return ps_rest_handle_backups(rq, conn);
		case ROUTE_LOADS: return ps_rest_handle_loads(rq, conn);
		case ROUTE_UNKNOWN:
		case NROUTES:
			break;
	}
	return MHD_NO;
}

/* ---------------------------------------------------------------- MHD callbacks */

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
		rq->started_ns = ps_rest_monotonic_ns();
		snprintf(rq->method, sizeof rq->method, "%s", method);
		snprintf(rq->path, sizeof rq->path, "%s", url);
		if (!url_arrived_whole(rq, version))
		{
			rq->route = ROUTE_UNKNOWN;
			return ps_rest_respond_error(rq, conn, MHD_HTTP_BAD_REQUEST,
										 "the request URL holds a NUL byte");
		}
		rq->route = resolve_route(url, method_of(method), rq->table, &rq->method_ok, &rq->name);
		return rq->route == ROUTE_INGEST && rq->method_ok ? dispatch(rq, conn) : MHD_YES;
	}
	if (rq->status == 0 && rq->route == ROUTE_INGEST && rq->method_ok)
	{
		if (*upload_data_size > 0)
			return ps_rest_ingest_data(rq, upload_data, upload_data_size);
		return ps_rest_ingest_end(rq, conn);
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
	ps_rest_watch_busy(rq->rest, rq->watch);
	ret = handle_call(rq, conn, url, method, version, upload_data, upload_data_size);
	ps_rest_watch_idle(rq->rest, rq->watch, rq->status != 0 ? WATCH_ANSWER : WATCH_BODY, body_bytes);
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
	ps_rest_watch_next_request(r, rq->watch);
	if (rq->load != NULL)
	{
		/* The client went away before the end of its body: nothing is stored. */
		ps_log(PS_LOG_WARN, "ingest into %s aborted: connection ended after %llu bytes",
			   rq->table, (unsigned long long) rq->body_bytes);
		ps_csv_abort(rq->load);
	}
	ps_progress_end(rq->progress);
	/* A request that ended before its headers were in (MHD refused it) is not ours to count. */
	if (rq->headers_seen)
	{
		ps_rest_count_request(r, rq->route, rq->status);
		if (ps_log_enabled(PS_LOG_DEBUG))
			ps_log(PS_LOG_DEBUG, "%s %s -> %d%s in %.1f ms", rq->method, rq->path, rq->status,
				   toe == MHD_REQUEST_TERMINATED_COMPLETED_OK ? "" : " (connection ended early)",
				   ps_rest_elapsed_ms(rq->started_ns));
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

/* ---------------------------------------------------------------- start and stop */

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
	/* MHD_OPTION_END at [0] when TLS is off. */
	struct MHD_OptionItem tls_options[4] = {{MHD_OPTION_END, 0, NULL}};

	*out = NULL;
	r = calloc(1, sizeof *r);
	if (r == NULL || ps_rest_watch_init(r, cfg) != PS_OK)
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
	r->backup.keep = cfg->backup.keep;
	if (cfg->backup.parent != NULL)
		r->backup.parent = strdup(cfg->backup.parent);
	if (cfg->backup.config_path != NULL)
		r->backup.config_path = strdup(cfg->backup.config_path);
	if (r->version == NULL || (cfg->auth_token != NULL && cfg->auth_token[0] != '\0' &&
							   r->auth_token == NULL) ||
		(cfg->backup.parent != NULL && r->backup.parent == NULL) ||
		(cfg->backup.config_path != NULL && r->backup.config_path == NULL))
	{
		ps_rest_stop(r);
		return ps_error_set(err, PS_ENOMEM, "out of memory");
	}
	r->proto_stats = cfg->proto_stats;
	/* Bind and listen ourselves, so "address in use" is told apart from other failures. */
	if ((rc = ps_tcp_listen(cfg->host, cfg->port, LISTEN_BACKLOG, &fd, &family, err)) != PS_OK)
	{
		ps_rest_stop(r);
		return rc;
	}
	if (family == AF_INET6)
		flags |= MHD_USE_IPv6;
	if (cfg->tls != NULL)
	{
		/* MHD's TLS is GnuTLS too: the same certificate and versions as the protocol's. */
		flags |= MHD_USE_TLS;
		tls_options[0] = (struct MHD_OptionItem) {MHD_OPTION_HTTPS_MEM_CERT, 0,
			(void *) ps_tls_server_cert_pem(cfg->tls)};
		tls_options[1] = (struct MHD_OptionItem) {MHD_OPTION_HTTPS_MEM_KEY, 0,
			(void *) ps_tls_server_key_pem(cfg->tls)};
		tls_options[2] = (struct MHD_OptionItem) {MHD_OPTION_HTTPS_PRIORITIES, 0,
			(void *) PS_TLS_PRIORITY};
	}
	r->daemon = MHD_start_daemon(flags, 0, NULL, NULL, access_handler, r,
								 MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL,
								 MHD_OPTION_LISTEN_SOCKET, fd,
								 MHD_OPTION_CONNECTION_LIMIT, (unsigned int) cfg->max_connections,
								 MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int) cfg->connection_timeout_s,
								 MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t) CONNECTION_MEMORY,
								 MHD_OPTION_NOTIFY_COMPLETED, request_completed, r,
								 MHD_OPTION_NOTIFY_CONNECTION, ps_rest_notify_connection, r,
								 MHD_OPTION_URI_LOG_CALLBACK, request_begin, r,
								 MHD_OPTION_UNESCAPE_CALLBACK, unescape, NULL,
								 MHD_OPTION_ARRAY, tls_options,
								 MHD_OPTION_END);
	if (r->daemon == NULL)
	{
		close(fd);
		ps_rest_stop(r);
		return ps_error_set(err, PS_EIO, "cannot start the HTTP%s server on %s port %u",
							cfg->tls != NULL ? "S" : "", cfg->host, (unsigned) cfg->port);
	}
	/* A timeout of 0 means none, for MHD's idle timeout and for the deadlines alike. */
	if (r->deadline_ns > 0)
	{
		if (pthread_create(&r->watchdog, NULL, ps_rest_watchdog_main, r) != 0)
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
	free((char *) r->backup.parent);
	free((char *) r->backup.config_path);
	free(r);
}
