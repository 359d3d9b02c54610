/*
 * ps_rest.h — pulsorad's REST API (DESIGN §5) on libmicrohttpd.
 *
 * Every response body is the envelope {"success", "data", "error"} (except
 * /metrics, Prometheus text, and CSV/NDJSON query exports).  Each connection
 * runs in a thread of its own (at most max_connections), so a long ingest or
 * export never blocks other clients.  With T = connection_timeout_s, a
 * connection is dropped when it stays silent for T, when its client has not
 * sent a request's headers within T of connecting (or of its previous
 * request), or when a request body arrives slower than 1 KiB/s averaged
 * over windows of T (so slow-drip clients cannot hold every connection); a
 * request being answered is dropped only for silence.  T = 0 disables all
 * of these.  Ingest bodies are fed chunk by chunk to the CSV loader and
 * query output is produced chunk by chunk from an open scan, so memory per
 * connection is bounded whatever the body or result size.
 *
 * Statuses: 200; 400 bad input (parameter, option, CSV row, content type,
 * a raw NUL byte in the URL), naming what is wrong; 401 missing or wrong
 * bearer token; 404 unknown table or route; 405 wrong method on a known
 * route; 409 a delete or drop while a load into that table is in flight;
 * 413 body over max_body_bytes; 500 storage errors.  A failed ingest is answered once its body has been
 * read (libmicrohttpd 0.9.75 cannot answer earlier): the rest of the body
 * is discarded, and a client still sending past twice max_body_bytes is
 * disconnected.
 *
 * Query output columns: all columns in schema order by default; with
 * columns=a,b exactly those, plus the time column first unless it is listed.
 * Query series filters: a parameter named after a series-key column keeps
 * the rows whose key equals its value (repeated: one of its values); other
 * unknown parameters are a 400 (ps_rest_params.h, ps_rest_query.h).
 *
 * TLS: with a ps_tls_server (the owner's certificate, ps_tls.h) REST
 * speaks HTTPS only, TLS 1.2 or later; a plain HTTP client's connection
 * fails its handshake and is closed.
 *
 * Ownership: the ps_rest borrows the ps_store, the ps_tls_server and the
 * ps_proto_stats, which must outlive it (ps_rest_stop before freeing
 * them).  Strings in ps_rest_config are copied by ps_rest_start.
 */
#ifndef PS_REST_H
#define PS_REST_H

#include <stdint.h>
#include "core/ps_csv.h"
#include "core/ps_error.h"
#include "core/ps_store.h"
#include "proto/ps_proto_server.h"
#include "proto/ps_tls.h"

typedef struct ps_rest ps_rest;

typedef struct ps_rest_config {
	const char *host;				/* name or address to bind */
	uint16_t	port;
	const char *auth_token;			/* "" or NULL = no authentication */
	uint64_t	max_body_bytes;
	uint32_t	max_connections;
	uint32_t	connection_timeout_s;	/* [server] request_timeout_s; see above */
	const char *version;			/* reported by /health */
	/* Base options of every ingest (batch size, field limit); query params refine them. */
	ps_csv_options csv;
	/*
	 * Where POST /backups writes: parent (absolute; NULL = backups are not
	 * served), config_path (copied into each backup), keep.
	 */
	ps_backup_spec backup;
	const ps_tls_server *tls;		/* NULL: plain HTTP */
	/* The native protocol's refusal counters, shown by /metrics (NULL: not shown). */
	const ps_proto_stats *proto_stats;
} ps_rest_config;

/*
 * Bind host:port and start serving.  PS_EBUSY when the address is in use
 * (an autostarted owner only warns about that), PS_EIO for other failures.
 */
ps_status	ps_rest_start(ps_store *st, const ps_rest_config *cfg, ps_rest **out, ps_error *err);
/* Close the listener and every connection (aborting unfinished ingests); join threads. NULL ok. */
void		ps_rest_stop(ps_rest *r);

#endif
