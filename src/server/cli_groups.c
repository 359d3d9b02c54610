/*
 * cli_groups.c — pulsora-cli's `aggregate` and `latest`, the command-line
 * mirrors of REST's GET /tables/{t}/aggregate and /latest:
 *
 *   pulsora-cli -D DIR aggregate TABLE --fields F [--bucket W] [--by a,b]
 *               [--start S] [--end E] [--series COL=VALUE ...] [--format csv|json|ndjson]
 *   pulsora-cli -D DIR latest TABLE [--by a,b] [--start S] [--end E]
 *               [--series COL=VALUE ...] [--format csv|json|ndjson]
 *
 * Invariants: the options go through REST's own parsers (ps_rest_params.c,
 * as if they were a query string's parameters of the same names), the
 * groups are planned and written by REST's own code (ps_rest_groups.h,
 * ps_rest_format.h: CSV by default, times ISO-8601, floats as
 * ps_float_text.h spells them), and the owner computes them (protocol
 * message AGGREGATE, ps_client_aggregate), so the CLI prints exactly what
 * REST answers for the same parameters.  Series filters are the CLI's
 * --series, as `query` takes them.  One group is held at a time, and one
 * batch of the owner's.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli_int.h"
#include "ps_rest_groups.h"
#include "ps_rest_params.h"

#define FETCH_GROUPS 10000

const char *
cli_misplaced_option(const char *cmd, const query_args *q)
{
	bool		query = strcmp(cmd, "query") == 0;
	bool		aggregate = strcmp(cmd, "aggregate") == 0;
	bool		grouped = aggregate || strcmp(cmd, "latest") == 0;
	const struct { bool given, allowed; const char *name; } opts[] = {
		{q->start != NULL, query || grouped, "--start"}, {q->end != NULL, query || grouped, "--end"},
		{q->nseries > 0, query || grouped, "--series"}, {q->desc, query, "--desc"},
		{q->limit > 0, query, "--limit"}, {q->offset > 0, query, "--offset"},
		{q->columns != NULL, query, "--columns"}, {q->bucket != NULL, aggregate, "--bucket"},
		{q->fields != NULL, aggregate, "--fields"}, {q->by != NULL, grouped, "--by"},
		{q->format != NULL, grouped, "--format"},
	};

	for (size_t i = 0; i < sizeof opts / sizeof opts[0]; i++)
		if (opts[i].given && !opts[i].allowed)
			return opts[i].name;
	return NULL;
}

/* q's options as the arguments of a REST request of kind; CSV unless told, as `query` prints. */
static void
rest_args(const query_args *q, ps_rest_args_kind kind, ps_rest_args *a)
{
	const char *const pairs[][2] = {
		{"start", q->start}, {"end", q->end}, {"bucket", q->bucket}, {"by", q->by},
		{"fields", q->fields}, {"format", q->format != NULL ? q->format : "csv"},
	};

	ps_rest_args_init(a, kind);
	for (size_t i = 0; i < sizeof pairs / sizeof pairs[0]; i++)
		if (pairs[i][1] != NULL)
			ps_rest_args_add(a, pairs[i][0], pairs[i][1]);
}

/* Write b to stdout and empty it. */
static void
flush_buf(ps_buf *b)
{
	fwrite(b->data, 1, b->len, stdout);
	ps_buf_reset(b);
}

/* Ask the owner for g's items over spec and print the groups; 0 or a failure's status. */
static int
print_groups(ps_client *c, const ps_client_scan_spec *spec, ps_client_agg_spec *agg,
			 ps_rest_groups *g, ps_error *err)
{
	uint8_t		fns[PS_AGG_MAX_ITEMS];
	const char *columns[PS_AGG_MAX_ITEMS];
	ps_client_scan *s;
	const ps_type *types;
	uint32_t	ntypes;
	ps_value   *row = NULL;
	ps_buf		out = {0};
	bool		done = false;
	int64_t		time;

	for (uint32_t i = 0; i < g->nitems; i++)
	{
		fns[i] = (uint8_t) g->items[i].fn;
		columns[i] = g->items[i].column;
	}
	agg->fns = fns;
	agg->columns = columns;
	agg->nitems = g->nitems;
	if (ps_client_aggregate(c, spec, agg, &s, &types, &ntypes, err) != PS_OK)
		return fail(err);
	if (ps_rest_groups_bind(g, types, ntypes, err) != PS_OK ||
		(row = calloc(ntypes + 1, sizeof *row)) == NULL ||
		ps_rest_layout_head(&g->layout, &out) != PS_OK)
		done = false;
	else
		while (!done && ps_client_scan_fetch(s, FETCH_GROUPS, &done, err) == PS_OK)
			while (ps_client_scan_row(s, &time, row))
			{
				if (ps_rest_groups_skip(g, row))
					continue;
				if (ps_rest_groups_row(g, &out, row) != PS_OK)
				{
					done = false;
					break;
				}
				flush_buf(&out);
			}
	if (done && ps_rest_layout_tail(&g->layout, &out) == PS_OK)
		flush_buf(&out);
	free(row);
	ps_buf_free(&out);
	if (!done)
	{
		if (err->code == PS_OK)
			ps_error_set(err, PS_ENOMEM, "out of memory");
		ps_client_scan_close(s, NULL);
		return fail(err);
	}
	return ps_client_scan_close(s, err) == PS_OK ? 0 : fail(err);
}

/* What both commands take from their parsed options. */
typedef struct groups_req {
	int64_t		lo, hi;
	bool		empty;
	int64_t		bucket;
	const char (*by)[PS_MAX_NAME + 1];
	uint32_t	nby;
} groups_req;

/*
 * Both commands, once their options are parsed into r (and, for latest,
 * ql): plan the answer (given the table's columns) and run it with q's
 * series filters.
 */
static int
run(ps_client *c, const query_args *q, const groups_req *r, const ps_rest_aggregate *qa,
	const ps_rest_latest *ql)
{
	ps_client_table info;
	ps_client_column *cols = NULL;
	size_t		ncols = 0;
	const char **names = NULL;
	const char *time_column = "";
	ps_filter_spec filters[PS_FRAME_MAX_FILTERS];
	uint32_t	nfilters = 0;
	ps_value   *filter_values = NULL;
	ps_rest_groups g = {0};
	const char *by[PS_AGG_MAX_GROUP_COLUMNS];
	ps_client_scan_spec spec = {0};
	ps_client_agg_spec agg = {0};
	ps_error	err;
	int			rc = 1;

	ps_error_clear(&err);
	if (ps_client_table_info(c, q->table, &info, &cols, &ncols, &err) != PS_OK)
		return fail(&err);
	free(info.name);
	if ((names = calloc(ncols + 1, sizeof *names)) == NULL)
		ps_error_set(&err, PS_ENOMEM, "out of memory");
	for (size_t i = 0; names != NULL && i < ncols; i++)
	{
		names[i] = cols[i].name;
		if (cols[i].is_time)
			time_column = cols[i].name;
	}
	if (names == NULL ||
		(ql != NULL && ps_rest_groups_latest(&g, &(ps_rest_formatter) {ql->format, ql->time_format},
											 names, (uint32_t) ncols, time_column, ql->by, ql->nby,
											 &err) != PS_OK) ||
		(qa != NULL && ps_rest_groups_aggregate(&g, qa) != PS_OK &&
		 ps_error_set(&err, PS_ENOMEM, "out of memory") != PS_OK))
		rc = fail(&err);
	else if (build_filters(q, cols, ncols, filters, &nfilters, &filter_values) == 0)
	{
		spec.table = q->table;
		/* start == end: an empty range, which still names the table and columns to the owner. */
		spec.lo = r->empty ? 1 : r->lo;
		spec.hi = r->empty ? 0 : r->hi;
		spec.filters = filters;
		spec.nfilters = nfilters;
		for (uint32_t i = 0; i < r->nby; i++)
			by[i] = r->by[i];
		agg.group_by = by;
		agg.ngroup = r->nby;
		agg.bucket_width = r->bucket;
		rc = print_groups(c, &spec, &agg, &g, &err);
	}
	ps_rest_groups_free(&g);
	free(filter_values);
	free(names);
	ps_client_columns_free(cols, ncols);
	return rc;
}

int
cli_aggregate(ps_client *c, const query_args *q)
{
	ps_rest_aggregate *qa = malloc(sizeof *qa);	/* some 25 KB */
	ps_rest_args a;
	ps_error	err;
	int			rc;

	if (qa == NULL)
	{
		ps_error_set(&err, PS_ENOMEM, "out of memory");
		return fail(&err);
	}
	rest_args(q, PS_REST_ARGS_AGGREGATE, &a);
	if (ps_rest_aggregate_parse(&a, NULL, qa, &err) != PS_OK)
		rc = fail(&err);
	else
		rc = run(c, q, &(groups_req) {qa->lo, qa->hi, qa->empty, qa->bucket, qa->by, qa->nby},
				 qa, NULL);
	free(qa);
	return rc;
}

int
cli_latest(ps_client *c, const query_args *q)
{
	ps_rest_latest ql;
	ps_rest_args a;
	ps_error	err;

	rest_args(q, PS_REST_ARGS_LATEST, &a);
	if (ps_rest_latest_parse(&a, NULL, &ql, &err) != PS_OK)
		return fail(&err);
	return run(c, q, &(groups_req) {ql.lo, ql.hi, ql.empty, 0, ql.by, ql.nby}, NULL, &ql);
}
