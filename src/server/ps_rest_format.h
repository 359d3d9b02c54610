/*
 * ps_rest_format.h — how pulsorad's REST answers write values and rows, one
 * formatter for GET /tables/{t}/query (ps_rest_query.c) and
 * GET /tables/{t}/aggregate (ps_rest_aggregate.c), so both print the same
 * text for the same value: JSON strings, CSV fields (quoted only when
 * needed; "" is the empty string, an empty field NULL), 64- and 128-bit
 * integers, floats as ps_float_text.h spells them (JSON, having no NaN or
 * Infinity, gets null), and times in the request's time format.
 *
 * A ps_rest_layout writes rows: JSON objects inside the envelope
 * {"success":true,"data":[...],"error":null}, one object per line (NDJSON),
 * or CSV lines under a header of the keys.  It precomputes what precedes
 * each value in a row (",", "{" and the escaped "key":), so a row costs two
 * appends per column.
 *
 * Every function appends to a caller-owned ps_buf and returns PS_OK or
 * PS_ENOMEM (the buffer may then hold part of a piece: callers drop the
 * answer).  No HTTP library here.
 */
#ifndef PS_REST_FORMAT_H
#define PS_REST_FORMAT_H

#include <stdint.h>

#include "core/ps_buf.h"
#include "core/ps_types.h"
#include "ps_rest_params.h"

/* What an answer's values are written for. */
typedef struct ps_rest_formatter {
	ps_rest_format format;
	ps_rest_time_format time_format;
} ps_rest_formatter;

/* A JSON string (quoted, escaped) of s[0..len). */
ps_status	ps_rest_format_json_string(ps_buf *b, const char *s, size_t len);
/* A CSV field of s[0..len), quoted when it must be (always when empty). */
ps_status	ps_rest_format_csv_field(ps_buf *b, const char *s, size_t len);
ps_status	ps_rest_format_int64(ps_buf *b, int64_t v);
/* Exact decimal text of a 128-bit integer (sums of INTEGER columns). */
ps_status	ps_rest_format_int128(ps_buf *b, __int128 v);
/* NULL: nothing in CSV, null in JSON. */
ps_status	ps_rest_format_null(const ps_rest_formatter *f, ps_buf *b);
/* A FLOAT value: ps_float_text.h's text; null in JSON for NaN and the infinities. */
ps_status	ps_rest_format_double(const ps_rest_formatter *f, ps_buf *b, double d);
/* A time (ns since the epoch): ISO-8601 (quoted in JSON) or an epoch number. */
ps_status	ps_rest_format_time(const ps_rest_formatter *f, ps_buf *b, int64_t ns);
/* A value of a column of type type (NULL included). */
ps_status	ps_rest_format_value(const ps_rest_formatter *f, ps_buf *b, ps_type type,
								 const ps_value *v);

/* The rows of one answer: keys and formats fixed at init. */
typedef struct ps_rest_layout {
	ps_rest_formatter fmt;
	uint32_t	ncolumns;		/* as given to init */
	uint32_t	nadded;			/* keys added so far */
	size_t	   *prefix_at;		/* ncolumns + 1 offsets into prefixes (owned) */
	ps_buf		prefixes;		/* what precedes each value, back to back (owned) */
	ps_buf		head;			/* what precedes the first row (owned) */
	const char *row_end;		/* static */
	uint64_t	rows;			/* rows ended so far */
} ps_rest_layout;

/* Start a layout of ncolumns keys for fmt; then add each key in order. */
ps_status	ps_rest_layout_init(ps_rest_layout *l, const ps_rest_formatter *fmt, uint32_t ncolumns);
/* The next key, name[0..len) (copied). */
ps_status	ps_rest_layout_add(ps_rest_layout *l, const char *name, size_t len);
/* What precedes the rows: the envelope's head (JSON), the header line (CSV) or nothing. */
ps_status	ps_rest_layout_head(const ps_rest_layout *l, ps_buf *out);
/* What precedes the value of column i (0 first) of the current row. */
ps_status	ps_rest_layout_cell(const ps_rest_layout *l, ps_buf *out, uint32_t i);
/* The end of the current row (counted). */
ps_status	ps_rest_layout_row_end(ps_rest_layout *l, ps_buf *out);
/* What follows the rows: the envelope's tail (JSON) or nothing. */
ps_status	ps_rest_layout_tail(const ps_rest_layout *l, ps_buf *out);
void		ps_rest_layout_free(ps_rest_layout *l);	/* zeroed or initialised */

#endif
