/*
 * fuzz_csv.c — libFuzzer target for streaming CSV loads (ps_csv).
 *
 * Input layout: byte 0 = option flags, byte 1 = sizes, the rest = CSV bytes.
 *   flags bit 0 header, bit 1 on_error=skip, bit 2 add_columns, bit 3 load
 *   into the existing table (ts,a,b) instead of a new one, bits 4-5 the
 *   delimiter (, ; TAB |), bit 6 dedup, bit 7 quote-free: every '"' of the
 *   CSV becomes 'q', so that the whole input takes the fast path.
 *   sizes bits 0-3 chunk size 2^n, bits 4-5 max_field_bytes (16 MiB, 8, 64,
 *   1024), bits 6-7 batch_size (1, 2, 3, 10000) so that every sample/stream
 *   transition is reached with small inputs.
 * Each input is loaded five times into one store opened at start-up: with
 * libcsv only, in chunks (the reference); with the quote-free fast path in
 * chunks and a byte at a time; and both parsers in chunks with the
 * converter thread from the first streamed records on (pipeline_records 1
 * to 4), so the fast path's direct batches are reached too.  No load is
 * ever committed (finish detached, then abort), so the store stays as it
 * was.  Invariants (abort() on violation, sanitizers catch the rest): every
 * run agrees exactly with the reference (status, error line, column and
 * message, counts, every reported error), a failure carries a code and a
 * message, a success reports at most PS_CSV_MAX_REPORTED errors sorted by
 * line, each with line >= 1.
 *
 * Build and run:
 *   make build/fuzz/fuzz_csv
 *   build/fuzz/fuzz_csv -max_total_time=60 test/fuzz/corpus/csv
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

static void
print_outcome(const char *name, const outcome *a)
{
	fprintf(stderr, "%s: status %d, error \"%s\", loaded %llu, rejected %llu\n", name,
			(int) a->status, a->status != PS_OK ? a->err.message : "",
			(unsigned long long) a->res.rows_loaded, (unsigned long long) a->res.rows_rejected);
	for (size_t i = 0; a->status == PS_OK && i < a->res.nerrors; i++)
		fprintf(stderr, "  %s\n", a->res.errors[i].message);
}

/* b reported exactly what the reference a did. */
static void
check_agree(const outcome *a, const outcome *b, const char *what)
{
	if (getenv("FUZZ_CSV_VERBOSE") != NULL)
	{
		print_outcome(what, b);
		print_outcome("reference", a);
	}
	check(a->status == b->status, what);
	if (a->status != PS_OK)
	{
		check(a->err.code == b->err.code && a->err.line == b->err.line &&
			  a->err.column == b->err.column && strcmp(a->err.message, b->err.message) == 0, what);
		return;
	}
	check(a->res.rows_loaded == b->res.rows_loaded && a->res.rows_rejected == b->res.rows_rejected &&
		  a->res.nerrors == b->res.nerrors, what);
	for (size_t i = 0; i < a->res.nerrors; i++)
		check(a->res.errors[i].code == b->res.errors[i].code &&
			  a->res.errors[i].line == b->res.errors[i].line &&
			  a->res.errors[i].column == b->res.errors[i].column &&
			  strcmp(a->res.errors[i].message, b->res.errors[i].message) == 0, what);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char delimiters[] = {',', ';', '\t', '|'};
	static const uint64_t max_fields[] = {16u << 20, 8, 64, 1024};
	static const uint32_t batches[] = {1, 2, 3, 10000};
	ps_csv_options o;
	outcome		reference, other;
	uint8_t		flags, sizes;
	uint8_t    *csv;
	size_t		len, chunk;
	const char *table;

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
	table = flags & 8 ? "existing" : "fresh";
	chunk = (size_t) 1 << (sizes & 15);
	len = size - 2;
	check((csv = malloc(len + 1)) != NULL, "malloc");
	memcpy(csv, data + 2, len);
	for (size_t i = 0; (flags & 128) && i < len; i++)
		if (csv[i] == '"')
			csv[i] = 'q';

	o.libcsv_only = true;
	run(&o, table, csv, len, chunk, &reference);
	check_outcome(&reference);
	o.libcsv_only = false;
	run(&o, table, csv, len, chunk, &other);
	check_agree(&reference, &other, "the fast path (chunked) agrees with libcsv");
	run(&o, table, csv, len, 1, &other);
	check_agree(&reference, &other, "the fast path (bytewise) agrees with libcsv");
	o.pipeline_records = 1 + (uint32_t) (len % 4);
	run(&o, table, csv, len, chunk, &other);
	check_agree(&reference, &other, "the fast path (converter thread) agrees with libcsv");
	o.libcsv_only = true;
	run(&o, table, csv, len, chunk, &other);
	check_agree(&reference, &other, "libcsv (converter thread) agrees with libcsv");
	free(csv);
	return 0;
}
