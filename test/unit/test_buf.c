/*
 * test_buf.c — unit tests of ps_buf (growable buffer) and ps_reader
 * (bounds-checked reading), with emphasis on LEB128 varints: canonical
 * encodings only, overlong and overflowing forms rejected, every truncation
 * rejected, and readers left untouched by a failed read.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "core/ps_buf.h"

static const struct
{
	uint64_t	value;
	size_t		len;
} varint_cases[] = {
	{0, 1}, {1, 1}, {127, 1}, {128, 2}, {300, 2}, {16383, 2}, {16384, 3},
	{UINT32_MAX, 5}, {(uint64_t) 1 << 56, 9}, {((uint64_t) 1 << 63) - 1, 9},
	{(uint64_t) 1 << 63, 10}, {UINT64_MAX, 10},
};

static void
test_varint_round_trip(void **state)
{
	(void) state;
	for (size_t i = 0; i < sizeof varint_cases / sizeof varint_cases[0]; i++)
	{
		ps_buf		b = PS_BUF_INIT;
		ps_reader	r;
		uint64_t	v = 42;

		assert_int_equal(ps_buf_append_varint(&b, varint_cases[i].value), PS_OK);
		assert_int_equal(b.len, varint_cases[i].len);
		ps_reader_init(&r, b.data, b.len);
		assert_int_equal(ps_read_varint(&r, &v), PS_OK);
		assert_true(v == varint_cases[i].value);
		assert_int_equal(ps_reader_left(&r), 0);

		/* Every proper prefix is a truncation: rejected, reader untouched. */
		for (size_t n = 0; n < b.len; n++)
		{
			uint64_t	keep = 7;

			ps_reader_init(&r, b.data, n);
			assert_int_equal(ps_read_varint(&r, &keep), PS_ECORRUPT);
			assert_true(keep == 7);
			assert_ptr_equal(r.p, b.data);
		}
		ps_buf_free(&b);
	}
}

static void
test_varint_known_bytes(void **state)
{
	uint8_t		out[PS_VARINT_MAX];
	const uint8_t v300[] = {0xAC, 0x02};
	const uint8_t vmax[] = {0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01};

	(void) state;
	assert_int_equal(ps_varint_encode(out, 300), 2);
	assert_memory_equal(out, v300, 2);
	assert_int_equal(ps_varint_encode(out, UINT64_MAX), 10);
	assert_memory_equal(out, vmax, 10);
}

static void
expect_bad_varint(const uint8_t *p, size_t n)
{
	ps_reader	r;
	uint64_t	v = 99;

	ps_reader_init(&r, p, n);
	assert_int_equal(ps_read_varint(&r, &v), PS_ECORRUPT);
	assert_true(v == 99);
	assert_ptr_equal(r.p, p);
}

static void
test_varint_rejects_noncanonical(void **state)
{
	const uint8_t overlong_zero[] = {0x80, 0x00};
	const uint8_t overlong_one[] = {0x81, 0x80, 0x00};
	const uint8_t overflow_10th[] = {0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x02};
	const uint8_t overflow_11[] = {0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x81, 0x00};
	const uint8_t all_cont[] = {0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01};

	(void) state;
	expect_bad_varint(overlong_zero, sizeof overlong_zero);
	expect_bad_varint(overlong_one, sizeof overlong_one);
	expect_bad_varint(overflow_10th, sizeof overflow_10th);
	expect_bad_varint(overflow_11, sizeof overflow_11);
	expect_bad_varint(all_cont, sizeof all_cont);
}

static void
test_varint_sequence(void **state)
{
	ps_buf		b = PS_BUF_INIT;
	ps_reader	r;
	uint64_t	x = 1;

	(void) state;
	/* A fixed-seed LCG covers every length; values read back in order. */
	for (int i = 0; i < 2000; i++)
	{
		x = x * 6364136223846793005ULL + 1442695040888963407ULL;
		assert_int_equal(ps_buf_append_varint(&b, x >> (i % 64)), PS_OK);
	}
	ps_reader_init(&r, b.data, b.len);
	x = 1;
	for (int i = 0; i < 2000; i++)
	{
		uint64_t	v;

		x = x * 6364136223846793005ULL + 1442695040888963407ULL;
		assert_int_equal(ps_read_varint(&r, &v), PS_OK);
		assert_true(v == x >> (i % 64));
	}
	assert_int_equal(ps_reader_left(&r), 0);
	ps_buf_free(&b);
}

static void
test_fixed_width(void **state)
{
	ps_buf		b = PS_BUF_INIT;
	ps_reader	r;
	const uint8_t expect[] = {0xAB, 0x01, 0x02, 0x03, 0x04,
		0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88};
	uint8_t		u8;
	uint32_t	u32;
	uint64_t	u64;

	(void) state;
	assert_int_equal(ps_buf_append_u8(&b, 0xAB), PS_OK);
	assert_int_equal(ps_buf_append_u32be(&b, 0x01020304), PS_OK);
	assert_int_equal(ps_buf_append_u64be(&b, 0x1122334455667788ULL), PS_OK);
	assert_int_equal(b.len, sizeof expect);
	assert_memory_equal(b.data, expect, sizeof expect);

	ps_reader_init(&r, b.data, b.len);
	assert_int_equal(ps_read_u8(&r, &u8), PS_OK);
	assert_int_equal(u8, 0xAB);
	assert_int_equal(ps_read_u32be(&r, &u32), PS_OK);
	assert_int_equal(u32, 0x01020304);
	assert_int_equal(ps_read_u64be(&r, &u64), PS_OK);
	assert_true(u64 == 0x1122334455667788ULL);
	assert_int_equal(ps_read_u8(&r, &u8), PS_ECORRUPT);

	/* Short input: rejected, nothing consumed, outputs untouched. */
	ps_reader_init(&r, b.data, 3);
	u32 = 5;
	assert_int_equal(ps_read_u32be(&r, &u32), PS_ECORRUPT);
	assert_int_equal(u32, 5);
	ps_reader_init(&r, b.data, 7);
	u64 = 6;
	assert_int_equal(ps_read_u64be(&r, &u64), PS_ECORRUPT);
	assert_true(u64 == 6);
	assert_int_equal(ps_reader_left(&r), 7);
	ps_buf_free(&b);
}

static void
test_read_bytes_bounds(void **state)
{
	const uint8_t data[] = "abcdef";
	const uint8_t *p = NULL;
	ps_reader	r;

	(void) state;
	ps_reader_init(&r, data, 6);
	assert_int_equal(ps_read_bytes(&r, 7, &p), PS_ECORRUPT);
	assert_null(p);
	assert_int_equal(ps_read_bytes(&r, SIZE_MAX, &p), PS_ECORRUPT);
	assert_int_equal(ps_read_bytes(&r, 2, &p), PS_OK);
	assert_ptr_equal(p, data);
	assert_int_equal(ps_read_bytes(&r, 4, &p), PS_OK);
	assert_ptr_equal(p, data + 2);
	assert_int_equal(ps_reader_left(&r), 0);
	assert_int_equal(ps_read_bytes(&r, 0, &p), PS_OK);
	assert_int_equal(ps_read_bytes(&r, 1, &p), PS_ECORRUPT);
}

static void
test_growth_and_reset(void **state)
{
	ps_buf		b = PS_BUF_INIT;
	uint8_t		chunk[1000];
	uint8_t    *kept;

	(void) state;
	for (size_t i = 0; i < sizeof chunk; i++)
		chunk[i] = (uint8_t) i;
	for (int i = 0; i < 100; i++)
		assert_int_equal(ps_buf_append(&b, chunk, sizeof chunk), PS_OK);
	assert_int_equal(b.len, 100 * sizeof chunk);
	assert_true(b.cap >= b.len);
	for (int i = 0; i < 100; i++)
		assert_memory_equal(b.data + i * sizeof chunk, chunk, sizeof chunk);

	/* reset keeps the allocation, so reuse does not reallocate. */
	kept = b.data;
	ps_buf_reset(&b);
	assert_int_equal(b.len, 0);
	assert_int_equal(ps_buf_append(&b, chunk, sizeof chunk), PS_OK);
	assert_ptr_equal(b.data, kept);

	/* Zero-length appends are no-ops, even from NULL. */
	assert_int_equal(ps_buf_append(&b, NULL, 0), PS_OK);
	assert_int_equal(b.len, sizeof chunk);
	ps_buf_free(&b);
	assert_null(b.data);
	assert_int_equal(b.cap, 0);
}

static void
test_reserve_overflow(void **state)
{
	ps_buf		b = PS_BUF_INIT;

	(void) state;
	assert_int_equal(ps_buf_append(&b, "xyz", 3), PS_OK);
	/* len + extra would wrap: refused, buffer unchanged. */
	assert_int_equal(ps_buf_reserve(&b, SIZE_MAX), PS_ENOMEM);
	assert_int_equal(ps_buf_reserve(&b, SIZE_MAX - 2), PS_ENOMEM);
	assert_int_equal(b.len, 3);
	assert_memory_equal(b.data, "xyz", 3);
	assert_int_equal(ps_buf_reserve(&b, 10), PS_OK);
	assert_true(b.cap - b.len >= 10);
	ps_buf_free(&b);
}

static void
test_printf(void **state)
{
	ps_buf		b = PS_BUF_INIT;
	char		big[300];

	(void) state;
	assert_int_equal(ps_buf_printf(&b, "%d-%s", 42, "x"), PS_OK);
	assert_int_equal(b.len, 4);
	assert_memory_equal(b.data, "42-x", 4);
	/* Longer than the spare capacity: grows and retries. */
	memset(big, 'q', sizeof big - 1);
	big[sizeof big - 1] = '\0';
	assert_int_equal(ps_buf_printf(&b, "[%s]", big), PS_OK);
	assert_int_equal(b.len, 4 + 2 + 299);
	assert_int_equal(b.data[4], '[');
	assert_int_equal(b.data[4 + 300], ']');
	assert_int_equal(ps_buf_printf(&b, "%s", ""), PS_OK);
	assert_int_equal(b.len, 305);
	ps_buf_free(&b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_varint_round_trip),
		cmocka_unit_test(test_varint_known_bytes),
		cmocka_unit_test(test_varint_rejects_noncanonical),
		cmocka_unit_test(test_varint_sequence),
		cmocka_unit_test(test_fixed_width),
		cmocka_unit_test(test_read_bytes_bounds),
		cmocka_unit_test(test_growth_and_reset),
		cmocka_unit_test(test_reserve_overflow),
		cmocka_unit_test(test_printf),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
