/*
 * fuzz_time.c — libFuzzer target for ps_time.
 *
 * Feeds arbitrary bytes to ps_time_parse under several option combinations
 * and aborts on any broken invariant: a failure must be PS_EINVAL or PS_ETIME
 * with a filled error and an untouched output; a success must survive
 * format -> parse unchanged; ps_time_is_iso must agree with an ISO-only parse;
 * ps_time_parse_offset results must stay within ±18:00 and round-trip.
 * Sanitizers (ASan/UBSan) catch overruns and signed overflow on the way.
 *
 * Build and run:
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -Isrc test/fuzz/fuzz_time.c \
 *     src/core/ps_time.c src/core/ps_error.c -o /tmp/fuzz_time
 *   /tmp/fuzz_time -max_total_time=30 test/fuzz/corpus/time
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/ps_time.h"

#define SENTINEL INT64_C(0x5a5a5a5a5a5a5a5a)
#define UNIT_TEXT_MAX 16

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check(int ok, const char *what)
{
	if (!ok)
	{
		fprintf(stderr, "fuzz_time: invariant broken: %s\n", what);
		abort();
	}
}

static void
check_round_trip(int64_t ns)
{
	char		buf[PS_TIME_ISO_MAX];
	size_t		n = ps_time_format_iso(ns, buf);
	int64_t		back = SENTINEL;

	check(n < PS_TIME_ISO_MAX && strlen(buf) == n, "formatted length");
	check(ps_time_parse(buf, n, NULL, &back, NULL) == PS_OK, "formatted text parses");
	check(back == ns, "format -> parse gives the same value");
	check(ps_time_is_iso(buf, n), "formatted text is ISO");
}

static void
check_parse(const char *s, size_t size, const ps_time_options *o)
{
	ps_error	err;
	int64_t		ns = SENTINEL;
	ps_status	st;

	ps_error_clear(&err);
	st = ps_time_parse(s, size, o, &ns, &err);
	if (st == PS_OK)
	{
		check(err.code == PS_OK, "success leaves err clear");
		check_round_trip(ns);
		return;
	}
	check(st == PS_EINVAL || st == PS_ETIME, "failure code");
	check(ns == SENTINEL, "output untouched on failure");
	check(err.code == st, "err.code matches status");
	check(memchr(err.message, '\0', sizeof err.message) != NULL &&
		  err.message[0] != '\0', "message set and terminated");
	check(ps_time_parse(s, size, o, &ns, NULL) == st, "same status without err");
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const ps_time_options combos[] = {
		{PS_UNIT_AUTO, 0, true},
		{PS_UNIT_S, 3600, true},
		{PS_UNIT_MS, -18 * 3600, true},
		{PS_UNIT_US, 18 * 3600, false},
		{PS_UNIT_NS, -(5 * 3600 + 1800), true},
	};
	static const ps_time_options iso_only = {PS_UNIT_AUTO, 0, false};
	const char *s = (const char *) data;
	int64_t		ns;
	int32_t		offset = INT32_MIN;
	size_t		i;

	for (i = 0; i < sizeof combos / sizeof combos[0]; i++)
		check_parse(s, size, &combos[i]);

	check(ps_time_is_iso(s, size) ==
		  (ps_time_parse(s, size, &iso_only, &ns, NULL) == PS_OK),
		  "is_iso agrees with an ISO-only parse");

	if (ps_time_parse_offset(s, size, &offset) == PS_OK)
	{
		char		text[16];
		int32_t		a = offset < 0 ? -offset : offset;
		int32_t		back = INT32_MIN;

		check(a <= 18 * 3600 && a % 60 == 0, "offset within ±18:00, whole minutes");
		snprintf(text, sizeof text, "%c%02d:%02d", offset < 0 ? '-' : '+',
				 (int) (a / 3600), (int) (a / 60 % 60));
		check(ps_time_parse_offset(text, strlen(text), &back) == PS_OK &&
			  back == offset, "offset round trip");
	}
	else
		check(offset == INT32_MIN, "offset untouched on failure");

	if (size < UNIT_TEXT_MAX)
	{
		char		text[UNIT_TEXT_MAX];
		ps_time_unit unit = (ps_time_unit) 99;

		memcpy(text, data, size);
		text[size] = '\0';
		if (ps_time_parse_unit(text, &unit) == PS_OK)
			check(unit >= PS_UNIT_AUTO && unit <= PS_UNIT_NS, "unit in range");
		else
			check(unit == (ps_time_unit) 99, "unit untouched on failure");
	}
	return 0;
}
