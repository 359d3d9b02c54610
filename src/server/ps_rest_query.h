/*
 * ps_rest_query.h — GET /tables/{t}/query of pulsorad's REST API (DESIGN §5):
 * its parameters and series filters turned into a scan, and the scan's rows
 * written as a JSON envelope, CSV or NDJSON, streamed from the open scan.
 *
 * ps_rest.c routes the request here (through ps_rest_tables.c, which
 * queues what comes back); the server keeps authentication, routing, the
 * error envelope and the status of every error.  This module never queues
 * a response itself.
 *
 * Memory per request is bounded: a response is produced by a content-reader
 * callback that keeps the scan open between calls and holds at most one
 * formatted row beyond libmicrohttpd's buffer.  A JSON result that fits one
 * block is formatted before answering and sent whole, with a Content-Length
 * (a scan error then still gets a proper error answer); bigger ones, and
 * CSV and NDJSON, are streamed with chunked encoding.
 */
#ifndef PS_REST_QUERY_H
#define PS_REST_QUERY_H

#include "core/ps_error.h"
#include "core/ps_store.h"

struct MHD_Connection;
struct MHD_Response;

/* What to answer a query with. */
typedef struct ps_rest_answer {
	/* The response to queue with status 200 (the caller destroys it), or NULL. */
	struct MHD_Response *response;
	const char *content_type;	/* of response */
	/*
	 * Without a response, why: PS_ENOTFOUND for an unknown table, PS_EINVAL
	 * for a bad parameter (naming it), other codes from the store.  PS_OK
	 * means no response could be built at all (out of memory): end the
	 * connection.
	 */
	ps_error	error;
} ps_rest_answer;

/*
 * Answer GET /tables/{table}/query on conn (whose query-string arguments
 * and Accept header are read here) from st.  table is a valid table name.
 */
void		ps_rest_query_answer(ps_store *st, const char *table, struct MHD_Connection *conn,
								 ps_rest_answer *out);

#endif
