/*
 * ps_rest_aggregate.c — GET /tables/{t}/aggregate (see ps_rest_aggregate.h),
 * and the answer of every REST route made of a store aggregate's groups
 * (ps_rest_groups_answer: /aggregate and /latest): runs the aggregate
 * (ps_agg_run) with the request's series filters and writes each group as
 * one object, as its plan (ps_rest_groups.h) lays it out.
 *
 * Invariants:
 *  - Which store aggregates a field asks for, and where its value lies in
 *    the result, is the plan's business (ps_rest_groups.c); here the
 *    result columns of a group become one ps_value each, and the plan
 *    turns them into a row.
 *  - Series filters are typed by the schema read before the aggregate
 *    runs; if the table was dropped and re-created in between, the run
 *    starts over (ps_rest_filters_apply).
 *  - The groups are kept by the store (ps_agg) until the last is written;
 *    the answer holds one batch of them and one formatted group at a time.
 */
#include "ps_rest_aggregate.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <microhttpd.h>

#include "core/ps_agg.h"
#include "core/ps_schema.h"
#include "ps_rest_filters.h"
#include "ps_rest_params.h"

#define BATCH_ROWS 1024
#define BATCH_BYTES (256 * 1024)

typedef struct agg_export {
	ps_agg	   *agg;			/* NULL once every group is written */
	ps_rest_groups *groups;		/* the plan, bound to agg's result columns (owned) */
	ps_value   *row;			/* one group's result values (owned) */
	const ps_scan_batch *batch;	/* owned by agg */
	uint32_t	next_row;		/* of batch */
	bool		last_batch;
	char		table[PS_MAX_NAME + 1];
} agg_export;

static void
agg_export_free(void *cls)
{
	agg_export *ax = cls;

	ps_agg_free(ax->agg);
	if (ax->groups != NULL)
		ps_rest_groups_free(ax->groups);
	free(ax->groups);
	free(ax->row);
	free(ax);
}

/* Running the aggregate, with the request's series filters (ps_rest_filters_apply). */
typedef struct agg_op {
	ps_store   *st;
	ps_agg_spec *spec;
	agg_export *ax;
} agg_op;

static ps_status
agg_op_run(void *cls, const ps_series_filter *filters, uint32_t nfilters, ps_error *err)
{
	agg_op	   *o = cls;

	o->spec->filters = filters;
	o->spec->nfilters = nfilters;
	return ps_agg_run(o->st, o->spec, &o->ax->agg, err);
}

static void
agg_op_undo(void *cls)
{
	agg_op	   *o = cls;

	ps_agg_free(o->ax->agg);
	o->ax->agg = NULL;
}

/* ---------------------------------------------------------------- the answer */

/* Row r of result column c, of type t; strings borrowed from the batch. */
static void
cell_value(const ps_scan_batch *b, uint32_t c, ps_type t, uint32_t r, ps_value *out)
{
	const ps_scan_vector *v = &b->columns[c];

	memset(out, 0, sizeof *out);
	out->is_null = v->nulls != NULL && ((v->nulls[r / 8] >> (r % 8)) & 1);
	if (out->is_null)
		return;
	if (t == PS_TYPE_FLOAT)
		out->v.f = v->f[r];
	else if (t == PS_TYPE_BOOLEAN)
		out->v.b = v->b[r] != 0;
	else if (t == PS_TYPE_STRING)
	{
		out->v.s.ptr = v->str_data + v->str_off[r];
		out->v.s.len = v->str_off[r + 1] - v->str_off[r];
	}
	else
		out->v.i = v->i[r];
}

/* Group r of the current batch as one row; false (nothing written) when it is no row. */
static ps_status
format_group(agg_export *ax, ps_buf *b, uint32_t r, bool *written, ps_error *err)
{
	for (uint32_t c = 0; c < ax->groups->ntypes; c++)
		cell_value(ax->batch, c, ax->groups->types[c], r, &ax->row[c]);
	*written = !ps_rest_groups_skip(ax->groups, ax->row);
	if (*written && ps_rest_groups_row(ax->groups, b, ax->row) != PS_OK)
		return ps_error_set(err, PS_ENOMEM, "cannot format group %llu of the answer on table %s",
							(unsigned long long) ax->groups->layout.rows + 1, ax->table);
	return PS_OK;
}

/* The next group that is a row (a ps_rest_source's next_row). */
static ps_status
agg_next_row(void *cls, ps_buf *out, bool *end, ps_error *err)
{
	agg_export *ax = cls;
	bool		written = false;
	ps_status	st;

	while (!written)
	{
		while (ax->agg != NULL && !ax->last_batch &&
			   (ax->batch == NULL || ax->next_row == ax->batch->rows))
		{
			if ((st = ps_agg_next_batch(ax->agg, BATCH_ROWS, BATCH_BYTES, &ax->batch,
										&ax->last_batch, err)) != PS_OK)
				return st;
			ax->next_row = 0;
		}
		if (ax->batch == NULL || ax->next_row == ax->batch->rows)
			break;
		if ((st = format_group(ax, out, ax->next_row++, &written, err)) != PS_OK)
			return st;
	}
	if (written)
		return PS_OK;
	*end = true;
	/* Every group is out: free them before the client drains. */
	ps_agg_free(ax->agg);
	ax->agg = NULL;
	ax->batch = NULL;
	return PS_OK;
}

void
ps_rest_groups_answer(ps_store *st, const char *table, const ps_rest_request_args *ra,
					  ps_agg_spec *spec, bool empty, ps_rest_groups *groups, const char *what,
					  ps_rest_answer *out)
{
	ps_error   *err = &out->error;
	ps_rest_filter_set filters = {0};
	agg_export *ax = calloc(1, sizeof *ax);

	if (ax == NULL)
	{
		ps_rest_groups_free(groups);
		free(groups);
		return;
	}
	ax->groups = groups;
	snprintf(ax->table, sizeof ax->table, "%s", table);
	spec->table = table;
	/* An empty range (lo > hi) still resolves everything: an unknown table is a 404. */
	if (empty)
	{
		spec->lo = 1;
		spec->hi = 0;
	}
	spec->items = groups->items;
	spec->nitems = groups->nitems;
	if (ps_rest_filters_apply(st, table, ra, &filters,
							  &(ps_rest_filtered) {&(agg_op) {st, spec, ax}, agg_op_run, agg_op_undo},
							  err) == PS_OK &&
		ps_rest_groups_bind(groups, ps_agg_types(ax->agg), ps_agg_ncolumns(ax->agg), err) == PS_OK)
	{
		if ((ax->row = calloc(groups->ntypes + 1, sizeof *ax->row)) == NULL)
			ps_error_set(err, PS_ENOMEM, "out of memory");
		else
		{
			ps_rest_stream_answer(&(ps_rest_source) {ax, &groups->layout, agg_next_row, agg_export_free},
								  what, out);
			ax = NULL;			/* the stream's now */
		}
	}
	if (ax != NULL)
		agg_export_free(ax);
	ps_rest_filter_set_free(&filters);
}

void
ps_rest_aggregate_answer(ps_store *st, const char *table, struct MHD_Connection *conn,
						 ps_rest_answer *out)
{
	ps_error   *err = &out->error;
	ps_rest_request_args ra;
	ps_rest_aggregate *q = NULL;
	ps_rest_groups *groups = NULL;
	const char *by[PS_AGG_MAX_GROUP_COLUMNS];
	ps_agg_spec spec = {0};
	char		what[PS_MAX_NAME + 32];

	out->response = NULL;
	out->content_type = NULL;
	ps_error_clear(err);
	if (ps_rest_request_args_collect(conn, PS_REST_ARGS_AGGREGATE, &ra, err) != PS_OK)
		goto done;
	if ((q = malloc(sizeof *q)) == NULL || (groups = calloc(1, sizeof *groups)) == NULL)
		goto done;
	if (ps_rest_aggregate_parse(&ra.args, MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
																	  MHD_HTTP_HEADER_ACCEPT),
								q, err) != PS_OK)
		goto done;
	if (ps_rest_groups_aggregate(groups, q) != PS_OK)
	{
		ps_error_set(err, PS_ENOMEM, "out of memory");
		goto done;
	}
	for (uint32_t i = 0; i < q->nby; i++)
		by[i] = q->by[i];
	spec.lo = q->lo;
	spec.hi = q->hi;
	spec.bucket_width = q->bucket;
	spec.bucket_origin = 0;
	spec.group_by = by;
	spec.ngroup = q->nby;
	snprintf(what, sizeof what, "aggregate on table %s", table);
	ps_rest_groups_answer(st, table, &ra, &spec, q->empty, groups, what, out);
	groups = NULL;				/* the answer's now */

done:
	if (groups != NULL)
		ps_rest_groups_free(groups);
	free(groups);
	free(q);
	ps_rest_request_args_free(&ra);
}
