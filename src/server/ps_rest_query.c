/*
 * ps_rest_query.c — GET /tables/{t}/query (see ps_rest_query.h): parses the
 * query's parameters and series filters, opens the scan, and formats its
 * rows as a JSON envelope, CSV or NDJSON, streamed to libmicrohttpd by a
 * content-reader callback.
 *
 * Invariants:
 *  - A result is produced piece by piece (header, one row, the end) into
 *    export.pending, which never holds more than one formatted row beyond
 *    what libmicrohttpd asked for; the scan stays open between calls and
 *    is closed as soon as its last row is read.
 *  - Series filters (a parameter named after a series-key column, repeated
 *    for several values) are converted against the table's schema as the
 *    catalog has it before the scan opens; if the scan's own schema then
 *    disagrees about those columns (the table was dropped and re-created
 *    in between), the query starts over (see open_scan).
 *  - Values of series filters borrow libmicrohttpd's strings, which live
 *    for the whole request; the scan copies what it keeps.
 */
#include "ps_rest_query.h"

#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include <csv.h>
#include <jansson.h>
#include <microhttpd.h>

#include "core/ps_buf.h"
#include "core/ps_row.h"
#include "core/ps_schema.h"
#include "core/ps_time.h"
#include "core/ps_types.h"
#include "ps_float_text.h"
#include "ps_log.h"
#include "ps_rest_params.h"

#define EXPORT_BLOCK_SIZE (64 * 1024)
#define NS_PER_MS INT64_C(1000000)
/* Times a query starts over when its table changes under it (see open_scan). */
#define OPEN_ATTEMPTS 3

typedef enum export_state { EXPORT_START, EXPORT_ROWS, EXPORT_END, EXPORT_DONE } export_state;

#define OUT_TIME UINT32_MAX		/* out_column.value of the time column */

/* How one output column is written (see export_prepare_columns). */
typedef struct out_column {
	size_t		prefix_at;		/* what precedes its value in a row, in export.prefixes */
	size_t		prefix_len;
	uint32_t	value;			/* index into the decoded values, or OUT_TIME */
	ps_type		type;			/* of a value column */
} out_column;

typedef struct export {
	ps_scan    *scan;
	const ps_schema *schema;	/* owned by the scan */
	ps_rest_format format;
	ps_rest_time_format time_format;
	uint32_t   *out_cols;		/* schema indexes to output, in order */
	uint32_t	nout;
	ps_type    *value_types;	/* of the stored value columns */
	uint32_t	nvalues;
	ps_value   *values;			/* decoded row, nvalues entries */
	out_column *out;			/* nout entries */
	ps_buf		prefixes;		/* the out_column prefixes, back to back */
	const char *row_end;		/* what ends a row: "}", "}\n" or "\n" */
	ps_buf		pending;		/* formatted bytes not yet handed to MHD */
	size_t		pending_off;
	export_state state;
	uint64_t	rows;
	char		table[PS_MAX_NAME + 1];
} export;

static void
export_free(void *cls)
{
	export	   *ex = cls;

	ps_scan_close(ex->scan);
	free(ex->out);
	ps_buf_free(&ex->prefixes);
	free(ex->out_cols);
	free(ex->value_types);
	free(ex->values);
	ps_buf_free(&ex->pending);
	free(ex);
}

static int
append_to_buf(const char *p, size_t n, void *cls)
{
	return ps_buf_append(cls, p, n) == PS_OK ? 0 : -1;
}

/*
 * A JSON string.  Printable ASCII other than '"' and '\\' (symbols, venues)
 * is written as it is, as jansson would write it; the rest is escaped by
 * jansson, which costs an allocation.
 */
static ps_status
append_json_string(ps_buf *b, const char *s, size_t len)
{
	json_t	   *j;
	int			rc;
	size_t		plain = 0;

	while (plain < len && (unsigned char) s[plain] >= 0x20 && (unsigned char) s[plain] < 0x80 &&
		   s[plain] != '"' && s[plain] != '\\')
		plain++;
	if (plain == len)
	{
		if (ps_buf_reserve(b, len + 2) != PS_OK)
			return PS_ENOMEM;
		b->data[b->len++] = '"';
		if (len > 0)
			memcpy(b->data + b->len, s, len);
		b->len += len;
		b->data[b->len++] = '"';
		return PS_OK;
	}
	j = json_stringn_nocheck(s, len);
	if (j == NULL)
		return PS_ENOMEM;
	rc = json_dump_callback(j, append_to_buf, b, JSON_ENCODE_ANY);
	json_decref(j);
	return rc == 0 ? PS_OK : PS_EINVAL;
}

static bool
csv_needs_quotes(const char *s, size_t len)
{
	if (len == 0 || s[0] == ' ' || s[len - 1] == ' ')
		return true;
	for (size_t i = 0; i < len; i++)
		if (s[i] == ',' || s[i] == '"' || s[i] == '\r' || s[i] == '\n')
			return true;
	return false;
}

/* A CSV field, quoted (by libcsv) only when needed: "" marks the empty string, not NULL. */
static ps_status
append_csv_field(ps_buf *b, const char *s, size_t len)
{
	bool		quote = csv_needs_quotes(s, len);
	ps_status	st;

	if (!quote)
		return ps_buf_append(b, s, len);
	if ((st = ps_buf_reserve(b, 2 * len + 2)) != PS_OK)
		return st;
	b->len += csv_write2(b->data + b->len, 2 * len + 2, s, len, CSV_QUOTE);
	return PS_OK;
}

/* Numbers are formatted in place (the terminator lands past len). */

/* Shortest %g form that reads back to the same double; NaN and infinities as PostgreSQL spells them (ps_float_text.h). */
static ps_status
append_double(ps_buf *b, double d)
{
	if (ps_buf_reserve(b, PS_DOUBLE_TEXT_MAX) != PS_OK)
		return PS_ENOMEM;
	b->len += ps_float_text(d, (char *) b->data + b->len);
	return PS_OK;
}

static ps_status
append_int64(ps_buf *b, int64_t v)
{
	if (ps_buf_reserve(b, PS_INT64_TEXT_MAX) != PS_OK)
		return PS_ENOMEM;
	b->len += ps_format_int64(v, (char *) b->data + b->len);
	return PS_OK;
}

static ps_status
append_time(export *ex, ps_buf *b, int64_t ns)
{
	static const int64_t divisors[] = {0, PS_NS_PER_SEC, NS_PER_MS, 1000, 1};
	bool		quoted = ex->format != PS_REST_FORMAT_CSV;

	if (ex->time_format != PS_REST_TIME_ISO)
		return append_int64(b, ps_time_floor_div(ns, divisors[ex->time_format]));
	if (ps_buf_reserve(b, PS_TIME_ISO_MAX + 2) != PS_OK)
		return PS_ENOMEM;
	if (quoted)
		b->data[b->len++] = '"';
	b->len += ps_time_format_iso(ns, (char *) b->data + b->len);
	if (quoted)
		b->data[b->len++] = '"';
	return PS_OK;
}

static ps_status
append_value(export *ex, ps_buf *b, ps_type type, const ps_value *v)
{
	bool		csv = (ex->format == PS_REST_FORMAT_CSV);

	if (v->is_null)
		return csv ? PS_OK : ps_buf_append(b, "null", 4);
	switch (type)
	{
		case PS_TYPE_INTEGER:
			return append_int64(b, v->v.i);
		case PS_TYPE_TIMESTAMP:
			return append_time(ex, b, v->v.i);
		case PS_TYPE_BOOLEAN:
			return v->v.b ? ps_buf_append(b, "true", 4) : ps_buf_append(b, "false", 5);
		case PS_TYPE_FLOAT:
			/* JSON has no NaN/Infinity; CSV spells them as PostgreSQL does. */
			if (!csv && !isfinite(v->v.f))
				return ps_buf_append(b, "null", 4);
			return append_double(b, v->v.f);
		case PS_TYPE_STRING:
			return csv ? append_csv_field(b, v->v.s.ptr, v->v.s.len) :
				append_json_string(b, v->v.s.ptr, v->v.s.len);
	}
	return PS_EINTERNAL;
}

static ps_status
format_header(export *ex)
{
	ps_status	st = PS_OK;

	if (ex->format == PS_REST_FORMAT_JSON)
		return ps_buf_printf(&ex->pending, "{\"success\":true,\"data\":[");
	if (ex->format == PS_REST_FORMAT_NDJSON)
		return PS_OK;
	for (uint32_t i = 0; i < ex->nout && st == PS_OK; i++)
	{
		const char *name = ex->schema->columns[ex->out_cols[i]].name;

		if (i > 0)
			st = ps_buf_append_u8(&ex->pending, ',');
		if (st == PS_OK)
			st = append_csv_field(&ex->pending, name, strlen(name));
	}
	return st == PS_OK ? ps_buf_append_u8(&ex->pending, '\n') : st;
}

static ps_status
format_row(export *ex, const ps_scan_row *row, ps_error *err)
{
	ps_buf	   *b = &ex->pending;
	ps_status	st;

	if ((st = ps_row_decode(ex->value_types, ex->nvalues, row->value, row->value_len,
							ex->values, NULL, err)) != PS_OK)
		return st;
	if (ex->format == PS_REST_FORMAT_JSON && ex->rows > 0)
		st = ps_buf_append_u8(b, ',');
	for (uint32_t i = 0; i < ex->nout && st == PS_OK; i++)
	{
		const out_column *oc = &ex->out[i];

		if ((st = ps_buf_append(b, ex->prefixes.data + oc->prefix_at, oc->prefix_len)) != PS_OK)
			break;
		if (oc->value == OUT_TIME)
			st = append_time(ex, b, row->time);
		else
			st = append_value(ex, b, oc->type, &ex->values[oc->value]);
	}
	if (st == PS_OK)
		st = ps_buf_append(b, ex->row_end, strlen(ex->row_end));
	if (st != PS_OK)
		return ps_error_set(err, st, "cannot format a row of table %s", ex->table);
	ex->rows++;
	return PS_OK;
}

/* Append the next piece of output (header, a row, the end) to ex->pending. */
static ps_status
export_produce(export *ex, ps_error *err)
{
	ps_scan_row row;
	bool		done;
	ps_status	st = PS_OK;

	switch (ex->state)
	{
		case EXPORT_START:
			ex->state = EXPORT_ROWS;
			st = format_header(ex);
			break;
		case EXPORT_ROWS:
			/* No scan: the range was empty. */
			if (ex->scan != NULL)
			{
				if ((st = ps_scan_next(ex->scan, &row, &done, err)) != PS_OK)
					return st;
				if (!done)
					return format_row(ex, &row, err);
			}
			ex->state = EXPORT_END;
			/* The snapshot is no longer needed; free it before the client drains. */
			ps_scan_close(ex->scan);
			ex->scan = NULL;
			if (ex->format == PS_REST_FORMAT_JSON)
				st = ps_buf_append(&ex->pending, "],\"error\":null}\n", 16);
			break;
		case EXPORT_END:
		case EXPORT_DONE:
			ex->state = EXPORT_DONE;
			break;
	}
	if (st != PS_OK)
		return ps_error_set(err, st, "cannot format the result of a query on table %s", ex->table);
	return PS_OK;
}

static ssize_t
export_read(void *cls, uint64_t pos, char *buf, size_t max)
{
	export	   *ex = cls;
	size_t		n = 0;
	ps_error	err;

	(void) pos;
	while (n < max)
	{
		size_t		avail = ex->pending.len - ex->pending_off;

		if (avail > 0)
		{
			size_t		take = avail < max - n ? avail : max - n;

			memcpy(buf + n, ex->pending.data + ex->pending_off, take);
			ex->pending_off += take;
			n += take;
			continue;
		}
		if (ex->state == EXPORT_DONE)
			break;
		ps_buf_reset(&ex->pending);
		ex->pending_off = 0;
		if (export_produce(ex, &err) != PS_OK)
		{
			/* Headers are gone: all we can do is cut the chunked stream short. */
			ps_log(PS_LOG_ERROR, "query on table %s failed after %llu rows: %s", ex->table,
				   (unsigned long long) ex->rows, err.message);
			return MHD_CONTENT_READER_END_WITH_ERROR;
		}
	}
	return n > 0 ? (ssize_t) n : MHD_CONTENT_READER_END_OF_STREAM;
}

/*
 * Where each output column's value comes from, and what precedes it in a
 * row: "," between columns and, in the JSON formats, "{" (first) and the
 * escaped "name": so a row is written two pieces per column.
 */
static bool
export_prepare_columns(export *ex)
{
	bool		json = ex->format != PS_REST_FORMAT_CSV;

	ex->row_end = ex->format == PS_REST_FORMAT_JSON ? "}" : json ? "}\n" : "\n";
	if ((ex->out = calloc(ex->nout, sizeof *ex->out)) == NULL)
		return false;
	for (uint32_t i = 0; i < ex->nout; i++)
	{
		uint32_t	col = ex->out_cols[i];
		const char *name = ex->schema->columns[col].name;
		out_column *oc = &ex->out[i];
		ps_status	st = PS_OK;

		oc->prefix_at = ex->prefixes.len;
		if (i > 0 || json)
			st = ps_buf_append_u8(&ex->prefixes, i == 0 ? '{' : ',');
		if (json && st == PS_OK && (st = append_json_string(&ex->prefixes, name, strlen(name))) == PS_OK)
			st = ps_buf_append_u8(&ex->prefixes, ':');
		if (st != PS_OK)
			return false;
		oc->prefix_len = ex->prefixes.len - oc->prefix_at;
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

/* ---------------------------------------------------------------- series filters */

/* A query's arguments: the route's own in args, the others (series filters) in others. */
typedef struct query_args {
	ps_rest_args args;
	ps_rest_arg *others;		/* malloc'd; strings borrowed from libmicrohttpd */
	size_t		nothers;
	size_t		cap;
	bool		no_memory;
} query_args;

static enum MHD_Result
collect_query_arg(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
	query_args *qa = cls;

	(void) kind;
	if (ps_rest_args_add(&qa->args, key, value) || qa->no_memory)
		return MHD_YES;
	if (qa->nothers == qa->cap)
	{
		size_t		cap = qa->cap > 0 ? 2 * qa->cap : 8;
		ps_rest_arg *more = realloc(qa->others, cap * sizeof *more);

		if (more == NULL)
		{
			qa->no_memory = true;
			return MHD_YES;
		}
		qa->others = more;
		qa->cap = cap;
	}
	qa->others[qa->nothers++] = (ps_rest_arg) {key, value != NULL ? value : ""};
	return MHD_YES;
}

/* A query's series filters, with their values converted for schema. */
typedef struct series_filters {
	ps_schema  *schema;			/* the table's, as read before the scan */
	ps_series_filter filters[PS_MAX_SERIES_COLUMNS];
	uint32_t	nfilters;
	ps_value   *values;
} series_filters;

static void
filters_free(series_filters *f)
{
	ps_schema_free(f->schema);
	free(f->values);
	memset(f, 0, sizeof *f);
}

/* Read the table's schema and convert the filter arguments for it (ps_rest_filters_parse). */
static ps_status
filters_parse(ps_store *st, const char *table, const query_args *qa, series_filters *f,
			  ps_error *err)
{
	ps_table_info info;
	ps_status	rc;

	/* Zeroed, so a value read as another type than its own is harmless (see open_scan). */
	if ((f->values = calloc(qa->nothers, sizeof *f->values)) == NULL)
		return ps_error_set(err, PS_ENOMEM, "out of memory");
	if ((rc = ps_store_table_info(st, table, &info, &f->schema, err)) != PS_OK)
		return rc;
	return ps_rest_filters_parse(f->schema, table, qa->others, qa->nothers, f->filters,
								 &f->nfilters, f->values, err);
}

/* Whether s has f's columns in its series key, with the types f's values were converted to. */
static bool
filters_fit(const series_filters *f, const ps_schema *s)
{
	for (uint32_t i = 0; i < f->nfilters; i++)
	{
		int			was = ps_schema_find(f->schema, f->filters[i].column);
		int			col = ps_schema_find(s, f->filters[i].column);

		if (was < 0 || col < 0 || !ps_schema_is_series(s, (uint32_t) col) ||
			s->columns[col].type != f->schema->columns[was].type)
			return false;
	}
	return true;
}

/*
 * Open the scan of spec into ex->scan, with the series filters of qa if it
 * has any.  Their values are typed by the schema read just before the scan
 * opens: should the table be dropped and re-created in between with other
 * key columns, the store refuses the filters (PS_EINVAL) or the scan's
 * schema disagrees with them, and the query starts over, up to
 * OPEN_ATTEMPTS times (then PS_EBUSY).  Meanwhile a value read as another
 * type (an integer as a string) is an empty string, never a wild read: the
 * values are zeroed before conversion.
 */
static ps_status
open_scan(ps_store *st, ps_scan_spec *spec, const query_args *qa, series_filters *f, export *ex,
		  ps_error *err)
{
	ps_status	rc;

	if (qa->nothers == 0)
		return ps_scan_open(st, spec, &ex->scan, err);
	for (int attempt = 1;; attempt++)
	{
		filters_free(f);
		if ((rc = filters_parse(st, spec->table, qa, f, err)) != PS_OK)
			return rc;
		spec->filters = f->filters;
		spec->nfilters = f->nfilters;
		if ((rc = ps_scan_open(st, spec, &ex->scan, err)) == PS_OK)
		{
			if (filters_fit(f, ps_scan_schema(ex->scan)))
				return PS_OK;
			ps_scan_close(ex->scan);
			ex->scan = NULL;
			rc = ps_error_set(err, PS_EBUSY, "table %s changed during the query; try again",
							  spec->table);
		}
		if ((rc != PS_EINVAL && rc != PS_EBUSY) || attempt == OPEN_ATTEMPTS)
			return rc;
	}
}

/* ---------------------------------------------------------------- the request */

void
ps_rest_query_answer(ps_store *st, const char *table, struct MHD_Connection *conn,
					 ps_rest_answer *out)
{
	static const char *const content_types[] = {
		"application/json", "text/csv; charset=utf-8", "application/x-ndjson"
	};
	ps_error   *err = &out->error;
	query_args	qa = {0};
	series_filters filters = {0};
	ps_rest_query q;
	ps_scan_spec spec = {0};
	export	   *ex = NULL;

	out->response = NULL;
	out->content_type = NULL;
	ps_error_clear(err);
	ps_rest_args_init(&qa.args, PS_REST_ARGS_QUERY);
	MHD_get_connection_values(conn, MHD_GET_ARGUMENT_KIND, collect_query_arg, &qa);
	if (qa.no_memory)
	{
		ps_error_set(err, PS_ENOMEM, "out of memory");
		goto done;
	}
	if (ps_rest_query_parse(&qa.args, MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
																  MHD_HTTP_HEADER_ACCEPT),
							&q, err) != PS_OK)
		goto done;
	if ((ex = calloc(1, sizeof *ex)) == NULL)
		goto no_response;
	strcpy(ex->table, table);
	ex->format = q.format;
	ex->time_format = q.time_format;
	spec.table = table;
	/* An empty range still opens a (closed at once) scan: an unknown table must be a 404. */
	spec.lo = q.lo;
	spec.hi = q.empty ? q.lo : q.hi;
	spec.descending = q.descending;
	spec.offset = q.offset;
	spec.limit = q.limit;
	if (open_scan(st, &spec, &qa, &filters, ex, err) != PS_OK)
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
	if (!export_prepare_columns(ex))
	{
		ps_error_set(err, PS_ENOMEM, "out of memory");
		goto done;
	}
	if (q.empty)
	{
		ps_scan_close(ex->scan);
		ex->scan = NULL;
	}
	/*
	 * A JSON result that fits one block goes out whole, with a
	 * Content-Length: headers and body in one send, no chunk framing, and a
	 * scan error still gets a proper error answer.  Bigger ones, and the
	 * bulk formats (CSV, NDJSON), stream.
	 */
	if (ex->format == PS_REST_FORMAT_JSON)
	{
		while (ex->state != EXPORT_DONE && ex->pending.len < EXPORT_BLOCK_SIZE)
			if (export_produce(ex, err) != PS_OK)
				goto done;
		if (ex->state == EXPORT_DONE)
		{
			out->response = MHD_create_response_from_buffer(ex->pending.len, ex->pending.data,
															MHD_RESPMEM_MUST_FREE);
			if (out->response == NULL)
				goto no_response;
			ex->pending = (ps_buf) PS_BUF_INIT;	/* now MHD's */
			out->content_type = content_types[PS_REST_FORMAT_JSON];
			goto done;
		}
	}
	out->response = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, EXPORT_BLOCK_SIZE,
													  export_read, ex, export_free);
	if (out->response == NULL)
		goto no_response;
	out->content_type = content_types[ex->format];
	ex = NULL;					/* now the response's */
	goto done;

no_response:
	ps_error_clear(err);
done:
	if (ex != NULL)
		export_free(ex);
	filters_free(&filters);
	free(qa.others);
}
