/*
 * test_time.c — unit tests of ps_time: ISO-8601 and epoch parsing, UTC
 * offsets, the exact int64 range edges, error codes and messages, and ISO
 * formatting round-trips.
 *
 * Reference values were computed independently (Python's calendar.timegm);
 * the civil-date helpers are cross-checked against the C library's gmtime_r
 * (UTC, no TZ dependence).  Random values come from a fixed-seed LCG, so every
 * run checks the same inputs.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include "core/ps_time.h"

#define NS PS_NS_PER_SEC
#define SENTINEL INT64_C(0x5a5a5a5a5a5a5a5a)

static const char time_min_text[] = "1677-09-21T00:12:43.145224192Z";
static const char time_max_text[] = "2262-04-11T23:47:16.854775807Z";

/* ------------------------------------------------------------------ helpers */

static ps_status
parse_opts(const char *s, const ps_time_options *o, int64_t *out, ps_error *err)
{
	return ps_time_parse(s, strlen(s), o, out, err);
}

static int64_t
parse_ok_opts(const char *s, const ps_time_options *o)
{
	ps_error	err;
	int64_t		ns = SENTINEL;
	ps_status	st;

	ps_error_clear(&err);
	st = parse_opts(s, o, &ns, &err);
	if (st != PS_OK)
		fail_msg("parse \"%s\" failed with %d: %s", s, (int) st, err.message);
	return ns;
}

static int64_t
parse_ok(const char *s)
{
	return parse_ok_opts(s, NULL);
}

static void
expect_eq(int64_t got, int64_t want, const char *what)
{
	if (got != want)
		fail_msg("%s: got %lld, want %lld", what, (long long) got, (long long) want);
}

static void
expect_parse(const char *s, int64_t want)
{
	expect_eq(parse_ok(s), want, s);
}

/* s fails with the given code, leaves the output untouched and sets err. */
static void
expect_status_opts(const char *s, size_t len, const ps_time_options *o, ps_status want)
{
	ps_error	err;
	int64_t		ns = SENTINEL;
	ps_status	st;

	ps_error_clear(&err);
	st = ps_time_parse(s, len, o, &ns, &err);
	if (st != want)
		fail_msg("parse \"%.*s\": status %d, want %d (%s)", (int) len, s,
				 (int) st, (int) want, err.message);
	expect_eq(ns, SENTINEL, "output untouched on failure");
	assert_int_equal(err.code, want);
	assert_true(strlen(err.message) > 0);
	/* err == NULL is allowed and must give the same status. */
	assert_int_equal(ps_time_parse(s, len, o, &ns, NULL), want);
}

static void
expect_status(const char *s, ps_status want)
{
	expect_status_opts(s, strlen(s), NULL, want);
}

static uint64_t
lcg_next(uint64_t *state)
{
	*state = *state * UINT64_C(6364136223846793005) + UINT64_C(1442695040888963407);
	return *state;
}

/* ------------------------------------------------------------ ISO parsing */

static void
test_epoch_zero(void **state)
{
	(void) state;
	expect_parse("1970-01-01", 0);
	expect_parse("1970-01-01T00:00:00Z", 0);
	expect_parse("1970-01-01T00:00Z", 0);
	expect_parse("1970-01-01 00:00:00", 0);
	expect_parse("1970-01-01t00:00:00z", 0);
	expect_parse("1970-01-01T00:00:00.000000000Z", 0);
	expect_parse("1970-01-01T00:00:00+00:00", 0);
	expect_parse("1970-01-01T00:00:00-00:00", 0);
	expect_parse("0", 0);
	expect_parse("-0", 0);
}

static void
test_known_values(void **state)
{
	(void) state;
	expect_parse("2024-02-29T12:34:56.789Z", INT64_C(1709210096789000000));
	expect_parse("2024-02-29 12:34:56.789", INT64_C(1709210096789000000));
	expect_parse("2000-01-01T00:00:00Z", INT64_C(946684800) * NS);
	expect_parse("1900-01-01", INT64_C(-2208988800) * NS);
	expect_parse("2024-01-01", INT64_C(1704067200) * NS);
	expect_parse("2024-01-01T12:30", (INT64_C(1704067200) + 12 * 3600 + 30 * 60) * NS);
	expect_parse("2023-12-31T23:59:59Z", (INT64_C(1704067200) - 1) * NS);
}

static void
test_negative_fractions(void **state)
{
	(void) state;
	expect_parse("1969-12-31T23:59:59.999999999Z", -1);
	expect_parse("1969-12-31T23:59:59.999999Z", -1000);
	expect_parse("1969-12-31T23:59:59.999Z", -1000000);
	expect_parse("1969-12-31T23:59:59.5Z", -500000000);
	expect_parse("1969-12-31T23:59:59Z", -NS);
	expect_parse("1969-12-31T23:59:58.000000001Z", -2 * NS + 1);
	expect_parse("1969-12-31", -86400 * NS);
}

static void
test_fraction_lengths(void **state)
{
	static const char digits[] = "123456789";
	static const int64_t want[10] = {
		0, 100000000, 120000000, 123000000, 123400000, 123450000,
		123456000, 123456700, 123456780, 123456789
	};
	const int64_t base = INT64_C(1704067200) * NS;
	char		text[64];
	int			n;

	(void) state;
	for (n = 0; n <= 9; n++)
	{
		if (n == 0)
			snprintf(text, sizeof text, "2024-01-01T00:00:00Z");
		else
			snprintf(text, sizeof text, "2024-01-01T00:00:00.%.*sZ", n, digits);
		expect_parse(text, base + want[n]);
		/* Same without an offset (default UTC). */
		text[strlen(text) - 1] = '\0';
		expect_parse(text, base + want[n]);
	}
	expect_parse("2024-01-01T00:00:00.000000001Z", base + 1);
	expect_parse("2024-01-01T00:00:00.900000000+00:00", base + 900000000);
	expect_status("2024-01-01T00:00:00.1234567890Z", PS_EINVAL);
	expect_status("2024-01-01T00:00:00.0000000000", PS_EINVAL);
	expect_status("2024-01-01T00:00:00.Z", PS_EINVAL);
	expect_status("2024-01-01T00:00:00.", PS_EINVAL);
	expect_status("2024-01-01T00:00:00,5Z", PS_EINVAL);
	expect_status("2024-01-01T00:00.5Z", PS_EINVAL);
}

static void
test_offsets(void **state)
{
	const int64_t z2300 = INT64_C(1704063600) * NS;	/* 2023-12-31T23:00:00Z */

	(void) state;
	expect_parse("2023-12-31T23:00:00Z", z2300);
	/* Crossing midnight and the year boundary backwards. */
	expect_parse("2024-01-01T01:00:00+02:00", z2300);
	expect_parse("2024-01-01T01:00:00+0200", z2300);
	expect_parse("2024-01-01T01:00:00+02", z2300);
	expect_parse("2024-01-01 01:00+02:00", z2300);
	/* ... and forwards. */
	expect_parse("2023-12-31T18:00:00-05:00", z2300);
	expect_parse("2023-12-31T18:00:00-0500", z2300);
	expect_parse("2023-12-31T18:00:00-05", z2300);
	expect_parse("2024-01-01T00:00:00-05:00", INT64_C(1704085200) * NS);
	expect_parse("2023-12-31T22:00:00-05:00", INT64_C(1704078000) * NS);
	/* Half-hour zones and the leap day. */
	expect_parse("2024-01-01T04:30:00+05:30", z2300);
	expect_parse("2024-03-01T00:30:00+01:00", INT64_C(1709249400) * NS);
	/* Largest allowed offsets. */
	expect_parse("2024-01-01T17:00:00+18:00", z2300);
	expect_parse("2023-12-31T05:00:00-18:00", z2300);
	expect_parse("2024-01-01T00:00:00.5+01:00", z2300 + NS / 2);

	expect_status("2024-01-01T00:00:00+18:01", PS_EINVAL);
	expect_status("2024-01-01T00:00:00+19", PS_EINVAL);
	expect_status("2024-01-01T00:00:00-19:00", PS_EINVAL);
	expect_status("2024-01-01T00:00:00+05:60", PS_EINVAL);
	expect_status("2024-01-01T00:00:00+5", PS_EINVAL);
	expect_status("2024-01-01T00:00:00+05:3", PS_EINVAL);
	expect_status("2024-01-01T00:00:00+053", PS_EINVAL);
	expect_status("2024-01-01T00:00:00+05:30:00", PS_EINVAL);
	expect_status("2024-01-01T00:00:00+", PS_EINVAL);
	expect_status("2024-01-01T00:00:00+05:", PS_EINVAL);
	expect_status("2024-01-01T00:00:00 +05:00", PS_EINVAL);
	expect_status("2024-01-01T00:00:00ZZ", PS_EINVAL);
	expect_status("2024-01-01T00:00:00UTC", PS_EINVAL);
	expect_status("2024-01-01Z", PS_EINVAL);
	expect_status("2024-01-01+01:00", PS_EINVAL);
}

static void
test_default_offset(void **state)
{
	ps_time_options o;
	const int64_t day = INT64_C(1704067200) * NS;	/* 2024-01-01T00:00:00Z */

	(void) state;
	ps_time_options_default(&o);
	assert_int_equal(o.unit, PS_UNIT_AUTO);
	assert_int_equal(o.default_offset_s, 0);
	assert_true(o.allow_epoch);

	o.default_offset_s = -5 * 3600;
	expect_eq(parse_ok_opts("2024-01-01T00:00:00", &o), day + 5 * 3600 * NS, "-05:00 default");
	expect_eq(parse_ok_opts("2024-01-01 00:00", &o), day + 5 * 3600 * NS, "-05:00 default, hh:mm");
	expect_eq(parse_ok_opts("2024-01-01", &o), day + 5 * 3600 * NS, "-05:00 default, date");
	/* An explicit offset wins over the default. */
	expect_eq(parse_ok_opts("2024-01-01T00:00:00Z", &o), day, "explicit Z");
	expect_eq(parse_ok_opts("2024-01-01T00:00:00+01:00", &o), day - 3600 * NS, "explicit +01");
	/* Epoch numbers are absolute: the offset does not apply. */
	expect_eq(parse_ok_opts("1704067200", &o), day, "epoch ignores offset");

	o.default_offset_s = 5 * 3600 + 1800;
	expect_eq(parse_ok_opts("2024-01-01T05:30:00", &o), day, "+05:30 default");
}

static void
test_leap_years(void **state)
{
	(void) state;
	expect_parse("2000-02-29", INT64_C(951782400) * NS);
	expect_parse("2024-02-29", parse_ok("2024-03-01") - 86400 * NS);
	expect_eq(parse_ok("2000-03-01") - parse_ok("2000-02-28"), 2 * 86400 * NS, "2000 leap");
	expect_eq(parse_ok("1900-03-01") - parse_ok("1900-02-28"), 86400 * NS, "1900 not leap");
	expect_eq(parse_ok("2100-03-01") - parse_ok("2100-02-28"), 86400 * NS, "2100 not leap");
	expect_eq(parse_ok("2025-01-01") - parse_ok("2024-01-01"), 366 * 86400 * NS, "2024 length");
	expect_eq(parse_ok("2024-01-01") - parse_ok("2023-01-01"), 365 * 86400 * NS, "2023 length");
	expect_status("1900-02-29", PS_EINVAL);
	expect_status("2023-02-29", PS_EINVAL);
	expect_status("2100-02-29", PS_EINVAL);
	expect_status("2024-02-30", PS_EINVAL);
	expect_status("2023-04-31", PS_EINVAL);
	expect_status("2023-06-31", PS_EINVAL);
	expect_status("2023-01-32", PS_EINVAL);
	expect_status("2023-01-00", PS_EINVAL);
	expect_status("2023-00-10", PS_EINVAL);
	expect_status("2023-13-01", PS_EINVAL);
	parse_ok("2023-04-30");
	parse_ok("2023-12-31");
	parse_ok("2023-01-31");
}

static void
test_field_ranges(void **state)
{
	(void) state;
	parse_ok("2024-01-01T23:59:59.999999999Z");
	parse_ok("2024-01-01T00:00:00Z");
	expect_status("2024-01-01T24:00:00Z", PS_EINVAL);
	expect_status("2024-01-01T24:00", PS_EINVAL);
	expect_status("2024-01-01T25:00", PS_EINVAL);
	expect_status("2024-01-01T12:60", PS_EINVAL);
	expect_status("2024-01-01T12:00:60Z", PS_EINVAL);
	expect_status("2024-12-31T23:59:60Z", PS_EINVAL);
	expect_status("2024-01-01T99:99:99", PS_EINVAL);
}

static void
test_range_edges(void **state)
{
	(void) state;
	expect_parse(time_min_text, INT64_MIN);
	expect_parse(time_max_text, INT64_MAX);
	expect_parse("1677-09-21T00:12:43.145224193Z", INT64_MIN + 1);
	expect_parse("2262-04-11T23:47:16.854775806Z", INT64_MAX - 1);
	/* Offsets that bring an instant back into range. */
	expect_parse("1677-09-21T00:13:43.145224192+00:01", INT64_MIN);
	expect_parse("2262-04-11T23:46:16.854775807-00:01", INT64_MAX);
	expect_parse("1677-09-22", INT64_C(-9223286400) * NS);
	expect_parse("2262-04-11", INT64_C(9223286400) * NS);

	/* One nanosecond (or more) beyond: PS_ETIME, never a wrapped value. */
	expect_status("1677-09-21T00:12:43.145224191Z", PS_ETIME);
	expect_status("2262-04-11T23:47:16.854775808Z", PS_ETIME);
	expect_status("1677-09-21T00:12:43Z", PS_ETIME);
	expect_status("2262-04-11T23:47:17Z", PS_ETIME);
	expect_status("1677-09-21T00:12:43.145224192+00:01", PS_ETIME);
	expect_status("2262-04-11T23:47:16.854775807-00:01", PS_ETIME);
	expect_status("1677-09-21", PS_ETIME);
	expect_status("1677-01-01", PS_ETIME);
	expect_status("2262-04-12", PS_ETIME);
	expect_status("2262-12-31T23:59:59Z", PS_ETIME);
	expect_status("2263-01-01", PS_ETIME);
	expect_status("0000-01-01", PS_ETIME);
	expect_status("1000-01-01T00:00:00Z", PS_ETIME);
	expect_status("9999-12-31T23:59:59.999999999-18:00", PS_ETIME);
}

/* --------------------------------------------------------------- epochs */

static void
test_epoch_auto_units(void **state)
{
	(void) state;
	expect_parse("1", NS);
	expect_parse("1704067200", INT64_C(1704067200) * NS);			/* 10 digits: s */
	expect_parse("9223372036", INT64_C(9223372036) * NS);			/* largest s */
	expect_status("9999999999", PS_ETIME);						/* year 2286 */
	expect_parse("10000000000", INT64_C(10000000000) * 1000000);		/* 11: ms */
	expect_parse("1704067200123", INT64_C(1704067200123) * 1000000);	/* 13: ms */
	expect_parse("17040672001234", INT64_C(17040672001234) * 1000);	/* 14: us */
	expect_parse("1704067200123456", INT64_C(1704067200123456) * 1000);/* 16: us */
	expect_parse("17040672001234567", INT64_C(17040672001234567));	/* 17: ns */
	expect_parse("1704067200123456789", INT64_C(1704067200123456789));
	/* Leading zeros count as digits: 13 digits means milliseconds. */
	expect_parse("0000000000001", 1000000);
	/* The sign does not count. */
	expect_parse("-1", -NS);
	expect_parse("-1704067200", INT64_C(-1704067200) * NS);
	expect_parse("-1704067200123", INT64_C(-1704067200123) * 1000000);
	expect_parse("-1704067200123456", INT64_C(-1704067200123456) * 1000);
	expect_parse("-1704067200123456789", INT64_C(-1704067200123456789));
}

static void
test_epoch_explicit_units(void **state)
{
	ps_time_options o;

	(void) state;
	ps_time_options_default(&o);

	/* A 13-digit value is not auto-detected once the unit is given. */
	o.unit = PS_UNIT_NS;
	expect_eq(parse_ok_opts("1704067200123", &o), INT64_C(1704067200123), "ns");
	expect_eq(parse_ok_opts("1", &o), 1, "1 ns");
	o.unit = PS_UNIT_US;
	expect_eq(parse_ok_opts("1704067200123", &o), INT64_C(1704067200123) * 1000, "us");
	o.unit = PS_UNIT_MS;
	expect_eq(parse_ok_opts("1704067200123", &o), INT64_C(1704067200123) * 1000000, "ms");
	expect_eq(parse_ok_opts("1", &o), 1000000, "1 ms");
	o.unit = PS_UNIT_S;
	expect_eq(parse_ok_opts("1", &o), NS, "1 s");
	expect_eq(parse_ok_opts("-86400", &o), -86400 * NS, "-1 day");
	expect_status_opts("1704067200123", 13, &o, PS_ETIME);	/* 1.7e21 ns */

	/* Unit-scaled edges. */
	expect_eq(parse_ok_opts("9223372036", &o), INT64_C(9223372036) * NS, "max s");
	expect_eq(parse_ok_opts("-9223372036", &o), INT64_C(-9223372036) * NS, "min s");
	expect_status_opts("9223372037", 10, &o, PS_ETIME);
	expect_status_opts("-9223372037", 11, &o, PS_ETIME);
	o.unit = PS_UNIT_MS;
	expect_eq(parse_ok_opts("9223372036854", &o), INT64_C(9223372036854) * 1000000, "max ms");
	expect_status_opts("9223372036855", 13, &o, PS_ETIME);
	o.unit = PS_UNIT_US;
	expect_eq(parse_ok_opts("-9223372036854775", &o), INT64_C(-9223372036854775) * 1000, "min us");
	expect_status_opts("-9223372036854776", 17, &o, PS_ETIME);
}

static void
test_epoch_overflow(void **state)
{
	(void) state;
	expect_parse("9223372036854775807", INT64_MAX);
	expect_parse("-9223372036854775808", INT64_MIN);
	expect_status("9223372036854775808", PS_ETIME);
	expect_status("-9223372036854775809", PS_ETIME);
	expect_status("18446744073709551616", PS_ETIME);
	expect_status("99999999999999999999999999999999999999999999999999", PS_ETIME);
	expect_status("-99999999999999999999999999999999999999999999999999", PS_ETIME);
}

static void
test_epoch_malformed(void **state)
{
	ps_time_options o;
	ps_error	err;
	int64_t		ns = SENTINEL;

	(void) state;
	expect_status("-", PS_EINVAL);
	expect_status("--1", PS_EINVAL);
	expect_status("+1", PS_EINVAL);
	expect_status("1.5", PS_EINVAL);
	expect_status("1e9", PS_EINVAL);
	expect_status("0x10", PS_EINVAL);
	expect_status("1 ", PS_EINVAL);
	expect_status(" 1", PS_EINVAL);
	expect_status("1-", PS_EINVAL);

	/* Epochs can be switched off (for ISO-only contexts). */
	ps_time_options_default(&o);
	o.allow_epoch = false;
	expect_status_opts("1704067200", 10, &o, PS_EINVAL);
	assert_int_equal(parse_opts("0", &o, &ns, &err), PS_EINVAL);
	assert_non_null(strstr(err.message, "epoch numbers are not allowed"));
	expect_eq(parse_ok_opts("2024-01-01", &o), INT64_C(1704067200) * NS, "ISO still ok");
}

/* -------------------------------------------------------------- malformed */

static void
test_malformed(void **state)
{
	static const char *const bad[] = {
		"", "2024-13-01", "2024-01-01T25:00", "2024-01-01T12:00:00Zjunk",
		"2024-01-01T12:00:00junk", "2024-01-01x", "2024-1-1", "2024-01-1",
		"2024-1-01", "24-01-01", "20240-01-01", "2024/01/01", "2024-01-01T",
		"2024-01-01T12", "2024-01-01T1:00", "2024-01-01T12:0", "2024-01-01T12:00:",
		"2024-01-01T12:00:0", "2024-01-01T12:00:00.1234567890", " 2024-01-01",
		"2024-01-01 ", "2024-01-01  12:00", "2024-01-01_12:00", "2024-01-01T12-00",
		"2024-01-01T12:00:00\n", "abc", "T12:00", "12:00:00", "-2024-01-01",
		"2024-01-01T12:00:00+25:00", "2024-01-01T12:00:00+0a:00", "now",
		"\xef\xbc\x92\xef\xbc\x90\xef\xbc\x92\xef\xbc\x94-01-01",
		"2024-01-01T12:00:00.+01:00", "2024-01-01T12:00:00Z ", "2024-01-0a",
	};
	size_t		i;

	(void) state;
	for (i = 0; i < sizeof bad / sizeof bad[0]; i++)
		expect_status(bad[i], PS_EINVAL);
	/* Embedded NUL bytes are data, not terminators. */
	expect_status_opts("2024-01-01\0", 11, NULL, PS_EINVAL);
	expect_status_opts("17\00004", 5, NULL, PS_EINVAL);
	/* A NULL text with length 0 is the empty string. */
	expect_status_opts(NULL, 0, NULL, PS_EINVAL);
}

static void
test_length_is_respected(void **state)
{
	static const char text[] = "2024-01-01T00:00:00Zgarbage";
	int64_t		ns = SENTINEL;

	(void) state;
	assert_int_equal(ps_time_parse(text, 20, NULL, &ns, NULL), PS_OK);
	expect_eq(ns, INT64_C(1704067200) * NS, "prefix of 20 bytes");
	assert_int_equal(ps_time_parse(text, 10, NULL, &ns, NULL), PS_OK);
	expect_eq(ns, INT64_C(1704067200) * NS, "date prefix");
	assert_int_equal(ps_time_parse("1234567", 3, NULL, &ns, NULL), PS_OK);
	expect_eq(ns, 123 * NS, "number prefix");
	assert_int_equal(ps_time_parse(text, 9, NULL, &ns, NULL), PS_EINVAL);
	assert_int_equal(ps_time_parse(text, 21, NULL, &ns, NULL), PS_EINVAL);
}

static void
test_error_messages(void **state)
{
	ps_error	err;
	int64_t		ns;
	char		want[PS_ERROR_MESSAGE_MAX];
	char		long_text[101];
	ps_time_options iso_only;

	(void) state;
	assert_int_equal(parse_opts("xyz", NULL, &ns, &err), PS_EINVAL);
	assert_string_equal(err.message,
						"invalid time \"xyz\": expected ISO-8601 date/time or epoch number");
	assert_int_equal(err.code, PS_EINVAL);

	ps_time_options_default(&iso_only);
	iso_only.allow_epoch = false;
	assert_int_equal(parse_opts("xyz", &iso_only, &ns, &err), PS_EINVAL);
	assert_string_equal(err.message, "invalid time \"xyz\": expected ISO-8601 date/time");

	assert_int_equal(parse_opts("2024-13-01", NULL, &ns, &err), PS_EINVAL);
	assert_non_null(strstr(err.message, "\"2024-13-01\""));
	assert_non_null(strstr(err.message, "month"));
	assert_int_equal(parse_opts("2023-02-29", NULL, &ns, &err), PS_EINVAL);
	assert_non_null(strstr(err.message, "day"));
	assert_int_equal(parse_opts("2024-01-01T25:00", NULL, &ns, &err), PS_EINVAL);
	assert_non_null(strstr(err.message, "hour"));
	assert_int_equal(parse_opts("2024-01-01T12:61", NULL, &ns, &err), PS_EINVAL);
	assert_non_null(strstr(err.message, "minute"));
	assert_int_equal(parse_opts("2024-01-01T12:00:60", NULL, &ns, &err), PS_EINVAL);
	assert_non_null(strstr(err.message, "leap seconds"));
	assert_int_equal(parse_opts("2024-01-01T12:00:00.0123456789", NULL, &ns, &err), PS_EINVAL);
	assert_non_null(strstr(err.message, "fraction"));
	assert_int_equal(parse_opts("2024-01-01T12:00:00+19:00", NULL, &ns, &err), PS_EINVAL);
	assert_non_null(strstr(err.message, "offset"));

	assert_int_equal(parse_opts("2263-01-01", NULL, &ns, &err), PS_ETIME);
	assert_int_equal(err.code, PS_ETIME);
	assert_non_null(strstr(err.message, "\"2263-01-01\" out of range"));
	assert_non_null(strstr(err.message, time_min_text));
	assert_non_null(strstr(err.message, time_max_text));
	assert_int_equal(parse_opts("9223372036854775808", NULL, &ns, &err), PS_ETIME);
	assert_non_null(strstr(err.message, "out of range"));

	/* Non-printable bytes, quotes and backslashes are escaped. */
	assert_int_equal(parse_opts("a\x01\xff\"\\b", NULL, &ns, &err), PS_EINVAL);
	assert_string_equal(err.message,
						"invalid time \"a\\x01\\xff\\\"\\\\b\": expected ISO-8601 "
						"date/time or epoch number");
	assert_int_equal(ps_time_parse("\0", 1, NULL, &ns, &err), PS_EINVAL);
	assert_non_null(strstr(err.message, "\"\\x00\""));

	/* Long inputs are quoted truncated to 64 bytes. */
	memset(long_text, 'q', 100);
	long_text[64] = 'X';
	long_text[100] = '\0';
	assert_int_equal(parse_opts(long_text, NULL, &ns, &err), PS_EINVAL);
	snprintf(want, sizeof want, "invalid time \"%.64s\"...: expected ISO-8601 "
			 "date/time or epoch number", long_text);
	assert_string_equal(err.message, want);
	assert_null(strchr(err.message, 'X'));
	/* Exactly 64 bytes: no ellipsis. */
	long_text[64] = '\0';
	assert_int_equal(parse_opts(long_text, NULL, &ns, &err), PS_EINVAL);
	assert_null(strstr(err.message, "..."));

	/* Worst case: 64 bytes that all need \xNN still fit the message. */
	memset(long_text, '\x80', 100);
	assert_int_equal(parse_opts(long_text, NULL, &ns, &err), PS_EINVAL);
	assert_non_null(strstr(err.message, "\"...: expected"));
}

/* ------------------------------------------------------------- formatting */

static void
expect_format(int64_t ns, const char *want)
{
	char		buf[PS_TIME_ISO_MAX];
	size_t		n = ps_time_format_iso(ns, buf);

	assert_string_equal(buf, want);
	assert_int_equal(n, strlen(want));
}

static void
test_format_known(void **state)
{
	(void) state;
	expect_format(0, "1970-01-01T00:00:00Z");
	expect_format(-1, "1969-12-31T23:59:59.999999999Z");
	expect_format(-1000, "1969-12-31T23:59:59.999999Z");
	expect_format(-1000000, "1969-12-31T23:59:59.999Z");
	expect_format(-NS, "1969-12-31T23:59:59Z");
	expect_format(-NS / 2, "1969-12-31T23:59:59.500Z");
	expect_format(-86400 * NS, "1969-12-31T00:00:00Z");
	expect_format(-86400 * NS - 1, "1969-12-30T23:59:59.999999999Z");
	expect_format(1, "1970-01-01T00:00:00.000000001Z");
	expect_format(1000, "1970-01-01T00:00:00.000001Z");
	expect_format(1000000, "1970-01-01T00:00:00.001Z");
	expect_format(120000, "1970-01-01T00:00:00.000120Z");
	expect_format(100000000, "1970-01-01T00:00:00.100Z");
	expect_format(123456789, "1970-01-01T00:00:00.123456789Z");
	expect_format(INT64_C(1709210096789000000), "2024-02-29T12:34:56.789Z");
	expect_format(INT64_C(951782400) * NS, "2000-02-29T00:00:00Z");
	expect_format(INT64_C(-2208988800) * NS, "1900-01-01T00:00:00Z");
	expect_format(INT64_C(1704063599) * NS + 999999000, "2023-12-31T22:59:59.999999Z");
	expect_format(INT64_MIN, time_min_text);
	expect_format(INT64_MAX, time_max_text);
	expect_format(INT64_MIN + 1, "1677-09-21T00:12:43.145224193Z");
	expect_format(INT64_MAX - 1, "2262-04-11T23:47:16.854775806Z");
}

static void
expect_round_trip(int64_t ns)
{
	char		buf[PS_TIME_ISO_MAX];
	size_t		n = ps_time_format_iso(ns, buf);
	ps_time_options o;
	int64_t		back = SENTINEL;

	assert_true(n < PS_TIME_ISO_MAX);
	assert_int_equal(n, strlen(buf));
	assert_true(ps_time_is_iso(buf, n));
	if (ps_time_parse(buf, n, NULL, &back, NULL) != PS_OK || back != ns)
		fail_msg("round trip of %lld via \"%s\" gave %lld", (long long) ns, buf,
				 (long long) back);
	/* The Z in the text overrides any default offset. */
	ps_time_options_default(&o);
	o.default_offset_s = -7 * 3600;
	back = SENTINEL;
	assert_int_equal(ps_time_parse(buf, n, &o, &back, NULL), PS_OK);
	expect_eq(back, ns, buf);
}

static void
test_format_round_trip(void **state)
{
	static const int64_t fixed[] = {
		0, 1, -1, 999, -999, 1000, -1000, 999999, 1000000, -1000000,
		NS - 1, NS, -NS, -NS + 1, -NS - 1, INT64_C(1709210096789000000),
		INT64_MIN, INT64_MIN + 1, INT64_MIN + 999999999, INT64_MIN + NS,
		INT64_MAX, INT64_MAX - 1, INT64_MAX - 854775807, INT64_MAX - NS,
		INT64_C(951782400) * NS, INT64_C(-2208988800) * NS,
	};
	uint64_t	lcg = 20240229;
	size_t		i;

	(void) state;
	for (i = 0; i < sizeof fixed / sizeof fixed[0]; i++)
		expect_round_trip(fixed[i]);
	for (i = 0; i < 200000; i++)
	{
		int64_t		ns = (int64_t) lcg_next(&lcg);

		/* Exercise the 0-, 3- and 6-digit fraction forms too. */
		switch (i % 4)
		{
			case 1: ns -= ns % NS; break;
			case 2: ns -= ns % 1000000; break;
			case 3: ns -= ns % 1000; break;
			default: break;
		}
		expect_round_trip(ns);
	}
}

/* ---------------------------------------------------------- civil helpers */

static void
test_civil_matches_libc(void **state)
{
	const int64_t first_day = ps_time_floor_div(INT64_MIN, 86400 * NS);
	const int64_t last_day = ps_time_floor_div(INT64_MAX, 86400 * NS);
	int64_t		prev_y;
	unsigned	prev_m;
	unsigned	prev_d;
	int64_t		z;

	(void) state;
	expect_eq(ps_days_from_civil(1970, 1, 1), 0, "epoch day");
	expect_eq(ps_days_from_civil(2000, 3, 1), 11017, "2000-03-01");
	expect_eq(ps_days_from_civil(1969, 12, 31), -1, "1969-12-31");
	expect_eq(ps_days_from_civil(0, 3, 1), -719468, "0000-03-01");

	ps_civil_from_days(first_day - 1, &prev_y, &prev_m, &prev_d);
	for (z = first_day; z <= last_day; z++)
	{
		time_t		t = (time_t) (z * 86400);
		struct tm	tm;
		int64_t		y;
		unsigned	m;
		unsigned	d;

		ps_civil_from_days(z, &y, &m, &d);
		assert_non_null(gmtime_r(&t, &tm));
		if (y != tm.tm_year + 1900 || m != (unsigned) tm.tm_mon + 1 ||
			d != (unsigned) tm.tm_mday)
			fail_msg("day %lld: %lld-%u-%u, libc %d-%d-%d", (long long) z,
					 (long long) y, m, d, tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday);
		expect_eq(ps_days_from_civil(y, m, d), z, "days_from_civil inverse");
		/* Consecutive days are consecutive dates. */
		assert_true(d == prev_d + 1 || (d == 1 && (m == prev_m + 1 ||
												   (m == 1 && prev_m == 12 && y == prev_y + 1))));
		prev_y = y;
		prev_m = m;
		prev_d = d;
	}
}

static void
test_format_matches_libc(void **state)
{
	uint64_t	lcg = 1677;
	int			i;

	(void) state;
	for (i = 0; i < 100000; i++)
	{
		int64_t		ns = (int64_t) lcg_next(&lcg);
		time_t		t = (time_t) ps_time_floor_div(ns, NS);
		struct tm	tm;
		char		want[64];
		char		buf[PS_TIME_ISO_MAX];

		assert_non_null(gmtime_r(&t, &tm));
		strftime(want, sizeof want, "%Y-%m-%dT%H:%M:%S", &tm);
		ps_time_format_iso(ns, buf);
		if (strncmp(buf, want, strlen(want)) != 0)
			fail_msg("%lld: \"%s\", libc \"%s\"", (long long) ns, buf, want);
	}
}

static void
test_floor_div(void **state)
{
	(void) state;
	expect_eq(ps_time_floor_div(0, NS), 0, "0");
	expect_eq(ps_time_floor_div(NS - 1, NS), 0, "just below 1 s");
	expect_eq(ps_time_floor_div(NS, NS), 1, "1 s");
	expect_eq(ps_time_floor_div(-1, NS), -1, "-1 ns");
	expect_eq(ps_time_floor_div(-NS, NS), -1, "-1 s");
	expect_eq(ps_time_floor_div(-NS - 1, NS), -2, "just below -1 s");
	expect_eq(ps_time_floor_div(-1001, 1000), -2, "-1001 / 1000");
	expect_eq(ps_time_floor_div(1999, 1000), 1, "1999 / 1000");
	expect_eq(ps_time_floor_div(INT64_MIN, 1000), INT64_C(-9223372036854776), "min / 1000");
	expect_eq(ps_time_floor_div(INT64_MAX, 1000), INT64_C(9223372036854775), "max / 1000");
	expect_eq(ps_time_floor_div(INT64_MIN, 1), INT64_MIN, "min / 1");
}

/* -------------------------------------------------- offset / unit options */

static void
expect_offset(const char *s, int32_t want)
{
	int32_t		offset = INT32_MIN;

	if (ps_time_parse_offset(s, strlen(s), &offset) != PS_OK)
		fail_msg("offset \"%s\" rejected", s);
	expect_eq(offset, want, s);
}

static void
test_parse_offset(void **state)
{
	static const char *const bad[] = {
		"", "00:00", "0530", "05", "+18:01", "-18:30", "+19", "+99:00",
		"+05:60", "+5", "+05:3", "+053", "+05:30:00", "+05:30 ", " +05:30",
		"UTCX", "UT", "GMT", "ZZ", "+", "-", "+0:530", "Europe/Paris",
	};
	int32_t		offset = 12345;
	size_t		i;

	(void) state;
	expect_offset("UTC", 0);
	expect_offset("utc", 0);
	expect_offset("Utc", 0);
	expect_offset("Z", 0);
	expect_offset("z", 0);
	expect_offset("+05:30", 5 * 3600 + 1800);
	expect_offset("-0500", -5 * 3600);
	expect_offset("+05", 5 * 3600);
	expect_offset("-05:00", -5 * 3600);
	expect_offset("+00:00", 0);
	expect_offset("-00", 0);
	expect_offset("+18:00", 18 * 3600);
	expect_offset("-18", -18 * 3600);
	expect_offset("+0545", 5 * 3600 + 45 * 60);
	for (i = 0; i < sizeof bad / sizeof bad[0]; i++)
	{
		if (ps_time_parse_offset(bad[i], strlen(bad[i]), &offset) != PS_EINVAL)
			fail_msg("offset \"%s\" accepted", bad[i]);
		expect_eq(offset, 12345, "offset untouched on failure");
	}
	assert_int_equal(ps_time_parse_offset(NULL, 0, &offset), PS_EINVAL);
	/* Only len bytes are read. */
	assert_int_equal(ps_time_parse_offset("+05:30junk", 6, &offset), PS_OK);
	expect_eq(offset, 5 * 3600 + 1800, "prefix");
	assert_int_equal(ps_time_parse_offset("UTCjunk", 3, &offset), PS_OK);
	expect_eq(offset, 0, "UTC prefix");
}

static void
test_parse_unit(void **state)
{
	static const char *const bad[] = {"", "S ", "sec", "seconds", "m", "mss", "n", "autos", "µ"};
	ps_time_unit unit = PS_UNIT_NS;
	size_t		i;

	(void) state;
	assert_int_equal(ps_time_parse_unit("s", &unit), PS_OK);
	assert_int_equal(unit, PS_UNIT_S);
	assert_int_equal(ps_time_parse_unit("ms", &unit), PS_OK);
	assert_int_equal(unit, PS_UNIT_MS);
	assert_int_equal(ps_time_parse_unit("us", &unit), PS_OK);
	assert_int_equal(unit, PS_UNIT_US);
	assert_int_equal(ps_time_parse_unit("ns", &unit), PS_OK);
	assert_int_equal(unit, PS_UNIT_NS);
	assert_int_equal(ps_time_parse_unit("auto", &unit), PS_OK);
	assert_int_equal(unit, PS_UNIT_AUTO);
	assert_int_equal(ps_time_parse_unit("MS", &unit), PS_OK);
	assert_int_equal(unit, PS_UNIT_MS);
	assert_int_equal(ps_time_parse_unit("\xc2\xb5s", &unit), PS_OK);
	assert_int_equal(unit, PS_UNIT_US);
	assert_int_equal(ps_time_parse_unit("AUTO", &unit), PS_OK);
	assert_int_equal(unit, PS_UNIT_AUTO);
	unit = PS_UNIT_NS;
	for (i = 0; i < sizeof bad / sizeof bad[0]; i++)
	{
		if (ps_time_parse_unit(bad[i], &unit) != PS_EINVAL)
			fail_msg("unit \"%s\" accepted", bad[i]);
		assert_int_equal(unit, PS_UNIT_NS);
	}
	assert_int_equal(ps_time_parse_unit(NULL, &unit), PS_EINVAL);
}

/* ----------------------------------------------------------------- is_iso */

static void
test_is_iso(void **state)
{
	static const char *const yes[] = {
		"2024-01-01", "2024-01-01T12:00", "2024-01-01 12:00:00",
		"2024-01-01t12:00:00.5+01:00", "2024-02-29T00:00:00Z",
		"2024-01-01T12:00:00.123456789-0530", "2000-02-29",
		"1677-09-21T00:12:43.145224192Z",
	};
	static const char *const no[] = {
		"1704067200", "0", "-1", "", "2024-13-01", "abc", "2024-01-01T",
		"12:00", "2023-02-29", "2024-01-01T24:00", "2024-1-1",
		"2024-01-01 ", "1600-01-01", "2262-04-12", "true", "1.5",
	};
	size_t		i;

	(void) state;
	for (i = 0; i < sizeof yes / sizeof yes[0]; i++)
		if (!ps_time_is_iso(yes[i], strlen(yes[i])))
			fail_msg("\"%s\" should be ISO", yes[i]);
	for (i = 0; i < sizeof no / sizeof no[0]; i++)
		if (ps_time_is_iso(no[i], strlen(no[i])))
			fail_msg("\"%s\" should not be ISO", no[i]);
	assert_false(ps_time_is_iso(NULL, 0));
	assert_true(ps_time_is_iso("2024-01-01xyz", 10));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_epoch_zero),
		cmocka_unit_test(test_known_values),
		cmocka_unit_test(test_negative_fractions),
		cmocka_unit_test(test_fraction_lengths),
		cmocka_unit_test(test_offsets),
		cmocka_unit_test(test_default_offset),
		cmocka_unit_test(test_leap_years),
		cmocka_unit_test(test_field_ranges),
		cmocka_unit_test(test_range_edges),
		cmocka_unit_test(test_epoch_auto_units),
		cmocka_unit_test(test_epoch_explicit_units),
		cmocka_unit_test(test_epoch_overflow),
		cmocka_unit_test(test_epoch_malformed),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_length_is_respected),
		cmocka_unit_test(test_error_messages),
		cmocka_unit_test(test_format_known),
		cmocka_unit_test(test_format_round_trip),
		cmocka_unit_test(test_civil_matches_libc),
		cmocka_unit_test(test_format_matches_libc),
		cmocka_unit_test(test_floor_div),
		cmocka_unit_test(test_parse_offset),
		cmocka_unit_test(test_parse_unit),
		cmocka_unit_test(test_is_iso),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
