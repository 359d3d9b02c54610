/*
 * ps_rest_params.h — parsing of pulsorad's REST query-string parameters
 * (DESIGN §5): the arguments of GET /tables/{t}/query and
 * DELETE /tables/{t}/rows, time values, limits, the columns list, the
 * output format, the time format and the series filters of a query.
 *
 * Pure functions: no HTTP library, no store, no allocation.  ps_rest.c feeds
 * them what libmicrohttpd decoded; the fuzz target test/fuzz/fuzz_rest_params.c
 * feeds them arbitrary bytes.  Every failure is PS_EINVAL with a message
 * naming the parameter (a client error: ps_rest answers it with 400), and
 * outputs are written only as far as documented per function.
 *
 * Ownership: a ps_rest_args borrows the key and value strings handed to
 * ps_rest_args_add (libmicrohttpd keeps them for the whole request), and
 * ps_rest_query.columns and the string values of series filters point into
 * them; nothing here is freed.
 */
#ifndef PS_REST_PARAMS_H
#define PS_REST_PARAMS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "core/ps_error.h"
#include "core/ps_schema.h"
#include "core/ps_store.h"
#include "core/ps_types.h"

#define PS_REST_JSON_LIMIT_DEFAULT 1000
#define PS_REST_JSON_LIMIT_MAX 10000
#define PS_REST_ARGS_MAX 8			/* accepted keys of the route taking most */

typedef enum ps_rest_format {
	PS_REST_FORMAT_JSON,
	PS_REST_FORMAT_CSV,
	PS_REST_FORMAT_NDJSON
} ps_rest_format;

/* Values index the divisors of nanoseconds: keep the order. */
typedef enum ps_rest_time_format {
	PS_REST_TIME_ISO,
	PS_REST_TIME_S,
	PS_REST_TIME_MS,
	PS_REST_TIME_US,
	PS_REST_TIME_NS
} ps_rest_time_format;

/* Which route's arguments a ps_rest_args collects (its accepted keys). */
typedef enum ps_rest_args_kind {
	PS_REST_ARGS_QUERY,			/* start end limit offset order columns time_format format */
	PS_REST_ARGS_DELETE_ROWS	/* start end */
} ps_rest_args_kind;

/* The arguments of one request, as given (values borrowed, NULL when absent). */
typedef struct ps_rest_args {
	const char *const *keys;	/* the route's accepted keys (static) */
	size_t		nkeys;
	const char *values[PS_REST_ARGS_MAX];
	bool		others_allowed;	/* other keys may be series filters (queries) */
	size_t		nothers;		/* how many arguments had other keys */
	ps_error	error;			/* the first unknown or repeated key; code PS_OK if none */
} ps_rest_args;

void		ps_rest_args_init(ps_rest_args *a, ps_rest_args_kind kind);
/*
 * Record one argument; value NULL (a key without '=') counts as "".  A
 * repeated key of the route, and for DELETE /rows any other key, is
 * remembered in a->error (the first one only); collecting goes on so the
 * caller needs no early exit.  For a query, any other key may name a
 * series-key column (a series filter, repeatable): it is only counted in
 * a->nothers, and the caller keeps it for ps_rest_filters_parse, which
 * knows the table's schema and refuses unknown ones.  Returns whether key
 * is one of the route's own keys.
 */
bool		ps_rest_args_add(ps_rest_args *a, const char *key, const char *value);
/* The value given for key, NULL when absent or not a key of this route. */
const char *ps_rest_args_get(const ps_rest_args *a, const char *key);

/* A parsed GET /tables/{t}/query. */
typedef struct ps_rest_query {
	int64_t		lo, hi;			/* inclusive time range */
	bool		empty;			/* start == end: nothing matches */
	uint64_t	limit;			/* 0 = none (CSV/NDJSON without limit=) */
	uint64_t	offset;
	bool		descending;
	ps_rest_format format;
	ps_rest_time_format time_format;
	const char *columns;		/* the columns= list as given (borrowed), NULL = all */
} ps_rest_query;

/*
 * Parse a query's arguments (a from PS_REST_ARGS_QUERY).  accept is the
 * Accept header (NULL ok), consulted only without format=.  end is
 * exclusive and may not precede start; limit is 1..PS_REST_JSON_LIMIT_MAX
 * for JSON (default PS_REST_JSON_LIMIT_DEFAULT), 1..INT64_MAX otherwise.
 * *q is filled on success and undefined on failure.
 */
ps_status	ps_rest_query_parse(const ps_rest_args *a, const char *accept, ps_rest_query *q,
								ps_error *err);

/* One argument as given (borrowed); value "" for a key without '='. */
typedef struct ps_rest_arg {
	const char *key;
	const char *value;
} ps_rest_arg;

/*
 * The series filters of a query on a table of schema s (table names it in
 * messages), from the arguments args[0..n) that are not the route's own
 * keys (those ps_rest_args_add returned false for), in request order.
 *
 * Each argument names a column of s's series key and gives one value of
 * it, converted by ps_value_from_text to the column's type (a string value
 * borrows the argument's text; "" is the empty string, so NULL keys cannot
 * be asked for); a repeated key gives several values, one of which a row
 * must equal; several columns combine with AND.  A key that is no column,
 * or a column outside the series key, is PS_EINVAL "unknown parameter";
 * a value that does not convert is PS_EINVAL naming the parameter.  The
 * first bad argument in request order is the one reported.
 *
 * A series-key column named like one of the query's own parameters (start,
 * end, limit, offset, order, columns, time_format, format) cannot be
 * filtered on here: ps_rest_args_add takes such a key as that parameter,
 * which keeps the meaning of every existing URL.
 *
 * filters must have room for PS_MAX_SERIES_COLUMNS entries and values for
 * n; on success filters[0..*nfilters) come in series-key order, each with
 * its values in request order as a slice of values, and each filter's
 * column is the schema's own name string (valid while s is).  Outputs are
 * undefined on failure.
 */
ps_status	ps_rest_filters_parse(const ps_schema *s, const char *table, const ps_rest_arg *args,
								  size_t n, ps_series_filter *filters, uint32_t *nfilters,
								  ps_value *values, ps_error *err);

/*
 * Parse DELETE /tables/{t}/rows's arguments (a from PS_REST_ARGS_DELETE_ROWS):
 * both start and end are required and start < end; [*start, *end) is the
 * range.  Outputs are undefined on failure.
 */
ps_status	ps_rest_delete_range_parse(const ps_rest_args *a, int64_t *start, int64_t *end,
									   ps_error *err);

/*
 * A time parameter called name: ISO-8601, a date, or epoch s/ms/us/ns by
 * magnitude (ps_time_parse with default options).  A '+' in a query string
 * means a space, so "...T10:00:00 05:00" (an unescaped "+05:00") is taken
 * as the offset it was meant to be.  *out is written only on success.
 */
ps_status	ps_rest_time_parse(const char *name, const char *s, int64_t *out, ps_error *err);

/* A decimal integer in [min, max], digits only (no sign, no spaces).  *out written on success. */
bool		ps_rest_parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out);

/* Whether an Accept header lists the media type (parameters such as q= are ignored; NULL ok). */
bool		ps_rest_accept_has(const char *accept, const char *type);

/*
 * The output columns of a query on a table of schema s: all in schema order
 * when list is NULL, else the comma-separated names of list, with the time
 * column first unless it is listed.  Unknown, empty, over-long and repeated
 * names are errors (naming table, for messages).  cols must have room for
 * s->ncolumns entries; *ncols is their number.  Outputs undefined on failure.
 */
ps_status	ps_rest_columns_parse(const ps_schema *s, const char *table, const char *list,
								  uint32_t *cols, uint32_t *ncols, ps_error *err);

/*
 * %HH decoding of a path or query-string part in place; returns the new
 * length.  "%00" and malformed escapes stay as they are: a decoded NUL would
 * silently cut a table name short ("/tables/a%00b" acting on table "a").
 */
size_t		ps_rest_unescape(char *s);

#endif
