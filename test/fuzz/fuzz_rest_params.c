/*
 * fuzz_rest_params.c — libFuzzer target for the REST parameter parsing
 * (src/server/ps_rest_params.c).
 *
 * Input layout: a query string, optionally followed by '\n' and an Accept
 * header.  The query string is split as libmicrohttpd splits it ('&'
 * between arguments, the first '=' between key and value, '+' read as a
 * space, then %HH decoding by ps_rest_unescape) and fed to the collectors of
 * the three routes; the parsed query's columns= list is resolved against a fixed
 * schema whose time column is not the first, and the query's other
 * arguments are parsed as series filters against that schema, whose series
 * key is sym (text), qty (integer), "a b" (boolean) and order (text, named
 * like a parameter of the route).
 *
 * Invariants (abort() on violation; ASan/UBSan catch the rest):
 *  - unescape never lengthens its input nor introduces a NUL;
 *  - a failure is PS_EINVAL with a terminated message naming a parameter;
 *  - a parsed query has a known format and time format, lo <= hi, a limit
 *    within its format's bounds (default 1000 for JSON), and its columns
 *    pointer is the value collected for "columns";
 *  - a parsed delete range has start < end, equal to the times parsed alone;
 *  - a resolved column list names every column at most once, the time
 *    column exactly once, and is the whole schema when no list is given;
 *  - the query collector keeps exactly the arguments that are not its own
 *    keys for the filters, and the delete collector refuses them;
 *  - parsed series filters are series-key columns in key order, never one
 *    named like a parameter of the route, whose values (one per argument,
 *    none lost) equal each argument converted alone, in request order;
 *  - ps_rest_parse_u64 succeeds exactly on digit strings in range;
 *  - the aggregate collector counts exactly the arguments that are not its
 *    own keys (its series filters);
 *    a parsed aggregate has a known format and time format, lo <= hi, a
 *    bucket of 0 exactly when none is given, by and fields as their own
 *    parsers give them, and no by column named "bucket" when bucketed;
 *  - ps_rest_bucket_parse (fed the raw first line too) succeeds exactly on
 *    a whole number above zero and a unit (ns us ms s m h d) whose product
 *    fits in int64, and returns that product;
 *  - ps_rest_by_parse and ps_rest_fields_parse (fed the raw first line
 *    too) give one item per comma-separated part, each trimmed of blanks,
 *    non-empty, at most PS_MAX_NAME bytes of column, and unique; a field's
 *    key lies inside the list and ends with ')', its column is empty
 *    exactly for count() and count(*).
 *
 * Build and run: `make fuzz` (all targets), or
 *   make build/fuzz/fuzz_rest_params
 *   build/fuzz/fuzz_rest_params -max_total_time=60 test/fuzz/corpus/rest_params
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/ps_schema.h"
#include "core/ps_series.h"
#include "server/ps_rest_params.h"

#define MAX_INPUT 4096
#define NCOLUMNS 7

int			LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static ps_schema *schema;
/* The query's arguments that are not its own keys (at most one per input byte, plus one). */
static ps_rest_arg others[MAX_INPUT + 1];
static size_t nothers;
static ps_value values[MAX_INPUT + 1];
/* Parsed aggregates and lists (some 25 KB each: not on the stack). */
static ps_rest_aggregate agg;
static ps_rest_agg_field fields[PS_REST_AGG_MAX_FIELDS];
static char by_cols[PS_AGG_MAX_GROUP_COLUMNS][PS_MAX_NAME + 1];

static void
check(int ok, const char *what)
{
	if (!ok)
	{
		fprintf(stderr, "fuzz_rest_params: invariant broken: %s\n", what);
		abort();
	}
}

static void
free_schema(void)
{
	ps_schema_free(schema);
}

static void
make_schema_once(void)
{
	static const char *const names[NCOLUMNS] = {"sym", "ts", "px", "qty", "a b",
												"\xc3\xa9t\xc3\xa9", "order"};
	static const ps_type types[NCOLUMNS] = {PS_TYPE_STRING, PS_TYPE_TIMESTAMP, PS_TYPE_FLOAT,
											PS_TYPE_INTEGER, PS_TYPE_BOOLEAN, PS_TYPE_STRING,
											PS_TYPE_STRING};
	ps_error	err;

	if (schema != NULL)
		return;
	check(ps_schema_new(names, types, NCOLUMNS, 1, &schema, &err) == PS_OK, "schema builds");
	check(ps_series_key_set(schema, "sym,qty,a b,order", &err) == PS_OK, "series key set");
	atexit(free_schema);
}

static void
check_error(const ps_error *err)
{
	check(err->code == PS_EINVAL, "failures are PS_EINVAL");
	check(memchr(err->message, '\0', sizeof err->message) != NULL, "message terminated");
	check(strstr(err->message, "parameter") != NULL, "message names a parameter");
}

/* Split like libmicrohttpd and unescape each key and value in place. */
static void
collect(char *query, ps_rest_args *query_args, ps_rest_args *delete_args,
		ps_rest_args *agg_args)
{
	char	   *p = query;
	size_t		agg_others = 0;

	while (*p != '\0')
	{
		char	   *amp = strchr(p, '&');
		char	   *next = amp != NULL ? amp + 1 : p + strlen(p);
		char	   *eq;
		char	   *value = NULL;

		if (amp != NULL)
			*amp = '\0';
		eq = strchr(p, '=');
		if (eq != NULL)
		{
			*eq = '\0';
			value = eq + 1;
		}
		for (char *c = p; *c; c++)
			if (*c == '+')
				*c = ' ';
		for (char *c = value; c != NULL && *c; c++)
			if (*c == '+')
				*c = ' ';
		{
			size_t		before = strlen(p);
			size_t		after = ps_rest_unescape(p);

			check(after <= before && strlen(p) == after, "unescape shrinks, adds no NUL");
		}
		if (value != NULL)
		{
			size_t		before = strlen(value);
			size_t		after = ps_rest_unescape(value);

			check(after <= before && strlen(value) == after, "unescape shrinks, adds no NUL");
		}
		{
			bool		own = ps_rest_args_add(query_args, p, value);

			if (!own)
				others[nothers++] = (ps_rest_arg) {p, value != NULL ? value : ""};
			check(query_args->nothers == nothers, "the query counts the arguments it does not take");
			check(ps_rest_args_add(delete_args, p, value) ||
				  delete_args->error.code == PS_EINVAL, "delete refuses other keys");
			check(own == (ps_rest_args_get(query_args, p) != NULL), "own keys read back");
			own = ps_rest_args_add(agg_args, p, value);
			agg_others += !own;
			check(agg_args->nothers == agg_others, "the aggregate counts the arguments it does not take");
			check(own == (ps_rest_args_get(agg_args, p) != NULL), "the aggregate's own keys read back");
		}
		p = next;
	}
}

static void
check_columns(const char *list)
{
	uint32_t	cols[NCOLUMNS];
	uint32_t	n = 0;
	uint32_t	seen[NCOLUMNS] = {0};
	ps_error	err;

	if (ps_rest_columns_parse(schema, "t", list, cols, &n, &err) != PS_OK)
	{
		check_error(&err);
		return;
	}
	check(n >= 1 && n <= schema->ncolumns, "column count bounded");
	for (uint32_t i = 0; i < n; i++)
	{
		check(cols[i] < schema->ncolumns, "column index in range");
		seen[cols[i]]++;
		check(seen[cols[i]] == 1, "no column twice");
	}
	check(seen[schema->time_index] == 1, "time column present once");
	check(list != NULL || n == schema->ncolumns, "no list: every column");
}

static void
check_query(const ps_rest_args *a, const char *accept)
{
	ps_rest_query q;
	ps_error	err;

	if (ps_rest_query_parse(a, accept, &q, &err) != PS_OK)
	{
		check_error(&err);
		return;
	}
	check(a->error.code == PS_OK, "collection errors fail the parse");
	check(q.format <= PS_REST_FORMAT_NDJSON, "format known");
	check(q.time_format <= PS_REST_TIME_NS, "time format known");
	check(q.lo <= q.hi || q.empty, "lo <= hi");
	if (q.format == PS_REST_FORMAT_JSON)
		check(q.limit >= 1 && q.limit <= PS_REST_JSON_LIMIT_MAX, "JSON limit bounded");
	else
		check(q.limit <= (uint64_t) INT64_MAX, "export limit bounded");
	if (ps_rest_args_get(a, "limit") == NULL && q.format == PS_REST_FORMAT_JSON)
		check(q.limit == PS_REST_JSON_LIMIT_DEFAULT, "JSON default limit");
	check(q.offset <= (uint64_t) INT64_MAX, "offset bounded");
	check(q.columns == ps_rest_args_get(a, "columns"), "columns borrowed as given");
	check_columns(q.columns);
}

static bool
same_value(ps_type type, const ps_value *a, const ps_value *b)
{
	if (a->is_null || b->is_null)
		return a->is_null == b->is_null;
	if (type == PS_TYPE_STRING)
		return a->v.s.ptr == b->v.s.ptr && a->v.s.len == b->v.s.len;
	if (type == PS_TYPE_BOOLEAN)
		return a->v.b == b->v.b;
	return a->v.i == b->v.i;
}

static void
check_filters(void)
{
	ps_series_filter filters[PS_MAX_SERIES_COLUMNS];
	uint32_t	nfilters = 0;
	size_t		total = 0;
	int			last = -1;
	ps_error	err;

	if (ps_rest_filters_parse(schema, "t", others, nothers, filters, &nfilters, values,
							  &err) != PS_OK)
	{
		check_error(&err);
		return;
	}
	check((nfilters > 0) == (nothers > 0) && nfilters <= schema->nseries, "filter count bounded");
	for (uint32_t f = 0; f < nfilters; f++)
	{
		int			col = ps_schema_find(schema, filters[f].column);
		size_t		j = 0;

		check(col >= 0 && ps_schema_is_series(schema, (uint32_t) col), "filters on key columns");
		check(col > last || f == 0, "filters in key order");	/* the key is in schema order */
		check(strcmp(filters[f].column, "order") != 0, "a parameter's name is never a filter");
		check(filters[f].nvalues > 0 && filters[f].values == values + total, "values back to back");
		last = col;
		for (size_t i = 0; i < nothers; i++)
		{
			ps_value	alone;

			if (strcmp(others[i].key, filters[f].column) != 0)
				continue;
			check(ps_value_from_text(schema->columns[col].type, others[i].value,
									 strlen(others[i].value), NULL, &alone, NULL) == PS_OK,
				  "each value converts alone");
			check(j < filters[f].nvalues &&
				  same_value(schema->columns[col].type, &filters[f].values[j], &alone),
				  "values in request order, as converted alone");
			j++;
		}
		check(j == filters[f].nvalues, "one value per argument");
		total += j;
	}
	check(total == nothers, "no argument lost");
}

static void
check_delete(const ps_rest_args *a)
{
	int64_t		start, end, alone;
	ps_error	err;

	if (ps_rest_delete_range_parse(a, &start, &end, &err) != PS_OK)
	{
		check_error(&err);
		return;
	}
	check(start < end, "delete range non-empty");
	check(ps_rest_time_parse("start", ps_rest_args_get(a, "start"), &alone, NULL) == PS_OK &&
		  alone == start, "start parses alone to the same time");
	check(ps_rest_time_parse("end", ps_rest_args_get(a, "end"), &alone, NULL) == PS_OK &&
		  alone == end, "end parses alone to the same time");
}

static bool
blank(char c)
{
	return c == ' ' || c == '\t';
}

static size_t
commas(const char *s)
{
	size_t		n = 0;

	for (; *s; s++)
		n += *s == ',';
	return n;
}

static void
check_bucket(const char *s)
{
	static const char *const units[] = {"ns", "us", "ms", "s", "m", "h", "d"};
	static const int64_t mult[] = {1, 1000, 1000000, INT64_C(1000000000), INT64_C(60000000000),
								   INT64_C(3600000000000), INT64_C(86400000000000)};
	size_t		digits = strspn(s, "0123456789");
	unsigned __int128 v = 0;
	bool		huge = false;
	int			u = -1;
	int64_t		ns = 0;
	bool		want;
	ps_error	err;

	for (size_t i = 0; i < digits && !huge; i++)
	{
		v = v * 10 + (unsigned) (s[i] - '0');
		huge = v > INT64_MAX;
	}
	for (int i = 0; i < 7; i++)
		if (strcmp(s + digits, units[i]) == 0)
			u = i;
	want = digits > 0 && u >= 0 && !huge && v > 0 && v * (unsigned __int128) mult[u] <= INT64_MAX;
	if (ps_rest_bucket_parse(s, &ns, &err) == PS_OK)
		check(want && (unsigned __int128) ns == v * (unsigned __int128) mult[u],
			  "bucket accepts exactly a positive whole number of a unit within int64, as its product");
	else
	{
		check(!want, "bucket refuses only what is not a positive whole number of a unit within int64");
		check_error(&err);
		check(strstr(err.message, "\"bucket\"") != NULL, "bucket errors name bucket");
	}
}

static void
check_by_list(const char *list, const char (*cols)[PS_MAX_NAME + 1], uint32_t n)
{
	check(n >= 1 && n <= PS_AGG_MAX_GROUP_COLUMNS && n == commas(list) + 1,
		  "by: one column per comma-separated part");
	for (uint32_t i = 0; i < n; i++)
	{
		size_t		len = strlen(cols[i]);

		check(len > 0 && len <= PS_MAX_NAME && !blank(cols[i][0]) && !blank(cols[i][len - 1]) &&
			  strchr(cols[i], ',') == NULL, "by: names trimmed, non-empty, bounded");
		for (uint32_t j = 0; j < i; j++)
			check(strcmp(cols[i], cols[j]) != 0, "by: no column twice");
	}
}

static void
check_field_list(const char *list, const ps_rest_agg_field *f, uint32_t n)
{
	size_t		list_len = strlen(list);

	check(n >= 1 && n <= PS_REST_AGG_MAX_FIELDS && n == commas(list) + 1,
		  "fields: one field per comma-separated part");
	for (uint32_t i = 0; i < n; i++)
	{
		size_t		clen = strlen(f[i].column);

		check(f[i].key >= list && f[i].key_len > 0 && f[i].key + f[i].key_len <= list + list_len,
			  "fields: keys point into the list");
		check(!blank(f[i].key[0]) && f[i].key[f[i].key_len - 1] == ')' &&
			  memchr(f[i].key, ',', f[i].key_len) == NULL, "fields: keys trimmed, end with )");
		check(f[i].fn <= PS_REST_AGG_LAST, "fields: function known");
		check((clen == 0) == (f[i].fn == PS_REST_AGG_COUNT_ALL), "fields: a column unless count()");
		check(clen <= PS_MAX_NAME && (clen == 0 || (!blank(f[i].column[0]) &&
													 !blank(f[i].column[clen - 1]))),
			  "fields: columns trimmed, bounded");
		for (uint32_t j = 0; j < i; j++)
			check(f[i].key_len != f[j].key_len || memcmp(f[i].key, f[j].key, f[i].key_len) != 0,
				  "fields: no key twice");
	}
}

/* The raw text as a by= and a fields= list. */
static void
check_lists(const char *s)
{
	uint32_t	n = 0;
	ps_error	err;

	if (ps_rest_by_parse(s, by_cols, &n, &err) == PS_OK)
		check_by_list(s, (const char (*)[PS_MAX_NAME + 1]) by_cols, n);
	else
		check_error(&err);
	if (ps_rest_fields_parse(s, fields, &n, &err) == PS_OK)
		check_field_list(s, fields, n);
	else
		check_error(&err);
}

static void
check_aggregate(const ps_rest_args *a, const char *accept)
{
	const char *by = ps_rest_args_get(a, "by");
	ps_error	err;

	if (ps_rest_aggregate_parse(a, accept, &agg, &err) != PS_OK)
	{
		check_error(&err);
		return;
	}
	check(a->error.code == PS_OK, "collection errors fail the aggregate's parse");
	check(agg.format <= PS_REST_FORMAT_NDJSON && agg.time_format <= PS_REST_TIME_NS,
		  "aggregate: formats known");
	check(agg.lo <= agg.hi || agg.empty, "aggregate: lo <= hi");
	check((agg.bucket > 0) == (ps_rest_args_get(a, "bucket") != NULL) && agg.bucket >= 0,
		  "aggregate: a bucket exactly when given");
	check((agg.nby > 0) == (by != NULL), "aggregate: by columns exactly when given");
	if (by != NULL)
		check_by_list(by, (const char (*)[PS_MAX_NAME + 1]) agg.by, agg.nby);
	for (uint32_t i = 0; i < agg.nby && agg.bucket > 0; i++)
		check(strcmp(agg.by[i], "bucket") != 0, "aggregate: no by column named bucket with a bucket");
	check(ps_rest_args_get(a, "fields") != NULL, "aggregate: fields required");
	check_field_list(ps_rest_args_get(a, "fields"), agg.fields, agg.nfields);
}

static void
check_u64(const char *s)
{
	uint64_t	v = 0;
	size_t		digits = strspn(s, "0123456789");
	bool		ok = ps_rest_parse_u64(s, 1, PS_REST_JSON_LIMIT_MAX, &v);

	if (ok)
		check(digits > 0 && s[digits] == '\0' && v >= 1 && v <= PS_REST_JSON_LIMIT_MAX,
			  "u64 accepts only digit strings in range");
	else if (digits > 0 && s[digits] == '\0' && digits < 6)
		check(strtoull(s, NULL, 10) < 1 || strtoull(s, NULL, 10) > PS_REST_JSON_LIMIT_MAX,
			  "u64 refuses only out-of-range digit strings");
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char		text[MAX_INPUT + 1];
	char		copy[MAX_INPUT + 1];
	char	   *accept;
	ps_rest_args query_args, delete_args, agg_args;

	if (size > MAX_INPUT)
		return 0;
	make_schema_once();
	memcpy(text, data, size);
	text[size] = '\0';
	/* libmicrohttpd hands over NUL-terminated strings: a NUL ends the input. */
	accept = strchr(text, '\n');
	if (accept != NULL)
		*accept++ = '\0';
	memcpy(copy, text, strlen(text) + 1);
	check_u64(copy);
	check_bucket(copy);
	check_lists(copy);

	ps_rest_args_init(&query_args, PS_REST_ARGS_QUERY);
	ps_rest_args_init(&delete_args, PS_REST_ARGS_DELETE_ROWS);
	ps_rest_args_init(&agg_args, PS_REST_ARGS_AGGREGATE);
	nothers = 0;
	collect(text, &query_args, &delete_args, &agg_args);
	check(ps_rest_args_get(&query_args, "nosuch") == NULL, "unknown keys read as absent");
	check_query(&query_args, accept);
	check_filters();
	check_delete(&delete_args);
	check_aggregate(&agg_args, accept);
	check(ps_rest_accept_has(accept, "text/csv") == ps_rest_accept_has(accept, "TEXT/CSV"),
		  "Accept types are case-insensitive");
	return 0;
}
