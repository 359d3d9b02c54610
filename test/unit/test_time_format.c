/*
 * test_time_format.c — unit tests of time_format patterns (ps_time_format):
 * every directive and its edges (leap years, 12 AM and 12 PM, two-digit
 * years, fractions of 1 to 9 digits, month names in any case, day of the
 * year, offsets and zone abbreviations), literal text, mismatches with their
 * messages, out-of-range fields, and the compile-time checks of patterns.
 *
 * Expected instants are written as ISO-8601 text and read by ps_time_parse
 * without a pattern (tested on its own in test_time.c), so each check says
 * what the pattern must mean in the plainest notation.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "core/ps_time.h"
#include "core/ps_time_format.h"
#include "core/ps_tz.h"

#define SENTINEL INT64_C(0x5a5a5a5a5a5a5a5a)

static ps_time_format *
compile(const char *pattern)
{
	ps_time_format *f = NULL;
	ps_error	err;

	if (ps_time_format_compile(pattern, &f, &err) != PS_OK)
		fail_msg("compile \"%s\": %s", pattern, err.message);
	assert_string_equal(ps_time_format_pattern(f), pattern);
	return f;
}

static int64_t
iso(const char *text)
{
	int64_t		ns = SENTINEL;
	ps_error	err;

	if (ps_time_parse(text, strlen(text), NULL, &ns, &err) != PS_OK)
		fail_msg("ISO \"%s\": %s", text, err.message);
	return ns;
}

/* Parse text by pattern with zone tz (NULL: UTC): the status, *ns and err. */
static ps_status
parse_tz(const char *pattern, const char *text, const ps_tz *tz, int64_t *ns, ps_error *err)
{
	ps_time_format *f = compile(pattern);
	ps_time_options o;
	ps_status	rc;

	ps_time_options_default(&o);
	o.format = f;
	o.tz = tz;
	ps_error_clear(err);
	*ns = SENTINEL;
	rc = ps_time_parse(text, strlen(text), &o, ns, err);
	ps_time_format_free(f);
	return rc;
}

/* text by pattern is the instant of ISO text want. */
static void
expect_tz(const char *pattern, const char *text, const ps_tz *tz, const char *want)
{
	int64_t		ns;
	ps_error	err;

	if (parse_tz(pattern, text, tz, &ns, &err) != PS_OK)
		fail_msg("\"%s\" by \"%s\": %s", text, pattern, err.message);
	if (ns != iso(want))
		fail_msg("\"%s\" by \"%s\" gave %lld, not %s", text, pattern, (long long) ns, want);
	assert_int_equal(err.code, PS_OK);
}

static void
expect(const char *pattern, const char *text, const char *want)
{
	expect_tz(pattern, text, NULL, want);
}

/* text by pattern fails with code, its message holding every fragment (NULL-terminated). */
static void
expect_error(const char *pattern, const char *text, ps_status code, ...)
{
	int64_t		ns;
	ps_error	err;
	va_list		ap;
	const char *fragment;

	if (parse_tz(pattern, text, NULL, &ns, &err) != code)
		fail_msg("\"%s\" by \"%s\": status %d, message \"%s\"", text, pattern, (int) err.code,
				 err.message);
	assert_int_equal(err.code, code);
	assert_int_equal(ns, SENTINEL);
	va_start(ap, code);
	while ((fragment = va_arg(ap, const char *)) != NULL)
		if (strstr(err.message, fragment) == NULL)
			fail_msg("message \"%s\" lacks \"%s\"", err.message, fragment);
	va_end(ap);
}

static void
expect_compile_error(const char *pattern, const char *fragment)
{
	ps_time_format *f = NULL;
	ps_error	err;

	assert_int_equal(ps_time_format_compile(pattern, &f, &err), PS_EINVAL);
	assert_null(f);
	if (strstr(err.message, fragment) == NULL)
		fail_msg("compile \"%s\": message \"%s\" lacks \"%s\"", pattern, err.message, fragment);
}

/* ------------------------------------------------------------------ directives */

static void
test_numeric_fields(void **state)
{
	(void) state;
	expect("%Y/%m/%d %H:%M:%S", "2015/01/01 01:00:00", "2015-01-01T01:00:00Z");
	expect("%Y/%m/%d %H:%M:%S", "2024/12/31 23:59:59", "2024-12-31T23:59:59Z");
	/* 1 or 2 digits where 2 are allowed; numbers are greedy up to their width */
	expect("%d.%m.%Y", "1.2.2020", "2020-02-01");
	expect("%d.%m.%Y", "01.02.2020", "2020-02-01");
	expect("%Y%m%d", "20240102", "2024-01-02");
	expect("%Y%m%d%H%M%S", "20240102030405", "2024-01-02T03:04:05Z");
	expect("%Y-%m-%d %H%M", "2024-01-02 0930", "2024-01-02T09:30:00Z");
	/* a year of fewer digits is that year (and here out of range) */
	expect_error("%Y-%m-%d", "999-01-01", PS_ETIME, "out of range", NULL);
	/* fields left out: month and day 1, time 00:00:00 */
	expect("%Y", "2024", "2024-01-01");
	expect("%Y-%m", "2024-07", "2024-07-01");
	expect("%H:%M %Y", "13:45 2024", "2024-01-01T13:45:00Z");
}

static void
test_leap_years(void **state)
{
	(void) state;
	expect("%Y-%m-%d", "2000-02-29", "2000-02-29");
	expect("%Y-%m-%d", "2024-02-29", "2024-02-29");
	expect_error("%Y-%m-%d", "1900-02-29", PS_EINVAL, "day out of range for the month", NULL);
	expect_error("%Y-%m-%d", "2023-02-29", PS_EINVAL, "day out of range for the month", NULL);
	expect_error("%Y-%m-%d", "2100-02-29", PS_EINVAL, "day out of range", NULL);
	expect("%b %d %Y", "Feb 29 2000", "2000-02-29");
	expect_error("%b %d %Y", "Feb 29 1900", PS_EINVAL, "day out of range", NULL);
	/* %j: day 60 is Feb 29 in a leap year, Mar 1 otherwise; 366 only in leap years */
	expect("%Y %j", "2000 060", "2000-02-29");
	expect("%Y %j", "1900 060", "1900-03-01");
	expect("%Y %j", "2000 366", "2000-12-31");
	expect_error("%Y %j", "1999 366", PS_EINVAL, "day of the year out of range", NULL);
	expect_error("%Y %j", "2000 367", PS_EINVAL, "day of the year out of range", NULL);
	expect_error("%Y %j", "2000 0", PS_EINVAL, "day of the year out of range", NULL);
	expect("%Y-%j", "2024-1", "2024-01-01");
	expect("%Y-%j %H:%M", "2024-032 10:00", "2024-02-01T10:00:00Z");
}

static void
test_twelve_hour_clock(void **state)
{
	(void) state;
	expect("%Y-%m-%d %I:%M %p", "2024-01-02 12:00 AM", "2024-01-02T00:00:00Z");
	expect("%Y-%m-%d %I:%M %p", "2024-01-02 12:30 am", "2024-01-02T00:30:00Z");
	expect("%Y-%m-%d %I:%M %p", "2024-01-02 12:00 PM", "2024-01-02T12:00:00Z");
	expect("%Y-%m-%d %I:%M %p", "2024-01-02 12:59 pm", "2024-01-02T12:59:00Z");
	expect("%Y-%m-%d %I:%M %p", "2024-01-02 01:00 AM", "2024-01-02T01:00:00Z");
	expect("%Y-%m-%d %I:%M %p", "2024-01-02 1:00 PM", "2024-01-02T13:00:00Z");
	expect("%Y-%m-%d %I:%M %p", "2024-01-02 11:59 Pm", "2024-01-02T23:59:00Z");
	expect("%Y-%m-%d %I%p", "2024-01-02 7aM", "2024-01-02T07:00:00Z");
	expect_error("%Y-%m-%d %I:%M %p", "2024-01-02 13:00 PM", PS_EINVAL, "hour out of range 01..12", NULL);
	expect_error("%Y-%m-%d %I:%M %p", "2024-01-02 00:00 AM", PS_EINVAL, "hour out of range 01..12", NULL);
	expect_error("%Y-%m-%d %I:%M %p", "2024-01-02 10:00 XM", PS_EINVAL,
				 "expected AM or PM (%p) at character 18", NULL);
	expect_error("%Y-%m-%d %I:%M %p", "2024-01-02 10:00 A", PS_EINVAL, "AM or PM", NULL);
}

static void
test_two_digit_years(void **state)
{
	(void) state;
	/* POSIX: 69-99 are 1969-1999, 00-68 are 2000-2068 */
	expect("%d.%m.%y", "01.02.69", "1969-02-01");
	expect("%d.%m.%y", "01.02.99", "1999-02-01");
	expect("%d.%m.%y", "01.02.00", "2000-02-01");
	expect("%d.%m.%y", "01.02.20", "2020-02-01");
	expect("%d.%m.%y", "01.02.68", "2068-02-01");
	expect("%d.%m.%y", "01.02.7", "2007-02-01");
	expect("%y%m%d", "991231", "1999-12-31");
	expect_error("%y-%m-%d", "2024-01-01", PS_EINVAL, "expected \"-\" at character 3", NULL);
}

static void
test_fractions(void **state)
{
	static const char *const want[] = {
		NULL, "2024-01-02T03:04:05.1Z", "2024-01-02T03:04:05.12Z", "2024-01-02T03:04:05.123Z",
		"2024-01-02T03:04:05.1234Z", "2024-01-02T03:04:05.12345Z", "2024-01-02T03:04:05.123456Z",
		"2024-01-02T03:04:05.1234567Z", "2024-01-02T03:04:05.12345678Z",
		"2024-01-02T03:04:05.123456789Z",
	};
	char		text[64];

	(void) state;
	for (int digits = 1; digits <= 9; digits++)
	{
		snprintf(text, sizeof text, "2024-01-02 03:04:05.%.*s", digits, "123456789");
		expect("%Y-%m-%d %H:%M:%S.%f", text, want[digits]);
	}
	expect("%Y-%m-%d %H:%M:%S.%f", "2024-01-02 03:04:05.000000001", "2024-01-02T03:04:05.000000001Z");
	expect("%Y-%m-%d %H:%M:%S,%f", "2024-01-02 03:04:05,5", "2024-01-02T03:04:05.5Z");
	/* a tenth digit is text after the pattern */
	expect_error("%Y-%m-%d %H:%M:%S.%f", "2024-01-02 03:04:05.1234567891", PS_EINVAL,
				 "unexpected text after the pattern at character 30", NULL);
	expect_error("%Y-%m-%d %H:%M:%S.%f", "2024-01-02 03:04:05.", PS_EINVAL,
				 "expected 1 to 9 digits (%f) at character 21", NULL);
	/* before 1970 the fraction still counts forward */
	expect("%Y-%m-%d %H:%M:%S.%f", "1969-12-31 23:59:59.25", "1969-12-31T23:59:59.25Z");
}

static void
test_month_names(void **state)
{
	static const char *const full[] = {
		"January", "February", "March", "April", "May", "June", "July", "August",
		"September", "October", "November", "December"
	};
	char		text[64];
	char		want[32];

	(void) state;
	for (int m = 0; m < 12; m++)
	{
		char		upper[16];
		char		lower[16];

		snprintf(want, sizeof want, "2000-%02d-01", m + 1);
		snprintf(text, sizeof text, "%s 1 2000", full[m]);
		expect("%B %d %Y", text, want);
		expect("%b %d %Y", text, want);	/* %b and %B take both forms */
		snprintf(text, sizeof text, "%.3s 1 2000", full[m]);
		expect("%b %d %Y", text, want);
		expect("%B %d %Y", text, want);
		for (size_t i = 0; i <= strlen(full[m]); i++)
		{
			upper[i] = (char) (full[m][i] >= 'a' ? full[m][i] - 32 : full[m][i]);
			lower[i] = (char) (full[m][i] < 'a' && full[m][i] != '\0' ? full[m][i] + 32 : full[m][i]);
		}
		snprintf(text, sizeof text, "%s 1 2000", upper);
		expect("%B %d %Y", text, want);
		snprintf(text, sizeof text, "%.3s 1 2000", lower);
		expect("%b %d %Y", text, want);
	}
	expect("%b %e %Y", "jAN  1 2000", "2000-01-01");
	expect("%d-%b-%Y", "15-mAy-2024", "2024-05-15");
	expect("%b%d%Y", "Dec312024", "2024-12-31");
	expect_error("%b %d %Y", "Sept 1 2000", PS_EINVAL, "expected \" \" at character 4", NULL);
	expect_error("%b %d %Y", "Foo 1 2000", PS_EINVAL,
				 "expected an English month name (%b) at character 1", NULL);
	expect_error("%b %d %Y", "Ja 1 2000", PS_EINVAL, "month name", NULL);
	expect_error("%B %Y", "", PS_EINVAL, "month name", NULL);
}

static void
test_day_with_space(void **state)
{
	(void) state;
	expect("%b %e %Y", "Jan  1 2000", "2000-01-01");
	expect("%b %e %Y", "Jan 1 2000", "2000-01-01");
	expect("%b %e %Y", "Jan 10 2000", "2000-01-10");
	expect("%b %e %Y", "Jan 01 2000", "2000-01-01");
	expect("%e/%m/%Y", " 7/03/2024", "2024-03-07");
	expect_error("%d/%m/%Y", " 7/03/2024", PS_EINVAL, "expected 1 to 2 digits (%d) at character 1", NULL);
	expect_error("%b %e %Y", "Jan   1 2000", PS_EINVAL, "(%e)", NULL);
}

static void
test_offsets_and_zones(void **state)
{
	ps_tz	   *ny = NULL;
	ps_error	err;

	(void) state;
	expect("%Y-%m-%d %H:%M %z", "2024-01-02 10:00 +0530", "2024-01-02T04:30:00Z");
	expect("%Y-%m-%d %H:%M %z", "2024-01-02 10:00 -05:00", "2024-01-02T15:00:00Z");
	expect("%Y-%m-%d %H:%M %z", "2024-01-02 10:00 +01", "2024-01-02T09:00:00Z");
	expect("%Y-%m-%d %H:%M %z", "2024-01-02 10:00 Z", "2024-01-02T10:00:00Z");
	expect("%Y-%m-%d %H:%M%z", "2024-01-02 10:00z", "2024-01-02T10:00:00Z");
	expect("%Y-%m-%dT%H:%M:%S%z", "2024-01-02T10:00:00+0100", "2024-01-02T09:00:00Z");
	expect_error("%Y-%m-%d %H:%M %z", "2024-01-02 10:00 +19:00", PS_EINVAL, "(%z) at character 18", NULL);
	expect_error("%Y-%m-%d %H:%M %z", "2024-01-02 10:00 EST", PS_EINVAL, "UTC offset", NULL);
	expect("%Y-%m-%d %H:%M %Z", "2024-01-02 10:00 UTC", "2024-01-02T10:00:00Z");
	expect("%Y-%m-%d %H:%M %Z", "2024-01-02 10:00 gmt", "2024-01-02T10:00:00Z");
	expect("%Y-%m-%d %H:%M %Z", "2024-01-02 10:00 UT", "2024-01-02T10:00:00Z");
	expect("%Y-%m-%d %H:%M%Z", "2024-01-02 10:00Z", "2024-01-02T10:00:00Z");
	/* without an IANA zone, other abbreviations are unknown */
	expect_error("%Y-%m-%d %H:%M %Z", "2024-01-02 10:00 EST", PS_EINVAL,
				 "an abbreviation of the load's time zone (%Z) at character 18", NULL);
	assert_int_equal(ps_tz_load("America/New_York", &ny, &err), PS_OK);
	/* with one, its abbreviations; EST and EDT also tell the two 01:30s of a repeat apart */
	expect_tz("%Y-%m-%d %H:%M %Z", "2024-01-02 10:00 EST", ny, "2024-01-02T15:00:00Z");
	expect_tz("%Y-%m-%d %H:%M %Z", "2024-11-03 01:30 EDT", ny, "2024-11-03T05:30:00Z");
	expect_tz("%Y-%m-%d %H:%M %Z", "2024-11-03 01:30 EST", ny, "2024-11-03T06:30:00Z");
	expect_tz("%Y-%m-%d %H:%M", "2024-11-03 01:30", ny, "2024-11-03T06:30:00Z");
	expect_tz("%Y-%m-%d %H:%M", "2024-03-10 02:30", ny, "2024-03-10T07:30:00Z");
	expect_tz("%Y-%m-%d %H:%M", "2024-07-04 12:00", ny, "2024-07-04T16:00:00Z");
	/* an explicit offset wins over the zone */
	expect_tz("%Y-%m-%d %H:%M %z", "2024-07-04 12:00 +00:00", ny, "2024-07-04T12:00:00Z");
	expect_tz("%Y-%m-%d %H:%M %Z", "2024-07-04 12:00 UTC", ny, "2024-07-04T12:00:00Z");
	ps_tz_free(ny);
}

static void
test_default_offset(void **state)
{
	ps_time_format *f = compile("%d/%m/%Y %H:%M");
	ps_time_options o;
	int64_t		ns;

	(void) state;
	ps_time_options_default(&o);
	o.format = f;
	o.default_offset_s = -5 * 3600;
	assert_int_equal(ps_time_parse("02/01/2024 09:30", 16, &o, &ns, NULL), PS_OK);
	assert_int_equal(ns, iso("2024-01-02T14:30:00Z"));
	ps_time_format_free(f);
}

static void
test_literals(void **state)
{
	(void) state;
	expect("%Y-%m-%dT%H:%M:%S", "2024-01-02T03:04:05", "2024-01-02T03:04:05Z");
	expect("date: %Y/%m/%d at %Hh%M", "date: 2024/01/02 at 03h04", "2024-01-02T03:04:00Z");
	expect("%Y%%%m", "2024%05", "2024-05-01");
	expect("%%%Y%%", "%2024%", "2024-01-01");
	expect("[%Y]", "[2024]", "2024-01-01");
	/* literals match exactly: case and spaces count */
	expect_error("%Y-%m-%dT%H", "2024-01-02t03", PS_EINVAL, "expected \"T\" at character 11", NULL);
	expect_error("date: %Y", "Date: 2024", PS_EINVAL, "expected \"date: \" at character 1", NULL);
	expect_error("%Y %m", "2024  05", PS_EINVAL, "(%m) at character 6", NULL);
	/* UTF-8 literal text */
	expect("%Y\xc3\xa5%m", "2024\xc3\xa5" "03", "2024-03-01");
}

static void
test_mismatch_messages(void **state)
{
	(void) state;
	expect_error("%Y/%m/%d", "2024-01-02", PS_EINVAL,
				 "time \"2024-01-02\" does not match time_format \"%Y/%m/%d\": expected \"/\" at character 5",
				 NULL);
	expect_error("%Y/%m/%d", "2024/01/02 ", PS_EINVAL, "unexpected text after the pattern at character 11",
				 NULL);
	expect_error("%Y/%m/%d", "2024/01/", PS_EINVAL, "expected 1 to 2 digits (%d) at character 9", NULL);
	expect_error("%Y/%m/%d", "", PS_EINVAL, "time \"\" does not match", "(%Y) at character 1", NULL);
	expect_error("%Y/%m/%d", "abcd", PS_EINVAL, "expected 1 to 4 digits (%Y) at character 1", NULL);
	expect_error("%H:%M %Y", "-1:00 2024", PS_EINVAL, "(%H)", NULL);
	expect_error("%Y/%m/%d", "2024/01/02\x01", PS_EINVAL, "\\x01", NULL);
	/* epoch numbers and ISO text are not taken when a pattern is set */
	expect_error("%Y/%m/%d", "1704067200", PS_EINVAL, "expected \"/\" at character 5", NULL);
	expect_error("%d.%m.%Y", "2024-01-02", PS_EINVAL, "does not match", NULL);
}

static void
test_out_of_range_fields(void **state)
{
	(void) state;
	expect_error("%Y-%m-%d", "2024-13-01", PS_EINVAL,
				 "invalid time \"2024-13-01\" for time_format \"%Y-%m-%d\": month out of range 01..12", NULL);
	expect_error("%Y-%m-%d", "2024-00-01", PS_EINVAL, "month out of range", NULL);
	expect_error("%Y-%m-%d", "2024-04-31", PS_EINVAL, "day out of range for the month", NULL);
	expect_error("%Y-%m-%d", "2024-01-00", PS_EINVAL, "day out of range for the month", NULL);
	expect_error("%Y-%m-%d %H", "2024-01-01 24", PS_EINVAL, "hour out of range 00..23", NULL);
	expect_error("%Y-%m-%d %H:%M", "2024-01-01 10:60", PS_EINVAL, "minute out of range 00..59", NULL);
	expect_error("%Y-%m-%d %H:%M:%S", "2024-01-01 10:00:60", PS_EINVAL, "second out of range 00..59", NULL);
	/* outside what int64 nanoseconds hold: 1677-09-21 .. 2262-04-11 */
	expect_error("%Y-%m-%d", "2263-01-01", PS_ETIME, "out of range", NULL);
	expect_error("%Y-%m-%d", "1677-01-01", PS_ETIME, "out of range", NULL);
	expect("%Y-%m-%d %H:%M:%S.%f", "2262-04-11 23:47:16.854775807", "2262-04-11T23:47:16.854775807Z");
	expect("%Y-%m-%d %H:%M:%S.%f", "1677-09-21 00:12:43.145224192", "1677-09-21T00:12:43.145224192Z");
	expect_error("%Y-%m-%d %H:%M:%S.%f", "2262-04-11 23:47:16.854775808", PS_ETIME, "out of range", NULL);
}

/* ------------------------------------------------------------------ compiling */

static void
test_compile_errors(void **state)
{
	char		long_pattern[PS_TIME_FORMAT_MAX + 2];
	ps_time_format *f;

	(void) state;
	expect_compile_error("", "time_format is empty");
	assert_int_equal(ps_time_format_compile(NULL, &f, NULL), PS_EINVAL);
	memset(long_pattern, 'x', sizeof long_pattern - 1);
	long_pattern[sizeof long_pattern - 1] = '\0';
	memcpy(long_pattern, "%Y", 2);
	expect_compile_error(long_pattern, "longer than 256 bytes");
	long_pattern[PS_TIME_FORMAT_MAX] = '\0';	/* exactly 256 bytes: fine */
	ps_time_format_free(compile(long_pattern));
	expect_compile_error("%Y-%q", "unknown directive \"%q\" at character 4");
	expect_compile_error("%Y-%\xff", "unknown directive \"%\\xff\"");
	expect_compile_error("%Y-%", "ends with a lone %");
	expect_compile_error("%Y-%m-%d %Y", "%Y and %Y both give the year");
	expect_compile_error("%y %Y", "%y and %Y both give the year");
	expect_compile_error("%Y %m %b", "%m and %b both give the month");
	expect_compile_error("%Y %d %e", "%d and %e both give the day");
	expect_compile_error("%Y %H %I %p", "%H and %I both give the hour");
	expect_compile_error("%Y %z %Z", "%z and %Z both give the UTC offset");
	expect_compile_error("%Y %f %f", "both give the fraction");
	expect_compile_error("%m/%d", "needs a year (%Y or %y)");
	expect_compile_error("%H:%M:%S", "needs a year");
	expect_compile_error("%Y %j %m", "%j (day of the year) excludes a month or day");
	expect_compile_error("%Y %d %j", "excludes a month or day");
	expect_compile_error("%Y %I:%M", "%I (hour 1-12) and %p (AM/PM) go together");
	expect_compile_error("%Y %H %p", "go together");
	expect_compile_error("%Y %p", "go together");
	/* the pattern is quoted in the message */
	expect_compile_error("%Y %Q", "time_format \"%Y %Q\": unknown directive");
	ps_time_format_free(compile("%%"
								"%Y"));
	ps_time_format_free(NULL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_numeric_fields),
		cmocka_unit_test(test_leap_years),
		cmocka_unit_test(test_twelve_hour_clock),
		cmocka_unit_test(test_two_digit_years),
		cmocka_unit_test(test_fractions),
		cmocka_unit_test(test_month_names),
		cmocka_unit_test(test_day_with_space),
		cmocka_unit_test(test_offsets_and_zones),
		cmocka_unit_test(test_default_offset),
		cmocka_unit_test(test_literals),
		cmocka_unit_test(test_mismatch_messages),
		cmocka_unit_test(test_out_of_range_fields),
		cmocka_unit_test(test_compile_errors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
