/*
 * ps_rest_latest.h — GET /tables/{t}/latest of pulsorad's REST API (DESIGN
 * §5, issue 10): the last row (the one with the largest time) of each
 * group of the by columns, or of the whole table without by, over a time
 * range and series filters, computed by the store's aggregates (ps_agg.h)
 * and written one object per group as a JSON envelope, CSV or NDJSON.
 *
 * ps_rest.c routes the request here (through ps_rest_tables.c, which
 * queues what comes back); this module never queues a response itself.
 * Memory per request: the store's groups and one batch of them at a time
 * (ps_rest_groups_answer, ps_rest_aggregate.h).
 */
#ifndef PS_REST_LATEST_H
#define PS_REST_LATEST_H

#include "core/ps_store.h"
#include "ps_rest_stream.h"

struct MHD_Connection;

/*
 * Answer GET /tables/{table}/latest on conn (whose query-string arguments
 * and Accept header are read here) from st.  table is a valid table name.
 */
void		ps_rest_latest_answer(ps_store *st, const char *table, struct MHD_Connection *conn,
								  ps_rest_answer *out);

#endif
