/*
 * ps_rest_aggregate.h — GET /tables/{t}/aggregate of pulsorad's REST API
 * (DESIGN §5, issue 10): count, sum, avg, min, max, first and last over a
 * time range and series filters, grouped by time bucket (aligned to the
 * Unix epoch) and by columns, computed by the store (ps_agg.h) and written
 * one object per group as a JSON envelope, CSV or NDJSON.
 *
 * ps_rest.c routes the request here (through ps_rest_tables.c, which
 * queues what comes back); the server keeps authentication, routing, the
 * error envelope and the status of every error.  This module never queues
 * a response itself.
 *
 * Memory per request: the store's groups (capped by the store: PS_ETOOBIG
 * past PS_AGG_MAX_GROUPS, answered as other routes answer it) and one
 * batch of them at a time; the answer is produced one group at a time by
 * a content-reader callback (ps_rest_stream.h), a small JSON answer whole.
 */
#ifndef PS_REST_AGGREGATE_H
#define PS_REST_AGGREGATE_H

#include "core/ps_agg.h"
#include "core/ps_store.h"
#include "ps_rest_filters.h"
#include "ps_rest_groups.h"
#include "ps_rest_stream.h"

struct MHD_Connection;

/*
 * Answer GET /tables/{table}/aggregate on conn (whose query-string
 * arguments and Accept header are read here) from st.  table is a valid
 * table name.
 */
void		ps_rest_aggregate_answer(ps_store *st, const char *table, struct MHD_Connection *conn,
									 ps_rest_answer *out);

/*
 * Answer with the groups of the store aggregate spec (its group_by,
 * bucket and range set; table, items and filters are set here from table,
 * groups and ra's series filters; empty: start == end, no row) on table,
 * laid out as groups plans them.  groups is malloc'd and taken in every
 * case.  what names the request in messages.
 */
void		ps_rest_groups_answer(ps_store *st, const char *table, const ps_rest_request_args *ra,
								  ps_agg_spec *spec, bool empty, ps_rest_groups *groups,
								  const char *what, ps_rest_answer *out);

#endif
