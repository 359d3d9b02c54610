/*
 * test_schema.c — unit tests of ps_schema: building and validating schemas,
 * adding columns, the catalog serialization (round trips, and rejection of
 * every truncation, mutation and piece of garbage), table and column name
 * rules, the type inference lattice, and conversion of text to values.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <math.h>
#include <cmocka.h>

#include "core/ps_schema.h"

#define S(lit) lit, sizeof(lit) - 1

static ps_schema *
make_schema(void)
{
	const char *const names[4] = {"symbol", "ts", "price", "size"};
	const ps_type types[4] = {PS_TYPE_STRING, PS_TYPE_TIMESTAMP, PS_TYPE_FLOAT, PS_TYPE_INTEGER};
	ps_schema  *s = NULL;

	assert_int_equal(ps_schema_new(names, types, 4, 1, &s, NULL), PS_OK);
	assert_non_null(s);
	return s;
}

static void
assert_schema_equal(const ps_schema *a, const ps_schema *b)
{
	assert_int_equal(a->ncolumns, b->ncolumns);
	assert_int_equal(a->time_index, b->time_index);
	assert_int_equal(a->nseries, b->nseries);
	for (uint32_t i = 0; i < a->nseries; i++)
		assert_int_equal(a->series[i], b->series[i]);
	for (uint32_t i = 0; i < a->ncolumns; i++)
	{
		assert_string_equal(a->columns[i].name, b->columns[i].name);
		assert_int_equal(a->columns[i].type, b->columns[i].type);
		assert_int_equal(a->columns[i].nullable, b->columns[i].nullable);
	}
}

/* ---------------------------------------------------------------- building */

static void
test_schema_new_and_helpers(void **state)
{
	ps_schema  *s = make_schema();
	ps_type		vt[3];
	ps_schema  *c;

	(void) state;
	assert_int_equal(s->ncolumns, 4);
	assert_false(s->columns[1].nullable);
	assert_true(s->columns[0].nullable && s->columns[2].nullable && s->columns[3].nullable);
	assert_int_equal(ps_schema_find(s, "price"), 2);
	assert_int_equal(ps_schema_find(s, "Price"), -1);		/* case-sensitive */
	assert_int_equal(ps_schema_find(s, "nope"), -1);
	assert_int_equal(ps_schema_value_count(s), 3);
	ps_schema_value_types(s, vt);
	assert_int_equal(vt[0], PS_TYPE_STRING);
	assert_int_equal(vt[1], PS_TYPE_FLOAT);
	assert_int_equal(vt[2], PS_TYPE_INTEGER);
	assert_int_equal(ps_schema_value_index(s, 0), 0);
	assert_int_equal(ps_schema_value_index(s, 1), UINT32_MAX);
	assert_int_equal(ps_schema_value_index(s, 2), 1);
	assert_int_equal(ps_schema_value_index(s, 3), 2);

	c = ps_schema_copy(s);
	assert_non_null(c);
	assert_schema_equal(s, c);
	assert_ptr_not_equal(c->columns[0].name, s->columns[0].name);
	ps_schema_free(s);
	assert_string_equal(c->columns[0].name, "symbol");	/* deep copy survives */
	ps_schema_free(c);
	ps_schema_free(NULL);
}

static void
expect_new_fails(const char *const *names, const ps_type *types, uint32_t n,
				 uint32_t time_index, ps_status code, const char *fragment)
{
	ps_schema  *s = (ps_schema *) 0x1;	/* must stay untouched */
	ps_error	err;

	assert_int_equal(ps_schema_new(names, types, n, time_index, &s, &err), code);
	assert_int_equal(err.code, code);
	assert_ptr_equal(s, (ps_schema *) 0x1);
	if (fragment)
		assert_non_null(strstr(err.message, fragment));
}

static void
test_schema_new_errors(void **state)
{
	const ps_type t2[2] = {PS_TYPE_TIMESTAMP, PS_TYPE_INTEGER};
	const char *const dup[2] = {"a", "a"};
	const char *const empty[2] = {"ts", ""};
	const char *const null_name[2] = {"ts", NULL};
	const char *const ok[2] = {"ts", "v"};
	const char *const bad_utf8[2] = {"ts", "\xC3\x28"};
	const char *const control[2] = {"ts", "a\tb"};
	const ps_type bad_type[2] = {PS_TYPE_TIMESTAMP, (ps_type) 0};
	char		long_name[PS_MAX_NAME + 2];
	const char *const too_long[2] = {"ts", long_name};

	(void) state;
	expect_new_fails(dup, t2, 2, 0, PS_EINVAL, "duplicate column name \"a\"");
	expect_new_fails(empty, t2, 2, 0, PS_EINVAL, "invalid column name");
	expect_new_fails(null_name, t2, 2, 0, PS_EINVAL, "column 2");
	expect_new_fails(bad_utf8, t2, 2, 0, PS_EINVAL, "\\xc3(");
	expect_new_fails(control, t2, 2, 0, PS_EINVAL, "invalid column name");
	expect_new_fails(ok, t2, 2, 1, PS_EINVAL, "must be of type Timestamp");
	expect_new_fails(ok, t2, 2, 2, PS_EINVAL, "out of range");
	expect_new_fails(ok, bad_type, 2, 0, PS_EINVAL, "invalid type");
	expect_new_fails(ok, t2, 0, 0, PS_EINVAL, NULL);
	expect_new_fails(ok, t2, PS_MAX_COLUMNS + 1, 0, PS_ETOOBIG, "too many columns");

	memset(long_name, 'n', PS_MAX_NAME + 1);
	long_name[PS_MAX_NAME + 1] = '\0';
	expect_new_fails(too_long, t2, 2, 0, PS_EINVAL, "invalid column name");
	long_name[PS_MAX_NAME] = '\0';		/* exactly the limit: fine */
	{
		ps_schema  *s = NULL;

		assert_int_equal(ps_schema_new(too_long, t2, 2, 0, &s, NULL), PS_OK);
		ps_schema_free(s);
	}
}

/* PS_MAX_COLUMNS distinct names: allowed; the next one is refused. */
static ps_schema *
make_wide_schema(char (*names)[16], const char **ptrs, ps_type *types)
{
	ps_schema  *s = NULL;

	for (uint32_t i = 0; i < PS_MAX_COLUMNS; i++)
	{
		snprintf(names[i], 16, "c%u", i);
		ptrs[i] = names[i];
		types[i] = (ps_type) (1 + i % 5);
	}
	types[7] = PS_TYPE_TIMESTAMP;
	assert_int_equal(ps_schema_new(ptrs, types, PS_MAX_COLUMNS, 7, &s, NULL), PS_OK);
	return s;
}

static void
test_add_column(void **state)
{
	ps_schema  *s = make_schema();
	static char names[PS_MAX_COLUMNS][16];
	static const char *ptrs[PS_MAX_COLUMNS];
	static ps_type types[PS_MAX_COLUMNS];
	ps_schema  *wide;
	ps_error	err;

	(void) state;
	assert_int_equal(ps_schema_add_column(s, "venue", PS_TYPE_STRING, &err), PS_OK);
	assert_int_equal(s->ncolumns, 5);
	assert_int_equal(ps_schema_find(s, "venue"), 4);
	assert_true(s->columns[4].nullable);
	assert_int_equal(ps_schema_add_column(s, "price", PS_TYPE_FLOAT, &err), PS_EEXISTS);
	assert_non_null(strstr(err.message, "\"price\""));
	assert_int_equal(ps_schema_add_column(s, "", PS_TYPE_FLOAT, &err), PS_EINVAL);
	assert_int_equal(ps_schema_add_column(s, "x\x7f", PS_TYPE_FLOAT, &err), PS_EINVAL);
	assert_int_equal(ps_schema_add_column(s, "ok", (ps_type) 42, &err), PS_EINVAL);
	assert_int_equal(ps_schema_add_column(s, NULL, PS_TYPE_FLOAT, &err), PS_EINVAL);
	assert_int_equal(s->ncolumns, 5);
	assert_int_equal(ps_schema_value_count(s), 4);
	ps_schema_free(s);

	wide = make_wide_schema(names, ptrs, types);
	assert_int_equal(ps_schema_add_column(wide, "extra", PS_TYPE_FLOAT, &err), PS_ETOOBIG);
	assert_int_equal(wide->ncolumns, PS_MAX_COLUMNS);
	ps_schema_free(wide);
}

/* ---------------------------------------------------------------- serialization */

static void
test_serialize_round_trip(void **state)
{
	ps_schema  *s = make_schema();
	ps_schema  *back = NULL;
	ps_buf		b = PS_BUF_INIT;
	static char names[PS_MAX_COLUMNS][16];
	static const char *ptrs[PS_MAX_COLUMNS];
	static ps_type types[PS_MAX_COLUMNS];
	const uint8_t expect_head[] = {2, 4, 1, 6, 's', 'y', 'm', 'b', 'o', 'l', PS_TYPE_STRING};

	(void) state;
	assert_int_equal(ps_schema_add_column(s, "caf\xC3\xA9", PS_TYPE_BOOLEAN, NULL), PS_OK);
	assert_int_equal(ps_buf_append(&b, "xx", 2), PS_OK);	/* appends */
	assert_int_equal(ps_schema_serialize(s, &b), PS_OK);
	assert_int_equal(b.data[3], 5);
	assert_int_equal(ps_schema_deserialize(b.data + 2, b.len - 2, &back, NULL), PS_OK);
	assert_schema_equal(s, back);
	ps_schema_free(back);
	ps_schema_free(s);

	/* Exact layout of the documented format. */
	s = make_schema();
	ps_buf_reset(&b);
	assert_int_equal(ps_schema_serialize(s, &b), PS_OK);
	assert_memory_equal(b.data, expect_head, sizeof expect_head);
	ps_schema_free(s);

	s = make_wide_schema(names, ptrs, types);
	ps_buf_reset(&b);
	assert_int_equal(ps_schema_serialize(s, &b), PS_OK);
	assert_int_equal(ps_schema_deserialize(b.data, b.len, &back, NULL), PS_OK);
	assert_schema_equal(s, back);
	ps_schema_free(back);
	ps_schema_free(s);
	ps_buf_free(&b);
}

static void
expect_corrupt(const void *p, size_t n)
{
	ps_schema  *out = (ps_schema *) 0x1;
	ps_error	err;
	/* An exact-size heap copy, so valgrind catches any over-read. */
	uint8_t    *copy = malloc(n ? n : 1);

	if (n)
		memcpy(copy, p, n);
	assert_int_equal(ps_schema_deserialize(copy, n, &out, &err), PS_ECORRUPT);
	assert_int_equal(err.code, PS_ECORRUPT);
	assert_ptr_equal(out, (ps_schema *) 0x1);
	free(copy);
}

static void
test_deserialize_rejects(void **state)
{
	ps_schema  *s = make_schema();
	ps_buf		b = PS_BUF_INIT;
	const uint8_t version2[] = {2, 1, 0, 2, 't', 's', PS_TYPE_TIMESTAMP};
	const uint8_t zero_cols[] = {1, 0, 0};
	const uint8_t time_oob[] = {1, 1, 1, 2, 't', 's', PS_TYPE_TIMESTAMP};
	const uint8_t time_not_ts[] = {1, 1, 0, 2, 't', 's', PS_TYPE_INTEGER};
	const uint8_t bad_type[] = {1, 2, 0, 2, 't', 's', PS_TYPE_TIMESTAMP, 1, 'v', 6};
	const uint8_t dup[] = {1, 2, 0, 2, 't', 's', PS_TYPE_TIMESTAMP, 2, 't', 's', PS_TYPE_INTEGER};
	const uint8_t nul_name[] = {1, 1, 0, 2, 't', 0, PS_TYPE_TIMESTAMP};
	const uint8_t empty_name[] = {1, 2, 0, 2, 't', 's', PS_TYPE_TIMESTAMP, 0, PS_TYPE_INTEGER, 0};
	const uint8_t huge_count[] = {1, 0xFF, 0xFF, 0xFF, 0xFF, 0x0F, 0, 2, 't', 's', PS_TYPE_TIMESTAMP};
	const uint8_t long_name[] = {1, 1, 0, 0x81, 0x01, 't'};
	const uint8_t good[] = {1, 1, 0, 2, 't', 's', PS_TYPE_TIMESTAMP};
	ps_schema  *out;

	(void) state;
	assert_int_equal(ps_schema_deserialize(good, sizeof good, &out, NULL), PS_OK);
	ps_schema_free(out);
	expect_corrupt(version2, sizeof version2);
	expect_corrupt(zero_cols, sizeof zero_cols);
	expect_corrupt(time_oob, sizeof time_oob);
	expect_corrupt(time_not_ts, sizeof time_not_ts);
	expect_corrupt(bad_type, sizeof bad_type);
	expect_corrupt(dup, sizeof dup);
	expect_corrupt(nul_name, sizeof nul_name);
	expect_corrupt(empty_name, sizeof empty_name);
	expect_corrupt(huge_count, sizeof huge_count);
	expect_corrupt(long_name, sizeof long_name);
	expect_corrupt(NULL, 0);

	assert_int_equal(ps_schema_serialize(s, &b), PS_OK);
	for (size_t n = 0; n < b.len; n++)
		expect_corrupt(b.data, n);
	assert_int_equal(ps_buf_append_u8(&b, 0), PS_OK);
	expect_corrupt(b.data, b.len);
	ps_buf_free(&b);
	ps_schema_free(s);
}

/* Mutated and random inputs: either a schema that passes validation or PS_ECORRUPT. */
static void
test_deserialize_garbage(void **state)
{
	ps_schema  *s = make_schema();
	ps_buf		b = PS_BUF_INIT;
	uint64_t	x = 31337;
	uint8_t		buf[48];

	(void) state;
	assert_int_equal(ps_schema_serialize(s, &b), PS_OK);
	for (size_t pos = 0; pos < b.len; pos++)
		for (int v = 0; v < 256; v++)
		{
			uint8_t    *copy = malloc(b.len);
			ps_schema  *out = NULL;
			ps_status	st;

			memcpy(copy, b.data, b.len);
			copy[pos] = (uint8_t) v;
			st = ps_schema_deserialize(copy, b.len, &out, NULL);
			assert_true(st == PS_OK || st == PS_ECORRUPT);
			if (st == PS_OK)
			{
				assert_int_equal(out->columns[out->time_index].type, PS_TYPE_TIMESTAMP);
				for (uint32_t i = 0; i < out->ncolumns; i++)
					assert_true(ps_column_name_valid(out->columns[i].name, strlen(out->columns[i].name)));
				ps_schema_free(out);
			}
			free(copy);
		}
	for (int i = 0; i < 20000; i++)
	{
		size_t		n;
		ps_schema  *out = NULL;
		uint8_t    *copy;
		ps_status	st;

		x = x * 6364136223846793005ULL + 1442695040888963407ULL;
		n = (size_t) (x >> 58) % sizeof buf;
		for (size_t j = 0; j < n; j++)
		{
			x = x * 6364136223846793005ULL + 1442695040888963407ULL;
			buf[j] = (uint8_t) (x >> 56);
		}
		if (n > 0)
			buf[0] = 1;
		copy = malloc(n ? n : 1);
		memcpy(copy, buf, n);
		st = ps_schema_deserialize(copy, n, &out, NULL);
		assert_true(st == PS_OK || st == PS_ECORRUPT);
		ps_schema_free(st == PS_OK ? out : NULL);
		free(copy);
	}
	ps_buf_free(&b);
	ps_schema_free(s);
}

/* ---------------------------------------------------------------- names */

static void
test_table_names(void **state)
{
	char		name[PS_MAX_NAME + 2];

	(void) state;
	assert_true(ps_table_name_valid("trades"));
	assert_true(ps_table_name_valid("Ticks_2024-01"));
	assert_true(ps_table_name_valid("_"));
	assert_false(ps_table_name_valid(""));
	assert_false(ps_table_name_valid(NULL));
	assert_false(ps_table_name_valid("a/b"));
	assert_false(ps_table_name_valid(".."));
	assert_false(ps_table_name_valid("a.b"));
	assert_false(ps_table_name_valid("a b"));
	assert_false(ps_table_name_valid("caf\xC3\xA9"));
	assert_false(ps_table_name_valid("a\nb"));
	memset(name, 'a', PS_MAX_NAME);
	name[PS_MAX_NAME] = '\0';
	assert_true(ps_table_name_valid(name));
	name[PS_MAX_NAME] = 'a';
	name[PS_MAX_NAME + 1] = '\0';
	assert_false(ps_table_name_valid(name));		/* 129 bytes */
}

static void
test_column_names(void **state)
{
	(void) state;
	assert_true(ps_column_name_valid(S("price")));
	assert_true(ps_column_name_valid(S("Prix en \xE2\x82\xAC")));
	assert_true(ps_column_name_valid(S("a b.c/d")));
	assert_true(ps_column_name_valid(S("\xC2\xA0")));			/* U+00A0: not a control */
	assert_false(ps_column_name_valid(S("")));
	assert_false(ps_column_name_valid(NULL, 0));
	assert_false(ps_column_name_valid(S("a\0b")));
	assert_false(ps_column_name_valid(S("a\x1f")));
	assert_false(ps_column_name_valid(S("a\x7f")));
	assert_false(ps_column_name_valid(S("a\xC2\x85")));		/* U+0085 NEL, C1 control */
	assert_false(ps_column_name_valid(S("\xC2\x9F")));
	assert_false(ps_column_name_valid(S("\xFF")));
}

/* ---------------------------------------------------------------- inference */

static ps_infer
infer(const char *const *samples, size_t n)
{
	ps_infer	inf;

	ps_infer_init(&inf);
	for (size_t i = 0; i < n; i++)
		ps_infer_feed(&inf, samples[i], strlen(samples[i]));
	return inf;
}

#define INFER(...) \
	({ const char *const s_[] = {__VA_ARGS__}; infer(s_, sizeof s_ / sizeof s_[0]); })

static void
test_inference_lattice(void **state)
{
	ps_infer	none;
	ps_infer	inf;

	(void) state;
	ps_infer_init(&none);
	assert_int_equal(ps_infer_result(&none), PS_TYPE_STRING);
	assert_false(ps_infer_all_iso(&none));

	assert_int_equal(ps_infer_result(&(ps_infer) {0}), PS_TYPE_STRING);
	inf = INFER("true", "FALSE", "t", "F", "yes", "No");
	assert_int_equal(ps_infer_result(&inf), PS_TYPE_BOOLEAN);
	/* 0/1 columns are counts or codes, not flags. */
	inf = INFER("1", "0", "1");
	assert_int_equal(ps_infer_result(&inf), PS_TYPE_INTEGER);
	inf = INFER("on", "off");
	assert_int_equal(ps_infer_result(&inf), PS_TYPE_STRING);
	inf = INFER("true", "1");
	assert_int_equal(ps_infer_result(&inf), PS_TYPE_STRING);
	inf = INFER("42", "-7", "+3", "9223372036854775807");
	assert_int_equal(ps_infer_result(&inf), PS_TYPE_INTEGER);
	inf = INFER("42", "150.25");
	assert_int_equal(ps_infer_result(&inf), PS_TYPE_FLOAT);
	inf = INFER("1", "NaN", "-Infinity", "1e-3");
	assert_int_equal(ps_infer_result(&inf), PS_TYPE_FLOAT);
	inf = INFER("9223372036854775808");		/* beyond int64: a float */
	assert_int_equal(ps_infer_result(&inf), PS_TYPE_FLOAT);
	inf = INFER("1.5", "abc");
	assert_int_equal(ps_infer_result(&inf), PS_TYPE_STRING);
	inf = INFER("1e999");						/* overflows a double */
	assert_int_equal(ps_infer_result(&inf), PS_TYPE_STRING);
	inf = INFER(" 1", "2");
	assert_int_equal(ps_infer_result(&inf), PS_TYPE_STRING);
	inf = INFER("0x10");
	assert_int_equal(ps_infer_result(&inf), PS_TYPE_STRING);
	inf = INFER("");
	assert_int_equal(ps_infer_result(&inf), PS_TYPE_STRING);
	inf = INFER("2024-01-01T09:30:00.123Z", "2024-01-02", "2024-01-02 10:00:00+01:00");
	assert_int_equal(ps_infer_result(&inf), PS_TYPE_TIMESTAMP);
	assert_true(ps_infer_all_iso(&inf));
	inf = INFER("2024-01-01", "soon");
	assert_int_equal(ps_infer_result(&inf), PS_TYPE_STRING);
	assert_false(ps_infer_all_iso(&inf));
	/* Epoch numbers are integers, never ISO time candidates. */
	inf = INFER("1700000000", "1700000001");
	assert_int_equal(ps_infer_result(&inf), PS_TYPE_INTEGER);
	assert_false(ps_infer_all_iso(&inf));
	assert_int_equal(inf.seen, 2);
}

/* ---------------------------------------------------------------- text -> value */

static ps_value
ok_value(ps_type t, const char *s, size_t len)
{
	ps_value	v;
	ps_error	err;

	ps_error_clear(&err);
	assert_int_equal(ps_value_from_text(t, s, len, NULL, &v, &err), PS_OK);
	assert_false(v.is_null);
	return v;
}

static void
bad_value(ps_type t, const char *s, size_t len, const char *fragment)
{
	ps_value	v;
	ps_error	err;

	assert_int_equal(ps_value_from_text(t, s, len, NULL, &v, &err), PS_EBADROW);
	assert_int_equal(err.code, PS_EBADROW);
	assert_int_equal(err.line, 0);
	if (fragment)
		assert_non_null(strstr(err.message, fragment));
	/* NULL err is allowed. */
	assert_int_equal(ps_value_from_text(t, s, len, NULL, &v, NULL), PS_EBADROW);
}

static void
test_text_integer(void **state)
{
	(void) state;
	assert_true(ok_value(PS_TYPE_INTEGER, S("42")).v.i == 42);
	assert_true(ok_value(PS_TYPE_INTEGER, S("-7")).v.i == -7);
	assert_true(ok_value(PS_TYPE_INTEGER, S("+3")).v.i == 3);
	assert_true(ok_value(PS_TYPE_INTEGER, S("007")).v.i == 7);
	assert_true(ok_value(PS_TYPE_INTEGER, S("9223372036854775807")).v.i == INT64_MAX);
	assert_true(ok_value(PS_TYPE_INTEGER, S("-9223372036854775808")).v.i == INT64_MIN);
	assert_true(ok_value(PS_TYPE_INTEGER, "12345", 2).v.i == 12);	/* not NUL-terminated */
	bad_value(PS_TYPE_INTEGER, S("9223372036854775808"), "integer out of range");
	bad_value(PS_TYPE_INTEGER, S("-9223372036854775809"), "integer out of range");
	bad_value(PS_TYPE_INTEGER, S("99999999999999999999999"), "integer out of range");
	bad_value(PS_TYPE_INTEGER, S("99999999999999999999999x"), "invalid integer");
	bad_value(PS_TYPE_INTEGER, S("abc"), "invalid integer: \"abc\"");
	bad_value(PS_TYPE_INTEGER, S(""), "invalid integer");
	bad_value(PS_TYPE_INTEGER, S("-"), NULL);
	bad_value(PS_TYPE_INTEGER, S("1.0"), NULL);
	bad_value(PS_TYPE_INTEGER, S(" 1"), NULL);
	bad_value(PS_TYPE_INTEGER, S("1 "), NULL);
	bad_value(PS_TYPE_INTEGER, S("0x1F"), NULL);
	bad_value(PS_TYPE_INTEGER, S("1e3"), NULL);
}

static void
test_text_float(void **state)
{
	char		big[512];
	double		d;

	(void) state;
	assert_true(ok_value(PS_TYPE_FLOAT, S("150.25")).v.f == 150.25);
	assert_true(ok_value(PS_TYPE_FLOAT, S("1e-3")).v.f == 1e-3);
	assert_true(ok_value(PS_TYPE_FLOAT, S("-2.5E+2")).v.f == -250.0);
	assert_true(ok_value(PS_TYPE_FLOAT, S(".5")).v.f == 0.5);
	assert_true(ok_value(PS_TYPE_FLOAT, S("5.")).v.f == 5.0);
	assert_true(ok_value(PS_TYPE_FLOAT, S("42")).v.f == 42.0);
	assert_true(ok_value(PS_TYPE_FLOAT, "1.5e10", 3).v.f == 1.5);	/* not NUL-terminated */
	assert_true(isnan(ok_value(PS_TYPE_FLOAT, S("NaN")).v.f));
	assert_true(isnan(ok_value(PS_TYPE_FLOAT, S("nan")).v.f));
	assert_true(ok_value(PS_TYPE_FLOAT, S("Infinity")).v.f == INFINITY);
	assert_true(ok_value(PS_TYPE_FLOAT, S("+inf")).v.f == INFINITY);
	assert_true(ok_value(PS_TYPE_FLOAT, S("-INFINITY")).v.f == -INFINITY);
	/* Underflow reads as zero or a denormal. */
	assert_true(ok_value(PS_TYPE_FLOAT, S("1e-400")).v.f == 0.0);
	d = ok_value(PS_TYPE_FLOAT, S("4.9e-324")).v.f;
	assert_true(d > 0.0 && d < 1e-300);
	bad_value(PS_TYPE_FLOAT, S("1e400"), "float out of range");
	bad_value(PS_TYPE_FLOAT, S("-1e400"), "float out of range");
	bad_value(PS_TYPE_FLOAT, S("0x1p3"), "invalid float");
	bad_value(PS_TYPE_FLOAT, S("1.5x"), NULL);
	bad_value(PS_TYPE_FLOAT, S(" 1.5"), NULL);
	bad_value(PS_TYPE_FLOAT, S("1.5 "), NULL);
	bad_value(PS_TYPE_FLOAT, S(""), NULL);
	bad_value(PS_TYPE_FLOAT, S("."), NULL);
	bad_value(PS_TYPE_FLOAT, S("e5"), NULL);
	bad_value(PS_TYPE_FLOAT, S("1e"), NULL);
	bad_value(PS_TYPE_FLOAT, S("1e+"), NULL);
	bad_value(PS_TYPE_FLOAT, S("nan(1)"), NULL);
	bad_value(PS_TYPE_FLOAT, S("infinit"), NULL);
	bad_value(PS_TYPE_FLOAT, S("1,5"), NULL);

	/* 400 bytes is read; 401 is not a number (never copied). */
	big[0] = '0';
	big[1] = '.';
	memset(big + 2, '0', 397);
	big[399] = '1';
	assert_true(ok_value(PS_TYPE_FLOAT, big, 400).v.f == 0.0);
	memmove(big + 1, big, 400);
	bad_value(PS_TYPE_FLOAT, big, 401, "invalid float");
}

/* The float reader gives strtod's double, bit for bit, fast path or not. */
static void
test_text_float_matches_strtod(void **state)
{
	static const char *const edges[] = {
		"0", "-0", "0.0", "-0.000", "9007199254740992", "9007199254740993",
		"9007199254740991.5", "900719925474099.25", "1e22", "1e23", "-1e-22", "1e-23",
		"123456789012345678e-5", "0.1", "0.2", "0.30000000000000004", "234.67",
		"1.7976931348623157e308", "2.2250738585072014e-308", "4.9e-324",
		"00000000000000000000000001.5", "1.50000000000000000000000000",
		"0.000000000000000000000000000000000000001", "1e-0", "1e+00022", "7e-22",
	};
	char		text[64];
	uint64_t	x = 88172645463325252ull;	/* xorshift64: the same numbers every run */

	(void) state;
	for (size_t k = 0; k < sizeof edges / sizeof edges[0]; k++)
	{
		double		want = strtod(edges[k], NULL),
					got = ok_value(PS_TYPE_FLOAT, edges[k], strlen(edges[k])).v.f;

		if (memcmp(&want, &got, sizeof want) != 0)
			fail_msg("%s: got %.17g, strtod %.17g", edges[k], got, want);
	}
	for (int n = 0; n < 2000000; n++)
	{
		int			len = 0, digits, dot;
		double		want, got;

		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		digits = 1 + (int) (x % 19);
		dot = (int) ((x >> 8) % (uint64_t) (digits + 2));	/* digits + 1: no dot */
		if ((x >> 16) & 1)
			text[len++] = '-';
		for (int i = 0; i < digits; i++)
		{
			if (i == dot)
				text[len++] = '.';
			x ^= x << 13, x ^= x >> 7, x ^= x << 17;
			text[len++] = (char) ('0' + (x >> 40) % 10);
		}
		if (dot == digits)
			text[len++] = '.';
		if ((x >> 24) % 4 == 0)
			len += snprintf(text + len, sizeof text - (size_t) len, "e%d", (int) ((x >> 32) % 61) - 30);
		text[len] = '\0';
		want = strtod(text, NULL);
		got = ok_value(PS_TYPE_FLOAT, text, (size_t) len).v.f;
		if (memcmp(&want, &got, sizeof want) != 0)
			fail_msg("%s: got %.17g, strtod %.17g", text, got, want);
	}
}

static void
test_text_boolean(void **state)
{
	static const char *const yes[] = {"t", "T", "true", "TRUE", "True", "y", "Y", "yes", "YES", "on", "ON", "1"};
	static const char *const no[] = {"f", "F", "false", "FALSE", "n", "N", "no", "No", "off", "OFF", "0"};
	static const char *const bad[] = {"", "tru", "2", "yes ", " no", "of", "tr ue", "-1"};

	(void) state;
	for (size_t i = 0; i < sizeof yes / sizeof yes[0]; i++)
		assert_true(ok_value(PS_TYPE_BOOLEAN, yes[i], strlen(yes[i])).v.b);
	for (size_t i = 0; i < sizeof no / sizeof no[0]; i++)
		assert_false(ok_value(PS_TYPE_BOOLEAN, no[i], strlen(no[i])).v.b);
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		bad_value(PS_TYPE_BOOLEAN, bad[i], strlen(bad[i]), "invalid boolean");
	assert_false(ok_value(PS_TYPE_BOOLEAN, "falsehood", 5).v.b);	/* not NUL-terminated */
}

static void
test_text_timestamp(void **state)
{
	ps_time_options topt;
	ps_value	v;
	ps_error	err;

	(void) state;
	assert_true(ok_value(PS_TYPE_TIMESTAMP, S("2024-01-01T00:00:00Z")).v.i == INT64_C(1704067200) * PS_NS_PER_SEC);
	assert_true(ok_value(PS_TYPE_TIMESTAMP, S("1970-01-01T00:00:00.000000001Z")).v.i == 1);
	bad_value(PS_TYPE_TIMESTAMP, S("yesterday"), "yesterday");
	bad_value(PS_TYPE_TIMESTAMP, S("2024-13-01"), NULL);
	bad_value(PS_TYPE_TIMESTAMP, S("9999-01-01"), NULL);		/* beyond int64 ns */

	ps_time_options_default(&topt);
	topt.unit = PS_UNIT_MS;
	assert_int_equal(ps_value_from_text(PS_TYPE_TIMESTAMP, S("1500"), &topt, &v, &err), PS_OK);
	assert_true(v.v.i == INT64_C(1500000000));
}

static void
test_text_string_null_and_type(void **state)
{
	const char	text[] = "AAPL\xE2\x82\xAC";
	ps_value	v;
	ps_error	err;

	(void) state;
	v = ok_value(PS_TYPE_STRING, text, sizeof text - 1);
	assert_ptr_equal(v.v.s.ptr, text);		/* borrowed, not copied */
	assert_int_equal(v.v.s.len, 7);
	v = ok_value(PS_TYPE_STRING, S(""));
	assert_int_equal(v.v.s.len, 0);
	bad_value(PS_TYPE_STRING, S("bad\xC3\x28"), "invalid UTF-8");
	bad_value(PS_TYPE_STRING, S("a\0b"), "\\x00");
	bad_value(PS_TYPE_STRING, S("\xED\xA0\x80"), NULL);

	for (int t = PS_TYPE_INTEGER; t <= PS_TYPE_TIMESTAMP; t++)
	{
		v.is_null = false;
		assert_int_equal(ps_value_from_text((ps_type) t, NULL, 0, NULL, &v, &err), PS_OK);
		assert_true(v.is_null);
	}
	assert_int_equal(ps_value_from_text((ps_type) 0, S("1"), NULL, &v, &err), PS_EINVAL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_schema_new_and_helpers),
		cmocka_unit_test(test_schema_new_errors),
		cmocka_unit_test(test_add_column),
		cmocka_unit_test(test_serialize_round_trip),
		cmocka_unit_test(test_deserialize_rejects),
		cmocka_unit_test(test_deserialize_garbage),
		cmocka_unit_test(test_table_names),
		cmocka_unit_test(test_column_names),
		cmocka_unit_test(test_inference_lattice),
		cmocka_unit_test(test_text_integer),
		cmocka_unit_test(test_text_float),
		cmocka_unit_test(test_text_float_matches_strtod),
		cmocka_unit_test(test_text_boolean),
		cmocka_unit_test(test_text_timestamp),
		cmocka_unit_test(test_text_string_null_and_type),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
