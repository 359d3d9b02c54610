/*
 * ps_rest_query.c — GET /tables/{t}/query (see ps_rest_query.h): parses the
 * query's parameters and series filters (ps_rest_filters.h), opens the
 * scan, and formats its rows (ps_rest_format.h) as a JSON envelope, CSV or
 * NDJSON, streamed to libmicrohttpd (ps_rest_stream.h).
 *
 * Invariants:
 *  - A result is produced a row at a time: the scan stays open between
 *    rows and is closed as soon as its last row is read.
 *  - Series filters (a parameter named after a series-key column, repeated
 *    for several values) are converted against the table's schema as the
 *    catalog has it before the scan opens; if the table was dropped and
 *    re-created in between, the query starts over (ps_rest_filters_apply).
 *  - Values of series filters borrow libmicrohttpd's strings, which live
 *    for the whole request; the scan copies what it keeps.
 */
#include "ps_rest_query.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <microhttpd.h>

#include "core/ps_row.h"
#include "core/ps_schema.h"
#include "core/ps_types.h"
#include "ps_rest_filters.h"
#include "ps_rest_format.h"
#include "ps_rest_params.h"

#define OUT_TIME UINT32_MAX		/* out_column.value of the time column */

/* Where one output column's value comes from (see export_prepare_columns). */
typedef struct out_column {
	uint32_t	value;			/* index into the decoded values, or OUT_TIME */
	ps_type		type;			/* of a value column */
} out_column;

typedef struct export {
	ps_scan    *scan;
	const ps_schema *schema;	/* owned by the scan */
	uint32_t   *out_cols;		/* schema indexes to output, in order */
	uint32_t	nout;
	ps_type    *value_types;	/* of the stored value columns */
	uint32_t	nvalues;
	ps_value   *values;			/* decoded row, nvalues entries */
	out_column *out;			/* nout entries */
	ps_rest_layout layout;		/* keys: the output columns' names */
	char		table[PS_MAX_NAME + 1];
} export;

static void
export_free(void *cls)
{
	export	   *ex = cls;

	ps_scan_close(ex->scan);
	free(ex->out);
	ps_rest_layout_free(&ex->layout);
	free(ex->out_cols);
	free(ex->value_types);
	free(ex->values);
	free(ex);
}

static ps_status
format_row(export *ex, ps_buf *b, const ps_scan_row *row, ps_error *err)
{
	const ps_rest_formatter *fmt = &ex->layout.fmt;
	ps_status	st;

	if ((st = ps_row_decode(ex->value_types, ex->nvalues, row->value, row->value_len,
							ex->values, NULL, err)) != PS_OK)
		return st;
	for (uint32_t i = 0; i < ex->nout && st == PS_OK; i++)
	{
		const out_column *oc = &ex->out[i];

		if ((st = ps_rest_layout_cell(&ex->layout, b, i)) != PS_OK)
			break;
		if (oc->value == OUT_TIME)
			st = ps_rest_format_time(fmt, b, row->time);
		else
			st = ps_rest_format_value(fmt, b, oc->type, &ex->values[oc->value]);
	}
	if (st == PS_OK)
		st = ps_rest_layout_row_end(&ex->layout, b);
	if (st != PS_OK)
		return ps_error_set(err, st, "cannot format row %llu of a query on table %s",
							(unsigned long long) ex->layout.rows + 1, ex->table);
	return PS_OK;
}

/* The next row (a ps_rest_source's next_row). */
static ps_status
export_next_row(void *cls, ps_buf *out, bool *end, ps_error *err)
{
	export	   *ex = cls;
	ps_scan_row row;
	ps_status	st;

	/* No scan: the range was empty. */
	if (ex->scan != NULL)
	{
		if ((st = ps_scan_next(ex->scan, &row, end, err)) != PS_OK)
			return st;
		if (!*end)
			return format_row(ex, out, &row, err);
	}
	*end = true;
	/* The snapshot is no longer needed; free it before the client drains. */
	ps_scan_close(ex->scan);
	ex->scan = NULL;
	return PS_OK;
}

/* Where each output column's value comes from, and the answer's keys: the columns' names. */
static bool
export_prepare_columns(export *ex, const ps_rest_formatter *fmt)
{
	if ((ex->out = calloc(ex->nout, sizeof *ex->out)) == NULL ||
		ps_rest_layout_init(&ex->layout, fmt, ex->nout) != PS_OK)
		return false;
	for (uint32_t i = 0; i < ex->nout; i++)
	{
		uint32_t	col = ex->out_cols[i];
		const char *name = ex->schema->columns[col].name;
		out_column *oc = &ex->out[i];

		if (ps_rest_layout_add(&ex->layout, name, strlen(name)) != PS_OK)
			return false;
		oc->value = col == ex->schema->time_index ? OUT_TIME : ps_schema_value_index(ex->schema, col);
		oc->type = ex->schema->columns[col].type;
	}
	return true;
}

/* The output columns (see ps_rest_columns_parse). */
static bool
export_choose_columns(export *ex, const char *list, ps_error *err)
{
	ex->out_cols = malloc(ex->schema->ncolumns * sizeof *ex->out_cols);
	if (ex->out_cols == NULL)
	{
		ps_error_set(err, PS_ENOMEM, "out of memory");
		return false;
	}
	return ps_rest_columns_parse(ex->schema, ex->table, list, ex->out_cols, &ex->nout,
								 err) == PS_OK;
}

/* Opening the scan, with the request's series filters (ps_rest_filters_apply). */
typedef struct open_op {
	ps_store   *st;
	ps_scan_spec *spec;
	export	   *ex;
} open_op;

static ps_status
open_op_run(void *cls, const ps_series_filter *filters, uint32_t nfilters, ps_error *err)
{
	open_op    *o = cls;

	o->spec->filters = filters;
	o->spec->nfilters = nfilters;
	return ps_scan_open(o->st, o->spec, &o->ex->scan, err);
}

static void
open_op_undo(void *cls)
{
	open_op    *o = cls;

	ps_scan_close(o->ex->scan);
	o->ex->scan = NULL;
}

/* ---------------------------------------------------------------- the request */

void
ps_rest_query_answer(ps_store *st, const char *table, struct MHD_Connection *conn,
					 ps_rest_answer *out)
{
	ps_error   *err = &out->error;
	ps_rest_request_args ra;
	ps_rest_filter_set filters = {0};
	ps_rest_query q;
	ps_rest_formatter fmt;
	ps_scan_spec spec = {0};
	export	   *ex = NULL;
	char		what[PS_MAX_NAME + 32];

	out->response = NULL;
	out->content_type = NULL;
	ps_error_clear(err);
	if (ps_rest_request_args_collect(conn, PS_REST_ARGS_QUERY, &ra, err) != PS_OK ||
		ps_rest_query_parse(&ra.args, MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
																  MHD_HTTP_HEADER_ACCEPT),
							&q, err) != PS_OK)
		goto done;
	if ((ex = calloc(1, sizeof *ex)) == NULL)
		goto done;
	strcpy(ex->table, table);
	fmt = (ps_rest_formatter) {q.format, q.time_format};
	spec.table = table;
	/* An empty range still opens a (closed at once) scan: an unknown table must be a 404. */
	spec.lo = q.lo;
	spec.hi = q.empty ? q.lo : q.hi;
	spec.descending = q.descending;
	spec.offset = q.offset;
	spec.limit = q.limit;
	if (ps_rest_filters_apply(st, table, &ra, &filters,
							  &(ps_rest_filtered) {&(open_op) {st, &spec, ex}, open_op_run, open_op_undo},
							  err) != PS_OK)
		goto done;
	ex->schema = ps_scan_schema(ex->scan);
	ex->nvalues = ps_schema_value_count(ex->schema);
	ex->value_types = malloc((ex->nvalues + 1) * sizeof *ex->value_types);
	ex->values = malloc((ex->nvalues + 1) * sizeof *ex->values);
	if (ex->value_types == NULL || ex->values == NULL)
	{
		ps_error_set(err, PS_ENOMEM, "out of memory");
		goto done;
	}
	ps_schema_value_types(ex->schema, ex->value_types);
	if (!export_choose_columns(ex, q.columns, err))
		goto done;
	if (!export_prepare_columns(ex, &fmt))
	{
		ps_error_set(err, PS_ENOMEM, "out of memory");
		goto done;
	}
	if (q.empty)
	{
		ps_scan_close(ex->scan);
		ex->scan = NULL;
	}
	snprintf(what, sizeof what, "query on table %s", table);
	ps_rest_stream_answer(&(ps_rest_source) {ex, &ex->layout, export_next_row, export_free}, what,
						  out);
	ex = NULL;					/* the stream's now */

done:
	if (ex != NULL)
		export_free(ex);
	ps_rest_filter_set_free(&filters);
	ps_rest_request_args_free(&ra);
}
