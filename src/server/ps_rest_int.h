/*
 * ps_rest_int.h — what the modules of pulsorad's REST server share: the
 * server and request structs, the routes, and the functions one module
 * offers the others.  Not a public header: only ps_rest.c (life cycle,
 * routing, MHD's callbacks), ps_rest_respond.c, ps_rest_tables.c,
 * ps_rest_ingest.c, ps_rest_metrics.c, ps_rest_backup.c and ps_rest_watch.c
 * include it.
 */
#ifndef PS_REST_INT_H
#define PS_REST_INT_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>
#include <microhttpd.h>

#include "ps_rest.h"
#include "ps_rest_params.h"

#define NS_PER_MS INT64_C(1000000)

typedef enum route_id {
	ROUTE_HEALTH,
	ROUTE_TABLES,
	ROUTE_INGEST,
	ROUTE_QUERY,
	ROUTE_AGGREGATE,
	ROUTE_LATEST,
	ROUTE_SCHEMA,
	ROUTE_COUNT,
	ROUTE_DELETE_ROWS,
	ROUTE_DROP,
	ROUTE_METRICS,
	ROUTE_BACKUPS,
	ROUTE_LOADS,
	ROUTE_UNKNOWN,
	NROUTES
} route_id;

/* Route labels of pulsora_http_requests_total (ps_rest_metrics.c). */
extern const char *const ps_rest_route_labels[NROUTES];

/*
 * Statuses this API answers with; the last slot counts any other.  Defined
 * here, as its size is that of ps_rest.requests; only ps_rest_metrics.c
 * reads it.
 */
static const int counted_statuses[] = {200, 400, 401, 404, 405, 409, 413, 500, 0};
#define NSTATUSES (sizeof counted_statuses / sizeof counted_statuses[0])

typedef enum watch_phase {
	WATCH_FREE,					/* slot unused */
	WATCH_HEADERS,				/* waiting for a request's headers */
	WATCH_BODY,					/* reading a request's body */
	WATCH_ANSWER,				/* answering: MHD's idle timeout governs */
	WATCH_CLOSING				/* shut down by the watchdog, MHD closing it */
} watch_phase;

/* Why the watchdog ended a connection: labels of pulsora_http_slow_clients_closed_total. */
typedef enum slow_kind { SLOW_HEADERS, SLOW_BODY, NSLOW } slow_kind;

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
	ps_backup_spec backup;			/* its strings are ours (copied at start) */
	const ps_proto_stats *proto_stats;	/* borrowed; NULL: none */
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
	ps_progress *progress;		/* an ingest's entry in the loads in progress */
	uint64_t	body_bytes;
	int			failed_status;		/* nonzero once the ingest has failed */
	ps_error	failure;
} request;


/* ps_rest_respond.c */
/* The HTTP status of a store or loader error. */
int			ps_rest_http_status_for(ps_status st);
/* Queue resp (NULL: MHD_NO) with its content type; records the status in rq. */
enum MHD_Result ps_rest_queue(request *rq, struct MHD_Connection *conn, int status,
							  struct MHD_Response *resp, const char *content_type);
/* Queue {"success": error == NULL, "data": data, "error": error}; steals data. */
enum MHD_Result ps_rest_respond_envelope(request *rq, struct MHD_Connection *conn, int status,
										 json_t *data, const char *error);
/* Replace the bytes of s past ASCII with '?' unless s is valid UTF-8; returns s. */
const char *ps_rest_utf8_safe(char *s);
/* Queue an error envelope (statuses >= 500 are logged too). */
enum MHD_Result ps_rest_respond_error(request *rq, struct MHD_Connection *conn, int status,
									  const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/* An error from the store or the loader, with the status it maps to. */
enum MHD_Result ps_rest_respond_status(request *rq, struct MHD_Connection *conn,
									   const ps_error *err);
/* 404 naming the request's table. */
enum MHD_Result ps_rest_respond_not_found(request *rq, struct MHD_Connection *conn);
/* The query-string arguments of a route of this kind (values borrowed from MHD). */
void		ps_rest_collect_args(struct MHD_Connection *conn, ps_rest_args_kind kind,
								 ps_rest_args *a);

/* ps_rest_tables.c: the routes answered at once (rq->table is a valid name where they take one) */
enum MHD_Result ps_rest_handle_health(request *rq, struct MHD_Connection *conn);
enum MHD_Result ps_rest_handle_tables(request *rq, struct MHD_Connection *conn);
enum MHD_Result ps_rest_handle_schema(request *rq, struct MHD_Connection *conn);
enum MHD_Result ps_rest_handle_count(request *rq, struct MHD_Connection *conn);
enum MHD_Result ps_rest_handle_drop(request *rq, struct MHD_Connection *conn);
enum MHD_Result ps_rest_handle_delete_rows(request *rq, struct MHD_Connection *conn);
enum MHD_Result ps_rest_handle_query(request *rq, struct MHD_Connection *conn);
enum MHD_Result ps_rest_handle_aggregate(request *rq, struct MHD_Connection *conn);
enum MHD_Result ps_rest_handle_latest(request *rq, struct MHD_Connection *conn);
/*
 * GET /tables/{t}/schema's data for schema (columns, timestamp_column,
 * series_key) and the table's load defaults from info (time_format,
 * timezone: null when none, or info NULL); a new JSON object.
 */
json_t	   *ps_rest_schema_json(const ps_schema *schema, const ps_table_info *info);

/* ps_rest_ingest.c: POST /tables/{t}/ingest */
/* First call: check what can be checked before the body, then begin the load. */
enum MHD_Result ps_rest_ingest_begin(request *rq, struct MHD_Connection *conn);
/* A chunk of the body (consumed: *size is set to 0). */
enum MHD_Result ps_rest_ingest_data(request *rq, const char *data, size_t *size);
/* The end of the body: commit and answer, or answer the failure. */
enum MHD_Result ps_rest_ingest_end(request *rq, struct MHD_Connection *conn);

/* ps_rest_backup.c: POST /backups (take one), GET /backups (list them) */
enum MHD_Result ps_rest_handle_backups(request *rq, struct MHD_Connection *conn);
/* A wall-clock time (ns since the epoch) as an ISO-8601 UTC JSON string with milliseconds. */
json_t	   *ps_rest_iso_time_json(int64_t ns);
/* ps_rest_loads.c: GET /loads, the loads in progress */
enum MHD_Result ps_rest_handle_loads(request *rq, struct MHD_Connection *conn);

/* ps_rest_metrics.c */
/* Count a finished request for /metrics. */
void		ps_rest_count_request(ps_rest *r, route_id route, int status);
/* GET /metrics: Prometheus text. */
enum MHD_Result ps_rest_handle_metrics(request *rq, struct MHD_Connection *conn);

/* ps_rest_watch.c */
/* Now on the monotonic clock, in nanoseconds. */
int64_t		ps_rest_monotonic_ns(void);
/* Milliseconds since since_ns (monotonic). */
double		ps_rest_elapsed_ms(int64_t since_ns);
/* The slot table and its lock (r zeroed); ps_rest_stop frees them. */
ps_status	ps_rest_watch_init(ps_rest *r, const ps_rest_config *cfg);
/* Our handler starts work on the connection: the client is not to blame meanwhile. */
void		ps_rest_watch_busy(ps_rest *r, watched *w);
/* Our handler is done with a call that brought body_bytes: the connection is now in phase next. */
void		ps_rest_watch_idle(ps_rest *r, watched *w, watch_phase next, size_t body_bytes);
/* A request ended: on a kept-alive connection, the next one's headers are due. */
void		ps_rest_watch_next_request(ps_rest *r, watched *w);
/* The watchdog thread (arg: the ps_rest), until watch_stop. */
void	   *ps_rest_watchdog_main(void *arg);
/* MHD's connection notification: watch a connection from its start to its close. */
void		ps_rest_notify_connection(void *cls, struct MHD_Connection *conn, void **socket_context,
									  enum MHD_ConnectionNotificationCode toe);

#endif
