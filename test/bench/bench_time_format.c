/*
 * bench_time_format.c — how fast time_format patterns parse (issue 13: at
 * least 10M parses/s on one core for "%Y/%m/%d %H:%M:%S").
 *
 *   bench_time_format [SECONDS]      (default 2 s per figure)
 *
 * Writes 1M distinct times between 1990 and 2030 (a fixed-seed LCG) as
 * "YYYY/MM/DD hh:mm:ss" text, checks once that each parses back to the
 * instant it was written from, then parses the whole array over and over on
 * this thread for SECONDS and prints the rate.  For comparison it also
 * times the same texts as local New York time (America/New_York, a binary
 * search per row) and ISO-8601 text without a pattern.  The last line is
 * "time_format_rate=N" (parses/s of the plain pattern) for test/bench/run.sh.
 * Exits 1 if a text parses to the wrong instant or not at all.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/ps_time.h"
#include "core/ps_time_format.h"
#include "core/ps_tz.h"

#define NTEXTS (1 << 20)
#define TEXT_LEN 19				/* YYYY/MM/DD hh:mm:ss */

static char texts[NTEXTS][TEXT_LEN];
static char iso_texts[NTEXTS][TEXT_LEN];
static int64_t expected[NTEXTS];

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double) ts.tv_sec + (double) ts.tv_nsec * 1e-9;
}

static void
generate(void)
{
	uint64_t	state = 42;
	const int64_t lo = INT64_C(631152000);	/* 1990-01-01 */
	const int64_t span = INT64_C(1262304000);	/* to 2030-01-01 */

	for (size_t i = 0; i < NTEXTS; i++)
	{
		char		iso[PS_TIME_ISO_MAX];
		int64_t		secs;

		state = state * UINT64_C(6364136223846793005) + UINT64_C(1442695040888963407);
		secs = lo + (int64_t) ((state >> 16) % (uint64_t) span);
		expected[i] = secs * PS_NS_PER_SEC;
		ps_time_format_iso(expected[i], iso);	/* YYYY-MM-DDThh:mm:ssZ */
		memcpy(iso_texts[i], iso, TEXT_LEN);
		iso_texts[i][10] = ' ';
		memcpy(texts[i], iso_texts[i], TEXT_LEN);
		texts[i][4] = texts[i][7] = '/';
	}
}

/* Parses per second of every text by o, for at least `seconds`; *sum keeps the work. */
static double
rate(char (*in)[TEXT_LEN], const ps_time_options *o, double seconds, int64_t *sum)
{
	uint64_t	parses = 0;
	double		start = now();
	double		elapsed;

	do
	{
		for (size_t i = 0; i < NTEXTS; i++)
		{
			int64_t		ns = 0;

			if (ps_time_parse(in[i], TEXT_LEN, o, &ns, NULL) != PS_OK)
			{
				fprintf(stderr, "bench_time_format: %.19s does not parse\n", in[i]);
				exit(1);
			}
			*sum += ns;
		}
		parses += NTEXTS;
	} while ((elapsed = now() - start) < seconds);
	return (double) parses / elapsed;
}

int
main(int argc, char **argv)
{
	double		seconds = argc > 1 ? atof(argv[1]) : 2.0;
	ps_time_format *fmt;
	ps_tz	   *ny;
	ps_time_options plain;
	ps_time_options zoned;
	ps_time_options iso;
	ps_error	err;
	int64_t		sum = 0;
	double		r_plain;
	double		r_zoned;
	double		r_iso;

	if (ps_time_format_compile("%Y/%m/%d %H:%M:%S", &fmt, &err) != PS_OK ||
		ps_tz_load("America/New_York", &ny, &err) != PS_OK)
	{
		fprintf(stderr, "bench_time_format: %s\n", err.message);
		return 1;
	}
	generate();
	ps_time_options_default(&plain);
	plain.format = fmt;
	zoned = plain;
	zoned.tz = ny;
	ps_time_options_default(&iso);
	for (size_t i = 0; i < NTEXTS; i++)
	{
		int64_t		ns = 0;

		if (ps_time_parse(texts[i], TEXT_LEN, &plain, &ns, &err) != PS_OK || ns != expected[i])
		{
			fprintf(stderr, "bench_time_format: %.19s gave %" PRId64 ", not %" PRId64 " (%s)\n",
					texts[i], ns, expected[i], err.message);
			return 1;
		}
	}
	r_plain = rate(texts, &plain, seconds, &sum);
	r_zoned = rate(texts, &zoned, seconds, &sum);
	r_iso = rate(iso_texts, &iso, seconds, &sum);
	printf("time_format \"%%Y/%%m/%%d %%H:%%M:%%S\", UTC:              %12.0f parses/s\n", r_plain);
	printf("time_format \"%%Y/%%m/%%d %%H:%%M:%%S\", America/New_York: %12.0f parses/s\n", r_zoned);
	printf("ISO-8601 \"YYYY-MM-DD hh:mm:ss\" (no pattern):       %12.0f parses/s\n", r_iso);
	printf("(checksum %" PRId64 ")\n", sum);
	printf("time_format_rate=%.0f\n", r_plain);
	ps_time_format_free(fmt);
	ps_tz_free(ny);
	return 0;
}
