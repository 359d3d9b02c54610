/*
 * test_codec.c — unit tests of the block codecs (ps_codec.h): bit-packing
 * at every width, INT in both forms and AUTO on random and adversarial
 * values (INT64_MIN/MAX, wrapping deltas, common divisors), times,
 * floats bit for bit (NaN payloads, infinities, -0.0, denormals) in
 * Gorilla and DECIMAL, booleans, strings (empty, long, few or many
 * distinct) in DICT and PLAIN; every payload truncated at every length is
 * PS_ECORRUPT, hand-made malformed payloads are PS_ECORRUPT, and random
 * bytes never crash a decoder.  Payloads are decoded from buffers of
 * their exact size, so sanitizers and valgrind see any overread.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <math.h>
#include <float.h>
#include <cmocka.h>

#include "core/ps_codec.h"

#define N PS_CODEC_MAX_VALUES

static uint64_t rng;

static uint64_t
rnd(void)
{
	rng = rng * 6364136223846793005ULL + 1442695040888963407ULL;
	return rng ^ (rng >> 29);
}

/* A heap copy of exactly n bytes: any read past it is caught by the tools. */
static uint8_t *
exact_copy(const uint8_t *p, size_t n)
{
	uint8_t    *q = malloc(n ? n : 1);

	assert_non_null(q);
	if (n)
		memcpy(q, p, n);
	return q;
}

static const uint32_t sizes[] = {0, 1, 2, 3, 7, 8, 9, 15, 16, 17, 63, 64, 65, 100, 511, 1000, 1023, 1024};
#define NSIZES (sizeof sizes / sizeof sizes[0])

/* ---------------------------------------------------------------- bits */

static void
test_bitpack_every_width(void **state)
{
	static uint64_t v[N], out[N];

	(void) state;
	rng = 1;
	for (unsigned w = 0; w <= 64; w++)
		for (size_t s = 0; s < NSIZES; s++)
		{
			uint32_t	n = sizes[s];
			size_t		nb = ps_bits_bytes(n, w);
			uint8_t    *buf = malloc(nb + 1);
			uint8_t    *exact;

			for (uint32_t i = 0; i < n; i++)
			{
				uint64_t	x = rnd();

				/* Extremes of the width too. */
				if (i % 5 == 0)
					x = ~UINT64_C(0);
				v[i] = w == 64 ? x : x & ((UINT64_C(1) << w) - 1);
			}
			buf[nb] = 0xAB;
			ps_bitpack(buf, v, n, w);
			assert_int_equal(buf[nb], 0xAB);	/* wrote exactly nb bytes */
			exact = exact_copy(buf, nb);
			ps_bitunpack(exact, n, w, out);
			for (uint32_t i = 0; i < n; i++)
				assert_true(out[i] == v[i]);
			free(exact);
			free(buf);
		}
}

static void
test_bit_helpers(void **state)
{
	uint8_t		bm[3] = {0xFF, 0x01, 0x00};

	(void) state;
	assert_int_equal(ps_bits_width(0), 0);
	assert_int_equal(ps_bits_width(1), 1);
	assert_int_equal(ps_bits_width(255), 8);
	assert_int_equal(ps_bits_width(UINT64_MAX), 64);
	assert_int_equal(ps_varint_size(0), 1);
	assert_int_equal(ps_varint_size(127), 1);
	assert_int_equal(ps_varint_size(128), 2);
	assert_int_equal(ps_varint_size(UINT64_MAX), 10);
	assert_true(ps_unzigzag(ps_zigzag(INT64_MIN)) == INT64_MIN);
	assert_true(ps_unzigzag(ps_zigzag(INT64_MAX)) == INT64_MAX);
	assert_true(ps_zigzag(-1) == 1 && ps_zigzag(1) == 2);
	assert_int_equal(ps_bitmap_count(bm, 9), 9);
	assert_int_equal(ps_bitmap_count(bm, 8), 8);
	assert_true(ps_bitmap_padding_ok(bm, 9));
	bm[1] = 0x03;
	assert_false(ps_bitmap_padding_ok(bm, 9));
}

/* ---------------------------------------------------------------- ints */

/* Round trip of v[0..n) in mode; returns the payload size. */
static size_t
int_round_trip(const int64_t *v, uint32_t n, ps_codec_mode mode)
{
	static int64_t out[N];
	ps_buf		b = PS_BUF_INIT;
	ps_reader	r;
	uint8_t    *exact;

	assert_int_equal(ps_codec_int_encode(&b, v, n, mode), PS_OK);
	assert_int_equal(b.len, ps_codec_int_size(v, n, mode));
	exact = exact_copy(b.data, b.len);
	ps_reader_init(&r, exact, b.len);
	assert_int_equal(ps_codec_int_decode(&r, n, out), PS_OK);
	assert_int_equal(ps_reader_left(&r), 0);
	for (uint32_t i = 0; i < n; i++)
		assert_true(out[i] == v[i]);
	/* Every proper prefix is corrupt. */
	for (size_t cut = 0; cut < b.len; cut++)
	{
		ps_reader_init(&r, exact, cut);
		assert_int_equal(ps_codec_int_decode(&r, n, out), PS_ECORRUPT);
	}
	free(exact);
	ps_buf_free(&b);
	return ps_codec_int_size(v, n, mode);
}

static void
int_all_modes(const int64_t *v, uint32_t n)
{
	size_t		f = int_round_trip(v, n, PS_CODEC_FOR);
	size_t		d = int_round_trip(v, n, PS_CODEC_DELTA);
	size_t		a = int_round_trip(v, n, PS_CODEC_AUTO);

	assert_true(a <= f && a <= d);
}

static void
test_int_round_trips(void **state)
{
	static int64_t v[N];

	(void) state;
	rng = 2;
	for (size_t s = 0; s < NSIZES; s++)
	{
		uint32_t	n = sizes[s];

		for (int kind = 0; kind < 12; kind++)
		{
			for (uint32_t i = 0; i < n; i++)
			{
				uint64_t	x = rnd();

				switch (kind)
				{
					case 0: v[i] = (int64_t) x; break;		/* full range */
					case 1: v[i] = (int64_t) (x % 5000) + 1; break;	/* volumes */
					case 2: v[i] = 42; break;					/* constant */
					case 3: v[i] = i % 2 ? INT64_MIN : INT64_MAX; break;	/* max deltas */
					case 4: v[i] = (int64_t) i * 1000000 + INT64_MIN / 2; break;
					case 5: v[i] = i ? v[i - 1] + (int64_t) (x % 21) - 10 : 15025; break;	/* walk */
					case 6: v[i] = (int64_t) (x % 50) * 100; break;	/* lots of 100 */
					case 7: v[i] = -(int64_t) i; break;		/* descending */
					case 8: v[i] = i % 3 == 0 ? INT64_MIN : (i % 3 == 1 ? 0 : INT64_MAX); break;
					case 9: v[i] = (int64_t) ((x >> (x % 64)) * (x & 1 ? UINT64_MAX : 1)); break;
					case 10: v[i] = i ? (int64_t) ((uint64_t) v[i - 1] + (x | (UINT64_C(1) << 63))) : INT64_MIN; break;	/* wraps */
					default: v[i] = (int64_t) ((x % 3) * UINT64_C(4611686018427387904)); break;
				}
			}
			int_all_modes(v, n);
		}
	}
}

static void
test_int_chooses_smaller(void **state)
{
	static int64_t v[N];

	(void) state;
	/* A walk: delta wins by far. */
	for (uint32_t i = 0; i < N; i++)
		v[i] = 1000000 + (int64_t) i * 3;
	assert_true(ps_codec_int_size(v, N, PS_CODEC_AUTO) == ps_codec_int_size(v, N, PS_CODEC_DELTA));
	assert_true(ps_codec_int_size(v, N, PS_CODEC_DELTA) < 16);
	/* Random in a range: frame of reference wins. */
	rng = 3;
	for (uint32_t i = 0; i < N; i++)
		v[i] = (int64_t) (rnd() % 1000);
	assert_true(ps_codec_int_size(v, N, PS_CODEC_AUTO) == ps_codec_int_size(v, N, PS_CODEC_FOR));
	assert_true(ps_codec_int_size(v, N, PS_CODEC_FOR) <= 3 + 2 + N * 10 / 8);
	/* A common divisor costs nothing per value. */
	for (uint32_t i = 0; i < N; i++)
		v[i] = (int64_t) (rnd() % 4) * 1000000;
	assert_true(ps_codec_int_size(v, N, PS_CODEC_FOR) <= 1 + 1 + 3 + N * 2 / 8);
}

static void
test_int_malformed(void **state)
{
	int64_t		out[8];
	ps_reader	r;
	/* w = 65 */
	const uint8_t bad_width[] = {65, 0, 1, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF};
	/* gcd 0 */
	const uint8_t bad_gcd[] = {1, 0, 0, 0xFF};
	/* delta, n = 1 but w != 0 */
	const uint8_t bad_delta1[] = {0x81, 0};
	/* overlong varint for min */
	const uint8_t overlong[] = {0, 0x80, 0x00};

	(void) state;
	ps_reader_init(&r, bad_width, sizeof bad_width);
	assert_int_equal(ps_codec_int_decode(&r, 8, out), PS_ECORRUPT);
	ps_reader_init(&r, bad_gcd, sizeof bad_gcd);
	assert_int_equal(ps_codec_int_decode(&r, 8, out), PS_ECORRUPT);
	ps_reader_init(&r, bad_delta1, sizeof bad_delta1);
	assert_int_equal(ps_codec_int_decode(&r, 1, out), PS_ECORRUPT);
	ps_reader_init(&r, overlong, sizeof overlong);
	assert_int_equal(ps_codec_int_decode(&r, 1, out), PS_ECORRUPT);
	ps_reader_init(&r, bad_gcd, sizeof bad_gcd);
	assert_int_equal(ps_codec_int_decode(&r, N + 1, out), PS_ECORRUPT);
}

/* ---------------------------------------------------------------- times */

static void
time_round_trip(const int64_t *t, uint32_t n, ps_codec_mode mode, size_t *size)
{
	static int64_t out[N];
	ps_buf		b = PS_BUF_INIT;
	ps_reader	r;
	uint8_t    *exact;

	assert_int_equal(ps_codec_time_encode(&b, t, n, mode), PS_OK);
	exact = exact_copy(b.data, b.len);
	ps_reader_init(&r, exact, b.len);
	assert_int_equal(ps_codec_time_decode(&r, n, out), PS_OK);
	assert_int_equal(ps_reader_left(&r), 0);
	for (uint32_t i = 0; i < n; i++)
		assert_true(out[i] == t[i]);
	for (size_t cut = 0; cut < b.len; cut++)
	{
		ps_reader_init(&r, exact, cut);
		assert_int_equal(ps_codec_time_decode(&r, n, out), PS_ECORRUPT);
	}
	if (size)
		*size = b.len;
	free(exact);
	ps_buf_free(&b);
}

static void
test_time_round_trips(void **state)
{
	static int64_t t[N];
	size_t		dod, delta, aut;

	(void) state;
	rng = 4;
	for (size_t s = 0; s < NSIZES; s++)
		for (int kind = 0; kind < 7; kind++)
		{
			uint32_t	n = sizes[s];

			for (uint32_t i = 0; i < n; i++)
			{
				uint64_t	x = rnd();

				switch (kind)
				{
					case 0: t[i] = i ? t[i - 1] + (int64_t) (x % 3) * 1000000 : INT64_C(1704067200000000000); break;
					case 1: t[i] = 5; break;			/* equal times */
					case 2: t[i] = i ? INT64_MAX : INT64_MIN; break;	/* overflowing delta */
					case 3: t[i] = (int64_t) x; break;	/* any order */
					case 4: t[i] = INT64_MAX - (int64_t) i; break;	/* descending */
					case 5: t[i] = -1000000000 + (int64_t) i * 1000000000; break;	/* regular, negative */
					default: t[i] = i % 2 ? INT64_MIN : INT64_MAX; break;
				}
			}
			time_round_trip(t, n, PS_CODEC_FOR, &delta);
			time_round_trip(t, n, PS_CODEC_DELTA, &dod);
			time_round_trip(t, n, PS_CODEC_AUTO, &aut);
			assert_true(aut <= delta && aut <= dod);
		}
	/* Regular seconds: delta-of-delta is all zeros, a few bytes for the block. */
	for (uint32_t i = 0; i < N; i++)
		t[i] = INT64_C(1704067200000000000) + (int64_t) i * 1000000000;
	time_round_trip(t, N, PS_CODEC_AUTO, &aut);
	assert_true(aut < 24);
	/* Milliseconds as nanoseconds with 0..2 ms steps: about 2 bits a row. */
	for (uint32_t i = 1; i < N; i++)
		t[i] = t[i - 1] + (int64_t) (rnd() % 3) * 1000000;
	time_round_trip(t, N, PS_CODEC_AUTO, &aut);
	assert_true(aut < 24 + N * 2 / 8);
	assert_int_equal(ps_codec_time_encode(NULL, t, N, PS_CODEC_FORCE_DICT), PS_EINVAL);
}

/* ---------------------------------------------------------------- floats */

static uint64_t
bits_of(double d)
{
	uint64_t	u;

	memcpy(&u, &d, 8);
	return u;
}

static double
from_bits(uint64_t u)
{
	double		d;

	memcpy(&d, &u, 8);
	return d;
}

/* Round trip; returns the codec used. */
static uint8_t
float_round_trip(const double *v, uint32_t n, ps_codec_mode mode, size_t *size)
{
	static double out[N];
	ps_buf		b = PS_BUF_INIT;
	ps_reader	r;
	uint8_t		codec = 0;
	uint8_t    *exact;

	assert_int_equal(ps_codec_float_encode(&b, v, n, mode, &codec), PS_OK);
	exact = exact_copy(b.data, b.len);
	ps_reader_init(&r, exact, b.len);
	assert_int_equal(ps_codec_float_decode(&r, codec, n, out), PS_OK);
	assert_int_equal(ps_reader_left(&r), 0);
	for (uint32_t i = 0; i < n; i++)
		assert_true(bits_of(out[i]) == bits_of(v[i]));
	for (size_t cut = 0; cut < b.len; cut++)
	{
		ps_reader_init(&r, exact, cut);
		assert_int_equal(ps_codec_float_decode(&r, codec, n, out), PS_ECORRUPT);
	}
	if (size)
		*size = b.len;
	free(exact);
	ps_buf_free(&b);
	return codec;
}

static void
test_float_special_values(void **state)
{
	static const double specials[] = {
		0.0, -0.0, 1.0, -1.0, 150.25, NAN, -NAN, INFINITY, -INFINITY, DBL_MIN, DBL_MAX,
		-DBL_MAX, 4.9406564584124654e-324, -4.9406564584124654e-324, 2.2250738585072009e-308,
		1e-300, 1e300, 0.1, 1.0 / 3.0, 9007199254740993.0, 123456789.123456789};
	static double v[N];
	const size_t ns = sizeof specials / sizeof specials[0];

	(void) state;
	rng = 5;
	for (size_t s = 0; s < NSIZES; s++)
	{
		uint32_t	n = sizes[s];

		for (uint32_t i = 0; i < n; i++)
		{
			uint64_t	x = rnd();

			switch (x % 4)
			{
				case 0: v[i] = specials[(x >> 8) % ns]; break;
				case 1: v[i] = from_bits(rnd()); break;	/* any pattern, NaN payloads too */
				case 2: v[i] = i ? v[i - 1] : 0.5; break;	/* repeats */
				default: v[i] = from_bits(0x7FF0000000000000ULL | (rnd() >> 12) | 1); break;	/* NaNs */
			}
		}
		float_round_trip(v, n, PS_CODEC_AUTO, NULL);
		float_round_trip(v, n, PS_CODEC_FORCE_GORILLA, NULL);
	}
}

static void
test_float_decimal(void **state)
{
	static double v[N];
	static int64_t m[N];
	size_t		dec, gor;
	ps_buf		b = PS_BUF_INIT;
	uint8_t		codec;

	(void) state;
	/* Prices with two decimals in a walk: DECIMAL, much smaller than Gorilla. */
	rng = 6;
	v[0] = 150.25;
	for (uint32_t i = 1; i < N; i++)
		v[i] = round((v[i - 1] + ((double) (rnd() % 21) - 10) / 100.0) * 100.0) / 100.0;
	assert_int_equal(ps_codec_decimal_scale(v, N, m), 2);
	assert_int_equal(float_round_trip(v, N, PS_CODEC_AUTO, &dec), PS_CODEC_DECIMAL);
	assert_int_equal(float_round_trip(v, N, PS_CODEC_FORCE_GORILLA, &gor), PS_CODEC_GORILLA);
	assert_true(dec * 3 < gor);
	assert_true(dec < 16 + N * 6 / 8);
	for (size_t s = 0; s < NSIZES; s++)
	{
		assert_int_equal(float_round_trip(v, sizes[s], PS_CODEC_FORCE_DECIMAL, NULL),
						 PS_CODEC_DECIMAL);
		float_round_trip(v, sizes[s], PS_CODEC_AUTO, NULL);
	}

	/* The scale of single values. */
	{
		const struct { double v; int k; } cases[] = {
			{0.0, 0}, {-0.0, -1}, {1.0, 0}, {150.25, 2}, {0.1, 1}, {-0.001, 3}, {1e-9, 9},
			{1.5e-9, -1}, {1e-10, -1}, {123456.789, 3}, {9007199254740992.0, 0},
			{9007199254740994.0, -1}, {1e300, -1}, {NAN, -1}, {INFINITY, -1}, {-INFINITY, -1},
			{4.9406564584124654e-324, -1}, {1.0 / 3.0, -1}, {0.3, 1}, {2.675, 3}};

		for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
		{
			int64_t		mm;
			int			k = ps_codec_decimal_scale(&cases[i].v, 1, &mm);

			if (k != cases[i].k)
				fail_msg("scale of %.17g: %d, expected %d", cases[i].v, k, cases[i].k);
			if (k >= 0)
				assert_true(bits_of((double) mm / pow(10, k)) == bits_of(cases[i].v));
		}
	}
	/* One -0.0, NaN or Inf among prices forces Gorilla. */
	{
		const double spoilers[] = {-0.0, NAN, INFINITY, -INFINITY, 1e-12};

		for (size_t i = 0; i < sizeof spoilers / sizeof spoilers[0]; i++)
		{
			double		saved = v[500];

			v[500] = spoilers[i];
			assert_int_equal(ps_codec_decimal_scale(v, N, m), -1);
			assert_int_equal(float_round_trip(v, N, PS_CODEC_AUTO, NULL), PS_CODEC_GORILLA);
			assert_int_equal(ps_codec_float_encode(&b, v, N, PS_CODEC_FORCE_DECIMAL, &codec),
							 PS_EINVAL);
			assert_int_equal(b.len, 0);
			v[500] = saved;
		}
	}
	/* Mixed scales: the block takes the largest. */
	v[0] = 1.5;
	v[1] = 2.125;
	v[2] = 3.0;
	assert_int_equal(ps_codec_decimal_scale(v, 3, m), 3);
	assert_true(m[0] == 1500 && m[1] == 2125 && m[2] == 3000);
	ps_buf_free(&b);
}

static void
test_float_malformed(void **state)
{
	double		out[4];
	ps_reader	r;
	/* Gorilla: first value, then "1 1" with lead 31 and len 64 (> 64 bits). */
	uint8_t		g[16] = {0};
	const uint8_t bad_k[] = {10, 0, 0};

	(void) state;
	g[8] = 3 | (31 << 2);
	g[9] = 63 >> 1;			/* len-1 bits 7..12 = 63: bit 7 of g[8] and bits 0..4 of g[9] */
	g[8] |= (uint8_t) ((63 & 1) << 7);
	ps_reader_init(&r, g, sizeof g);
	assert_int_equal(ps_codec_float_decode(&r, PS_CODEC_GORILLA, 2, out), PS_ECORRUPT);
	ps_reader_init(&r, bad_k, sizeof bad_k);
	assert_int_equal(ps_codec_float_decode(&r, PS_CODEC_DECIMAL, 1, out), PS_ECORRUPT);
	ps_reader_init(&r, bad_k, sizeof bad_k);
	assert_int_equal(ps_codec_float_decode(&r, PS_CODEC_INT, 1, out), PS_ECORRUPT);
	/* Set padding bits after the last value. */
	memset(g, 0, sizeof g);
	g[8] = 0x02;			/* value 2 repeats (bit 0 = 0), then a stray 1 */
	ps_reader_init(&r, g, 9);
	assert_int_equal(ps_codec_float_decode(&r, PS_CODEC_GORILLA, 2, out), PS_ECORRUPT);
	g[8] = 0;
	ps_reader_init(&r, g, 9);
	assert_int_equal(ps_codec_float_decode(&r, PS_CODEC_GORILLA, 2, out), PS_OK);
	assert_int_equal(ps_reader_left(&r), 0);
}

/* ---------------------------------------------------------------- booleans */

static void
test_bool_round_trips(void **state)
{
	static uint8_t v[N], out[N];

	(void) state;
	rng = 7;
	for (size_t s = 0; s < NSIZES; s++)
	{
		uint32_t	n = sizes[s];
		ps_buf		b = PS_BUF_INIT;
		ps_reader	r;
		uint8_t    *exact;

		for (uint32_t i = 0; i < n; i++)
			v[i] = (uint8_t) (rnd() % 3);	/* 2 counts as true */
		assert_int_equal(ps_codec_bool_encode(&b, v, n), PS_OK);
		assert_int_equal(b.len, (n + 7) / 8);
		exact = exact_copy(b.data, b.len);
		ps_reader_init(&r, exact, b.len);
		assert_int_equal(ps_codec_bool_decode(&r, n, out), PS_OK);
		for (uint32_t i = 0; i < n; i++)
			assert_int_equal(out[i], v[i] != 0);
		for (size_t cut = 0; cut < b.len; cut++)
		{
			ps_reader_init(&r, exact, cut);
			assert_int_equal(ps_codec_bool_decode(&r, n, out), PS_ECORRUPT);
		}
		if (n % 8)
		{
			exact[b.len - 1] |= 0x80;	/* padding bit */
			ps_reader_init(&r, exact, b.len);
			assert_int_equal(ps_codec_bool_decode(&r, n, out), PS_ECORRUPT);
		}
		free(exact);
		ps_buf_free(&b);
	}
}

/* ---------------------------------------------------------------- strings */

static uint8_t
str_round_trip(const ps_strref *s, uint32_t n, ps_codec_mode mode, size_t *size)
{
	static uint32_t off[N + 1];
	ps_buf		b = PS_BUF_INIT;
	ps_buf		data = PS_BUF_INIT;
	ps_reader	r;
	uint8_t		codec;
	uint8_t    *exact;
	size_t		total = 0;

	assert_int_equal(ps_codec_str_encode(&b, s, n, mode, &codec), PS_OK);
	exact = exact_copy(b.data, b.len);
	ps_reader_init(&r, exact, b.len);
	assert_int_equal(ps_codec_str_decode(&r, codec, n, off, &data, SIZE_MAX), PS_OK);
	assert_int_equal(ps_reader_left(&r), 0);
	assert_non_null(data.data);
	assert_int_equal(off[0], 0);
	for (uint32_t i = 0; i < n; i++)
	{
		assert_int_equal(off[i + 1] - off[i], s[i].len);
		assert_memory_equal(data.data + off[i], s[i].ptr, s[i].len);
		total += s[i].len;
	}
	assert_int_equal(data.len, total);
	for (size_t cut = 0; cut < b.len; cut += 1 + cut / 64)
	{
		ps_reader_init(&r, exact, cut);
		assert_int_equal(ps_codec_str_decode(&r, codec, n, off, &data, SIZE_MAX), PS_ECORRUPT);
	}
	/* Strings beyond max_bytes are corrupt. */
	if (total > 0)
	{
		ps_reader_init(&r, exact, b.len);
		assert_int_equal(ps_codec_str_decode(&r, codec, n, off, &data, total - 1), PS_ECORRUPT);
	}
	if (size)
		*size = b.len;
	free(exact);
	ps_buf_free(&b);
	ps_buf_free(&data);
	return codec;
}

static void
test_str_round_trips(void **state)
{
	static const char *venues[] = {"NASDAQ", "NYSE", "ARCA", "BATS", "IEX"};
	static ps_strref s[N];
	static char text[N][24];
	char	   *big = malloc(200000);
	size_t		dict, plain;

	(void) state;
	rng = 8;
	memset(big, 'x', 200000);
	for (size_t z = 0; z < NSIZES; z++)
	{
		uint32_t	n = sizes[z];

		for (int kind = 0; kind < 5; kind++)
		{
			for (uint32_t i = 0; i < n; i++)
			{
				uint64_t	x = rnd();

				switch (kind)
				{
					case 0:		/* few distinct */
						s[i].ptr = venues[x % 5];
						s[i].len = (uint32_t) strlen(venues[x % 5]);
						break;
					case 1:		/* all distinct */
						s[i].len = (uint32_t) snprintf(text[i], sizeof text[i], "id-%llu",
													   (unsigned long long) x);
						s[i].ptr = text[i];
						break;
					case 2:		/* empty strings */
						s[i].ptr = "";
						s[i].len = 0;
						break;
					case 3:		/* long ones, some equal */
						s[i].ptr = big + x % 7;
						s[i].len = (uint32_t) (x % 3 == 0 ? 199990 : x % 1000);
						break;
					default:	/* mixed with multibyte UTF-8 */
						s[i].ptr = x % 2 ? "\xc3\xa9t\xc3\xa9" : "";
						s[i].len = x % 2 ? 5 : 0;
						break;
				}
			}
			if (n > 200 && kind == 3)
				n = 200;	/* keeps the test quick */
			str_round_trip(s, n, PS_CODEC_FORCE_DICT, &dict);
			str_round_trip(s, n, PS_CODEC_FORCE_PLAIN, &plain);
			str_round_trip(s, n, PS_CODEC_AUTO, NULL);
			if (n >= 64 && kind == 0)
				assert_int_equal(str_round_trip(s, n, PS_CODEC_AUTO, NULL), PS_CODEC_DICT);
			if (n >= 64 && kind == 1)
				assert_int_equal(str_round_trip(s, n, PS_CODEC_AUTO, NULL), PS_CODEC_PLAIN);
		}
	}
	free(big);
}

static void
test_str_malformed(void **state)
{
	uint32_t	off[8];
	ps_buf		data = PS_BUF_INIT;
	ps_reader	r;
	/* DICT, 2 entries of length 1 ("a", "b": FOR w=0 min=1), 3 indexes 0,1,1 at w=1 */
	const uint8_t idx_oob[] = {2, 0, 2, 'a', 'b', 0x06};	/* n=3: 0,1,1 — fine */
	const uint8_t nd_zero[] = {0};
	const uint8_t nd_big[] = {9, 0, 2};
	/* PLAIN, lengths FOR w=0 min=-1 (negative length) */
	const uint8_t neg_len[] = {0, 1};
	/* PLAIN, lengths 5 but only 2 bytes */
	const uint8_t short_bytes[] = {0, 10, 'a', 'b'};
	/* DICT with ndict 2 and index 3 (w=1 can only say 0/1; use ndict 3, w=2, index 3) */
	const uint8_t idx_bad[] = {3, 0, 2, 'a', 'b', 'c', 0x03};

	(void) state;
	ps_reader_init(&r, idx_oob, sizeof idx_oob);
	assert_int_equal(ps_codec_str_decode(&r, PS_CODEC_DICT, 3, off, &data, SIZE_MAX), PS_OK);
	assert_int_equal(off[3], 3);
	assert_memory_equal(data.data, "abb", 3);
	ps_reader_init(&r, nd_zero, sizeof nd_zero);
	assert_int_equal(ps_codec_str_decode(&r, PS_CODEC_DICT, 3, off, &data, SIZE_MAX), PS_ECORRUPT);
	ps_reader_init(&r, nd_big, sizeof nd_big);
	assert_int_equal(ps_codec_str_decode(&r, PS_CODEC_DICT, 3, off, &data, SIZE_MAX), PS_ECORRUPT);
	ps_reader_init(&r, neg_len, sizeof neg_len);
	assert_int_equal(ps_codec_str_decode(&r, PS_CODEC_PLAIN, 1, off, &data, SIZE_MAX), PS_ECORRUPT);
	ps_reader_init(&r, short_bytes, sizeof short_bytes);
	assert_int_equal(ps_codec_str_decode(&r, PS_CODEC_PLAIN, 1, off, &data, SIZE_MAX), PS_ECORRUPT);
	ps_reader_init(&r, idx_bad, sizeof idx_bad);
	assert_int_equal(ps_codec_str_decode(&r, PS_CODEC_DICT, 1, off, &data, SIZE_MAX), PS_ECORRUPT);
	ps_reader_init(&r, idx_bad, sizeof idx_bad);
	assert_int_equal(ps_codec_str_decode(&r, PS_CODEC_GORILLA, 1, off, &data, SIZE_MAX), PS_ECORRUPT);
	ps_buf_free(&data);
}

/* ---------------------------------------------------------------- hostile bytes */

static void
test_random_bytes_never_crash(void **state)
{
	static int64_t iv[N];
	static double fv[N];
	static uint8_t bv[N];
	static uint32_t off[N + 1];
	ps_buf		data = PS_BUF_INIT;

	(void) state;
	rng = 9;
	for (int iter = 0; iter < 20000; iter++)
	{
		size_t		len = rnd() % 64;
		uint8_t    *p = malloc(len ? len : 1);
		uint32_t	n = (uint32_t) (rnd() % 40);
		ps_reader	r;

		for (size_t i = 0; i < len; i++)
			p[i] = (uint8_t) rnd();
		/* Small widths are what a short input can hold. */
		if (len && iter % 2)
			p[0] = (uint8_t) (p[0] % 8 | (p[0] & 0x80));
		ps_reader_init(&r, p, len);
		(void) ps_codec_int_decode(&r, n, iv);
		ps_reader_init(&r, p, len);
		(void) ps_codec_time_decode(&r, n, iv);
		ps_reader_init(&r, p, len);
		(void) ps_codec_float_decode(&r, PS_CODEC_GORILLA, n, fv);
		ps_reader_init(&r, p, len);
		(void) ps_codec_float_decode(&r, PS_CODEC_DECIMAL, n, fv);
		ps_reader_init(&r, p, len);
		(void) ps_codec_bool_decode(&r, n, bv);
		ps_reader_init(&r, p, len);
		if (ps_codec_str_decode(&r, PS_CODEC_DICT, n, off, &data, 4096) == PS_OK)
			assert_true(off[n] == data.len && data.len <= 4096);
		ps_reader_init(&r, p, len);
		if (ps_codec_str_decode(&r, PS_CODEC_PLAIN, n, off, &data, 4096) == PS_OK)
			assert_true(off[n] == data.len && data.len <= len);
		free(p);
	}
	ps_buf_free(&data);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bitpack_every_width),
		cmocka_unit_test(test_bit_helpers),
		cmocka_unit_test(test_int_round_trips),
		cmocka_unit_test(test_int_chooses_smaller),
		cmocka_unit_test(test_int_malformed),
		cmocka_unit_test(test_time_round_trips),
		cmocka_unit_test(test_float_special_values),
		cmocka_unit_test(test_float_decimal),
		cmocka_unit_test(test_float_malformed),
		cmocka_unit_test(test_bool_round_trips),
		cmocka_unit_test(test_str_round_trips),
		cmocka_unit_test(test_str_malformed),
		cmocka_unit_test(test_random_bytes_never_crash),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
