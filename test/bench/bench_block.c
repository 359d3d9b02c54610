/*
 * bench_block.c — sizes and speeds of the block codecs on tick data.
 *
 *   bench_block [ROWS] [SEED]      (default 1000000 rows, seed 42)
 *
 * Generates ticks exactly as gen_ticks.c does (same LCG and draws: 100
 * symbols, millisecond times with 0..2 ms steps, 2-decimal prices in a
 * random walk, volumes 1..5000, bid/ask around the price, 5 exchanges),
 * with prices read back from their "%.2f" text as a CSV load would, and
 * groups each symbol's rows into 1024-row blocks (the symbol is the series
 * key, so it is not a column).  For each column it prints the bytes per
 * row of every candidate encoding, the one AUTO picks, and that codec's
 * encode and decode speed; then whole blocks: builder append + encode, and
 * ps_block_decode of all columns or of time + price.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/ps_block.h"
#include "core/ps_codec.h"

#define NSYMBOLS 100
#define ROWS PS_BLOCK_ROWS
#define NCOLS 5

static uint64_t rng_state;

static uint32_t
next_rand(void)
{
	rng_state = rng_state * UINT64_C(6364136223846793005) + UINT64_C(1442695040888963407);
	return (uint32_t) (rng_state >> 33);
}

static const char *const exchanges[] = {"NASDAQ", "NYSE", "ARCA", "BATS", "IEX"};

typedef struct blk {
	int64_t		t[ROWS];
	double		price[ROWS], bid[ROWS], ask[ROWS];
	int64_t		vol[ROWS];
	ps_strref	exch[ROWS];
} blk;

static blk *blocks;
static size_t nblocks;

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double) ts.tv_sec + (double) ts.tv_nsec * 1e-9;
}

/* The value a CSV load of "%.2f" gives. */
static double
csv2(double v)
{
	char		buf[64];

	snprintf(buf, sizeof buf, "%.2f", v);
	return strtod(buf, NULL);
}

static void
generate(long long rows, uint64_t seed)
{
	static blk	cur[NSYMBOLS];
	uint32_t	fill[NSYMBOLS] = {0};
	double		prices[NSYMBOLS];
	int64_t		ms = INT64_C(1704067200000);
	size_t		cap = (size_t) (rows / ROWS + 1);

	blocks = malloc(cap * sizeof(blk));
	if (blocks == NULL)
		exit(1);
	rng_state = seed;
	for (int i = 0; i < NSYMBOLS; i++)
		prices[i] = 20.0 + (double) (next_rand() % 50000) / 100.0;
	for (long long r = 0; r < rows; r++)
	{
		int			s = (int) (next_rand() % NSYMBOLS);
		double		step = ((double) (next_rand() % 2001) - 1000.0) / 100000.0;
		double		spread = (double) (1 + next_rand() % 5) / 100.0;
		blk		   *b = &cur[s];
		uint32_t	i = fill[s];

		prices[s] *= 1.0 + step / 10.0;
		if (prices[s] < 1.0)
			prices[s] = 1.0;
		b->t[i] = ms * 1000000;
		b->price[i] = csv2(prices[s]);
		b->vol[i] = 1 + next_rand() % 5000;
		b->bid[i] = csv2(prices[s] - spread);
		b->ask[i] = csv2(prices[s] + spread);
		b->exch[i].ptr = exchanges[next_rand() % 5];
		b->exch[i].len = (uint32_t) strlen(b->exch[i].ptr);
		if (++fill[s] == ROWS)
		{
			blocks[nblocks++] = *b;
			fill[s] = 0;
		}
		ms += next_rand() % 3;
	}
}

/* ---------------------------------------------------------------- per column */

enum { C_TIME, C_PRICE, C_VOLUME, C_BID, C_ASK, C_EXCH, NCOLUMNS };
static const char *const col_names[] = {"time", "price", "volume", "bid", "ask", "exchange"};

static const ps_codec_mode *
candidates(int c, const char *const **names, int *n)
{
	static const ps_codec_mode times[] = {PS_CODEC_DELTA, PS_CODEC_FOR};
	static const char *const time_names[] = {"delta-of-delta", "delta (FOR of deltas)"};
	static const ps_codec_mode ints[] = {PS_CODEC_FOR, PS_CODEC_DELTA};
	static const char *const int_names[] = {"frame of reference", "delta"};
	static const ps_codec_mode floats[] = {PS_CODEC_FORCE_GORILLA, PS_CODEC_FORCE_DECIMAL};
	static const char *const float_names[] = {"gorilla", "decimal"};
	static const ps_codec_mode strs[] = {PS_CODEC_FORCE_DICT, PS_CODEC_FORCE_PLAIN};
	static const char *const str_names[] = {"dictionary", "plain"};

	*n = 2;
	switch (c)
	{
		case C_TIME: *names = time_names; return times;
		case C_VOLUME: *names = int_names; return ints;
		case C_EXCH: *names = str_names; return strs;
		default: *names = float_names; return floats;
	}
}

static const double *
float_col(const blk *b, int c)
{
	return c == C_PRICE ? b->price : c == C_BID ? b->bid : b->ask;
}

static ps_status
encode_col(ps_buf *out, const blk *b, int c, ps_codec_mode mode, uint8_t *codec)
{
	switch (c)
	{
		case C_TIME:
			*codec = 0;
			return ps_codec_time_encode(out, b->t, ROWS, mode);
		case C_VOLUME:
			*codec = PS_CODEC_INT;
			return ps_codec_int_encode(out, b->vol, ROWS, mode);
		case C_EXCH:
			return ps_codec_str_encode(out, b->exch, ROWS, mode, codec);
		default:
			return ps_codec_float_encode(out, float_col(b, c), ROWS, mode, codec);
	}
}

static ps_status
decode_col(ps_reader *r, int c, uint8_t codec, int64_t *iv, double *fv, uint32_t *off,
		   ps_buf *data)
{
	switch (c)
	{
		case C_TIME:
			return ps_codec_time_decode(r, ROWS, iv);
		case C_VOLUME:
			return ps_codec_int_decode(r, ROWS, iv);
		case C_EXCH:
			return ps_codec_str_decode(r, codec, ROWS, off, data, SIZE_MAX);
		default:
			return ps_codec_float_decode(r, codec, ROWS, fv);
	}
}

static const char *
codec_name(int c, uint8_t codec, const uint8_t *payload)
{
	if (c == C_TIME || c == C_VOLUME)
	{
		/* INT's head byte says which form; times have a varint first. */
		const uint8_t *p = payload;

		if (c == C_TIME)
			while (*p & 0x80)
				p++;
		if (c == C_TIME)
			p++;
		return (*p & 0x80) ? (c == C_TIME ? "delta-of-delta" : "delta") :
			(c == C_TIME ? "delta (FOR of deltas)" : "frame of reference");
	}
	switch (codec)
	{
		case PS_CODEC_GORILLA: return "gorilla";
		case PS_CODEC_DECIMAL: return "decimal";
		case PS_CODEC_DICT: return "dictionary";
		default: return "plain";
	}
}

static void
bench_column(int c, int reps)
{
	const char *const *names;
	int			ncand;
	const ps_codec_mode *modes = candidates(c, &names, &ncand);
	ps_buf		out = PS_BUF_INIT;
	ps_buf		data = PS_BUF_INIT;
	static int64_t iv[ROWS];
	static double fv[ROWS];
	static uint32_t off[ROWS + 1];
	size_t		picks[4][2] = {{0}};
	const char *pick_names[4] = {0};
	int			npicks = 0;
	size_t		auto_bytes = 0;
	double		t0, enc, dec;
	double		rows = (double) nblocks * ROWS;
	size_t	   *starts = malloc((nblocks + 1) * sizeof(size_t));
	uint8_t    *codecs = malloc(nblocks);

	printf("%-9s", col_names[c]);
	for (int k = 0; k < ncand; k++)
	{
		size_t		bytes = 0;

		for (size_t i = 0; i < nblocks; i++)
		{
			uint8_t		codec;

			ps_buf_reset(&out);
			if (encode_col(&out, &blocks[i], c, modes[k], &codec) == PS_OK)
				bytes += out.len;
			else
				bytes = SIZE_MAX / 2;
		}
		printf("  %s %.3f", names[k], bytes >= SIZE_MAX / 2 ? -1.0 : (double) bytes / rows);
	}

	/* AUTO: all blocks into one buffer, timed. */
	t0 = now();
	for (int rep = 0; rep < reps; rep++)
	{
		ps_buf_reset(&out);
		for (size_t i = 0; i < nblocks; i++)
		{
			starts[i] = out.len;
			if (encode_col(&out, &blocks[i], c, PS_CODEC_AUTO, &codecs[i]) != PS_OK)
				exit(1);
		}
	}
	enc = (now() - t0) / reps;
	starts[nblocks] = out.len;
	auto_bytes = out.len;
	for (size_t i = 0; i < nblocks; i++)
	{
		const char *nm = codec_name(c, codecs[i], out.data + starts[i]);
		int			k;

		for (k = 0; k < npicks && strcmp(pick_names[k], nm) != 0; k++)
			;
		if (k == npicks)
			pick_names[npicks++] = nm;
		picks[k][0]++;
	}
	t0 = now();
	for (int rep = 0; rep < reps; rep++)
		for (size_t i = 0; i < nblocks; i++)
		{
			ps_reader	r;

			ps_reader_init(&r, out.data + starts[i], starts[i + 1] - starts[i]);
			if (decode_col(&r, c, codecs[i], iv, fv, off, &data) != PS_OK)
			{
				fprintf(stderr, "decode failed\n");
				exit(1);
			}
		}
	dec = (now() - t0) / reps;
	printf("  | auto %.3f B/row:", (double) auto_bytes / rows);
	for (int k = 0; k < npicks; k++)
		printf(" %s %zu%%", pick_names[k], picks[k][0] * 100 / nblocks);
	printf(" | encode %.1f M rows/s, decode %.1f M rows/s (%.2f us/block)\n",
		   rows / enc / 1e6, rows / dec / 1e6, dec / (double) nblocks * 1e6);
	ps_buf_free(&out);
	ps_buf_free(&data);
	free(starts);
	free(codecs);
}

/* ---------------------------------------------------------------- whole blocks */

static void
bench_blocks(int reps)
{
	const ps_type types[NCOLS] = {PS_TYPE_FLOAT, PS_TYPE_INTEGER, PS_TYPE_FLOAT, PS_TYPE_FLOAT,
		PS_TYPE_STRING};
	const bool	want_price[NCOLS] = {true, false, false, false, false};
	ps_block_builder *b;
	ps_block_reader *r;
	ps_buf		block = PS_BUF_INIT, meta = PS_BUF_INIT;
	size_t	   *starts = malloc((nblocks + 1) * sizeof(size_t));
	size_t		meta_bytes = 0;
	double		t0, enc, dec, dec_price;
	double		rows = (double) nblocks * ROWS;
	double		checksum = 0;

	if (ps_block_builder_new(types, NCOLS, &b, NULL) != PS_OK ||
		ps_block_reader_new(&r, NULL) != PS_OK)
		exit(1);
	t0 = now();
	for (int rep = 0; rep < reps; rep++)
	{
		ps_buf_reset(&block);
		ps_buf_reset(&meta);
		for (size_t i = 0; i < nblocks; i++)
		{
			const blk  *k = &blocks[i];

			starts[i] = block.len;
			for (uint32_t j = 0; j < ROWS; j++)
			{
				ps_value	v[NCOLS];

				memset(v, 0, sizeof v);
				v[0].v.f = k->price[j];
				v[1].v.i = k->vol[j];
				v[2].v.f = k->bid[j];
				v[3].v.f = k->ask[j];
				v[4].v.s.ptr = k->exch[j].ptr;
				v[4].v.s.len = k->exch[j].len;
				if (ps_block_builder_append(b, k->t[j], v, NULL) != PS_OK)
					exit(1);
			}
			if (ps_block_builder_encode(b, &block, &meta, NULL) != PS_OK)
				exit(1);
		}
	}
	enc = (now() - t0) / reps;
	starts[nblocks] = block.len;
	meta_bytes = meta.len;

	t0 = now();
	for (int rep = 0; rep < reps; rep++)
		for (size_t i = 0; i < nblocks; i++)
		{
			if (ps_block_decode(r, block.data + starts[i], starts[i + 1] - starts[i], types, NCOLS,
								NULL, NULL) != PS_OK)
				exit(1);
			checksum += ps_block_reader_column(r, 0)->f[ROWS - 1];
		}
	dec = (now() - t0) / reps;
	t0 = now();
	for (int rep = 0; rep < reps; rep++)
		for (size_t i = 0; i < nblocks; i++)
		{
			if (ps_block_decode(r, block.data + starts[i], starts[i + 1] - starts[i], types, NCOLS,
								want_price, NULL) != PS_OK)
				exit(1);
			checksum += ps_block_reader_column(r, 0)->f[0];
		}
	dec_price = (now() - t0) / reps;

	printf("\nwhole blocks (time + 5 columns, %zu blocks of %d rows):\n", nblocks, ROWS);
	printf("  block bytes %.3f B/row, meta bytes %.3f B/row (raw in-memory row: 44 B + string)\n",
		   (double) block.len / rows, (double) meta_bytes / rows);
	printf("  builder append + encode: %.2f M rows/s (%.1f us/block)\n", rows / enc / 1e6,
		   enc / (double) nblocks * 1e6);
	printf("  decode all 6 columns:    %.2f M rows/s (%.2f us/block)\n", rows / dec / 1e6,
		   dec / (double) nblocks * 1e6);
	printf("  decode time + price:     %.2f M rows/s (%.2f us/block)\n", rows / dec_price / 1e6,
		   dec_price / (double) nblocks * 1e6);
	fprintf(stderr, "(checksum %g)\n", checksum);
	ps_block_builder_free(b);
	ps_block_reader_free(r);
	ps_buf_free(&block);
	ps_buf_free(&meta);
	free(starts);
}

int
main(int argc, char **argv)
{
	long long	rows = argc > 1 ? atoll(argv[1]) : 1000000;
	uint64_t	seed = argc > 2 ? strtoull(argv[2], NULL, 10) : 42;
	int			reps;

	if (rows < ROWS * NSYMBOLS)
	{
		fprintf(stderr, "usage: bench_block [ROWS >= %d] [SEED]\n", ROWS * NSYMBOLS);
		return 2;
	}
	generate(rows, seed);
	reps = (int) (20000 / nblocks) + 1;
	printf("%lld ticks, %zu full blocks of %d rows (series = symbol), %d repetitions\n\n",
		   rows, nblocks, ROWS, reps);
	printf("column   candidates in bytes/row | what AUTO writes | speed of AUTO's codec\n");
	for (int c = 0; c < NCOLUMNS; c++)
		bench_column(c, reps);
	bench_blocks(reps);
	free(blocks);
	return 0;
}
