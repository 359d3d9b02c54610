/*
 * test_rest_params.c — the REST parameter parser (src/server/ps_rest_params.c):
 * which arguments a route takes as its own, query parsing, the columns list,
 * and the series filters of a query (a parameter named after a series-key
 * column, repeatable).  test/fuzz/fuzz_rest_params.c checks the same
 * functions' invariants on arbitrary input; test/rest/test_rest.sh the
 * routes end to end.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "core/ps_series.h"
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

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_own_and_other_keys),
		cmocka_unit_test(test_query_parse),
		cmocka_unit_test(test_columns),
		cmocka_unit_test(test_filters),
		cmocka_unit_test(test_filter_errors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
