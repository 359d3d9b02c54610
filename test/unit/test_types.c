/*
 * test_types.c — unit tests of ps_types (type names, strict UTF-8
 * validation, including the eight-bytes-at-a-time ASCII path, and the text
 * of numbers, compared byte for byte with printf over millions of values)
 * and ps_error (messages, truncation, NULL err, quoting of untrusted input).
 */
#include <float.h>
#include <inttypes.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "core/ps_error.h"
#include "core/ps_types.h"

static void
test_type_names(void **state)
{
	(void) state;
	assert_string_equal(ps_type_name(PS_TYPE_INTEGER), "Integer");
	assert_string_equal(ps_type_name(PS_TYPE_FLOAT), "Float");
	assert_string_equal(ps_type_name(PS_TYPE_STRING), "String");
	assert_string_equal(ps_type_name(PS_TYPE_BOOLEAN), "Boolean");
	assert_string_equal(ps_type_name(PS_TYPE_TIMESTAMP), "Timestamp");
	assert_null(ps_type_name((ps_type) 0));
	assert_null(ps_type_name((ps_type) 6));
	assert_string_equal(ps_type_sql_name(PS_TYPE_INTEGER), "bigint");
	assert_string_equal(ps_type_sql_name(PS_TYPE_FLOAT), "double precision");
	assert_string_equal(ps_type_sql_name(PS_TYPE_STRING), "text");
	assert_string_equal(ps_type_sql_name(PS_TYPE_BOOLEAN), "boolean");
	assert_string_equal(ps_type_sql_name(PS_TYPE_TIMESTAMP), "timestamptz");
	assert_null(ps_type_sql_name((ps_type) 99));
	assert_false(ps_type_valid(0));
	for (int t = 1; t <= 5; t++)
		assert_true(ps_type_valid(t));
	assert_false(ps_type_valid(6));
	assert_false(ps_type_valid(-1));
}

#define S(lit) lit, sizeof(lit) - 1

static void
test_utf8_valid(void **state)
{
	(void) state;
	assert_true(ps_utf8_valid(NULL, 0));
	assert_true(ps_utf8_valid(S("AAPL")));
	assert_true(ps_utf8_valid(S("a longer ASCII string spanning words")));
	assert_true(ps_utf8_valid(S("\xC2\x80")));				/* U+0080 */
	assert_true(ps_utf8_valid(S("\xDF\xBF")));				/* U+07FF */
	assert_true(ps_utf8_valid(S("\xE0\xA0\x80")));			/* U+0800 */
	assert_true(ps_utf8_valid(S("\xED\x9F\xBF")));			/* U+D7FF */
	assert_true(ps_utf8_valid(S("\xEE\x80\x80")));			/* U+E000 */
	assert_true(ps_utf8_valid(S("\xEF\xBF\xBF")));			/* U+FFFF */
	assert_true(ps_utf8_valid(S("\xF0\x90\x80\x80")));		/* U+10000 */
	assert_true(ps_utf8_valid(S("\xF4\x8F\xBF\xBF")));		/* U+10FFFF */
	assert_true(ps_utf8_valid(S("prix \xE2\x82\xAC 12345678 caf\xC3\xA9")));
}

static void
test_utf8_invalid(void **state)
{
	(void) state;
	assert_false(ps_utf8_valid(S("a\0b")));					/* NUL */
	assert_false(ps_utf8_valid(S("\x80")));					/* lone continuation */
	assert_false(ps_utf8_valid(S("\xC0\x80")));				/* overlong NUL */
	assert_false(ps_utf8_valid(S("\xC1\xBF")));				/* overlong */
	assert_false(ps_utf8_valid(S("\xE0\x9F\xBF")));			/* overlong 3-byte */
	assert_false(ps_utf8_valid(S("\xF0\x8F\xBF\xBF")));		/* overlong 4-byte */
	assert_false(ps_utf8_valid(S("\xED\xA0\x80")));			/* U+D800 surrogate */
	assert_false(ps_utf8_valid(S("\xED\xBF\xBF")));			/* U+DFFF surrogate */
	assert_false(ps_utf8_valid(S("\xF4\x90\x80\x80")));		/* U+110000 */
	assert_false(ps_utf8_valid(S("\xF5\x80\x80\x80")));
	assert_false(ps_utf8_valid(S("\xFF")));
	assert_false(ps_utf8_valid(S("\xC3")));					/* truncated */
	assert_false(ps_utf8_valid(S("\xE2\x82")));				/* truncated */
	assert_false(ps_utf8_valid(S("\xF0\x90\x80")));			/* truncated */
	assert_false(ps_utf8_valid(S("\xC3" "A")));				/* bad continuation */
	assert_false(ps_utf8_valid(S("\xE2\x82" "A")));
	assert_false(ps_utf8_valid(S("\xF0\x90\x80" "A")));
}

/* A bad byte is caught wherever it sits relative to the 8-byte words. */
static void
test_utf8_every_position(void **state)
{
	static const char *const bad[] = {"\0", "\x80", "\xC3", "\xED\xA0\x80", "\xFF"};
	static const size_t bad_len[] = {1, 1, 1, 3, 1};
	char		buf[64];

	(void) state;
	for (size_t b = 0; b < sizeof bad / sizeof bad[0]; b++)
		for (size_t len = 1; len <= 40; len++)
			for (size_t pos = 0; pos + bad_len[b] <= len; pos++)
			{
				memset(buf, 'x', len);
				assert_true(ps_utf8_valid(buf, len));
				memcpy(buf + pos, bad[b], bad_len[b]);
				assert_false(ps_utf8_valid(buf, len));
			}
	/* A valid multi-byte character at every offset stays valid. */
	for (size_t pos = 0; pos + 4 <= 40; pos++)
	{
		memset(buf, 'y', 40);
		memcpy(buf + pos, "\xF0\x9F\x98\x80", 4);
		assert_true(ps_utf8_valid(buf, 40));
	}
}

static void
test_strerror(void **state)
{
	(void) state;
	for (int c = PS_OK; c <= PS_EINTERNAL; c++)
	{
		const char *s = ps_strerror((ps_status) c);

		assert_non_null(s);
		assert_true(strlen(s) > 0);
		assert_string_not_equal(s, "unknown error");
	}
	assert_string_equal(ps_strerror(PS_ENOTFOUND), "not found");
	assert_string_equal(ps_strerror((ps_status) 1000), "unknown error");
}

static void
test_error_set(void **state)
{
	ps_error	err;
	char		longarg[2000];

	(void) state;
	assert_int_equal(ps_error_set(NULL, PS_EIO, "x %d", 1), PS_EIO);
	assert_int_equal(ps_error_set_at(NULL, PS_EBADROW, 3, 4, "y"), PS_EBADROW);

	assert_int_equal(ps_error_set_at(&err, PS_EBADROW, 12, 3, "bad %s", "field"), PS_EBADROW);
	assert_int_equal(err.code, PS_EBADROW);
	assert_int_equal(err.line, 12);
	assert_int_equal(err.column, 3);
	assert_string_equal(err.message, "bad field");

	/* set resets the position. */
	assert_int_equal(ps_error_set(&err, PS_EINVAL, "n=%d", 5), PS_EINVAL);
	assert_int_equal(err.line, 0);
	assert_int_equal(err.column, 0);
	assert_string_equal(err.message, "n=5");

	/* The message itself may be an argument. */
	ps_error_set(&err, PS_EINVAL, "table t: %s", err.message);
	assert_string_equal(err.message, "table t: n=5");

	/* Truncated, always terminated. */
	memset(longarg, 'z', sizeof longarg - 1);
	longarg[sizeof longarg - 1] = '\0';
	ps_error_set(&err, PS_ETOOBIG, "%s", longarg);
	assert_int_equal(strlen(err.message), PS_ERROR_MESSAGE_MAX - 1);

	ps_error_clear(&err);
	assert_int_equal(err.code, PS_OK);
	assert_string_equal(err.message, "");
	ps_error_clear(NULL);
}

static void
test_error_quote(void **state)
{
	char		q[PS_ERROR_QUOTE_MAX];
	char		worst[200];

	(void) state;
	assert_string_equal(ps_error_quote(S("AAPL"), q), "\"AAPL\"");
	assert_string_equal(ps_error_quote(NULL, 0, q), "\"\"");
	assert_string_equal(ps_error_quote(S("a\"b\\c\n\0\xFF"), q), "\"a\\\"b\\\\c\\x0a\\x00\\xff\"");
	/* Longest output: every shown byte escaped, then the ellipsis. */
	memset(worst, 0x01, sizeof worst);
	ps_error_quote(worst, sizeof worst, q);
	assert_int_equal(strlen(q), PS_ERROR_QUOTE_MAX - 1);
	assert_string_equal(q + strlen(q) - 4, "\"...");
}

/* ---------------------------------------------------------------- numbers */

/* splitmix64: a fixed-seed generator, so every run checks the same values. */
static uint64_t
next_random(uint64_t *state)
{
	uint64_t	z = (*state += UINT64_C(0x9E3779B97F4A7C15));

	z = (z ^ (z >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94D049BB133111EB);
	return z ^ (z >> 31);
}

static double
double_from_bits(uint64_t bits)
{
	double		d;

	memcpy(&d, &bits, sizeof d);
	return d;
}

/* ps_format_g15 writes what snprintf("%.15g") writes, and says how long it is. */
static void
assert_g15_same(double d)
{
	char		want[64];
	char		got[PS_DOUBLE_TEXT_MAX];
	int			n = snprintf(want, sizeof want, "%.15g", d);
	size_t		len = ps_format_g15(d, got);
	uint64_t	bits;

	memcpy(&bits, &d, sizeof bits);
	if (strcmp(want, got) != 0 || len != (size_t) n)
		fail_msg("%.17g (bits %016" PRIx64 "): %%.15g gives \"%s\", ps_format_g15 \"%s\" (length %zu)",
				 d, bits, want, got, len);
}

/* The rule ps_format_double replaces: the first of %.15g..%.17g that reads back. */
static void
assert_double_same(double d)
{
	char		want[64];
	char		got[PS_DOUBLE_TEXT_MAX];
	size_t		len = ps_format_double(d, got);

	for (int prec = 15; prec <= 17; prec++)
	{
		snprintf(want, sizeof want, "%.*g", prec, d);
		if (strtod(want, NULL) == d)
			break;
	}
	if (strcmp(want, got) != 0 || len != strlen(want))
		fail_msg("%.17g: expected \"%s\", ps_format_double \"%s\" (length %zu)", d, want, got, len);
}

static void
assert_both_same(double d)
{
	assert_g15_same(d);
	assert_double_same(d);
}

static void
test_format_int64(void **state)
{
	static const int64_t edges[] = {0, 1, -1, 9, 10, -10, 99, 100, INT64_MAX, INT64_MIN,
	INT64_MAX - 1, INT64_MIN + 1, INT64_C(1000000000000000000), INT64_C(-999999999999999999)};
	char		want[32];
	char		got[PS_INT64_TEXT_MAX];
	uint64_t	seed = 1;

	(void) state;
	for (size_t i = 0; i < sizeof edges / sizeof edges[0]; i++)
	{
		snprintf(want, sizeof want, "%" PRId64, edges[i]);
		assert_int_equal(ps_format_int64(edges[i], got), strlen(want));
		assert_string_equal(got, want);
	}
	assert_int_equal(ps_format_int64(INT64_MIN, got), PS_INT64_TEXT_MAX - 1);
	/* Random values of every length: shift a random word right by 0..63. */
	for (int i = 0; i < 200000; i++)
	{
		uint64_t	r = next_random(&seed);
		int64_t		v = (int64_t) (r >> (r % 64));

		if (r & 1)
			v = -v;
		snprintf(want, sizeof want, "%" PRId64, v);
		assert_int_equal(ps_format_int64(v, got), strlen(want));
		assert_string_equal(got, want);
	}
}

/* Edges of the short-decimal fast path and values printf spells specially. */
static void
test_format_double_edges(void **state)
{
	static const double edges[] = {
		0.0, -0.0, 1.0, -1.0, 0.5, 0.1, 0.2, 0.3, 0.1 + 0.2, 1.0 / 3, 2.0 / 3, 100.0, 1e14,
		1e-4, -1e-4, 1e-5, 0.00012345678, 0.000123456789012345, 0.0001234567890123456,
		9.99999999999999e-5, 9.999999999999999e-5, 1.00000000000001e-4,
		1e15, -1e15, 999999999999999.0, 999999999999999.9, 99999999999999.99,
		999999999999999.4, 999999999999999.5, 9999999999999.999, 123456789012345.0,
		1234567890123456.0, 12345678901234.5, 1.23456789012345, 1.234567890123456,
		0.999999999999999, 0.9999999999999999, 9.999999999999995, 9.99999999999999,
		4.35, 2.675, 1.005, 1.015, 0.045, 1e-3, 1e-2, 498.19, 187.56, 443.62, -432.8,
		DBL_MIN, -DBL_MIN, DBL_TRUE_MIN, DBL_MAX, -DBL_MAX, DBL_EPSILON, 1e-310, 1e300,
		1e16, 1e17, 123e20, 0x1p52, 0x1p53, 0x1p53 + 2, 0x1p63, 0x1p64,
	};

	(void) state;
	for (size_t i = 0; i < sizeof edges / sizeof edges[0]; i++)
	{
		double		d = edges[i];

		assert_both_same(d);
		assert_both_same(-d);
		assert_both_same(nextafter(d, INFINITY));
		assert_both_same(nextafter(d, -INFINITY));
	}
	assert_both_same(NAN);
	assert_both_same(-NAN);
	assert_both_same(INFINITY);
	assert_both_same(-INFINITY);
	assert_both_same(double_from_bits(UINT64_C(0x7FF0000000000001)));	/* signalling NaN */
	/* The longest text there is fits the array. */
	assert_int_equal(ps_format_double(-DBL_MIN, (char[PS_DOUBLE_TEXT_MAX]) {0}),
					 strlen("-2.2250738585072014e-308"));
	/* Every double from 1e-4 up to a few hundred ulps above it. */
	for (double d = nextafter(1e-4, 0), i = 0; i < 500; i++, d = nextafter(d, 1))
		assert_both_same(d);
}

/*
 * Short decimals m / 10^k of every length and place count, as the division
 * and as strtod reads the decimal (the value a CSV loader stores), with
 * their neighbours one ulp away (which the fast path must refuse or get
 * right too).
 */
static void
test_format_double_short_decimals(void **state)
{
	uint64_t	seed = 2;
	char		text[64];

	(void) state;
	for (int i = 0; i < 1500000; i++)
	{
		uint64_t	r = next_random(&seed);
		int			k = (int) (r % 12);
		/* 1 to 17 digits, more often short ones (prices, quantities). */
		int			digits = 1 + (int) ((r >> 8) % 17);
		uint64_t	limit = 1;
		uint64_t	m;
		double		d;

		for (int j = 0; j < digits; j++)
			limit *= 10;
		m = next_random(&seed) % limit;
		d = (double) m / pow(10, k);
		if (r & (UINT64_C(1) << 40))
			d = -d;
		assert_g15_same(d);
		snprintf(text, sizeof text, "%s%" PRIu64 "e-%d", (r & (UINT64_C(1) << 40)) ? "-" : "", m, k);
		d = strtod(text, NULL);
		assert_g15_same(d);
		if (i % 8 == 0)
		{
			assert_double_same(d);
			assert_g15_same(nextafter(d, INFINITY));
			assert_g15_same(nextafter(d, -INFINITY));
		}
	}
}

/* Random bit patterns: every exponent, subnormals, NaNs and infinities. */
static void
test_format_double_random_bits(void **state)
{
	uint64_t	seed = 3;

	(void) state;
	for (int i = 0; i < 1000000; i++)
	{
		double		d = double_from_bits(next_random(&seed));

		assert_g15_same(d);
		if (i % 8 == 0)
			assert_double_same(d);
	}
	/* Random doubles where the fast path lives (1e-4 .. 1e15). */
	for (int i = 0; i < 1000000; i++)
	{
		uint64_t	r = next_random(&seed);
		double		d = ldexp((double) (r >> 11) / 0x1p53, -13 + (int) (r % 63));

		assert_g15_same(d);
		if (i % 8 == 0)
			assert_double_same(d);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_type_names),
		cmocka_unit_test(test_utf8_valid),
		cmocka_unit_test(test_utf8_invalid),
		cmocka_unit_test(test_utf8_every_position),
		cmocka_unit_test(test_strerror),
		cmocka_unit_test(test_error_set),
		cmocka_unit_test(test_error_quote),
		cmocka_unit_test(test_format_int64),
		cmocka_unit_test(test_format_double_edges),
		cmocka_unit_test(test_format_double_short_decimals),
		cmocka_unit_test(test_format_double_random_bits),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
