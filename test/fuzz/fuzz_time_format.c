/*
 * fuzz_time_format.c — libFuzzer target for time_format patterns
 * (ps_time_format) and the TZif reader (ps_tz).
 *
 * Input: byte 0 is a pattern length L, bytes 1..L the pattern (cut at a NUL,
 * as a C string), the rest the text to parse.  A pattern that compiles is
 * run over the text with UTC, a fixed offset and the America/New_York and
 * Europe/London zones; every outcome must keep the invariants: a failure is
 * PS_EINVAL or PS_ETIME with a terminated message and the output untouched;
 * parsing again gives the same; success without %z/%Z in UTC equals the
 * fixed-offset result shifted by that offset.  A pattern that does not
 * compile must say so in a message.  Then the whole input is read as a
 * TZif file, and a zone that compiles is looked up at a spread of instants
 * (offsets within ±26 h; local -> UTC -> offset lands back within the gap
 * or repeat).  Sanitizers catch overruns and signed overflow.
 *
 * Run: make build/fuzz/fuzz_time_format, then
 *   build/fuzz/fuzz_time_format -max_total_time=60 test/fuzz/corpus/time_format
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/ps_time.h"
#include "core/ps_time_format.h"
#include "core/ps_tz.h"

#define SENTINEL INT64_C(0x5a5a5a5a5a5a5a5a)
#define OFFSET_S (-(5 * 3600 + 1800))

int			LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check(int ok, const char *what)
{
	if (!ok)
	{
		fprintf(stderr, "fuzz_time_format: invariant broken: %s\n", what);
		abort();
	}
}

/* One parse; returns its status, *ns set on success only. */
static ps_status
parse_checked(const char *s, size_t len, const ps_time_options *o, int64_t *ns)
{
	ps_error	err;
	int64_t		again = SENTINEL;
	ps_status	st;

	*ns = SENTINEL;
	ps_error_clear(&err);
	st = ps_time_parse(s, len, o, ns, &err);
	check(ps_time_parse(s, len, o, &again, NULL) == st, "same status without err");
	if (st == PS_OK)
	{
		check(err.code == PS_OK, "success leaves err clear");
		check(again == *ns, "same result twice");
		return st;
	}
	check(st == PS_EINVAL || st == PS_ETIME, "failure code");
	check(*ns == SENTINEL && again == SENTINEL, "output untouched on failure");
	check(err.code == st, "err.code matches status");
	check(memchr(err.message, '\0', sizeof err.message) != NULL && err.message[0] != '\0',
		  "message set and terminated");
	return st;
}

static void
fuzz_pattern(const uint8_t *data, size_t size)
{
	static ps_tz *zones[2];
	static int	loaded;
	char		pattern[256 + 1];
	size_t		plen = size > 0 ? data[0] : 0;
	ps_time_format *f = NULL;
	ps_error	err;
	ps_time_options o;
	const char *text;
	size_t		tlen;
	int64_t		utc_ns;
	int64_t		shifted_ns;

	if (!loaded)
	{
		loaded = 1;
		check(ps_tz_load("America/New_York", &zones[0], &err) == PS_OK, "New York loads");
		check(ps_tz_load("Europe/London", &zones[1], &err) == PS_OK, "London loads");
	}
	if (size == 0)
		return;
	if (plen > size - 1)
		plen = size - 1;
	memcpy(pattern, data + 1, plen);
	pattern[plen] = '\0';
	text = (const char *) data + 1 + plen;
	tlen = size - 1 - plen;
	if (ps_time_format_compile(pattern, &f, &err) != PS_OK)
	{
		check(err.code == PS_EINVAL, "compile failure code");
		check(err.message[0] != '\0', "compile failure message");
		check(f == NULL, "no pattern on failure");
		return;
	}
	check(strcmp(ps_time_format_pattern(f), pattern) == 0, "pattern kept");
	ps_time_options_default(&o);
	o.format = f;
	if (parse_checked(text, tlen, &o, &utc_ns) == PS_OK)
	{
		o.default_offset_s = OFFSET_S;
		/* A text with its own offset ignores the default; a local one moves by it. */
		if (parse_checked(text, tlen, &o, &shifted_ns) == PS_OK && strchr(pattern, 'z') == NULL &&
			strchr(pattern, 'Z') == NULL)
			check(shifted_ns == utc_ns - (int64_t) OFFSET_S * PS_NS_PER_SEC, "fixed offset shifts");
	}
	o.default_offset_s = 0;
	for (int z = 0; z < 2; z++)
	{
		int64_t		ns;

		o.tz = zones[z];
		(void) parse_checked(text, tlen, &o, &ns);
	}
	ps_time_format_free(f);
}

static void
fuzz_tzif(const uint8_t *data, size_t size)
{
	ps_tz	   *tz = NULL;
	ps_error	err;
	ps_status	st = ps_tz_from_tzif("fuzz", data, size, &tz, &err);

	if (st != PS_OK)
	{
		check(st == PS_ECORRUPT || st == PS_ENOMEM, "TZif failure code");
		check(tz == NULL && err.message[0] != '\0', "TZif failure leaves nothing, says why");
		return;
	}
	for (int64_t t = -(INT64_C(1) << 34); t < (INT64_C(1) << 34); t += INT64_C(1) << 28)
	{
		int32_t		off = ps_tz_utc_offset(tz, t);
		int64_t		back = ps_tz_local_to_utc(tz, t + off);

		check(off >= -26 * 3600 && off <= 26 * 3600, "offset within 26 hours");
		check(back - t <= 2 * 26 * 3600 && t - back <= 2 * 26 * 3600, "local -> UTC near the instant");
	}
	ps_tz_free(tz);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_pattern(data, size);
	fuzz_tzif(data, size);
	return 0;
}
