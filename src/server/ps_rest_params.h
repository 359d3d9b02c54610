/*
 * ps_rest_params.h — parsing of pulsorad's REST query-string parameters
 * (DESIGN §5): the arguments of GET /tables/{t}/query,
 * GET /tables/{t}/aggregate, /latest and DELETE /tables/{t}/rows, time values,
 * limits, the columns list, the output format, the time format, the
 * series filters of a query or aggregate, and an aggregate's bucket, by
 * and fields.
 *
 * Pure functions: no HTTP library, no store, no allocation.  ps_rest.c feeds
 * them what libmicrohttpd decoded; the fuzz target test/fuzz/fuzz_rest_params.c
 * feeds them arbitrary bytes.  Every failure is PS_EINVAL with a message
 * naming the parameter (a client error: ps_rest answers it with 400), and
 * outputs are written only as far as documented per function.
 *
 * Ownership: a ps_rest_args borrows the key and value strings handed to
 * ps_rest_args_add (libmicrohttpd keeps them for the whole request), and
 * ps_rest_query.columns, the keys of ps_rest_agg_field and the string
 * values of series filters point into them; nothing here is freed.
 */
#ifndef PS_REST_PARAMS_H
#define PS_REST_PARAMS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "core/ps_agg.h"
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
	PS_REST_ARGS_DELETE_ROWS,	/* start end */
	PS_REST_ARGS_AGGREGATE,		/* start end bucket by fields format time_format */
	PS_REST_ARGS_LATEST			/* start end by columns format time_format */
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
 * caller needs no early exit.  For a query or an aggregate, any other key
 * may name a series-key column (a series filter, repeatable): it is only counted in
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
 * A series-key column named like one of the route's own parameters (for a
 * query start, end, limit, offset, order, columns, time_format, format;
 * for an aggregate start, end, bucket, by, fields, format, time_format)
 * cannot be filtered on here: ps_rest_args_add takes such a key as that
 * parameter, which keeps the meaning of every existing URL.
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

/* ---- GET /tables/{t}/aggregate */

/* Each field asks the store for at most two aggregates (avg: sum and count). */
#define PS_REST_AGG_MAX_FIELDS (PS_AGG_MAX_ITEMS / 2)

typedef enum ps_rest_agg_fn {
	PS_REST_AGG_COUNT_ALL,		/* count() or count(*) */
	PS_REST_AGG_COUNT,
	PS_REST_AGG_SUM,
	PS_REST_AGG_AVG,
	PS_REST_AGG_MIN,
	PS_REST_AGG_MAX,
	PS_REST_AGG_FIRST,
	PS_REST_AGG_LAST
} ps_rest_agg_fn;

/* One item of fields=. */
typedef struct ps_rest_agg_field {
	ps_rest_agg_fn fn;
	const char *key;			/* the item as written, less surrounding blanks (borrowed) */
	size_t		key_len;
	char		column[PS_MAX_NAME + 1];	/* "" for PS_REST_AGG_COUNT_ALL */
} ps_rest_agg_field;

/* A parsed GET /tables/{t}/aggregate (some 25 KB: keep it off small stacks). */
typedef struct ps_rest_aggregate {
	int64_t		lo, hi;			/* inclusive time range */
	bool		empty;			/* start == end: nothing matches */
	int64_t		bucket;			/* width in ns, aligned to the Unix epoch; 0 = none */
	ps_rest_format format;
	ps_rest_time_format time_format;
	uint32_t	nby;
	char		by[PS_AGG_MAX_GROUP_COLUMNS][PS_MAX_NAME + 1];
	uint32_t	nfields;
	ps_rest_agg_field fields[PS_REST_AGG_MAX_FIELDS];
} ps_rest_aggregate;

/*
 * Parse an aggregate's arguments (a from PS_REST_ARGS_AGGREGATE): start,
 * end, format (or accept) and time_format as for a query, bucket
 * (ps_rest_bucket_parse), by (ps_rest_by_parse; no column named "bucket"
 * when bucketed, as that key is the bucket's) and fields
 * (ps_rest_fields_parse), which is required.  *q is filled on success and
 * undefined on failure.
 */
ps_status	ps_rest_aggregate_parse(const ps_rest_args *a, const char *accept,
									ps_rest_aggregate *q, ps_error *err);

/*
 * A bucket width: a whole number above zero and a unit, ns, us, ms, s, m
 * (minutes), h or d ("500ms", "1m", "1d"), at most INT64_MAX ns.  Calendar
 * units (months, years) are refused.  *ns written only on success.
 */
ps_status	ps_rest_bucket_parse(const char *s, int64_t *ns, ps_error *err);

/*
 * The columns of by=: comma-separated names, blanks around each ignored;
 * 1..PS_AGG_MAX_GROUP_COLUMNS of them, none empty, over PS_MAX_NAME bytes
 * or repeated.  Whether they exist is the store's business.  cols must
 * have room for PS_AGG_MAX_GROUP_COLUMNS names.  Outputs undefined on failure.
 */
ps_status	ps_rest_by_parse(const char *list, char (*cols)[PS_MAX_NAME + 1], uint32_t *n,
							 ps_error *err);

/*
 * The items of fields=, comma-separated: count(), count(*), count(col),
 * sum(col), avg(col), min(col), max(col), first(col), last(col); function
 * names in any case, blanks around items, names and columns ignored.
 * 1..PS_REST_AGG_MAX_FIELDS items, none repeated (as written).  A column
 * named with a comma cannot be given.  fields must have room for
 * PS_REST_AGG_MAX_FIELDS entries; their keys point into list.  Outputs
 * undefined on failure.
 */
ps_status	ps_rest_fields_parse(const char *list, ps_rest_agg_field *fields, uint32_t *n,
								 ps_error *err);

/* ---- GET /tables/{t}/latest */

/* A parsed GET /tables/{t}/latest (some 4 KB). */
typedef struct ps_rest_latest {
	int64_t		lo, hi;			/* inclusive time range */
	bool		empty;			/* start == end: nothing matches */
	ps_rest_format format;
	ps_rest_time_format time_format;
	uint32_t	nby;			/* 0: the whole table is one group */
	char		by[PS_AGG_MAX_GROUP_COLUMNS][PS_MAX_NAME + 1];
	const char *columns;		/* the columns= list as given (borrowed), NULL = all */
} ps_rest_latest;

/*
 * Parse a latest's arguments (a from PS_REST_ARGS_LATEST): start, end,
 * format (or accept), time_format and columns as for a query, by as for
 * an aggregate (optional here).  *q is filled on success and undefined on
 * failure.
 */
ps_status	ps_rest_latest_parse(const ps_rest_args *a, const char *accept, ps_rest_latest *q,
								 ps_error *err);

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
