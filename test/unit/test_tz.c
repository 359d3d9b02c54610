/*
 * test_tz.c — unit tests of ps_tz: IANA zones read from /usr/share/zoneinfo
 * (tzdata) and from TZif bytes built here.
 *
 * Known instants were taken from Python's zoneinfo over the same tzdata;
 * UTC offsets are also compared, every 3 hours from 1850 to 2262, with the
 * C library's localtime_r (TZ set to the zone), an independent reader of
 * the same files and footer rules.  Local-to-UTC is checked at the edges of
 * the spring gap and the autumn repeat in New York and London, with
 * PostgreSQL's rule (the regression test sql/timezones.sql checks the same
 * instants against PostgreSQL itself).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include "core/ps_buf.h"
#include "core/ps_tz.h"

#define HOUR 3600
#define EST (-5 * HOUR)
#define EDT (-4 * HOUR)
#define BST HOUR
#define GMT 0

static ps_tz *
load(const char *name)
{
	ps_tz	   *tz = NULL;
	ps_error	err;

	if (ps_tz_load(name, &tz, &err) != PS_OK)
		fail_msg("ps_tz_load(%s): %s", name, err.message);
	assert_string_equal(ps_tz_name(tz), name);
	return tz;
}

/* Seconds of a UTC civil time. */
static int64_t
utc(int y, unsigned mo, unsigned d, unsigned h, unsigned mi)
{
	return ps_days_from_civil(y, mo, d) * 86400 + h * HOUR + mi * 60;
}

/* local wall-clock time (as seconds of the same civil fields) -> UTC seconds. */
static int64_t
local_to_utc(const ps_tz *tz, int y, unsigned mo, unsigned d, unsigned h, unsigned mi)
{
	return ps_tz_local_to_utc(tz, utc(y, mo, d, h, mi));
}

/* The offset changes from `before` to `after` exactly at instant t. */
static void
assert_transition(const ps_tz *tz, int64_t t, int32_t before, int32_t after)
{
	assert_int_equal(ps_tz_utc_offset(tz, t - 1), before);
	assert_int_equal(ps_tz_utc_offset(tz, t), after);
}

/* ------------------------------------------------------------------ system zones */

static void
test_new_york_transitions(void **state)
{
	ps_tz	   *ny = load("America/New_York");

	(void) state;
	/* From the file's transitions... */
	assert_transition(ny, 1710054000, EST, EDT);	/* 2024-03-10 07:00Z */
	assert_transition(ny, 1730613600, EDT, EST);	/* 2024-11-03 06:00Z */
	/* ... and past the last one (2037), from the footer rule EST5EDT,M3.2.0,M11.1.0. */
	assert_transition(ny, 2215062000, EST, EDT);	/* 2040-03-11 */
	assert_transition(ny, 2235621600, EDT, EST);	/* 2040-11-04 */
	assert_transition(ny, 4108690800, EST, EDT);	/* 2100-03-14 */
	assert_transition(ny, 4129250400, EDT, EST);	/* 2100-11-07 */
	assert_transition(ny, INT64_C(9220460400), EST, EDT);	/* 2262-03-09 */
	/* Before the first transition (1883): local mean time, -4:56:02. */
	assert_int_equal(ps_tz_utc_offset(ny, utc(1800, 1, 1, 0, 0)), -(4 * HOUR + 56 * 60 + 2));
	ps_tz_free(ny);
}

static void
test_new_york_local_to_utc(void **state)
{
	ps_tz	   *ny = load("America/New_York");

	(void) state;
	/* Spring forward, 2024-03-10: 02:00-03:00 local does not exist. */
	assert_int_equal(local_to_utc(ny, 2024, 3, 10, 1, 59), utc(2024, 3, 10, 6, 59));
	assert_int_equal(local_to_utc(ny, 2024, 3, 10, 2, 0), utc(2024, 3, 10, 7, 0));
	/* In the gap: the offset before the transition (EST), so 02:30 is 03:30 EDT. */
	assert_int_equal(local_to_utc(ny, 2024, 3, 10, 2, 30), utc(2024, 3, 10, 7, 30));
	assert_int_equal(local_to_utc(ny, 2024, 3, 10, 2, 59), utc(2024, 3, 10, 7, 59));
	assert_int_equal(local_to_utc(ny, 2024, 3, 10, 3, 0), utc(2024, 3, 10, 7, 0));
	assert_int_equal(local_to_utc(ny, 2024, 3, 10, 3, 30), utc(2024, 3, 10, 7, 30));
	/* Fall back, 2024-11-03: 01:00-02:00 local happens twice; the later (EST) wins. */
	assert_int_equal(local_to_utc(ny, 2024, 11, 3, 0, 59), utc(2024, 11, 3, 4, 59));
	assert_int_equal(local_to_utc(ny, 2024, 11, 3, 1, 0), utc(2024, 11, 3, 6, 0));
	assert_int_equal(local_to_utc(ny, 2024, 11, 3, 1, 30), utc(2024, 11, 3, 6, 30));
	assert_int_equal(local_to_utc(ny, 2024, 11, 3, 1, 59), utc(2024, 11, 3, 6, 59));
	assert_int_equal(local_to_utc(ny, 2024, 11, 3, 2, 0), utc(2024, 11, 3, 7, 0));
	/* Far from a transition: plain offsets. */
	assert_int_equal(local_to_utc(ny, 2024, 1, 15, 12, 0), utc(2024, 1, 15, 17, 0));
	assert_int_equal(local_to_utc(ny, 2024, 7, 4, 12, 0), utc(2024, 7, 4, 16, 0));
	/* Past the last transition of the file: the footer rule, same PostgreSQL rule. */
	assert_int_equal(local_to_utc(ny, 2100, 3, 14, 2, 30), utc(2100, 3, 14, 7, 30));
	assert_int_equal(local_to_utc(ny, 2100, 11, 7, 1, 30), utc(2100, 11, 7, 6, 30));
	assert_int_equal(local_to_utc(ny, 2100, 7, 1, 0, 0), utc(2100, 7, 1, 4, 0));
	ps_tz_free(ny);
}

static void
test_london(void **state)
{
	ps_tz	   *ldn = load("Europe/London");

	(void) state;
	assert_transition(ldn, 1711846800, GMT, BST);	/* 2024-03-31 01:00Z */
	assert_transition(ldn, 1729990800, BST, GMT);	/* 2024-10-27 01:00Z */
	assert_transition(ldn, 2216250000, GMT, BST);	/* 2040-03-25, footer rule */
	assert_transition(ldn, 4128627600, BST, GMT);	/* 2100-10-31 */
	/* Gap 01:00-02:00 on 2024-03-31: 01:30 is read as GMT (= 02:30 BST). */
	assert_int_equal(local_to_utc(ldn, 2024, 3, 31, 0, 59), utc(2024, 3, 31, 0, 59));
	assert_int_equal(local_to_utc(ldn, 2024, 3, 31, 1, 30), utc(2024, 3, 31, 1, 30));
	assert_int_equal(local_to_utc(ldn, 2024, 3, 31, 2, 0), utc(2024, 3, 31, 1, 0));
	/* Repeat 01:00-02:00 on 2024-10-27: 01:30 is the later, GMT one. */
	assert_int_equal(local_to_utc(ldn, 2024, 10, 27, 0, 30), utc(2024, 10, 26, 23, 30));
	assert_int_equal(local_to_utc(ldn, 2024, 10, 27, 1, 30), utc(2024, 10, 27, 1, 30));
	assert_int_equal(local_to_utc(ldn, 2024, 10, 27, 2, 0), utc(2024, 10, 27, 2, 0));
	assert_int_equal(local_to_utc(ldn, 2040, 10, 28, 1, 30), utc(2040, 10, 28, 1, 30));
	assert_int_equal(local_to_utc(ldn, 2040, 3, 25, 1, 30), utc(2040, 3, 25, 1, 30));
	ps_tz_free(ldn);
}

static void
test_tokyo_no_dst(void **state)
{
	ps_tz	   *tokyo = load("Asia/Tokyo");
	int32_t		off;

	(void) state;
	for (int y = 1952; y <= 2262; y += 7)
	{
		assert_int_equal(ps_tz_utc_offset(tokyo, utc(y, 1, 1, 0, 0)), 9 * HOUR);
		assert_int_equal(ps_tz_utc_offset(tokyo, utc(y, 7, 1, 0, 0)), 9 * HOUR);
		assert_int_equal(local_to_utc(tokyo, y, 3, 10, 2, 30), utc(y, 3, 9, 17, 30));
	}
	assert_true(ps_tz_abbrev_offset(tokyo, "JST", 3, &off));
	assert_int_equal(off, 9 * HOUR);
	ps_tz_free(tokyo);
}

static void
test_southern_hemisphere_footer(void **state)
{
	ps_tz	   *syd = load("Australia/Sydney");

	(void) state;
	/* AEST-10AEDT,M10.1.0,M4.1.0/3: DST spans the new year. */
	assert_transition(syd, 2532528000, 11 * HOUR, 10 * HOUR);	/* 2050-04-02 16:00Z */
	assert_transition(syd, 2548252800, 10 * HOUR, 11 * HOUR);	/* 2050-10-01 16:00Z */
	ps_tz_free(syd);
}

static void
test_abbreviations(void **state)
{
	ps_tz	   *ny = load("America/New_York");
	ps_tz	   *ldn = load("Europe/London");
	int32_t		off = 12345;

	(void) state;
	assert_true(ps_tz_abbrev_offset(ny, "EST", 3, &off));
	assert_int_equal(off, EST);
	assert_true(ps_tz_abbrev_offset(ny, "edt", 3, &off));
	assert_int_equal(off, EDT);
	assert_true(ps_tz_abbrev_offset(ldn, "BST", 3, &off));
	assert_int_equal(off, BST);
	assert_true(ps_tz_abbrev_offset(ldn, "GMT", 3, &off));
	assert_int_equal(off, GMT);
	off = 12345;
	assert_false(ps_tz_abbrev_offset(ny, "BST", 3, &off));
	assert_false(ps_tz_abbrev_offset(ny, "ES", 2, &off));
	assert_false(ps_tz_abbrev_offset(ny, "ESTX", 4, &off));
	assert_int_equal(off, 12345);
	ps_tz_free(ny);
	ps_tz_free(ldn);
}

/* Offsets every 3 hours from 1850 to 2262 agree with the C library's reading of the file. */
static void
test_offsets_match_libc(void **state)
{
	static const char *const zones[] = {
		"America/New_York", "Europe/London", "Asia/Tokyo", "Australia/Sydney",
		"America/Sao_Paulo", "Asia/Kolkata", "Europe/Moscow", "Pacific/Chatham",
	};
	const char *old_tz = getenv("TZ");
	char	   *saved = old_tz ? strdup(old_tz) : NULL;

	(void) state;
	for (size_t z = 0; z < sizeof zones / sizeof zones[0]; z++)
	{
		ps_tz	   *tz = load(zones[z]);
		uint64_t	mismatches = 0;

		setenv("TZ", zones[z], 1);
		tzset();
		for (int64_t t = utc(1850, 1, 1, 0, 0); t < utc(2262, 4, 1, 0, 0); t += 3 * HOUR)
		{
			time_t		tt = (time_t) t;
			struct tm	tm;

			assert_non_null(localtime_r(&tt, &tm));
			if (tm.tm_gmtoff != ps_tz_utc_offset(tz, t) && mismatches++ < 5)
				print_message("%s at %lld: libc %ld, ps_tz %d\n", zones[z], (long long) t,
							  tm.tm_gmtoff, ps_tz_utc_offset(tz, t));
		}
		assert_int_equal(mismatches, 0);
		ps_tz_free(tz);
	}
	if (saved)
	{
		setenv("TZ", saved, 1);
		free(saved);
	}
	else
		unsetenv("TZ");
	tzset();
}

/*
 * Local to UTC and back, every 30 minutes of 2020..2045 in New York: a
 * local time that exists once comes back; one in a repeat gives its later
 * instant; one in a gap is moved forward by the gap.
 */
static void
test_round_trips(void **state)
{
	ps_tz	   *ny = load("America/New_York");

	(void) state;
	for (int64_t t = utc(2020, 1, 1, 0, 0); t < utc(2046, 1, 1, 0, 0); t += 1800)
	{
		int64_t		local = t + ps_tz_utc_offset(ny, t);
		int64_t		back = ps_tz_local_to_utc(ny, local);

		if (back != t)
		{
			/* Only the first of a repeated hour may map elsewhere: to its second. */
			assert_int_equal(back, t + HOUR);
			assert_int_equal(ps_tz_utc_offset(ny, t), EDT);
			assert_int_equal(ps_tz_utc_offset(ny, back), EST);
		}
		/* A local time that never happens (the gap) maps to the time an hour later. */
		if (ps_tz_utc_offset(ny, t) == EDT && ps_tz_utc_offset(ny, t - HOUR) == EST)
			assert_int_equal(ps_tz_local_to_utc(ny, local - HOUR) + ps_tz_utc_offset(ny, t), local);
	}
	ps_tz_free(ny);
}

static void
test_unknown_and_invalid_names(void **state)
{
	static const char *const invalid[] = {
		"", "../etc/passwd", "/etc/passwd", "America/../etc", "America//New_York",
		"America/New_York/", "a b", "Europe/London\n", "Etc/GMT.5",
		"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",	/* 65 bytes */
	};
	ps_tz	   *tz = NULL;
	ps_error	err;

	(void) state;
	for (size_t i = 0; i < sizeof invalid / sizeof invalid[0]; i++)
	{
		assert_false(ps_tz_name_valid(invalid[i]));
		assert_int_equal(ps_tz_load(invalid[i], &tz, &err), PS_EINVAL);
		assert_non_null(strstr(err.message, "invalid time zone name"));
		assert_null(tz);
	}
	assert_false(ps_tz_name_valid(NULL));
	assert_true(ps_tz_name_valid("Etc/GMT+5"));
	assert_true(ps_tz_name_valid("America/Port-au-Prince"));
	assert_true(ps_tz_name_valid("America/Argentina/ComodRivadavia"));
	assert_int_equal(ps_tz_load("Mars/Olympus", &tz, &err), PS_EINVAL);
	assert_string_equal(err.message, "unknown time zone \"Mars/Olympus\"");
	assert_int_equal(ps_tz_load("America", &tz, &err), PS_EINVAL);	/* a directory */
	assert_string_equal(err.message, "unknown time zone \"America\"");
	assert_int_equal(ps_tz_load("america/new_york", &tz, &err), PS_EINVAL);	/* names are case-sensitive */
	assert_null(tz);
	/* Etc/GMT+5 is five hours *behind* UTC (POSIX signs). */
	tz = load("Etc/GMT+5");
	assert_int_equal(ps_tz_utc_offset(tz, 0), -5 * HOUR);
	assert_int_equal(ps_tz_local_to_utc(tz, 0), 5 * HOUR);
	ps_tz_free(tz);
}

/* ------------------------------------------------------------------ TZif built here */

typedef struct tzif_spec {
	char		version;
	uint32_t	ntrans;
	const int64_t *at;
	const uint8_t *idx;
	uint32_t	ntypes;
	const int32_t *utoff;
	const uint8_t *isdst;
	const uint8_t *abbrind;
	const char *chars;			/* NUL-separated abbreviations */
	uint32_t	charcnt;
	uint32_t	leapcnt;
	const char *footer;			/* the TZ string */
} tzif_spec;

static void
put_header(ps_buf *b, char version, uint32_t leap, uint32_t times, uint32_t types, uint32_t chars)
{
	static const uint8_t zeros[15];

	assert_int_equal(ps_buf_append(b, "TZif", 4), PS_OK);
	assert_int_equal(ps_buf_append_u8(b, (uint8_t) version), PS_OK);
	assert_int_equal(ps_buf_append(b, zeros, 15), PS_OK);
	ps_buf_append_u32be(b, 0);	/* isutcnt */
	ps_buf_append_u32be(b, 0);	/* isstdcnt */
	ps_buf_append_u32be(b, leap);
	ps_buf_append_u32be(b, times);
	ps_buf_append_u32be(b, types);
	ps_buf_append_u32be(b, chars);
}

/* A TZif file: an empty v1 section (one type), then the v2 section of s. */
static void
build_tzif(const tzif_spec *s, ps_buf *b)
{
	ps_buf_reset(b);
	put_header(b, s->version, 0, 0, 1, 1);
	ps_buf_append(b, "\0\0\0\0\0\0\0", 7);	/* one type, one abbreviation byte */
	if (s->version == 0)
		return;
	put_header(b, s->version, s->leapcnt, s->ntrans, s->ntypes, s->charcnt);
	for (uint32_t i = 0; i < s->ntrans; i++)
		ps_buf_append_u64be(b, (uint64_t) s->at[i]);
	ps_buf_append(b, s->idx, s->ntrans);
	for (uint32_t t = 0; t < s->ntypes; t++)
	{
		ps_buf_append_u32be(b, (uint32_t) s->utoff[t]);
		ps_buf_append_u8(b, s->isdst[t]);
		ps_buf_append_u8(b, s->abbrind[t]);
	}
	ps_buf_append(b, s->chars, s->charcnt);
	for (uint32_t i = 0; i < s->leapcnt; i++)
	{
		ps_buf_append_u64be(b, 0);
		ps_buf_append_u32be(b, 0);
	}
	ps_buf_append_u8(b, '\n');
	ps_buf_append(b, s->footer, strlen(s->footer));
	ps_buf_append_u8(b, '\n');
}

static const int32_t est_edt_utoff[] = {EST, EDT};
static const uint8_t est_edt_isdst[] = {0, 1};
static const uint8_t est_edt_abbrind[] = {0, 4};
static const char est_edt_chars[] = "EST\0EDT";

/* A zone with no transitions, only the footer: the rule gives every year from 1677 on. */
static ps_status
from_footer(const char *footer, ps_tz **tz, ps_error *err)
{
	tzif_spec	s = {'2', 0, NULL, NULL, 2, est_edt_utoff, est_edt_isdst, est_edt_abbrind,
		est_edt_chars, sizeof est_edt_chars, 0, footer};
	ps_buf		b = PS_BUF_INIT;
	ps_status	rc;

	build_tzif(&s, &b);
	rc = ps_tz_from_tzif("test", b.data, b.len, tz, err);
	ps_buf_free(&b);
	return rc;
}

static void
test_footer_rules(void **state)
{
	ps_tz	   *tz;
	ps_error	err;
	int32_t		off;

	(void) state;
	/* No transitions at all: the footer alone, back to 1700 and on to 2262. */
	assert_int_equal(from_footer("EST5EDT,M3.2.0,M11.1.0", &tz, &err), PS_OK);
	assert_transition(tz, 1710054000, EST, EDT);
	assert_transition(tz, 1730613600, EDT, EST);
	assert_int_equal(ps_tz_utc_offset(tz, utc(1700, 7, 1, 0, 0)), EDT);
	assert_int_equal(ps_tz_utc_offset(tz, utc(2262, 1, 1, 0, 0)), EST);
	ps_tz_free(tz);
	/* A DST name without a rule: the US rule; without an offset: one hour ahead. */
	assert_int_equal(from_footer("EST5EDT", &tz, &err), PS_OK);
	assert_transition(tz, 1710054000, EST, EDT);
	ps_tz_free(tz);
	/* Julian days and explicit times: J60 is March 1 every year, 0 is Jan 1. */
	assert_int_equal(from_footer("<-05>5<-04>4,J60/0,300/1:30", &tz, &err), PS_OK);
	assert_transition(tz, utc(2024, 3, 1, 5, 0), EST, EDT);
	/* day 300, zero-based: 2024-10-27 (a leap year), 01:30 local daylight time */
	assert_transition(tz, utc(2024, 10, 27, 5, 30), EDT, EST);
	assert_true(ps_tz_abbrev_offset(tz, "-04", 3, &off));
	ps_tz_free(tz);
	/* DST all year round (RFC 8536): stays at the DST offset across new year. */
	assert_int_equal(from_footer("EST5EDT,0/0,J365/25", &tz, &err), PS_OK);
	assert_int_equal(ps_tz_utc_offset(tz, utc(2024, 1, 1, 5, 30)), EDT);
	assert_int_equal(ps_tz_utc_offset(tz, utc(2024, 12, 31, 23, 0)), EDT);
	assert_int_equal(ps_tz_utc_offset(tz, utc(2025, 7, 1, 0, 0)), EDT);
	ps_tz_free(tz);
	/* No DST: nothing to expand; its name is an abbreviation of its offset. */
	assert_int_equal(from_footer("<+0530>-5:30", &tz, &err), PS_OK);
	assert_true(ps_tz_abbrev_offset(tz, "+0530", 5, &off));
	assert_int_equal(off, 5 * HOUR + 30 * 60);
	ps_tz_free(tz);
	/* Bad footers. */
	static const char *const bad[] = {
		"E5", "EST", "EST5EDT,M3.2.0", "EST5EDT,M13.2.0,M11.1.0", "EST5EDT,M3.6.0,M11.1.0",
		"EST5EDT,M3.2.7,M11.1.0", "EST5EDT,J0,J365", "EST5EDT,366,1", "EST25", "<EST5",
		"EST5EDT,M3.2.0/168,M11.1.0", "EST5EDT,M3.2.0,M11.1.0x",
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
	{
		tz = NULL;
		if (from_footer(bad[i], &tz, &err) != PS_ECORRUPT)
			fail_msg("footer \"%s\" accepted", bad[i]);
		assert_null(tz);
		assert_non_null(strstr(err.message, "footer"));
	}
}

static void
test_tzif_file_checks(void **state)
{
	static const int64_t at[] = {1000, 2000};
	static const int64_t unsorted[] = {2000, 1000};
	static const uint8_t idx[] = {1, 0};
	static const uint8_t bad_idx[] = {1, 2};
	static const uint8_t bad_abbrind[] = {0, 9};
	static const int32_t bad_utoff[] = {EST, 27 * HOUR};
	tzif_spec	good = {'2', 2, at, idx, 2, est_edt_utoff, est_edt_isdst, est_edt_abbrind,
		est_edt_chars, sizeof est_edt_chars, 0, ""};
	tzif_spec	s;
	ps_buf		b = PS_BUF_INIT;
	ps_tz	   *tz = NULL;
	ps_error	err;

	(void) state;
	build_tzif(&good, &b);
	assert_int_equal(ps_tz_from_tzif("good", b.data, b.len, &tz, &err), PS_OK);
	assert_int_equal(ps_tz_utc_offset(tz, 999), EST);
	assert_int_equal(ps_tz_utc_offset(tz, 1000), EDT);
	assert_int_equal(ps_tz_utc_offset(tz, 2000), EST);
	/* Past the last transition without a footer rule: the last type stays. */
	assert_int_equal(ps_tz_utc_offset(tz, INT64_C(1) << 40), EST);
	ps_tz_free(tz);
	/* Every truncation of a valid file is refused, never read past. */
	for (size_t n = 0; n + 1 < b.len; n++)
	{
		tz = NULL;
		assert_int_equal(ps_tz_from_tzif("cut", b.data, n, &tz, &err), PS_ECORRUPT);
		assert_null(tz);
	}
	s = good;
	s.version = 0;				/* version 1 only */
	build_tzif(&s, &b);
	assert_int_equal(ps_tz_from_tzif("v1", b.data, b.len, &tz, &err), PS_ECORRUPT);
	assert_non_null(strstr(err.message, "version 1"));
	s = good;
	s.leapcnt = 1;
	build_tzif(&s, &b);
	assert_int_equal(ps_tz_from_tzif("leap", b.data, b.len, &tz, &err), PS_ECORRUPT);
	assert_non_null(strstr(err.message, "leap"));
	s = good;
	s.at = unsorted;
	build_tzif(&s, &b);
	assert_int_equal(ps_tz_from_tzif("order", b.data, b.len, &tz, &err), PS_ECORRUPT);
	s = good;
	s.idx = bad_idx;
	build_tzif(&s, &b);
	assert_int_equal(ps_tz_from_tzif("idx", b.data, b.len, &tz, &err), PS_ECORRUPT);
	s = good;
	s.abbrind = bad_abbrind;
	build_tzif(&s, &b);
	assert_int_equal(ps_tz_from_tzif("abbr", b.data, b.len, &tz, &err), PS_ECORRUPT);
	s = good;
	s.utoff = bad_utoff;
	build_tzif(&s, &b);
	assert_int_equal(ps_tz_from_tzif("utoff", b.data, b.len, &tz, &err), PS_ECORRUPT);
	s = good;
	s.ntypes = 0;
	build_tzif(&s, &b);
	assert_int_equal(ps_tz_from_tzif("types", b.data, b.len, &tz, &err), PS_ECORRUPT);
	assert_int_equal(ps_tz_from_tzif("text", "not a zone", 10, &tz, &err), PS_ECORRUPT);
	assert_string_equal(err.message, "time zone \"text\": not a TZif file");
	assert_null(tz);
	ps_buf_free(&b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_new_york_transitions),
		cmocka_unit_test(test_new_york_local_to_utc),
		cmocka_unit_test(test_london),
		cmocka_unit_test(test_tokyo_no_dst),
		cmocka_unit_test(test_southern_hemisphere_footer),
		cmocka_unit_test(test_abbreviations),
		cmocka_unit_test(test_offsets_match_libc),
		cmocka_unit_test(test_round_trips),
		cmocka_unit_test(test_unknown_and_invalid_names),
		cmocka_unit_test(test_footer_rules),
		cmocka_unit_test(test_tzif_file_checks),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
