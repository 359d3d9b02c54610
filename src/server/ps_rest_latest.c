/*
 * ps_rest_latest.c — GET /tables/{t}/latest (see ps_rest_latest.h): the
 * columns asked for (all, or columns= as /query takes it), grouped by the
 * by columns, as a store aggregate: MAX(time column) and LAST(column) of
 * every other column not grouped by (ps_rest_groups_latest), answered as
 * /aggregate answers (ps_rest_groups_answer).
 *
 * Invariants:
 *  - Every LAST of a group comes from one row, the one with the largest
 *    time (among rows of equal time, the one the store saw first), so a
 *    row's values are never mixed with another's; NULLs included.
 *  - The columns are named by the schema read here, before the aggregate
 *    takes its snapshot; should the table change in between, the store
 *    refuses a column that is gone (400) and the values carry the types
 *    the aggregate read.
 *  - Without by, an empty table or range has no latest row: no group.
 */
#include "ps_rest_latest.h"

#include <stdio.h>
#include <stdlib.h>

#include <microhttpd.h>

#include "core/ps_schema.h"
#include "ps_rest_aggregate.h"
#include "ps_rest_params.h"

void
ps_rest_latest_answer(ps_store *st, const char *table, struct MHD_Connection *conn,
					  ps_rest_answer *out)
{
	ps_error   *err = &out->error;
	ps_rest_request_args ra;
	ps_rest_latest q;
	ps_table_info info;
	ps_schema  *schema = NULL;
	uint32_t   *cols = NULL;
	const char **names = NULL;
	uint32_t	ncols;
	ps_rest_groups *groups = NULL;
	const char *by[PS_AGG_MAX_GROUP_COLUMNS];
	ps_agg_spec spec = {0};
	char		what[PS_MAX_NAME + 32];

	out->response = NULL;
	out->content_type = NULL;
	ps_error_clear(err);
	if (ps_rest_request_args_collect(conn, PS_REST_ARGS_LATEST, &ra, err) != PS_OK ||
		ps_rest_latest_parse(&ra.args, MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
																   MHD_HTTP_HEADER_ACCEPT),
							 &q, err) != PS_OK ||
		ps_store_table_info(st, table, &info, &schema, err) != PS_OK)
		goto done;
	if ((cols = calloc(schema->ncolumns, sizeof *cols)) == NULL ||
		(names = calloc(schema->ncolumns, sizeof *names)) == NULL ||
		(groups = calloc(1, sizeof *groups)) == NULL)
		goto done;
	if (ps_rest_columns_parse(schema, table, q.columns, cols, &ncols, err) != PS_OK)
		goto done;
	for (uint32_t i = 0; i < ncols; i++)
		names[i] = schema->columns[cols[i]].name;
	if (ps_rest_groups_latest(groups, &(ps_rest_formatter) {q.format, q.time_format}, names, ncols,
							  schema->columns[schema->time_index].name, q.by, q.nby, err) != PS_OK)
		goto done;
	for (uint32_t i = 0; i < q.nby; i++)
		by[i] = q.by[i];
	spec.lo = q.lo;
	spec.hi = q.hi;
	spec.group_by = by;
	spec.ngroup = q.nby;
	snprintf(what, sizeof what, "latest on table %s", table);
	ps_rest_groups_answer(st, table, &ra, &spec, q.empty, groups, what, out);
	groups = NULL;				/* the answer's now */

done:
	if (groups != NULL)
		ps_rest_groups_free(groups);
	free(groups);
	free(names);
	free(cols);
	ps_schema_free(schema);
	ps_rest_request_args_free(&ra);
}
