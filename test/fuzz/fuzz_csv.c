/*
 * fuzz_csv.c — libFuzzer target for streaming CSV loads (ps_csv).
 *
 * Input layout: byte 0 = option flags, byte 1 = sizes, the rest = CSV bytes.
 *   flags bit 0 header, bit 1 on_error=skip, bit 2 add_columns, bit 3 load
 *   into the existing table (ts,a,b) instead of a new one, bits 4-5 the
 *   delimiter (, ; TAB |), bit 6 dedup.
 *   sizes bits 0-3 chunk size 2^n, bits 4-5 max_field_bytes (16 MiB, 8, 64,
 *   1024), bits 6-7 batch_size (1, 2, 3, 10000) so that every sample/stream
 *   transition is reached with small inputs.
 * Each input is loaded twice, once in chunks and once a byte at a time, into
 * one store opened at start-up; neither load is ever committed (finish
 * detached, then abort), so the store stays as it was.  Invariants (abort()
 * on violation, sanitizers catch the rest): both runs agree exactly (status,
 * counts, every reported error), a failure carries a code and a message, a
 * success reports at most PS_CSV_MAX_REPORTED errors sorted by line, each
 * with line >= 1.
 *
 * Build and run:
 *   clang -g -O1 -D_GNU_SOURCE -fsanitize=fuzzer,address,undefined -Isrc test/fuzz/fuzz_csv.c \
 *     src/core/ps_*.c -lrocksdb -lcsv -llz4 -lpthread -lm -o /tmp/fuzz_csv
 *   /tmp/fuzz_csv -max_total_time=60 test/fuzz/corpus/csv
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/ps_csv.h"
#include "core/ps_store.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static ps_store *store;
static char store_dir[] = "/tmp/ps_fuzz_csv_XXXXXX";

static void
check(int ok, const char *what)
{
	if (!ok)
	{
		fprintf(stderr, "fuzz_csv: invariant broken: %s\n", what);
		abort();
	}
}

/* libFuzzer ends with exit(): remove the temporary store then. */
static void
remove_store(void)
{
	char		cmd[64];

	ps_store_close(store);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", store_dir);
	if (system(cmd) != 0)
		fprintf(stderr, "fuzz_csv: could not remove %s\n", store_dir);
}

static void
open_store_once(void)
{
	static const char seed[] = "ts,a,b\n2024-01-01T00:00:00Z,1,x\n";
	ps_store_options so;
	ps_csv_options o;
	ps_csv_load *cl;
	ps_csv_result res;
	ps_error	err;

	if (store != NULL)
		return;
	check(mkdtemp(store_dir) != NULL, "mkdtemp");
	ps_store_options_default(&so);
	so.sync = false;
	so.batch_size = 4;
	check(ps_store_open(store_dir, &so, &store, &err) == PS_OK, "store opens");
	atexit(remove_store);
	ps_csv_options_default(&o);
	check(ps_csv_begin(store, "existing", &o, &cl, &err) == PS_OK, "seed load begins");
	check(ps_csv_feed(cl, seed, sizeof(seed) - 1, &err) == PS_OK, "seed load feeds");
	check(ps_csv_finish(cl, &res, &err) == PS_OK, "seed load commits");
}

typedef struct outcome
{
	ps_status	status;
	ps_error	err;
	ps_csv_result res;
} outcome;

static void
run(const ps_csv_options *o, const char *table, const uint8_t *csv, size_t len, size_t chunk,
	outcome *out)
{
	ps_csv_load *cl;
	ps_load    *ld = NULL;

	memset(out, 0, sizeof(*out));
	out->status = ps_csv_begin(store, table, o, &cl, &out->err);
	if (out->status != PS_OK)
		return;
	for (size_t pos = 0; pos < len; pos += chunk)
	{
		size_t		n = len - pos < chunk ? len - pos : chunk;

		if ((out->status = ps_csv_feed(cl, csv + pos, n, &out->err)) != PS_OK)
		{
			ps_csv_abort(cl);
			return;
		}
	}
	out->status = ps_csv_finish_detached(cl, &out->res, &ld, &out->err);
	check((out->status == PS_OK) == (ld != NULL), "a load is returned exactly on success");
	ps_load_abort(ld);
}

static void
check_outcome(const outcome *a)
{
	if (a->status != PS_OK)
	{
		check(a->err.code == a->status, "error code matches status");
		check(a->err.message[0] != '\0', "error has a message");
		return;
	}
	check(a->res.nerrors <= PS_CSV_MAX_REPORTED, "reported errors bounded");
	check(a->res.nerrors <= a->res.rows_rejected, "reported <= rejected");
	for (size_t i = 0; i < a->res.nerrors; i++)
	{
		check(a->res.errors[i].line >= 1, "error names a line");
		check(a->res.errors[i].code == PS_EBADROW, "skipped errors are bad rows");
		check(i == 0 || a->res.errors[i - 1].line <= a->res.errors[i].line, "errors sorted");
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char delimiters[] = {',', ';', '\t', '|'};
	static const uint64_t max_fields[] = {16u << 20, 8, 64, 1024};
	static const uint32_t batches[] = {1, 2, 3, 10000};
	ps_csv_options o;
	outcome		chunked, bytewise;
	uint8_t		flags, sizes;

	if (size < 2)
		return 0;
	open_store_once();
	flags = data[0];
	sizes = data[1];
	ps_csv_options_default(&o);
	o.header = flags & 1;
	o.on_error = flags & 2 ? PS_ON_ERROR_SKIP : PS_ON_ERROR_ABORT;
	o.add_columns = flags & 4;
	o.delimiter = delimiters[(flags >> 4) & 3];
	o.dedup = flags & 64;
	o.max_field_bytes = max_fields[(sizes >> 4) & 3];
	o.batch_size = batches[sizes >> 6];

	run(&o, flags & 8 ? "existing" : "fresh", data + 2, size - 2, (size_t) 1 << (sizes & 15),
		&chunked);
	run(&o, flags & 8 ? "existing" : "fresh", data + 2, size - 2, 1, &bytewise);
	check_outcome(&chunked);
	check(chunked.status == bytewise.status, "chunking does not change the status");
	if (chunked.status != PS_OK)
	{
		check(chunked.err.line == bytewise.err.line && chunked.err.column == bytewise.err.column &&
			  strcmp(chunked.err.message, bytewise.err.message) == 0,
			  "chunking does not change the error");
		return 0;
	}
	check(chunked.res.rows_loaded == bytewise.res.rows_loaded &&
		  chunked.res.rows_rejected == bytewise.res.rows_rejected &&
		  chunked.res.nerrors == bytewise.res.nerrors, "chunking does not change the counts");
	for (size_t i = 0; i < chunked.res.nerrors; i++)
		check(chunked.res.errors[i].line == bytewise.res.errors[i].line &&
			  chunked.res.errors[i].column == bytewise.res.errors[i].column &&
			  strcmp(chunked.res.errors[i].message, bytewise.res.errors[i].message) == 0,
			  "chunking does not change the reported errors");
	return 0;
}
