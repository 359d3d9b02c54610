/*
 * gen_ticks.c — a deterministic generator of market ticks as CSV, for the
 * demo, the tests and the benchmark.
 *
 *   gen_ticks ROWS [SEED] [START_EPOCH_MS]
 *
 * Columns: timestamp (ISO-8601, millisecond, UTC, increasing with small
 * jitter), symbol (100 symbols), price, volume, bid, ask, exchange.  The same
 * arguments always print the same bytes (own LCG, no libc rand, no locale).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#define NSYMBOLS 100

static uint64_t rng_state;

static uint32_t
next_rand(void)
{
	rng_state = rng_state * UINT64_C(6364136223846793005) + UINT64_C(1442695040888963407);
	return (uint32_t) (rng_state >> 33);
}

/* Civil date from days since 1970-01-01 (Howard Hinnant's algorithm). */
static void
civil_from_days(int64_t z, int *y, int *m, int *d)
{
	z += 719468;
	int64_t		era = (z >= 0 ? z : z - 146096) / 146097;
	unsigned	doe = (unsigned) (z - era * 146097);
	unsigned	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	unsigned	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	unsigned	mp = (5 * doy + 2) / 153;

	*d = (int) (doy - (153 * mp + 2) / 5 + 1);
	*m = (int) (mp < 10 ? mp + 3 : mp - 9);
	*y = (int) (yoe + era * 400 + (*m <= 2));
}

int
main(int argc, char **argv)
{
	static const char *exchanges[] = {"NASDAQ", "NYSE", "ARCA", "BATS", "IEX"};
	char		symbols[NSYMBOLS][8];
	double		prices[NSYMBOLS];
	long long	rows;
	int64_t		ms;
	static char outbuf[1 << 20];

	if (argc < 2 || (rows = atoll(argv[1])) < 0)
	{
		fprintf(stderr, "usage: gen_ticks ROWS [SEED] [START_EPOCH_MS]\n");
		return 2;
	}
	rng_state = argc > 2 ? strtoull(argv[2], NULL, 10) : 42;
	ms = argc > 3 ? strtoll(argv[3], NULL, 10) : INT64_C(1704067200000);	/* 2024-01-01 */
	setvbuf(stdout, outbuf, _IOFBF, sizeof(outbuf));
	for (int i = 0; i < NSYMBOLS; i++)
	{
		snprintf(symbols[i], sizeof(symbols[i]), "%c%c%c%c", 'A' + i % 26, 'A' + (i / 26) % 26,
				 'A' + (i * 7) % 26, 'X');
		prices[i] = 20.0 + (double) (next_rand() % 50000) / 100.0;
	}
	fputs("timestamp,symbol,price,volume,bid,ask,exchange\n", stdout);
	for (long long r = 0; r < rows; r++)
	{
		int			s = (int) (next_rand() % NSYMBOLS);
		int			y, mo, d;
		int64_t		days = ms / 86400000, rem = ms % 86400000;
		double		step = ((double) (next_rand() % 2001) - 1000.0) / 100000.0;
		double		spread = (double) (1 + next_rand() % 5) / 100.0;

		if (rem < 0)
		{
			rem += 86400000;
			days--;
		}
		civil_from_days(days, &y, &mo, &d);
		prices[s] *= 1.0 + step / 10.0;
		if (prices[s] < 1.0)
			prices[s] = 1.0;
		printf("%04d-%02d-%02dT%02d:%02d:%02d.%03dZ,%s,%.2f,%u,%.2f,%.2f,%s\n",
			   y, mo, d, (int) (rem / 3600000), (int) (rem / 60000 % 60), (int) (rem / 1000 % 60),
			   (int) (rem % 1000), symbols[s], prices[s], 1 + next_rand() % 5000,
			   prices[s] - spread, prices[s] + spread, exchanges[next_rand() % 5]);
		ms += next_rand() % 3;	/* ~1 ms per tick on average, equal times happen */
	}
	return 0;
}
