/*
 * test_rest_params.c — the REST parameter parser (src/server/ps_rest_params.c):
 * which arguments a route takes as its own, query parsing, the columns list,
 * the series filters of a query (a parameter named after a series-key
 * column, repeatable), and an aggregate's bucket, by and fields.
 * test/fuzz/fuzz_rest_params.c checks the same
 * functions' invariants on arbitrary input; test/rest/test_rest.sh the
 * routes end to end.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "core/ps_series.h"
#include "core/ps_time.h"
#include "server/ps_rest_params.h"

#define assert_message(err, fragment) \
	do { \
		if (strstr((err)->message, (fragment)) == NULL) \
			fail_msg("\"%s\" lacks \"%s\"", (err)->message, (fragment)); \
	} while (0)

/* ts, symbol (text), venue (integer), live (boolean), price, limit (text); key as given. */
static ps_schema *
trades(const char *key)
{
	static const char *const names[] = {"ts", "symbol", "venue", "live", "price", "limit"};
	static const ps_type types[] = {PS_TYPE_TIMESTAMP, PS_TYPE_STRING, PS_TYPE_INTEGER,
	PS_TYPE_BOOLEAN, PS_TYPE_FLOAT, PS_TYPE_STRING};
	ps_schema  *s = NULL;

	assert_int_equal(ps_schema_new(names, types, 6, 0, &s, NULL), PS_OK);
	assert_int_equal(ps_series_key_set(s, key, NULL), PS_OK);
	return s;
}

/* Collect "k=v" strings (NULL-terminated list) as ps_rest_respond.c does: own keys, then the others. */
static size_t
collect(ps_rest_args *a, const char *const *kv, char (*buf)[64], ps_rest_arg *others)
{
	size_t		n = 0;

	ps_rest_args_init(a, PS_REST_ARGS_QUERY);
	for (size_t i = 0; kv[i] != NULL; i++)
	{
		char	   *eq;
		const char *value = NULL;

		strcpy(buf[i], kv[i]);
		if ((eq = strchr(buf[i], '=')) != NULL)
		{
			*eq = '\0';
			value = eq + 1;
		}
		if (!ps_rest_args_add(a, buf[i], value))
			others[n++] = (ps_rest_arg) {buf[i], value != NULL ? value : ""};
	}
	assert_int_equal(a->nothers, n);
	return n;
}

static void
test_own_and_other_keys(void **state)
{
	ps_rest_args a;
	ps_rest_query q;
	ps_error	err;

	(void) state;
	ps_rest_args_init(&a, PS_REST_ARGS_QUERY);
	assert_true(ps_rest_args_add(&a, "limit", "5"));
	assert_false(ps_rest_args_add(&a, "symbol", "AAPL"));
	assert_false(ps_rest_args_add(&a, "symbol", "IBM"));
	assert_false(ps_rest_args_add(&a, "colour", NULL));
	assert_int_equal(a.nothers, 3);
	assert_null(ps_rest_args_get(&a, "symbol"));
	/* Others are the filters' business: the query itself parses. */
	assert_int_equal(ps_rest_query_parse(&a, NULL, &q, &err), PS_OK);
	assert_int_equal(q.limit, 5);
	/* A repeated own key is still refused. */
	assert_true(ps_rest_args_add(&a, "limit", "6"));
	assert_int_equal(ps_rest_query_parse(&a, NULL, &q, &err), PS_EINVAL);
	assert_message(&err, "\"limit\" given twice");

	/* DELETE /rows takes no filters: any other key is unknown. */
	ps_rest_args_init(&a, PS_REST_ARGS_DELETE_ROWS);
	assert_true(ps_rest_args_add(&a, "start", "2024-01-01"));
	assert_true(ps_rest_args_add(&a, "end", "2024-01-02"));
	assert_false(ps_rest_args_add(&a, "symbol", "AAPL"));
	assert_int_equal(a.nothers, 0);
	{
		int64_t		start, end;

		assert_int_equal(ps_rest_delete_range_parse(&a, &start, &end, &err), PS_EINVAL);
		assert_message(&err, "unknown parameter \"symbol\"");
	}
}

static void
test_query_parse(void **state)
{
	static const char *const kv[] = {"start=2024-01-01", "end=2024-01-02", "order=desc",
	"format=csv", "offset=3", NULL};
	char		buf[8][64];
	ps_rest_arg others[8];
	ps_rest_args a;
	ps_rest_query q;
	ps_error	err;

	(void) state;
	assert_int_equal(collect(&a, kv, buf, others), 0);
	assert_int_equal(ps_rest_query_parse(&a, NULL, &q, &err), PS_OK);
	assert_true(q.descending);
	assert_int_equal(q.format, PS_REST_FORMAT_CSV);
	assert_int_equal(q.limit, 0);
	assert_int_equal(q.offset, 3);
	assert_int_equal(q.hi - q.lo + 1, INT64_C(86400000000000));
	ps_rest_args_init(&a, PS_REST_ARGS_QUERY);
	assert_int_equal(ps_rest_query_parse(&a, "text/html, application/x-ndjson;q=0.9", &q, &err),
					 PS_OK);
	assert_int_equal(q.format, PS_REST_FORMAT_NDJSON);
	assert_int_equal(q.limit, 0);
	ps_rest_args_init(&a, PS_REST_ARGS_QUERY);
	assert_int_equal(ps_rest_query_parse(&a, NULL, &q, &err), PS_OK);
	assert_int_equal(q.limit, PS_REST_JSON_LIMIT_DEFAULT);
}

static void
test_columns(void **state)
{
	ps_schema  *s = trades("symbol");
	uint32_t	cols[6];
	uint32_t	n;
	ps_error	err;

	(void) state;
	assert_int_equal(ps_rest_columns_parse(s, "t", "price,symbol", cols, &n, &err), PS_OK);
	assert_int_equal(n, 3);
	assert_int_equal(cols[0], 0);
	assert_int_equal(cols[1], 4);
	assert_int_equal(cols[2], 1);
	assert_int_equal(ps_rest_columns_parse(s, "t", "nosuch", cols, &n, &err), PS_EINVAL);
	assert_message(&err, "nosuch");
	ps_schema_free(s);
}

static void
test_filters(void **state)
{
	/* Interleaved columns, given out of key order; own keys mixed in. */
	static const char *const kv[] = {"venue=7", "symbol=AAPL", "limit=10", "live=true",
	"symbol=IBM", "venue=-2", "symbol=", NULL};
	ps_schema  *s = trades("symbol,venue,live");
	char		buf[8][64];
	ps_rest_arg others[8];
	ps_series_filter f[PS_MAX_SERIES_COLUMNS];
	ps_value	values[8];
	uint32_t	nf = 0;
	ps_rest_args a;
	size_t		n;
	ps_error	err;

	(void) state;
	n = collect(&a, kv, buf, others);
	assert_int_equal(n, 6);
	assert_string_equal(ps_rest_args_get(&a, "limit"), "10");
	assert_int_equal(ps_rest_filters_parse(s, "t", others, n, f, &nf, values, &err), PS_OK);
	assert_int_equal(nf, 3);
	/* Key order, each filter's values together in request order. */
	assert_string_equal(f[0].column, "symbol");
	assert_int_equal(f[0].nvalues, 3);
	assert_true(f[0].values == values);
	assert_int_equal(f[0].values[0].v.s.len, 4);
	assert_memory_equal(f[0].values[0].v.s.ptr, "AAPL", 4);
	assert_memory_equal(f[0].values[1].v.s.ptr, "IBM", 3);
	assert_false(f[0].values[2].is_null);	/* symbol= is the empty string, not NULL */
	assert_int_equal(f[0].values[2].v.s.len, 0);
	assert_string_equal(f[1].column, "venue");
	assert_int_equal(f[1].nvalues, 2);
	assert_true(f[1].values == values + 3);
	assert_int_equal(f[1].values[0].v.i, 7);
	assert_int_equal(f[1].values[1].v.i, -2);
	assert_string_equal(f[2].column, "live");
	assert_int_equal(f[2].nvalues, 1);
	assert_true(f[2].values[0].v.b);

	/* No filter arguments: no filters. */
	assert_int_equal(ps_rest_filters_parse(s, "t", others, 0, f, &nf, values, &err), PS_OK);
	assert_int_equal(nf, 0);
	ps_schema_free(s);
}

static void
expect_filter_error(const char *key, const char *const *kv, const char *fragment)
{
	ps_schema  *s = trades(key);
	char		buf[8][64];
	ps_rest_arg others[8];
	ps_series_filter f[PS_MAX_SERIES_COLUMNS];
	ps_value	values[8];
	uint32_t	nf;
	ps_rest_args a;
	size_t		n = collect(&a, kv, buf, others);
	ps_error	err;

	assert_int_equal(ps_rest_filters_parse(s, "trades", others, n, f, &nf, values, &err),
					 PS_EINVAL);
	assert_message(&err, fragment);
	ps_schema_free(s);
}

static void
test_filter_errors(void **state)
{
	static const char *const bad_int[] = {"symbol=AAPL", "venue=7x", NULL};
	static const char *const bad_bool[] = {"live=maybe", NULL};
	static const char *const unknown[] = {"symbol=AAPL", "colour=red", NULL};
	static const char *const not_key[] = {"price=1", NULL};
	static const char *const first[] = {"colour=red", "venue=x", NULL};
	static const char *const no_key[] = {"symbol=AAPL", NULL};
	static const char *const bad_utf8[] = {"symbol=\xff", NULL};
	static const char *const clash[] = {"limit=IBM", NULL};

	(void) state;
	expect_filter_error("symbol,venue", bad_int, "parameter \"venue\": invalid integer");
	expect_filter_error("live", bad_bool, "parameter \"live\": invalid boolean");
	expect_filter_error("symbol", unknown, "unknown parameter \"colour\"");
	expect_filter_error("symbol", not_key, "not in the series key of table trades");
	expect_filter_error("symbol,venue", first, "unknown parameter \"colour\"");
	expect_filter_error("", no_key, "table trades has no series key");
	expect_filter_error("symbol", bad_utf8, "parameter \"symbol\": invalid UTF-8");

	/* A key column named like a parameter of the route is that parameter, never a filter. */
	{
		ps_rest_args a;
		ps_rest_query q;
		char		buf[8][64];
		ps_rest_arg others[8];
		ps_error	err;

		assert_int_equal(collect(&a, clash, buf, others), 0);
		assert_int_equal(ps_rest_query_parse(&a, NULL, &q, &err), PS_EINVAL);
		assert_message(&err, "parameter \"limit\"");
	}
}

static void
test_bucket(void **state)
{
	static const struct {
		const char *text;
		int64_t		ns;
	}			good[] = {
		{"1ns", 1}, {"500ms", INT64_C(500000000)}, {"1s", INT64_C(1000000000)},
		{"1m", INT64_C(60000000000)}, {"5m", INT64_C(300000000000)},
		{"1h", INT64_C(3600000000000)}, {"1d", INT64_C(86400000000000)},
		{"250us", INT64_C(250000)}, {"0007s", INT64_C(7000000000)},
		{"9223372036854775807ns", INT64_MAX}, {"106751d", INT64_C(106751) * INT64_C(86400000000000)},
	};
	static const struct {
		const char *text;
		const char *fragment;
	}			bad[] = {
		{"0s", "above zero"}, {"0ns", "above zero"}, {"", "whole number and a unit"},
		{"m", "whole number and a unit"}, {"5", "whole number and a unit"},
		{"-5m", "whole number and a unit"}, {"1.5s", "whole number and a unit"},
		{"5 m", "whole number and a unit"}, {"5min", "whole number and a unit"},
		{"1S", "whole number and a unit"}, {"1w", "whole number and a unit"},
		{"1mo", "months and years"}, {"3months", "months and years"}, {"1M", "months and years"},
		{"1y", "months and years"},
		{"9223372036854775808ns", "wider than"}, {"106752d", "wider than"},
		{"99999999999999999999999s", "wider than"},
	};
	ps_error	err;

	(void) state;
	for (size_t i = 0; i < sizeof good / sizeof good[0]; i++)
	{
		int64_t		ns = 0;

		assert_int_equal(ps_rest_bucket_parse(good[i].text, &ns, &err), PS_OK);
		assert_int_equal(ns, good[i].ns);
	}
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
	{
		int64_t		ns = 42;

		if (ps_rest_bucket_parse(bad[i].text, &ns, &err) != PS_EINVAL)
			fail_msg("bucket \"%s\" parsed", bad[i].text);
		assert_message(&err, "parameter \"bucket\"");
		assert_message(&err, bad[i].fragment);
		assert_int_equal(ns, 42);
	}
}

static void
test_by(void **state)
{
	char		cols[PS_AGG_MAX_GROUP_COLUMNS][PS_MAX_NAME + 1];
	char		many[PS_AGG_MAX_GROUP_COLUMNS * 4 + 8] = "";
	char		long_name[PS_MAX_NAME + 2];
	uint32_t	n = 0;
	ps_error	err;

	(void) state;
	assert_int_equal(ps_rest_by_parse("symbol", cols, &n, &err), PS_OK);
	assert_int_equal(n, 1);
	assert_string_equal(cols[0], "symbol");
	/* Blanks around names go; inner ones stay (column names may hold spaces). */
	assert_int_equal(ps_rest_by_parse(" venue ,\ta b\t, live", cols, &n, &err), PS_OK);
	assert_int_equal(n, 3);
	assert_string_equal(cols[0], "venue");
	assert_string_equal(cols[1], "a b");
	assert_string_equal(cols[2], "live");
	assert_int_equal(ps_rest_by_parse("", cols, &n, &err), PS_EINVAL);
	assert_message(&err, "parameter \"by\": empty column name");
	assert_int_equal(ps_rest_by_parse("a,,b", cols, &n, &err), PS_EINVAL);
	assert_message(&err, "empty column name");
	assert_int_equal(ps_rest_by_parse("a, ", cols, &n, &err), PS_EINVAL);
	assert_message(&err, "empty column name");
	assert_int_equal(ps_rest_by_parse("a,b, a", cols, &n, &err), PS_EINVAL);
	assert_message(&err, "column \"a\" listed twice");
	memset(long_name, 'x', PS_MAX_NAME + 1);
	long_name[PS_MAX_NAME + 1] = '\0';
	assert_int_equal(ps_rest_by_parse(long_name, cols, &n, &err), PS_EINVAL);
	assert_message(&err, "too long");
	long_name[PS_MAX_NAME] = '\0';
	assert_int_equal(ps_rest_by_parse(long_name, cols, &n, &err), PS_OK);
	/* PS_AGG_MAX_GROUP_COLUMNS names pass, one more does not. */
	for (int i = 0; i < PS_AGG_MAX_GROUP_COLUMNS; i++)
		sprintf(many + strlen(many), "%sc%d", i > 0 ? "," : "", i);
	assert_int_equal(ps_rest_by_parse(many, cols, &n, &err), PS_OK);
	assert_int_equal(n, PS_AGG_MAX_GROUP_COLUMNS);
	strcat(many, ",extra");
	assert_int_equal(ps_rest_by_parse(many, cols, &n, &err), PS_EINVAL);
	assert_message(&err, "at most");
}

static void
expect_field(const ps_rest_agg_field *f, ps_rest_agg_fn fn, const char *key, const char *column)
{
	assert_int_equal(f->fn, fn);
	assert_int_equal(f->key_len, strlen(key));
	assert_memory_equal(f->key, key, f->key_len);
	assert_string_equal(f->column, column);
}

static void
test_fields(void **state)
{
	static ps_rest_agg_field f[PS_REST_AGG_MAX_FIELDS];
	static const struct {
		const char *list;
		const char *fragment;
	}			bad[] = {
		{"", "empty field"}, {"count(),", "empty field"}, {" , count()", "empty field"},
		{"count", "bad field \"count\": expected a function"},
		{"sum(qty", "bad field \"sum(qty\""}, {"(qty)", "unknown function"},
		{"median(qty)", "bad field \"median(qty)\": unknown function"},
		{"sum()", "bad field \"sum()\": a column is required"},
		{"avg( )", "a column is required"},
		{"max(price) x", "expected a function"},
		{"count(),max(price),count()", "bad field \"count()\": listed twice"},
	};
	uint32_t	n = 0;
	ps_error	err;
	char		list[PS_REST_AGG_MAX_FIELDS * 12 + 16] = "";

	(void) state;
	assert_int_equal(ps_rest_fields_parse("count(),count(*),count(price),sum(qty),avg(qty),"
										  "min(price),max(price),first(note),last(note)",
										  f, &n, &err), PS_OK);
	assert_int_equal(n, 9);
	expect_field(&f[0], PS_REST_AGG_COUNT_ALL, "count()", "");
	expect_field(&f[1], PS_REST_AGG_COUNT_ALL, "count(*)", "");
	expect_field(&f[2], PS_REST_AGG_COUNT, "count(price)", "price");
	expect_field(&f[3], PS_REST_AGG_SUM, "sum(qty)", "qty");
	expect_field(&f[4], PS_REST_AGG_AVG, "avg(qty)", "qty");
	expect_field(&f[5], PS_REST_AGG_MIN, "min(price)", "price");
	expect_field(&f[6], PS_REST_AGG_MAX, "max(price)", "price");
	expect_field(&f[7], PS_REST_AGG_FIRST, "first(note)", "note");
	expect_field(&f[8], PS_REST_AGG_LAST, "last(note)", "note");
	/* Blanks around items and inside the parentheses; any case; keys as written, less outer blanks. */
	assert_int_equal(ps_rest_fields_parse(" count( ) ,\tMAX ( a b )\t,Sum(f(x))", f, &n, &err),
					 PS_OK);
	assert_int_equal(n, 3);
	expect_field(&f[0], PS_REST_AGG_COUNT_ALL, "count( )", "");
	expect_field(&f[1], PS_REST_AGG_MAX, "MAX ( a b )", "a b");
	expect_field(&f[2], PS_REST_AGG_SUM, "Sum(f(x))", "f(x)");
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
	{
		if (ps_rest_fields_parse(bad[i].list, f, &n, &err) != PS_EINVAL)
			fail_msg("fields \"%s\" parsed", bad[i].list);
		assert_message(&err, "parameter \"fields\"");
		assert_message(&err, bad[i].fragment);
	}
	/* PS_REST_AGG_MAX_FIELDS fields pass, one more does not. */
	for (int i = 0; i < PS_REST_AGG_MAX_FIELDS; i++)
		sprintf(list + strlen(list), "%smax(c%d)", i > 0 ? "," : "", i);
	assert_int_equal(ps_rest_fields_parse(list, f, &n, &err), PS_OK);
	assert_int_equal(n, PS_REST_AGG_MAX_FIELDS);
	strcat(list, ",count()");
	assert_int_equal(ps_rest_fields_parse(list, f, &n, &err), PS_EINVAL);
	assert_message(&err, "at most");
}

/* Collect kv for an aggregate and parse it; the others (series filters) are counted. */
static ps_status
parse_aggregate(const char *const *kv, const char *accept, ps_rest_aggregate *q, size_t *nothers,
				ps_error *err)
{
	char		buf[8][64];
	ps_rest_args a;

	ps_rest_args_init(&a, PS_REST_ARGS_AGGREGATE);
	for (size_t i = 0; kv[i] != NULL; i++)
	{
		char	   *eq;

		strcpy(buf[i], kv[i]);
		eq = strchr(buf[i], '=');
		*eq = '\0';
		ps_rest_args_add(&a, buf[i], eq + 1);
	}
	*nothers = a.nothers;
	return ps_rest_aggregate_parse(&a, accept, q, err);
}

static void
test_aggregate_parse(void **state)
{
	static ps_rest_aggregate q;
	static const char *const full[] = {"start=2024-01-01", "end=2024-01-02", "bucket=5m",
	"by=symbol,venue", "fields=count(),last(price)", "symbol=AAPL", "time_format=ms", NULL};
	static const char *const plain[] = {"fields=sum(qty)", NULL};
	static const char *const empty[] = {"fields=count()", "start=2024-01-01", "end=2024-01-01", NULL};
	static const char *const no_fields[] = {"by=symbol", NULL};
	static const char *const by_bucket[] = {"by=bucket", "bucket=1s", "fields=count()", NULL};
	static const char *const by_bucket_alone[] = {"by=bucket", "fields=count()", NULL};
	static const char *const bad_format[] = {"fields=count()", "format=xml", NULL};
	static const char *const twice[] = {"fields=count()", "bucket=1s", "bucket=1m", NULL};
	static const char *const backwards[] = {"fields=count()", "start=2024-01-02", "end=2024-01-01", NULL};
	static const char *const no_limit[] = {"fields=count()", "limit=5", NULL};
	size_t		nothers;
	ps_error	err;

	(void) state;
	assert_int_equal(parse_aggregate(full, NULL, &q, &nothers, &err), PS_OK);
	assert_int_equal(nothers, 1);
	assert_int_equal(q.hi - q.lo + 1, INT64_C(86400000000000));
	assert_false(q.empty);
	assert_int_equal(q.bucket, INT64_C(300000000000));
	assert_int_equal(q.nby, 2);
	assert_string_equal(q.by[0], "symbol");
	assert_string_equal(q.by[1], "venue");
	assert_int_equal(q.nfields, 2);
	expect_field(&q.fields[1], PS_REST_AGG_LAST, "last(price)", "price");
	assert_int_equal(q.format, PS_REST_FORMAT_JSON);
	assert_int_equal(q.time_format, PS_REST_TIME_MS);

	/* Defaults: the whole time line, no bucket, no groups; Accept chooses the format. */
	assert_int_equal(parse_aggregate(plain, "text/csv", &q, &nothers, &err), PS_OK);
	assert_int_equal(q.lo, PS_TIME_MIN);
	assert_int_equal(q.hi, PS_TIME_MAX);
	assert_int_equal(q.bucket, 0);
	assert_int_equal(q.nby, 0);
	assert_int_equal(q.format, PS_REST_FORMAT_CSV);
	assert_int_equal(q.time_format, PS_REST_TIME_ISO);
	assert_int_equal(parse_aggregate(empty, NULL, &q, &nothers, &err), PS_OK);
	assert_true(q.empty);
	/* A column called bucket is fine unless the bucket's own key is there. */
	assert_int_equal(parse_aggregate(by_bucket_alone, NULL, &q, &nothers, &err), PS_OK);

	assert_int_equal(parse_aggregate(no_fields, NULL, &q, &nothers, &err), PS_EINVAL);
	assert_message(&err, "parameter \"fields\" is required");
	assert_int_equal(parse_aggregate(by_bucket, NULL, &q, &nothers, &err), PS_EINVAL);
	assert_message(&err, "parameter \"by\"");
	assert_int_equal(parse_aggregate(bad_format, NULL, &q, &nothers, &err), PS_EINVAL);
	assert_message(&err, "parameter \"format\"");
	assert_int_equal(parse_aggregate(twice, NULL, &q, &nothers, &err), PS_EINVAL);
	assert_message(&err, "parameter \"bucket\" given twice");
	assert_int_equal(parse_aggregate(backwards, NULL, &q, &nothers, &err), PS_EINVAL);
	assert_message(&err, "parameter \"end\"");
	/* limit is a query's, not an aggregate's: it is left to the filters, which refuse it. */
	assert_int_equal(parse_aggregate(no_limit, NULL, &q, &nothers, &err), PS_OK);
	assert_int_equal(nothers, 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_own_and_other_keys),
		cmocka_unit_test(test_query_parse),
		cmocka_unit_test(test_columns),
		cmocka_unit_test(test_filters),
		cmocka_unit_test(test_filter_errors),
		cmocka_unit_test(test_bucket),
		cmocka_unit_test(test_by),
		cmocka_unit_test(test_fields),
		cmocka_unit_test(test_aggregate_parse),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
