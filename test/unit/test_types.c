/*
 * test_types.c — unit tests of ps_types (type names, strict UTF-8
 * validation, including the eight-bytes-at-a-time ASCII path) and ps_error
 * (messages, truncation, NULL err, quoting of untrusted input).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
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
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
