/*
 * test_series.c — series keys: the series_key option, inference from column
 * names, the catalog form of a schema with a key, and key tuples.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "core/ps_series.h"

static ps_schema *
make(const char *const *names, const ps_type *types, uint32_t n, uint32_t time_index)
{
	ps_schema  *s = NULL;

	assert_int_equal(ps_schema_new(names, types, n, time_index, &s, NULL), PS_OK);
	return s;
}

static ps_schema *
ticks(void)
{
	static const char *const names[] = {"ts", "Symbol", "price", "venue", "id", "flag"};
	static const ps_type types[] = {PS_TYPE_TIMESTAMP, PS_TYPE_STRING, PS_TYPE_FLOAT,
	PS_TYPE_STRING, PS_TYPE_INTEGER, PS_TYPE_BOOLEAN};

	return make(names, types, 6, 0);
}

static void
expect_set_error(ps_schema *s, const char *list, const char *fragment)
{
	ps_error	e;
	uint32_t	before = s->nseries;

	assert_int_equal(ps_series_key_set(s, list, &e), PS_EINVAL);
	if (!strstr(e.message, fragment))
		fail_msg("\"%s\" lacks \"%s\"", e.message, fragment);
	assert_non_null(strstr(e.message, "series_key"));
	assert_int_equal(s->nseries, before);
}

static void
test_key_option(void **state)
{
	ps_schema  *s = ticks();

	(void) state;
	assert_int_equal(ps_series_key_set(s, "venue,id,flag", NULL), PS_OK);
	assert_int_equal(s->nseries, 3);
	assert_int_equal(s->series[0], 3);
	assert_int_equal(s->series[1], 4);
	assert_int_equal(s->series[2], 5);
	assert_true(ps_schema_is_series(s, 4));
	assert_false(ps_schema_is_series(s, 1));
	assert_int_equal(ps_series_key_set(s, "", NULL), PS_OK);
	assert_int_equal(s->nseries, 0);
	expect_set_error(s, "nope", "\"nope\" does not exist");
	expect_set_error(s, "ts", "time column");
	expect_set_error(s, "price", "type Float");
	expect_set_error(s, "venue,venue", "named twice");
	expect_set_error(s, "venue,", "empty column name");
	expect_set_error(s, ",venue", "empty");
	expect_set_error(s, "symbol", "\"symbol\" does not exist");	/* names are exact */
	ps_schema_free(s);
}

static void
test_key_inference(void **state)
{
	static const char *const n1[] = {"ts", "price", "TICKER", "isin"};
	static const ps_type t1[] = {PS_TYPE_TIMESTAMP, PS_TYPE_FLOAT, PS_TYPE_STRING, PS_TYPE_STRING};
	static const char *const n2[] = {"ts", "symbol", "name"};
	static const ps_type t2[] = {PS_TYPE_TIMESTAMP, PS_TYPE_INTEGER, PS_TYPE_STRING};
	ps_schema  *s;

	(void) state;
	s = ticks();
	ps_series_key_infer(s);
	assert_int_equal(s->nseries, 1);
	assert_int_equal(s->series[0], 1);	/* "Symbol", any case */
	ps_schema_free(s);
	s = make(n1, t1, 4, 0);
	ps_series_key_infer(s);
	assert_int_equal(s->nseries, 1);
	assert_int_equal(s->series[0], 2);	/* the first that fits */
	ps_schema_free(s);
	s = make(n2, t2, 3, 0);
	ps_series_key_infer(s);
	assert_int_equal(s->nseries, 0);	/* an integer "symbol" is not inferred */
	ps_schema_free(s);
}

static void
test_schema_catalog_form(void **state)
{
	ps_schema  *s = ticks(), *back = NULL;
	ps_buf		b = PS_BUF_INIT;
	ps_error	e;

	(void) state;
	assert_int_equal(ps_series_key_set(s, "id,Symbol", NULL), PS_OK);
	assert_int_equal(ps_schema_serialize(s, &b), PS_OK);
	assert_int_equal(b.data[0], 2);
	assert_int_equal(ps_schema_deserialize(b.data, b.len, &back, NULL), PS_OK);
	assert_int_equal(back->nseries, 2);
	assert_int_equal(back->series[0], 4);
	assert_int_equal(back->series[1], 1);
	ps_schema_free(back);
	back = ps_schema_copy(s);
	assert_int_equal(back->nseries, 2);
	assert_int_equal(back->series[1], 1);
	ps_schema_free(back);

	/* A key naming the time column, a float or a column twice is corrupt. */
	b.data[b.len - 1] = 0;
	assert_int_equal(ps_schema_deserialize(b.data, b.len, &back, &e), PS_ECORRUPT);
	b.data[b.len - 1] = 2;
	assert_int_equal(ps_schema_deserialize(b.data, b.len, &back, &e), PS_ECORRUPT);
	b.data[b.len - 1] = 4;
	assert_int_equal(ps_schema_deserialize(b.data, b.len, &back, &e), PS_ECORRUPT);
	b.data[b.len - 1] = 9;
	assert_int_equal(ps_schema_deserialize(b.data, b.len, &back, &e), PS_ECORRUPT);

	/* Version 1 (no key) still reads, for stores being upgraded. */
	ps_buf_reset(&b);
	s->nseries = 0;
	assert_int_equal(ps_schema_serialize(s, &b), PS_OK);
	b.data[0] = 1;
	b.len--;			/* drop the empty key */
	assert_int_equal(ps_schema_deserialize(b.data, b.len, &back, NULL), PS_OK);
	assert_int_equal(back->nseries, 0);
	assert_int_equal(back->ncolumns, 6);
	ps_schema_free(back);
	ps_schema_free(s);
	ps_buf_free(&b);
}

static void
test_tuples(void **state)
{
	ps_schema  *s = ticks();
	ps_value	row[6], back[6];
	ps_buf		b = PS_BUF_INIT;
	ps_error	e;

	(void) state;
	memset(row, 0, sizeof row);
	assert_int_equal(ps_series_key_set(s, "Symbol,id,flag", NULL), PS_OK);
	row[1].v.s.ptr = "AAPL";
	row[1].v.s.len = 4;
	row[4].v.i = -5;
	row[5].is_null = true;
	assert_int_equal(ps_series_tuple_encode(s, row, &b), PS_OK);
	assert_int_equal(b.len, 1 + 1 + 4 + 1 + 8 + 1);
	memset(back, 0, sizeof back);
	assert_int_equal(ps_series_tuple_decode(s, b.data, b.len, back, NULL), PS_OK);
	assert_int_equal(back[1].v.s.len, 4);
	assert_memory_equal(back[1].v.s.ptr, "AAPL", 4);
	assert_int_equal(back[4].v.i, -5);
	assert_true(back[5].is_null);
	/* Every truncation and a trailing byte are corrupt. */
	for (size_t n = 0; n < b.len; n++)
		assert_int_equal(ps_series_tuple_decode(s, b.data, n, back, &e), PS_ECORRUPT);
	ps_buf_append_u8(&b, 0);
	assert_int_equal(ps_series_tuple_decode(s, b.data, b.len, back, &e), PS_ECORRUPT);

	/* Integer tuples sort as the integers do. */
	{
		ps_buf		lo = PS_BUF_INIT, hi = PS_BUF_INIT;

		row[4].v.i = -1;
		ps_series_tuple_encode(s, row, &lo);
		row[4].v.i = 1;
		ps_series_tuple_encode(s, row, &hi);
		assert_true(memcmp(lo.data, hi.data, lo.len) < 0);
		ps_buf_free(&lo);
		ps_buf_free(&hi);
	}
	ps_buf_free(&b);
	ps_schema_free(s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_key_option),
		cmocka_unit_test(test_key_inference),
		cmocka_unit_test(test_schema_catalog_form),
		cmocka_unit_test(test_tuples),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
