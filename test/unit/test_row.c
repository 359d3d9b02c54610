/*
 * test_row.c — unit tests of ps_row: key order (memcmp order must equal
 * (table, time, row id) order, negative times included), the exact value
 * layout, round trips of all types, NULLs, tags, projection, rows written
 * before columns were added, rejection of every truncated or non-canonical
 * value, and the XXH64 dedup hash against reference vectors.
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

#include "core/ps_row.h"
#include "core/ps_schema.h"

/* ---------------------------------------------------------------- keys */

static int
sign(int v)
{
	return (v > 0) - (v < 0);
}

static int
tuple_cmp(uint32_t ta, int64_t tia, uint64_t ra, uint32_t tb, int64_t tib, uint64_t rb)
{
	if (ta != tb)
		return ta < tb ? -1 : 1;
	if (tia != tib)
		return tia < tib ? -1 : 1;
	if (ra != rb)
		return ra < rb ? -1 : 1;
	return 0;
}

static void
check_pair(uint32_t ta, int64_t tia, uint64_t ra, uint32_t tb, int64_t tib, uint64_t rb)
{
	uint8_t		ka[PS_KEY_LEN];
	uint8_t		kb[PS_KEY_LEN];

	ps_key_encode(ka, ta, tia, ra);
	ps_key_encode(kb, tb, tib, rb);
	assert_int_equal(sign(memcmp(ka, kb, PS_KEY_LEN)), tuple_cmp(ta, tia, ra, tb, tib, rb));
}

static void
test_key_order_edges(void **state)
{
	const int64_t times[] = {INT64_MIN, INT64_MIN + 1, -1000000000000000000LL, -256, -1, 0, 1,
		255, 256, INT64_MAX - 1, INT64_MAX};
	const uint32_t tables[] = {0, 1, 256, UINT32_MAX};
	const uint64_t rows[] = {0, 1, 255, 256, UINT64_MAX};
	const size_t nt = sizeof times / sizeof times[0];
	const size_t nb = sizeof tables / sizeof tables[0];
	const size_t nr = sizeof rows / sizeof rows[0];

	(void) state;
	/* Every pair of the cartesian product, equal tuples included. */
	for (size_t a = 0; a < nt * nb * nr; a++)
		for (size_t b = 0; b < nt * nb * nr; b++)
			check_pair(tables[a / (nt * nr)], times[a / nr % nt], rows[a % nr],
					   tables[b / (nt * nr)], times[b / nr % nt], rows[b % nr]);
}

static uint64_t lcg_state;

static uint64_t
lcg(void)
{
	lcg_state = lcg_state * 6364136223846793005ULL + 1442695040888963407ULL;
	return lcg_state;
}

static void
test_key_order_random(void **state)
{
	(void) state;
	lcg_state = 12345;
	for (int i = 0; i < 20000; i++)
	{
		/* Few distinct tables and nearby times, so ties on a prefix occur. */
		uint32_t	ta = (uint32_t) (lcg() >> 62);
		uint32_t	tb = (uint32_t) (lcg() >> 62);
		int64_t		tia = (int64_t) lcg();
		int64_t		tib = (i % 3 == 0) ? tia : (i % 3 == 1) ? -tia / 2 : (int64_t) lcg();
		uint64_t	ra = lcg() >> (lcg() % 64);
		uint64_t	rb = lcg() >> (lcg() % 64);

		check_pair(ta, tia, ra, tb, tib, rb);
	}
}

static void
test_key_round_trip(void **state)
{
	const uint8_t expect[PS_KEY_LEN] = {
		0x00, 0x00, 0x01, 0x02,
		0x7F, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,		/* -1 with sign bit flipped */
		0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x09};
	uint8_t		key[PS_KEY_LEN];
	uint8_t		prefix[12];
	uint32_t	table;
	int64_t		t;
	uint64_t	row;

	(void) state;
	ps_key_encode(key, 258, -1, 9);
	assert_memory_equal(key, expect, PS_KEY_LEN);
	ps_key_prefix(prefix, 258, -1);
	assert_memory_equal(prefix, expect, 12);
	ps_key_decode(key, &table, &t, &row);
	assert_int_equal(table, 258);
	assert_true(t == -1);
	assert_true(row == 9);

	lcg_state = 99;
	for (int i = 0; i < 1000; i++)
	{
		uint32_t	a = (uint32_t) lcg();
		int64_t		b = (int64_t) lcg();
		uint64_t	c = lcg();

		ps_key_encode(key, a, b, c);
		ps_key_decode(key, &table, &t, &row);
		assert_int_equal(table, a);
		assert_true(t == b && row == c);
	}
}

/* ---------------------------------------------------------------- values */

static const ps_type five_types[] = {
	PS_TYPE_INTEGER, PS_TYPE_STRING, PS_TYPE_BOOLEAN, PS_TYPE_FLOAT, PS_TYPE_TIMESTAMP
};

static ps_value
v_int(int64_t i)
{
	ps_value	v = {.is_null = false};

	v.v.i = i;
	return v;
}

static ps_value
v_float(double f)
{
	ps_value	v = {.is_null = false};

	v.v.f = f;
	return v;
}

static ps_value
v_bool(bool b)
{
	ps_value	v = {.is_null = false};

	v.v.b = b;
	return v;
}

static ps_value
v_str(const char *s, uint32_t len)
{
	ps_value	v = {.is_null = false};

	v.v.s.ptr = s;
	v.v.s.len = len;
	return v;
}

static const ps_value v_null = {.is_null = true};

static void
assert_value_equal(ps_type t, const ps_value *a, const ps_value *b)
{
	assert_int_equal(a->is_null, b->is_null);
	if (a->is_null)
		return;
	switch (t)
	{
		case PS_TYPE_INTEGER:
		case PS_TYPE_TIMESTAMP:
			assert_true(a->v.i == b->v.i);
			break;
		case PS_TYPE_FLOAT:
			/* Bitwise: NaN, -0.0 and infinities must survive exactly. */
			assert_memory_equal(&a->v.f, &b->v.f, sizeof(double));
			break;
		case PS_TYPE_BOOLEAN:
			assert_int_equal(a->v.b, b->v.b);
			break;
		case PS_TYPE_STRING:
			assert_int_equal(a->v.s.len, b->v.s.len);
			if (a->v.s.len)
				assert_memory_equal(a->v.s.ptr, b->v.s.ptr, a->v.s.len);
			break;
	}
}

static void
test_value_layout(void **state)
{
	ps_value	in[5] = {v_int(1), v_str("ab", 2), v_null, v_float(1.5), v_int(-1)};
	const uint8_t expect[] = {
		PS_ROW_V1, 0x05, 0x04,							/* format, ncols, bitmap: col 2 NULL */
		0x01, 0, 0, 0, 0, 0, 0, 0,						/* int 1, little-endian */
		0x02, 'a', 'b',									/* string */
		0, 0, 0, 0, 0, 0, 0xF8, 0x3F,					/* 1.5 */
		0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF	/* timestamp -1 */
	};
	const uint8_t expect_tagged_head[] = {PS_ROW_V1_TAGGED, 0xAC, 0x02, 0x05, 0x04};
	ps_buf		b = PS_BUF_INIT;

	(void) state;
	assert_int_equal(ps_row_encode(five_types, 5, in, 0, &b, NULL), PS_OK);
	assert_int_equal(b.len, sizeof expect);
	assert_memory_equal(b.data, expect, sizeof expect);

	ps_buf_reset(&b);
	assert_int_equal(ps_row_encode(five_types, 5, in, 300, &b, NULL), PS_OK);
	assert_int_equal(b.len, sizeof expect + 2);
	assert_memory_equal(b.data, expect_tagged_head, sizeof expect_tagged_head);
	assert_memory_equal(b.data + 5, expect + 3, sizeof expect - 3);
	ps_buf_free(&b);
}

static void
round_trip(const ps_type *types, uint32_t n, const ps_value *in, uint64_t tag)
{
	ps_buf		b = PS_BUF_INIT;
	ps_value   *out = calloc(n ? n : 1, sizeof *out);
	uint64_t	got_tag = 12345;
	uint64_t	tag_only = 12345;
	ps_error	err;

	assert_non_null(out);
	/* Encoding appends: existing bytes stay. */
	assert_int_equal(ps_buf_append(&b, "pre", 3), PS_OK);
	assert_int_equal(ps_row_encode(types, n, in, tag, &b, &err), PS_OK);
	assert_memory_equal(b.data, "pre", 3);
	assert_int_equal(ps_row_decode(types, n, b.data + 3, b.len - 3, out, &got_tag, &err), PS_OK);
	assert_true(got_tag == tag);
	assert_int_equal(ps_row_tag(b.data + 3, b.len - 3, &tag_only), PS_OK);
	assert_true(tag_only == tag);
	for (uint32_t i = 0; i < n; i++)
		assert_value_equal(types[i], &in[i], &out[i]);
	free(out);
	ps_buf_free(&b);
}

static void
test_value_round_trip_types(void **state)
{
	ps_value	a[5] = {v_int(INT64_MIN), v_str("h\xC3\xA9llo", 6), v_bool(true), v_float(-0.0), v_int(INT64_MAX)};
	ps_value	b[5] = {v_int(INT64_MAX), v_str("", 0), v_bool(false), v_float(NAN), v_int(INT64_MIN)};
	ps_value	c[5] = {v_int(0), v_str("x", 1), v_bool(false), v_float(-INFINITY), v_int(0)};
	ps_value	d[5] = {v_null, v_null, v_null, v_null, v_null};
	ps_value	e[5] = {v_int(-7), v_null, v_bool(true), v_float(1e-310), v_null};

	(void) state;
	round_trip(five_types, 5, a, 0);
	round_trip(five_types, 5, b, 0);
	round_trip(five_types, 5, c, 1);
	round_trip(five_types, 5, d, UINT64_MAX);
	round_trip(five_types, 5, e, 77);
	round_trip(five_types, 0, NULL, 0);
}

static void
test_value_many_columns(void **state)
{
	enum { N = 1000 };
	ps_type    *types = malloc(N * sizeof *types);
	ps_value   *vals = malloc(N * sizeof *vals);
	static char text[N][16];

	(void) state;
	lcg_state = 7;
	for (uint32_t i = 0; i < N; i++)
	{
		types[i] = five_types[lcg() % 5];
		if (lcg() % 4 == 0)
		{
			vals[i] = v_null;
			continue;
		}
		switch (types[i])
		{
			case PS_TYPE_INTEGER:
			case PS_TYPE_TIMESTAMP:
				vals[i] = v_int((int64_t) lcg());
				break;
			case PS_TYPE_FLOAT:
				vals[i] = v_float((double) (int64_t) lcg() / 3.0);
				break;
			case PS_TYPE_BOOLEAN:
				vals[i] = v_bool(lcg() & 1);
				break;
			case PS_TYPE_STRING:
				vals[i] = v_str(text[i], (uint32_t) snprintf(text[i], sizeof text[i], "s%u", i));
				break;
		}
	}
	round_trip(types, N, vals, 0);
	round_trip(types, N, vals, 5);
	free(types);
	free(vals);
}

static void
test_empty_string_is_not_null(void **state)
{
	const ps_type t[2] = {PS_TYPE_STRING, PS_TYPE_STRING};
	ps_value	in[2] = {v_str("", 0), v_null};
	ps_value	out[2];
	ps_buf		b = PS_BUF_INIT;

	(void) state;
	assert_int_equal(ps_row_encode(t, 2, in, 0, &b, NULL), PS_OK);
	assert_int_equal(ps_row_decode(t, 2, b.data, b.len, out, NULL, NULL), PS_OK);
	assert_false(out[0].is_null);
	assert_int_equal(out[0].v.s.len, 0);
	assert_true(out[1].is_null);
	ps_buf_free(&b);
}

static void
test_older_and_newer_rows(void **state)
{
	const ps_type old_types[2] = {PS_TYPE_INTEGER, PS_TYPE_STRING};
	const ps_type new_types[4] = {PS_TYPE_INTEGER, PS_TYPE_STRING, PS_TYPE_FLOAT, PS_TYPE_BOOLEAN};
	ps_value	in[2] = {v_int(5), v_str("abc", 3)};
	ps_value	out[4];
	ps_buf		b = PS_BUF_INIT;

	(void) state;
	assert_int_equal(ps_row_encode(old_types, 2, in, 0, &b, NULL), PS_OK);
	/* A reader knowing more columns sees the added ones as NULL. */
	memset(out, 0, sizeof out);
	assert_int_equal(ps_row_decode(new_types, 4, b.data, b.len, out, NULL, NULL), PS_OK);
	assert_value_equal(PS_TYPE_INTEGER, &in[0], &out[0]);
	assert_value_equal(PS_TYPE_STRING, &in[1], &out[1]);
	assert_true(out[2].is_null);
	assert_true(out[3].is_null);
	/* A reader knowing fewer columns ignores the rest. */
	assert_int_equal(ps_row_decode(old_types, 1, b.data, b.len, out, NULL, NULL), PS_OK);
	assert_true(out[0].v.i == 5);
	ps_buf_free(&b);
}

static void
test_projection(void **state)
{
	ps_value	in[5] = {v_int(42), v_str("sym", 3), v_null, v_float(2.5), v_int(-9)};
	const uint32_t cols[4] = {3, 0, 3, 2};
	const ps_type ptypes[4] = {PS_TYPE_FLOAT, PS_TYPE_INTEGER, PS_TYPE_FLOAT, PS_TYPE_BOOLEAN};
	const uint32_t bad_cols[1] = {5};
	ps_value	out[4];
	ps_buf		stored = PS_BUF_INIT;
	ps_buf		proj = PS_BUF_INIT;
	ps_buf		direct = PS_BUF_INIT;
	ps_value	direct_in[4];
	uint64_t	tag = 1;
	ps_error	err;

	(void) state;
	/* Projection drops the tag and equals encoding the columns directly. */
	assert_int_equal(ps_row_encode(five_types, 5, in, 99, &stored, NULL), PS_OK);
	assert_int_equal(ps_row_project(five_types, 5, stored.data, stored.len, cols, 4, &proj, &err), PS_OK);
	for (int j = 0; j < 4; j++)
		direct_in[j] = in[cols[j]];
	assert_int_equal(ps_row_encode(ptypes, 4, direct_in, 0, &direct, NULL), PS_OK);
	assert_int_equal(proj.len, direct.len);
	assert_memory_equal(proj.data, direct.data, proj.len);
	assert_int_equal(ps_row_decode(ptypes, 4, proj.data, proj.len, out, &tag, NULL), PS_OK);
	assert_true(tag == 0);
	assert_true(out[0].v.f == 2.5 && out[2].v.f == 2.5);
	assert_true(out[1].v.i == 42);
	assert_true(out[3].is_null);

	/* All columns in order: the untagged value itself; a tagged one loses its tag. */
	{
		const uint32_t all[5] = {0, 1, 2, 3, 4};
		ps_buf		untagged = PS_BUF_INIT;

		assert_int_equal(ps_row_encode(five_types, 5, in, 0, &untagged, NULL), PS_OK);
		ps_buf_reset(&proj);
		assert_int_equal(ps_row_project(five_types, 5, untagged.data, untagged.len, all, 5, &proj, &err), PS_OK);
		assert_int_equal(proj.len, untagged.len);
		assert_memory_equal(proj.data, untagged.data, proj.len);
		ps_buf_reset(&proj);
		assert_int_equal(ps_row_project(five_types, 5, stored.data, stored.len, all, 5, &proj, &err), PS_OK);
		assert_int_equal(proj.len, untagged.len);
		assert_memory_equal(proj.data, untagged.data, proj.len);
		/* A row written before the last two columns existed: they project as NULL. */
		ps_buf_reset(&untagged);
		assert_int_equal(ps_row_encode(five_types, 3, in, 0, &untagged, NULL), PS_OK);
		ps_buf_reset(&proj);
		assert_int_equal(ps_row_project(five_types, 5, untagged.data, untagged.len, cols, 4, &proj, &err), PS_OK);
		assert_int_equal(ps_row_decode(ptypes, 4, proj.data, proj.len, out, NULL, NULL), PS_OK);
		assert_true(out[0].is_null && out[2].is_null && out[3].is_null);
		assert_true(!out[1].is_null && out[1].v.i == 42);
		ps_buf_free(&untagged);
	}

	/* No columns: a value holding zero columns. */
	ps_buf_reset(&proj);
	assert_int_equal(ps_row_project(five_types, 5, stored.data, stored.len, cols, 0, &proj, NULL), PS_OK);
	assert_int_equal(proj.len, 2);

	/* Bad index or corrupt input: error, output unchanged. */
	ps_buf_reset(&proj);
	assert_int_equal(ps_row_project(five_types, 5, stored.data, stored.len, bad_cols, 1, &proj, &err), PS_EINVAL);
	assert_int_equal(ps_row_project(five_types, 5, stored.data, stored.len - 1, cols, 4, &proj, &err), PS_ECORRUPT);
	assert_int_equal(proj.len, 0);
	ps_buf_free(&stored);
	ps_buf_free(&proj);
	ps_buf_free(&direct);
}

static void
test_every_truncation_is_corrupt(void **state)
{
	ps_value	in[5] = {v_int(123456789), v_str("some string", 11), v_bool(true), v_float(3.25), v_int(-5)};
	ps_value	out[5];
	ps_buf		b = PS_BUF_INIT;
	ps_error	err;

	(void) state;
	for (uint64_t tag = 0; tag <= 1000; tag += 1000)
	{
		ps_buf_reset(&b);
		assert_int_equal(ps_row_encode(five_types, 5, in, tag, &b, NULL), PS_OK);
		for (size_t n = 0; n < b.len; n++)
		{
			/* A fresh heap copy of exactly n bytes, so valgrind sees over-reads. */
			uint8_t    *copy = malloc(n ? n : 1);

			memcpy(copy, b.data, n);
			ps_error_clear(&err);
			assert_int_equal(ps_row_decode(five_types, 5, copy, n, out, NULL, &err), PS_ECORRUPT);
			assert_int_equal(err.code, PS_ECORRUPT);
			assert_true(strlen(err.message) > 0);
			free(copy);
		}
	}
	/* A trailing byte is corrupt too. */
	assert_int_equal(ps_buf_append_u8(&b, 0), PS_OK);
	assert_int_equal(ps_row_decode(five_types, 5, b.data, b.len, out, NULL, NULL), PS_ECORRUPT);
	ps_buf_free(&b);
}

static void
test_noncanonical_is_corrupt(void **state)
{
	const ps_type tb[1] = {PS_TYPE_BOOLEAN};
	const ps_type ti[1] = {PS_TYPE_INTEGER};
	const uint8_t bool2[] = {PS_ROW_V1, 1, 0, 2};
	const uint8_t padding[] = {PS_ROW_V1, 1, 0x02, 1};
	const uint8_t tag0[] = {PS_ROW_V1_TAGGED, 0, 1, 0, 1};
	const uint8_t format9[] = {9, 1, 0, 1};
	const uint8_t huge_ncols[] = {PS_ROW_V1, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01};
	const uint8_t huge_strlen[] = {PS_ROW_V1, 1, 0, 0xFF, 0xFF, 0xFF, 0xFF, 0x0F, 'a'};
	const uint8_t ok_bool[] = {PS_ROW_V1, 1, 0, 1};
	const ps_type ts[1] = {PS_TYPE_STRING};
	ps_value	out[1];
	uint64_t	tag;

	(void) state;
	assert_int_equal(ps_row_decode(tb, 1, ok_bool, sizeof ok_bool, out, NULL, NULL), PS_OK);
	assert_true(out[0].v.b);
	assert_int_equal(ps_row_decode(tb, 1, bool2, sizeof bool2, out, NULL, NULL), PS_ECORRUPT);
	assert_int_equal(ps_row_decode(tb, 1, padding, sizeof padding, out, NULL, NULL), PS_ECORRUPT);
	assert_int_equal(ps_row_decode(tb, 1, tag0, sizeof tag0, out, NULL, NULL), PS_ECORRUPT);
	assert_int_equal(ps_row_tag(tag0, sizeof tag0, &tag), PS_ECORRUPT);
	assert_int_equal(ps_row_decode(tb, 1, format9, sizeof format9, out, NULL, NULL), PS_ECORRUPT);
	assert_int_equal(ps_row_tag(format9, sizeof format9, &tag), PS_ECORRUPT);
	assert_int_equal(ps_row_decode(ti, 1, huge_ncols, sizeof huge_ncols, out, NULL, NULL), PS_ECORRUPT);
	assert_int_equal(ps_row_decode(ts, 1, huge_strlen, sizeof huge_strlen, out, NULL, NULL), PS_ECORRUPT);
	assert_int_equal(ps_row_tag(NULL, 0, &tag), PS_ECORRUPT);
}

/* Random bytes must decode or fail cleanly; run under valgrind. */
static void
test_garbage_never_crashes(void **state)
{
	ps_value	out[5];
	uint8_t		buf[64];
	int			ok = 0;

	(void) state;
	lcg_state = 2024;
	for (int i = 0; i < 50000; i++)
	{
		size_t		n = (size_t) (lcg() % sizeof buf);
		uint8_t    *copy;
		ps_status	st;

		for (size_t j = 0; j < n; j++)
			buf[j] = (uint8_t) (lcg() >> 56);
		/* Bias toward a valid header so the column decoders get exercised. */
		if (n > 2 && (i & 1))
		{
			buf[0] = PS_ROW_V1;
			buf[1] = (uint8_t) (lcg() % 8);
		}
		copy = malloc(n ? n : 1);
		memcpy(copy, buf, n);
		st = ps_row_decode(five_types, 5, copy, n, out, NULL, NULL);
		assert_true(st == PS_OK || st == PS_ECORRUPT);
		ok += st == PS_OK;
		free(copy);
	}
	assert_true(ok > 0);		/* some inputs do decode */
}

static void
test_encode_rejects_bad_input(void **state)
{
	const ps_type ts[2] = {PS_TYPE_INTEGER, PS_TYPE_STRING};
	const ps_type bad_type[1] = {(ps_type) 9};
	ps_value	in[2] = {v_int(1), v_str("\xC3\x28", 2)};
	ps_value	nul[2] = {v_int(1), v_str("a\0b", 3)};
	ps_value	one[1] = {v_int(1)};
	ps_value	out[1];
	ps_buf		b = PS_BUF_INIT;
	ps_error	err;

	(void) state;
	assert_int_equal(ps_buf_append(&b, "keep", 4), PS_OK);
	assert_int_equal(ps_row_encode(ts, 2, in, 0, &b, &err), PS_EINVAL);
	assert_int_equal(err.code, PS_EINVAL);
	assert_non_null(strstr(err.message, "column 2"));
	assert_int_equal(ps_row_encode(ts, 2, nul, 0, &b, NULL), PS_EINVAL);
	assert_int_equal(ps_row_encode(bad_type, 1, one, 0, &b, NULL), PS_EINVAL);
	assert_int_equal(b.len, 4);
	assert_memory_equal(b.data, "keep", 4);
	/* A NULL of an invalid type is still invalid on decode. */
	assert_int_equal(ps_row_encode(ts, 1, one, 0, &b, NULL), PS_OK);
	assert_int_equal(ps_row_decode(bad_type, 1, b.data + 4, b.len - 4, out, NULL, NULL), PS_EINVAL);
	ps_buf_free(&b);
}

static void
test_hash_vectors(void **state)
{
	uint8_t		seq[100];

	(void) state;
	for (int i = 0; i < 100; i++)
		seq[i] = (uint8_t) i;
	/* Reference values from the xxHash library's XXH64(data, len, seed). */
	assert_true(ps_row_hash(0, "", 0) == 0xef46db3751d8e999ULL);
	assert_true(ps_row_hash(0, "a", 1) == 0xd24ec4f1a98c6e5bULL);
	assert_true(ps_row_hash(0, "abc", 3) == 0x44bc2cf5ad770999ULL);
	assert_true(ps_row_hash(1, "abcd", 4) == 0xf5dcbd6dee3c9553ULL);
	assert_true(ps_row_hash(0, "0123456789abcdef", 16) == 0x5c5b90c34e376d0bULL);
	assert_true(ps_row_hash(0, "Nobody inspects the spammish repetition", 39) == 0xfbcea83c8a378bf1ULL);
	assert_true(ps_row_hash((int64_t) 0x9E3779B97F4A7C15ULL, seq, 100) == 0x3b97d91eba03e785ULL);
	assert_true(ps_row_hash(INT64_MIN + 5, seq, 37) == 0x9c953ca1d41878b7ULL);
	/* Time matters. */
	assert_true(ps_row_hash(1, "abc", 3) != ps_row_hash(2, "abc", 3));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_key_order_edges),
		cmocka_unit_test(test_key_order_random),
		cmocka_unit_test(test_key_round_trip),
		cmocka_unit_test(test_value_layout),
		cmocka_unit_test(test_value_round_trip_types),
		cmocka_unit_test(test_value_many_columns),
		cmocka_unit_test(test_empty_string_is_not_null),
		cmocka_unit_test(test_older_and_newer_rows),
		cmocka_unit_test(test_projection),
		cmocka_unit_test(test_every_truncation_is_corrupt),
		cmocka_unit_test(test_noncanonical_is_corrupt),
		cmocka_unit_test(test_garbage_never_crashes),
		cmocka_unit_test(test_encode_rejects_bad_input),
		cmocka_unit_test(test_hash_vectors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
