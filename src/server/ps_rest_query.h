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
 * Memory per request is bounded: the response is produced piece by piece
 * by a content-reader callback that keeps the scan open between calls
 * (ps_rest_stream.h: a JSON result that fits one block is sent whole, with
 * a Content-Length; bigger ones, and CSV and NDJSON, are streamed).
 */
#ifndef PS_REST_QUERY_H
#define PS_REST_QUERY_H

#include "core/ps_error.h"
#include "core/ps_store.h"
#include "ps_rest_stream.h"

struct MHD_Connection;

/*
 * Answer GET /tables/{table}/query on conn (whose query-string arguments
 * and Accept header are read here) from st.  table is a valid table name.
 */
void		ps_rest_query_answer(ps_store *st, const char *table, struct MHD_Connection *conn,
								 ps_rest_answer *out);

#endif
