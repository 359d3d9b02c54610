/*
 * test_csv.c — streaming CSV loads (ps_csv) against a real store in a
 * temporary directory: option parsing, schema and time column inference,
 * COPY-CSV semantics (NULL vs "", quotes, CRLF, BOM), positions of bad rows
 * (line/column, also after quoted newlines), abort and skip modes, size
 * limits, chunk boundaries anywhere, later loads (column order, missing,
 * unknown and added columns), all-or-nothing loads and dedup retries.
 *
 * Every check reads the table back through a scan, so what is asserted is
 * what a user would see, not only what the loader reports.
 *
 * Two parsers: quote-free lines take a fast path, the rest libcsv (the
 * libcsv_only option forces libcsv everywhere).  Every load of these tests
 * also runs with the other choice, rolled back, and must report the same;
 * test_paths_agree_* compare the two, table contents included, on many
 * inputs cut at every byte and with the converter thread from the first
 * record.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/ps_csv.h"
#include "core/ps_row.h"
#include "core/ps_store.h"
#include "store_dir.h"

static int
setup(void **state)
{
	fixture    *f = fixture_new("ps_test_csv", 50);	/* several batches per load of a few hundred rows */

	*state = f;
	return 0;
}

/* ---------------------------------------------------------------- helpers */

typedef enum chunking
{
	WHOLE,						/* one feed */
	BYTEWISE,					/* one byte per feed */
	RANDOM,						/* 0..16 bytes per feed, seeded */
	SPLIT,						/* two feeds, the first of `seed` bytes */
	SIZED						/* feeds of `seed` bytes */
} chunking;

/* Load csv fed as `how` says; committed, or rolled back after finishing. */
static ps_status
run_load(ps_store *st, const char *table, const char *csv, size_t len,
		 const ps_csv_options *o, chunking how, unsigned seed, bool commit,
		 ps_csv_result *res, ps_error *err)
{
	ps_csv_load *cl;
	ps_load    *ld;
	ps_status	rc;
	size_t		pos = 0;
	bool		first = true;

	memset(res, 0, sizeof(*res));
	ps_error_clear(err);
	if ((rc = ps_csv_begin(st, table, o, &cl, err)) != PS_OK)
		return rc;
	while (pos < len || (how == SPLIT && first))
	{
		size_t		n = len - pos;

		if (how == BYTEWISE)
			n = 1;
		else if (how == RANDOM)
		{
			size_t		r = (size_t) (rand_r(&seed) % 17);

			n = r < n ? r : n;
		}
		else if (how == SPLIT && first)
			n = seed < n ? seed : n;
		else if (how == SIZED)
			n = seed < n ? seed : n;
		first = false;
		if ((rc = ps_csv_feed(cl, csv + pos, n, err)) != PS_OK)
		{
			ps_csv_abort(cl);
			return rc;
		}
		pos += n;
	}
	if (commit)
		return ps_csv_finish(cl, res, err);
	if ((rc = ps_csv_finish_detached(cl, res, &ld, err)) == PS_OK)
		ps_load_abort(ld);
	return rc;
}

/* Two loads reported the same: status and error, or counts and every error. */
static void
assert_same_report(const char *what, ps_status rc_a, const ps_error *err_a, const ps_csv_result *a,
				   ps_status rc_b, const ps_error *err_b, const ps_csv_result *b)
{
	if (rc_a != rc_b)
		fail_msg("%s: status %d (%s) vs %d (%s)", what, rc_a, err_a->message, rc_b, err_b->message);
	if (rc_a != PS_OK)
	{
		if (err_a->code != err_b->code || err_a->line != err_b->line ||
			err_a->column != err_b->column || strcmp(err_a->message, err_b->message) != 0)
			fail_msg("%s: error \"%s\" (%lld:%d) vs \"%s\" (%lld:%d)", what, err_a->message,
					 (long long) err_a->line, err_a->column, err_b->message,
					 (long long) err_b->line, err_b->column);
		return;
	}
	if (a->rows_loaded != b->rows_loaded || a->rows_rejected != b->rows_rejected ||
		a->nerrors != b->nerrors)
		fail_msg("%s: loaded %llu/%llu, rejected %llu/%llu, errors %zu/%zu", what,
				 (unsigned long long) a->rows_loaded, (unsigned long long) b->rows_loaded,
				 (unsigned long long) a->rows_rejected, (unsigned long long) b->rows_rejected,
				 a->nerrors, b->nerrors);
	for (size_t i = 0; i < a->nerrors; i++)
		if (a->errors[i].code != b->errors[i].code || a->errors[i].line != b->errors[i].line ||
			a->errors[i].column != b->errors[i].column ||
			strcmp(a->errors[i].message, b->errors[i].message) != 0)
			fail_msg("%s: reported error %zu \"%s\" vs \"%s\"", what, i, a->errors[i].message,
					 b->errors[i].message);
}

/*
 * The load every test uses: first the same load with the other parser
 * choice (fast path where it can, or libcsv only), rolled back, then the
 * real one; both must report the same.
 */
static ps_status
load_chunked(ps_store *st, const char *table, const char *csv, size_t len,
			 const ps_csv_options *o, chunking how, unsigned seed,
			 ps_csv_result *res, ps_error *err)
{
	ps_csv_options other = *o;
	ps_csv_result other_res;
	ps_error	other_err;
	ps_status	other_rc, rc;

	other.libcsv_only = !o->libcsv_only;
	other_rc = run_load(st, table, csv, len, &other, how, seed, false, &other_res, &other_err);
	rc = run_load(st, table, csv, len, o, how, seed, true, res, err);
	assert_same_report(o->libcsv_only ? "libcsv vs fast path" : "fast path vs libcsv",
					   rc, err, res, other_rc, &other_err, &other_res);
	return rc;
}

static ps_status
load_opts(ps_store *st, const char *table, const char *csv, const ps_csv_options *o,
		  ps_csv_result *res, ps_error *err)
{
	return load_chunked(st, table, csv, strlen(csv), o, WHOLE, 0, res, err);
}

static ps_status
load(ps_store *st, const char *table, const char *csv, ps_csv_result *res, ps_error *err)
{
	ps_csv_options o;

	ps_csv_options_default(&o);
	return load_opts(st, table, csv, &o, res, err);
}

/* Options from "key=value;key=value". */
static ps_csv_options
opts(const char *spec)
{
	ps_csv_options o;
	char		buf[512];
	char	   *save = NULL;
	ps_error	err;

	ps_csv_options_default(&o);
	snprintf(buf, sizeof(buf), "%s", spec);
	for (char *kv = strtok_r(buf, ";", &save); kv; kv = strtok_r(NULL, ";", &save))
	{
		char	   *eq = strchr(kv, '=');

		assert_non_null(eq);
		*eq = '\0';
		if (ps_csv_option_set(&o, kv, eq + 1, &err) != PS_OK)
			fail_msg("option %s: %s", kv, err.message);
	}
	return o;
}

static size_t
next_pow2(size_t n)
{
	size_t		p = 16;

	while (p < n)
		p *= 2;
	return p;
}

static void
append(char **s, size_t *len, const char *fmt, ...)
{
	va_list		ap;
	char		tmp[512];
	int			n;

	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	assert_true(n >= 0 && (size_t) n < sizeof(tmp));
	/* Capacity is the power of two above len: doubling keeps big dumps linear. */
	if (*s == NULL || next_pow2(*len + (size_t) n + 1) > next_pow2(*len + 1))
		*s = realloc(*s, next_pow2(*len + (size_t) n + 1));
	memcpy(*s + *len, tmp, (size_t) n + 1);
	*len += (size_t) n;
}

/*
 * The whole table as text, one row per line: ISO time, then every value
 * column ("NULL", integers, %.17g floats, t/f, 'strings', ISO timestamps).
 * NULL (not "") when the table does not exist.  Caller frees.
 */
static char *
dump(ps_store *st, const char *table)
{
	ps_scan_spec spec = {.table = table, .lo = INT64_MIN, .hi = INT64_MAX};
	ps_scan    *sc;
	ps_error	err;
	char	   *out = NULL;
	size_t		len = 0;
	bool		done = false;
	ps_type		types[64];
	ps_value	vals[64];
	uint32_t	nv;

	if (ps_store_table_info(st, table, NULL, NULL, &err) == PS_ENOTFOUND)
		return NULL;
	assert_int_equal(ps_scan_open(st, &spec, &sc, &err), PS_OK);
	nv = ps_schema_value_count(ps_scan_schema(sc));
	assert_true(nv <= 64);
	ps_schema_value_types(ps_scan_schema(sc), types);
	append(&out, &len, "%s", "");
	for (;;)
	{
		ps_scan_row row;
		char		iso[PS_TIME_ISO_MAX];

		assert_int_equal(ps_scan_next(sc, &row, &done, &err), PS_OK);
		if (done)
			break;
		assert_int_equal(ps_row_decode(types, nv, row.value, row.value_len, vals, NULL, &err), PS_OK);
		ps_time_format_iso(row.time, iso);
		append(&out, &len, "%s", iso);
		for (uint32_t i = 0; i < nv; i++)
		{
			if (vals[i].is_null)
			{
				append(&out, &len, "|NULL");
				continue;
			}
			switch (types[i])
			{
				case PS_TYPE_INTEGER:
					append(&out, &len, "|%lld", (long long) vals[i].v.i);
					break;
				case PS_TYPE_FLOAT:
					append(&out, &len, "|%.17g", vals[i].v.f);
					break;
				case PS_TYPE_BOOLEAN:
					append(&out, &len, "|%s", vals[i].v.b ? "t" : "f");
					break;
				case PS_TYPE_TIMESTAMP:
					ps_time_format_iso(vals[i].v.i, iso);
					append(&out, &len, "|%s", iso);
					break;
				case PS_TYPE_STRING:
					append(&out, &len, "|'%.*s'", (int) vals[i].v.s.len, vals[i].v.s.ptr);
					break;
			}
		}
		append(&out, &len, "\n");
	}
	ps_scan_close(sc);
	return out;
}

static void
assert_dump(ps_store *st, const char *table, const char *expected)
{
	char	   *d = dump(st, table);

	assert_non_null(d);
	assert_string_equal(d, expected);
	free(d);
}

static uint64_t
row_count(ps_store *st, const char *table)
{
	ps_table_info info;
	ps_error	err;

	assert_int_equal(ps_store_table_info(st, table, &info, NULL, &err), PS_OK);
	return info.row_count;
}

static bool
table_exists(ps_store *st, const char *table)
{
	ps_error	err;

	return ps_store_table_info(st, table, NULL, NULL, &err) == PS_OK;
}

/* "ts:Timestamp*,sym:String" — '*' marks the time column. */
static void
assert_schema(ps_store *st, const char *table, const char *expected)
{
	ps_schema  *s = NULL;
	ps_error	err;
	char	   *out = NULL;
	size_t		len = 0;

	assert_int_equal(ps_store_table_info(st, table, NULL, &s, &err), PS_OK);
	append(&out, &len, "%s", "");
	for (uint32_t i = 0; i < s->ncolumns; i++)
		append(&out, &len, "%s%s:%s%s", i ? "," : "", s->columns[i].name,
			   ps_type_name(s->columns[i].type), i == s->time_index ? "*" : "");
	assert_string_equal(out, expected);
	free(out);
	ps_schema_free(s);
}

static void
assert_contains(const char *haystack, const char *needle)
{
	if (strstr(haystack, needle) == NULL)
		fail_msg("\"%s\" does not contain \"%s\"", haystack, needle);
}

/* ---------------------------------------------------------------- options */

static void
test_options(void **state)
{
	ps_csv_options o;
	ps_error	err;

	(void) state;
	ps_csv_options_default(&o);
	assert_true(o.header);
	assert_int_equal(o.delimiter, ',');
	assert_int_equal(o.quote, '"');
	assert_int_equal(o.on_error, PS_ON_ERROR_ABORT);
	assert_false(o.add_columns);
	assert_false(o.dedup);
	assert_int_equal(o.max_field_bytes, 16 << 20);
	assert_int_equal(o.batch_size, 10000);
	assert_string_equal(o.time_column, "");

	assert_int_equal(ps_csv_option_set(&o, "header", "no", &err), PS_OK);
	assert_false(o.header);
	assert_int_equal(ps_csv_option_set(&o, "header", "T", &err), PS_OK);
	assert_true(o.header);
	assert_int_equal(ps_csv_option_set(&o, "add_columns", "1", &err), PS_OK);
	assert_true(o.add_columns);
	assert_int_equal(ps_csv_option_set(&o, "dedup", "yes", &err), PS_OK);
	assert_true(o.dedup);
	assert_int_equal(ps_csv_option_set(&o, "dedup", "false", &err), PS_OK);
	assert_false(o.dedup);
	assert_int_equal(ps_csv_option_set(&o, "dedup", "maybe", &err), PS_EINVAL);
	assert_contains(err.message, "dedup");

	assert_int_equal(ps_csv_option_set(&o, "delimiter", ";", &err), PS_OK);
	assert_int_equal(o.delimiter, ';');
	assert_int_equal(ps_csv_option_set(&o, "delimiter", "\t", &err), PS_OK);
	assert_int_equal(o.delimiter, '\t');
	assert_int_equal(ps_csv_option_set(&o, "delimiter", ";;", &err), PS_EINVAL);
	assert_contains(err.message, "delimiter");
	assert_int_equal(ps_csv_option_set(&o, "delimiter", "\n", &err), PS_EINVAL);
	assert_int_equal(ps_csv_option_set(&o, "delimiter", "\r", &err), PS_EINVAL);
	assert_int_equal(ps_csv_option_set(&o, "delimiter", "", &err), PS_EINVAL);
	assert_int_equal(ps_csv_option_set(&o, "quote", "'", &err), PS_OK);
	assert_int_equal(o.quote, '\'');

	assert_int_equal(ps_csv_option_set(&o, "time_column", "when", &err), PS_OK);
	assert_string_equal(o.time_column, "when");
	assert_int_equal(ps_csv_option_set(&o, "time_column", "", &err), PS_EINVAL);

	assert_int_equal(ps_csv_option_set(&o, "time_unit", "ms", &err), PS_OK);
	assert_int_equal(o.time.unit, PS_UNIT_MS);
	assert_int_equal(ps_csv_option_set(&o, "time_unit", "auto", &err), PS_OK);
	assert_int_equal(o.time.unit, PS_UNIT_AUTO);
	assert_int_equal(ps_csv_option_set(&o, "time_unit", "minutes", &err), PS_EINVAL);
	assert_contains(err.message, "time_unit");

	assert_int_equal(ps_csv_option_set(&o, "timezone", "-05:00", &err), PS_OK);
	assert_int_equal(o.time.default_offset_s, -5 * 3600);
	assert_int_equal(ps_csv_option_set(&o, "timezone", "UTC", &err), PS_OK);
	assert_int_equal(o.time.default_offset_s, 0);
	assert_int_equal(ps_csv_option_set(&o, "timezone", "Mars/Olympus", &err), PS_EINVAL);
	assert_contains(err.message, "timezone");

	assert_int_equal(ps_csv_option_set(&o, "on_error", "skip", &err), PS_OK);
	assert_int_equal(o.on_error, PS_ON_ERROR_SKIP);
	assert_int_equal(ps_csv_option_set(&o, "on_error", "abort", &err), PS_OK);
	assert_int_equal(o.on_error, PS_ON_ERROR_ABORT);
	assert_int_equal(ps_csv_option_set(&o, "on_error", "ignore", &err), PS_EINVAL);

	assert_int_equal(ps_csv_option_set(&o, "batch", "10", &err), PS_EINVAL);
	assert_contains(err.message, "unknown option \"batch\"");
	assert_contains(err.message, "time_column");
	assert_int_equal(ps_csv_option_set(&o, "header", NULL, &err), PS_EINVAL);
}

static void
test_begin_rejects_bad_options(void **state)
{
	fixture    *f = *state;
	ps_csv_options o;
	ps_csv_load *cl = (ps_csv_load *) 1;
	ps_error	err;

	ps_csv_options_default(&o);
	o.quote = ',';
	assert_int_equal(ps_csv_begin(f->st, "t", &o, &cl, &err), PS_EINVAL);
	assert_null(cl);
	assert_contains(err.message, "differ");
	ps_csv_options_default(&o);
	assert_int_equal(ps_csv_begin(f->st, "bad name!", &o, &cl, &err), PS_EINVAL);
	assert_contains(err.message, "table name");
	o.max_field_bytes = 0;
	assert_int_equal(ps_csv_begin(f->st, "t", &o, &cl, &err), PS_EINVAL);
}

/* ---------------------------------------------------------------- inference */

static void
test_infers_types_and_time_by_name(void **state)
{
	fixture    *f = *state;
	ps_csv_result res;
	ps_error	err;

	assert_int_equal(load(f->st, "trades",
						  "sym,Timestamp,price,size,flag,at\n"
						  "AAPL,2024-01-02T09:30:00Z,150.25,100,true,2024-01-01\n"
						  "MSFT,2024-01-02T09:30:01.5Z,-1e-3,-7,F,2024-01-01 10:00\n"
						  "IBM,2024-01-02 09:30:02,NaN,0,t,\n",
						  &res, &err), PS_OK);
	assert_int_equal(res.rows_loaded, 3);
	assert_int_equal(res.rows_rejected, 0);
	assert_int_equal(res.nerrors, 0);
	assert_schema(f->st, "trades",
				  "sym:String,Timestamp:Timestamp*,price:Float,size:Integer,flag:Boolean,at:Timestamp");
	assert_dump(f->st, "trades",
				"2024-01-02T09:30:00Z|'AAPL'|150.25|100|t|2024-01-01T00:00:00Z\n"
				"2024-01-02T09:30:01.500Z|'MSFT'|-0.001|-7|f|2024-01-01T10:00:00Z\n"
				"2024-01-02T09:30:02Z|'IBM'|nan|0|t|NULL\n");
	assert_int_equal(row_count(f->st, "trades"), 3);
}

static void
test_time_by_name_takes_epoch_numbers(void **state)
{
	fixture    *f = *state;
	ps_csv_result res;
	ps_error	err;

	/* Epoch s, ms, us, ns by digit count; a time by its name.  Rows come back in time order. */
	assert_int_equal(load(f->st, "e", "v,TS\n1,1700000000\n2,1700000000001\n"
						  "3,1700000000000002\n4,1700000000000000003\n", &res, &err), PS_OK);
	assert_schema(f->st, "e", "v:Integer,TS:Timestamp*");
	assert_dump(f->st, "e",
				"2023-11-14T22:13:20Z|1\n"
				"2023-11-14T22:13:20.000000003Z|4\n"
				"2023-11-14T22:13:20.000002Z|3\n"
				"2023-11-14T22:13:20.001Z|2\n");
}

static void
test_time_by_iso_content(void **state)
{
	fixture    *f = *state;
	ps_csv_result res;
	ps_error	err;

	/* Neither column has a time name; "n" is numeric, "when" the first all-ISO one. */
	assert_int_equal(load(f->st, "iso", "n,label,when,later\n"
						  "1700000000,x,2024-03-01T00:00:00+01:00,2024-03-02\n"
						  "1700000001,y,2024-03-01T00:00:01+0100,2024-03-03\n", &res, &err), PS_OK);
	assert_schema(f->st, "iso", "n:Integer,label:String,when:Timestamp*,later:Timestamp");
	assert_dump(f->st, "iso",
				"2024-02-29T23:00:00Z|1700000000|'x'|2024-03-02T00:00:00Z\n"
				"2024-02-29T23:00:01Z|1700000001|'y'|2024-03-03T00:00:00Z\n");
}

static void
test_no_time_column(void **state)
{
	fixture    *f = *state;
	ps_csv_result res;
	ps_error	err;

	assert_int_equal(load(f->st, "nt", "a,b\n1,x\n2,y\n", &res, &err), PS_EINVAL);
	assert_contains(err.message, "no time column found: name one with time_column");
	assert_false(table_exists(f->st, "nt"));
}

static void
test_time_column_option(void **state)
{
	fixture    *f = *state;
	ps_csv_options o = opts("time_column=b;time_unit=ms;timezone=+02:00");
	ps_csv_result res;
	ps_error	err;

	/* "ts" would win by name; the option overrides it.  Units apply to b. */
	assert_int_equal(load_opts(f->st, "tc", "ts,b,c\nx,1000,2024-01-01T12:00:00\n", &o, &res, &err),
					 PS_OK);
	assert_schema(f->st, "tc", "ts:String,b:Timestamp*,c:Timestamp");
	/* c has no offset: the timezone option applies (+02:00 -> 10:00Z). */
	assert_dump(f->st, "tc", "1970-01-01T00:00:01Z|'x'|2024-01-01T10:00:00Z\n");

	o = opts("time_column=nope");
	assert_int_equal(load_opts(f->st, "tc2", "ts,b\n2024-01-01,1\n", &o, &res, &err), PS_EINVAL);
	assert_contains(err.message, "time_column \"nope\"");
	assert_false(table_exists(f->st, "tc2"));
}

static void
test_sample_then_stream(void **state)
{
	fixture    *f = *state;
	ps_csv_options o = opts("");
	ps_csv_result res;
	ps_error	err;
	char	   *csv = NULL;
	size_t		len = 0;

	/* Types come from the first batch_size rows; later rows stream. */
	o.batch_size = 4;
	append(&csv, &len, "ts,v\n");
	for (int i = 0; i < 300; i++)
		append(&csv, &len, "%d,%d\n", 1700000000 + i, i);
	assert_int_equal(load_opts(f->st, "ss", csv, &o, &res, &err), PS_OK);
	assert_int_equal(res.rows_loaded, 300);
	assert_int_equal(row_count(f->st, "ss"), 300);
	assert_schema(f->st, "ss", "ts:Timestamp*,v:Integer");

	/* A float after the sample does not fit the inferred INTEGER. */
	append(&csv, &len, "1700001000,1.5\n");
	assert_int_equal(load_opts(f->st, "ss2", csv, &o, &res, &err), PS_EBADROW);
	assert_int_equal(err.line, 302);
	assert_int_equal(err.column, 2);
	assert_contains(err.message, "line 302, column 2 (v): invalid integer");
	assert_false(table_exists(f->st, "ss2"));
	free(csv);
}

/* ---------------------------------------------------------------- syntax */

static void
test_crlf_bom_and_blank_lines(void **state)
{
	fixture    *f = *state;
	ps_csv_result res;
	ps_error	err;

	assert_int_equal(load(f->st, "c", "\xEF\xBB\xBFts,v\r\n2024-01-01,1\r\n\r\n2024-01-02,2\r\n",
						  &res, &err), PS_OK);
	assert_schema(f->st, "c", "ts:Timestamp*,v:Integer");
	assert_dump(f->st, "c", "2024-01-01T00:00:00Z|1\n2024-01-02T00:00:00Z|2\n");

	/* Line numbers count the blank line; the BOM does not start a column name. */
	assert_int_equal(load(f->st, "c", "\xEF\xBB\xBFts,v\r\n2024-01-03,3\r\n\r\n2024-01-04,x\r\n",
						  &res, &err), PS_EBADROW);
	assert_int_equal(err.line, 4);
	assert_int_equal(err.column, 2);
	assert_int_equal(row_count(f->st, "c"), 2);

	/* A lone BOM-like prefix that is not a BOM is data. */
	assert_int_equal(load(f->st, "c2", "\xEF\xBBts,v\n2024-01-01,1\n", &res, &err), PS_EINVAL);
	assert_int_equal(err.column, 1);
	assert_contains(err.message, "invalid column name");
}

static void
test_quoted_fields_and_line_numbers(void **state)
{
	fixture    *f = *state;
	ps_csv_result res;
	ps_error	err;
	const char *csv =
		"ts,s,n\n"
		"2024-01-01,\"a,b\",1\n"
		"2024-01-02,\"say \"\"hi\"\"\",2\n"
		"2024-01-03,\"two\nlines\",3\n"
		"2024-01-04,\"x\r\ny\",4\n"
		"2024-01-05, spaced ,5\n";

	assert_int_equal(load(f->st, "q", csv, &res, &err), PS_OK);
	assert_int_equal(res.rows_loaded, 5);
	assert_dump(f->st, "q",
				"2024-01-01T00:00:00Z|'a,b'|1\n"
				"2024-01-02T00:00:00Z|'say \"hi\"'|2\n"
				"2024-01-03T00:00:00Z|'two\nlines'|3\n"
				"2024-01-04T00:00:00Z|'x\r\ny'|4\n"
				"2024-01-05T00:00:00Z|' spaced '|5\n");

	/* After two quoted newlines, the bad record starts on physical line 7. */
	assert_int_equal(load(f->st, "q", "ts,s,n\n"
						  "2024-02-01,\"1\n2\",1\n"
						  "2024-02-02,\"3\n4\",2\n"
						  "2024-02-03,ok,3\n"
						  "2024-02-04,\"bad\nint\",x\n",
						  &res, &err), PS_EBADROW);
	assert_int_equal(err.line, 7);
	assert_int_equal(err.column, 3);
	assert_contains(err.message, "line 7, column 3 (n)");
	assert_int_equal(row_count(f->st, "q"), 5);
}

static void
test_null_versus_empty_string(void **state)
{
	fixture    *f = *state;
	ps_csv_result res;
	ps_error	err;

	assert_int_equal(load(f->st, "nv", "ts,s,i\n2024-01-01,,\n2024-01-02,\"\",7\n", &res, &err),
					 PS_OK);
	assert_dump(f->st, "nv", "2024-01-01T00:00:00Z|NULL|NULL\n2024-01-02T00:00:00Z|''|7\n");
	/* A quoted empty field is an empty string, which is not an integer. */
	assert_int_equal(load(f->st, "nv", "ts,s,i\n2024-01-03,a,\"\"\n", &res, &err), PS_EBADROW);
	assert_int_equal(err.column, 3);
	/* An empty time, quoted or not, is a bad row. */
	assert_int_equal(load(f->st, "nv", "ts,s,i\n,a,1\n", &res, &err), PS_EBADROW);
	assert_int_equal(err.line, 2);
	assert_int_equal(err.column, 1);
	assert_contains(err.message, "empty time value");
	assert_int_equal(load(f->st, "nv", "ts,s,i\n\"\",a,1\n", &res, &err), PS_EBADROW);
	assert_contains(err.message, "empty time value");
	assert_int_equal(row_count(f->st, "nv"), 2);
}

static void
test_other_delimiter_and_quote(void **state)
{
	fixture    *f = *state;
	ps_csv_options o;
	ps_csv_result res;
	ps_error	err;

	ps_csv_options_default(&o);
	assert_int_equal(ps_csv_option_set(&o, "delimiter", ";", &err), PS_OK);
	assert_int_equal(ps_csv_option_set(&o, "quote", "'", &err), PS_OK);
	assert_int_equal(load_opts(f->st, "dq", "ts;s\n2024-01-01;'a;''b'''\n2024-01-02;\"x\"\n",
							   &o, &res, &err), PS_OK);
	assert_dump(f->st, "dq", "2024-01-01T00:00:00Z|'a;'b''\n2024-01-02T00:00:00Z|'\"x\"'\n");
}

/* ---------------------------------------------------------------- empty inputs */

static void
test_empty_and_header_only(void **state)
{
	fixture    *f = *state;
	ps_csv_result res;
	ps_error	err;

	assert_int_equal(load(f->st, "empty", "", &res, &err), PS_EINVAL);
	assert_contains(err.message, "no data rows");
	assert_int_equal(load(f->st, "empty", "ts,v\n", &res, &err), PS_EINVAL);
	assert_contains(err.message, "no data rows");
	assert_int_equal(load(f->st, "empty", "\n\r\n", &res, &err), PS_EINVAL);
	assert_false(table_exists(f->st, "empty"));

	/* An existing table takes an empty or header-only load as zero rows. */
	assert_int_equal(load(f->st, "empty", "ts,v\n2024-01-01,1\n", &res, &err), PS_OK);
	assert_int_equal(load(f->st, "empty", "ts,v\n", &res, &err), PS_OK);
	assert_int_equal(res.rows_loaded, 0);
	assert_int_equal(load(f->st, "empty", "v,ts", &res, &err), PS_OK);
	assert_int_equal(res.rows_loaded, 0);
	assert_int_equal(load(f->st, "empty", "", &res, &err), PS_OK);
	assert_int_equal(res.rows_loaded, 0);
	assert_int_equal(row_count(f->st, "empty"), 1);
}

static void
test_header_errors(void **state)
{
	fixture    *f = *state;
	ps_csv_options skip = opts("on_error=skip");
	ps_csv_result res;
	ps_error	err;
	char	   *csv = NULL;
	size_t		len = 0;

	assert_int_equal(load(f->st, "h", "ts,,v\n2024-01-01,1,2\n", &res, &err), PS_EINVAL);
	assert_int_equal(err.line, 1);
	assert_int_equal(err.column, 2);
	assert_contains(err.message, "empty column name");
	assert_int_equal(load(f->st, "h", "ts,v,w,v\n2024-01-01,1,2,3\n", &res, &err), PS_EINVAL);
	assert_int_equal(err.column, 4);
	assert_contains(err.message, "duplicate column name \"v\"");
	/* Names are taken as written: " v" and "v" differ, "V" and "v" too. */
	assert_int_equal(load(f->st, "h", "ts,v, v,V\n2024-01-01,1,2,3\n", &res, &err), PS_OK);
	assert_schema(f->st, "h", "ts:Timestamp*,v:Integer, v:Integer,V:Integer");
	/* Header problems are fatal even in skip mode. */
	assert_int_equal(load_opts(f->st, "h2", "ts,\"a\n", &skip, &res, &err), PS_EBADROW);
	assert_contains(err.message, "unterminated");

	append(&csv, &len, "ts");
	for (int i = 0; i < PS_MAX_COLUMNS; i++)
		append(&csv, &len, ",c%d", i);
	append(&csv, &len, "\n");
	assert_int_equal(load(f->st, "h3", csv, &res, &err), PS_EINVAL);
	assert_contains(err.message, "1601 columns");
	free(csv);
}

static void
test_header_false(void **state)
{
	fixture    *f = *state;
	ps_csv_options o = opts("header=false");
	ps_csv_result res;
	ps_error	err;

	assert_int_equal(load_opts(f->st, "hf", "x,2024-01-01T00:00:00Z,1.5\ny,2024-01-02,2\n",
							   &o, &res, &err), PS_OK);
	assert_schema(f->st, "hf", "column1:String,column2:Timestamp*,column3:Float");
	/* Later header-less loads are positional, in table order. */
	assert_int_equal(load_opts(f->st, "hf", "z,2024-01-03,3\n", &o, &res, &err), PS_OK);
	assert_dump(f->st, "hf",
				"2024-01-01T00:00:00Z|'x'|1.5\n"
				"2024-01-02T00:00:00Z|'y'|2\n"
				"2024-01-03T00:00:00Z|'z'|3\n");
	assert_int_equal(load_opts(f->st, "hf", "z,2024-01-04\n", &o, &res, &err), PS_EBADROW);
	assert_int_equal(err.line, 1);
	assert_contains(err.message, "expected 3 fields, found 2");
}

/* ---------------------------------------------------------------- bad rows */

static void
test_ragged_rows_abort(void **state)
{
	fixture    *f = *state;
	ps_csv_result res;
	ps_error	err;

	assert_int_equal(load(f->st, "r", "ts,a,b\n2024-01-01,1,2\n2024-01-02,1\n", &res, &err),
					 PS_EBADROW);
	assert_int_equal(err.line, 3);
	assert_int_equal(err.column, 3);
	assert_contains(err.message, "expected 3 fields, found 2");
	assert_false(table_exists(f->st, "r"));

	assert_int_equal(load(f->st, "r", "ts,a,b\n2024-01-01,1,2\n2024-01-02,1,2,3\n", &res, &err),
					 PS_EBADROW);
	assert_int_equal(err.column, 4);
	assert_contains(err.message, "expected 3 fields, found 4");
	assert_false(table_exists(f->st, "r"));
}

static void
test_ragged_rows_skip(void **state)
{
	fixture    *f = *state;
	ps_csv_options o = opts("on_error=skip");
	ps_csv_result res;
	ps_error	err;

	assert_int_equal(load_opts(f->st, "r", "ts,a,b\n"
							   "2024-01-01,1,2\n"
							   "2024-01-02,1\n"
							   "2024-01-03,3,4\n"
							   "2024-01-04,1,2,3,4\n"
							   "not a time,5,6\n",
							   &o, &res, &err), PS_OK);
	assert_int_equal(res.rows_loaded, 2);
	assert_int_equal(res.rows_rejected, 3);
	assert_int_equal(res.nerrors, 3);
	assert_int_equal(res.errors[0].line, 3);
	assert_int_equal(res.errors[0].column, 3);
	assert_int_equal(res.errors[0].code, PS_EBADROW);
	assert_int_equal(res.errors[1].line, 5);
	assert_int_equal(res.errors[1].column, 4);
	assert_int_equal(res.errors[2].line, 6);
	assert_int_equal(res.errors[2].column, 1);
	assert_dump(f->st, "r", "2024-01-01T00:00:00Z|1|2\n2024-01-03T00:00:00Z|3|4\n");
}

static void
test_skip_keeps_lowest_lines(void **state)
{
	fixture    *f = *state;
	ps_csv_options o = opts("on_error=skip");
	ps_csv_result res;
	ps_error	err;
	char	   *csv = NULL;
	size_t		len = 0;

	/* Existing table, so ragged rows and value errors are found in one pass. */
	assert_int_equal(load(f->st, "k", "ts,v\n2024-01-01,1\n", &res, &err), PS_OK);
	append(&csv, &len, "ts,v\n");
	for (int i = 0; i < 30; i++)
		append(&csv, &len, i % 2 ? "2024-01-02,bad\n" : "2024-01-02\n");
	append(&csv, &len, "2024-01-03,3\n");
	assert_int_equal(load_opts(f->st, "k", csv, &o, &res, &err), PS_OK);
	assert_int_equal(res.rows_loaded, 1);
	assert_int_equal(res.rows_rejected, 30);
	assert_int_equal(res.nerrors, PS_CSV_MAX_REPORTED);
	for (int i = 0; i < PS_CSV_MAX_REPORTED; i++)
		assert_int_equal(res.errors[i].line, i + 2);
	assert_contains(res.errors[0].message, "expected 2 fields, found 1");
	assert_contains(res.errors[1].message, "invalid integer");
	assert_int_equal(row_count(f->st, "k"), 2);
	free(csv);
}

static void
test_malformed_quotes(void **state)
{
	fixture    *f = *state;
	ps_csv_options skip = opts("on_error=skip");
	ps_csv_result res;
	ps_error	err;

	assert_int_equal(load(f->st, "mq", "ts,s\n2024-01-01,ok\n2024-01-02,ab\"c\n", &res, &err),
					 PS_EBADROW);
	assert_int_equal(err.line, 3);
	assert_int_equal(err.column, 2);
	assert_contains(err.message, "quote character inside an unquoted field");
	assert_int_equal(load(f->st, "mq", "ts,s\n2024-01-01,\"ab\"c,x\n", &res, &err), PS_EBADROW);
	assert_contains(err.message, "after a closing quote");
	assert_false(table_exists(f->st, "mq"));

	/* Skip mode drops the rest of the line and resynchronizes on the next. */
	assert_int_equal(load_opts(f->st, "mq", "ts,s\n"
							   "2024-01-01,ok\n"
							   "2024-01-02,ab\"c,\"d\n"
							   "2024-01-03,fine\n",
							   &skip, &res, &err), PS_OK);
	assert_int_equal(res.rows_loaded, 2);
	assert_int_equal(res.rows_rejected, 1);
	assert_int_equal(res.errors[0].line, 3);
	assert_dump(f->st, "mq", "2024-01-01T00:00:00Z|'ok'\n2024-01-03T00:00:00Z|'fine'\n");
}

static void
test_unbalanced_quote_at_eof(void **state)
{
	fixture    *f = *state;
	ps_csv_options skip = opts("on_error=skip");
	ps_csv_result res;
	ps_error	err;
	const char *csv = "ts,s\n2024-01-01,a\n2024-01-02,\"open\nstill open\n";

	assert_int_equal(load(f->st, "u", csv, &res, &err), PS_EBADROW);
	assert_int_equal(err.line, 3);
	assert_int_equal(err.column, 2);
	assert_contains(err.message, "unterminated quoted field");
	assert_false(table_exists(f->st, "u"));

	assert_int_equal(load_opts(f->st, "u", csv, &skip, &res, &err), PS_OK);
	assert_int_equal(res.rows_loaded, 1);
	assert_int_equal(res.rows_rejected, 1);
	assert_int_equal(res.errors[0].line, 3);
	assert_dump(f->st, "u", "2024-01-01T00:00:00Z|'a'\n");
}

static void
test_value_errors(void **state)
{
	fixture    *f = *state;
	ps_csv_options skip = opts("on_error=skip");
	ps_csv_result res;
	ps_error	err;

	assert_int_equal(load(f->st, "ve", "ts,s,i\n2024-01-01,a,1\n", &res, &err), PS_OK);

	assert_int_equal(load(f->st, "ve", "ts,s,i\n2024-01-02,\xff\xfe,1\n", &res, &err), PS_EBADROW);
	assert_int_equal(err.line, 2);
	assert_int_equal(err.column, 2);
	assert_contains(err.message, "UTF-8");

	assert_int_equal(load(f->st, "ve", "ts,s,i\n2024-01-02,a,99999999999999999999\n", &res, &err),
					 PS_EBADROW);
	assert_int_equal(err.column, 3);
	assert_contains(err.message, "out of range");

	assert_int_equal(load(f->st, "ve", "ts,s,i\n2300-01-01,a,1\n", &res, &err), PS_EBADROW);
	assert_int_equal(err.column, 1);
	assert_int_equal(err.line, 2);

	assert_int_equal(load(f->st, "ve", "ts,s,i\nnot a time,a,1\n", &res, &err), PS_EBADROW);
	assert_int_equal(err.column, 1);

	assert_int_equal(load_opts(f->st, "ve", "ts,s,i\n"
							   "2024-01-02,\xc3\x28,1\n"
							   "2024-01-03,b,-9223372036854775809\n"
							   "1500-01-01,c,3\n"
							   "2024-01-04,d,4\n", &skip, &res, &err), PS_OK);
	assert_int_equal(res.rows_loaded, 1);
	assert_int_equal(res.rows_rejected, 3);
	assert_int_equal(res.errors[0].column, 2);
	assert_int_equal(res.errors[1].column, 3);
	assert_int_equal(res.errors[2].column, 1);
	assert_int_equal(res.errors[2].line, 4);
	assert_dump(f->st, "ve", "2024-01-01T00:00:00Z|'a'|1\n2024-01-04T00:00:00Z|'d'|4\n");
}

static void
test_oversized_field(void **state)
{
	fixture    *f = *state;
	ps_csv_options o = opts("");
	ps_csv_result res;
	ps_error	err;
	char	   *csv = NULL;
	size_t		len = 0;
	char		big[201];

	memset(big, 'x', 200);
	big[200] = '\0';
	o.max_field_bytes = 100;
	append(&csv, &len, "ts,s\n2024-01-01,ok\n2024-01-02,%s\n2024-01-03,\"%s\"\n2024-01-04,fine\n",
		   big, big);
	assert_int_equal(load_opts(f->st, "big", csv, &o, &res, &err), PS_EBADROW);
	assert_int_equal(err.line, 3);
	assert_int_equal(err.column, 2);
	assert_contains(err.message, "field exceeds max_field_mb");

	o.on_error = PS_ON_ERROR_SKIP;
	assert_int_equal(load_opts(f->st, "big", csv, &o, &res, &err), PS_OK);
	assert_int_equal(res.rows_loaded, 2);
	assert_int_equal(res.rows_rejected, 2);
	assert_int_equal(res.errors[0].line, 3);
	assert_int_equal(res.errors[1].line, 4);
	assert_dump(f->st, "big", "2024-01-01T00:00:00Z|'ok'\n2024-01-04T00:00:00Z|'fine'\n");

	/*
	 * A record's raw length (fields and delimiters) is limited too: line 2 is
	 * exactly 41 bytes, line 3 one more, line 4 has one 42-byte field.
	 */
	free(csv);
	csv = NULL;
	len = 0;
	o.max_field_bytes = 41;
	append(&csv, &len, "ts,a,b\n"
		   "2024-01-05,yyyyyyyyyyyyyyyyyyyyyyyyyyyyy,\n"
		   "2024-01-06,yyyyyyyyyyyyyyyyyyyyyyyyyyyyyy,\n"
		   "2024-01-07,%.42s,\n", big);
	assert_int_equal(load_opts(f->st, "wide", csv, &o, &res, &err), PS_OK);
	assert_int_equal(res.rows_loaded, 1);
	assert_int_equal(res.rows_rejected, 2);
	assert_int_equal(res.errors[0].line, 3);
	assert_int_equal(res.errors[0].column, 3);
	assert_contains(res.errors[0].message, "line exceeds max_field_mb (41 bytes)");
	assert_int_equal(res.errors[1].line, 4);
	assert_int_equal(res.errors[1].column, 2);
	assert_contains(res.errors[1].message, "field exceeds max_field_mb (41 bytes)");
	assert_dump(f->st, "wide", "2024-01-05T00:00:00Z|'yyyyyyyyyyyyyyyyyyyyyyyyyyyyy'|NULL\n");
	free(csv);
}

static void
test_oversized_field_stream_is_not_buffered(void **state)
{
	fixture    *f = *state;
	ps_csv_options o = opts("");
	ps_csv_load *cl;
	ps_error	err;
	static char chunk[65536];
	int			fed = 0;
	ps_status	rc = PS_OK;

	/* An unterminated quoted field streams forever: the load must refuse it early. */
	memset(chunk, 'x', sizeof(chunk));
	o.max_field_bytes = 100000;
	assert_int_equal(ps_csv_begin(f->st, "inf", &o, &cl, &err), PS_OK);
	assert_int_equal(ps_csv_feed(cl, "ts,s\n2024-01-01,\"", 17, &err), PS_OK);
	while (fed < 16384 && (rc = ps_csv_feed(cl, chunk, sizeof(chunk), &err)) == PS_OK)
		fed++;					/* 16384 chunks = 1 GiB if nothing stopped it */
	assert_int_equal(rc, PS_EBADROW);
	assert_true(fed <= 2);
	assert_int_equal(err.line, 2);
	assert_contains(err.message, "field exceeds max_field_mb");
	ps_csv_abort(cl);
	assert_false(table_exists(f->st, "inf"));

	/* Same in skip mode: the rest of the (endless) line is skipped, not kept. */
	o.on_error = PS_ON_ERROR_SKIP;
	assert_int_equal(ps_csv_begin(f->st, "inf", &o, &cl, &err), PS_OK);
	assert_int_equal(ps_csv_feed(cl, "ts,s\n2024-01-01,a\n2024-01-02,\"", 30, &err), PS_OK);
	for (fed = 0; fed < 200; fed++)
		assert_int_equal(ps_csv_feed(cl, chunk, sizeof(chunk), &err), PS_OK);
	assert_int_equal(ps_csv_feed(cl, "\n2024-01-03,b\n", 14, &err), PS_OK);
	{
		ps_csv_result res;

		assert_int_equal(ps_csv_finish(cl, &res, &err), PS_OK);
		assert_int_equal(res.rows_loaded, 2);
		assert_int_equal(res.rows_rejected, 1);
		assert_int_equal(res.errors[0].line, 3);
	}
	assert_dump(f->st, "inf", "2024-01-01T00:00:00Z|'a'\n2024-01-03T00:00:00Z|'b'\n");
}

/* ---------------------------------------------------------------- chunking */

static const char messy_csv[] =
	"\xEF\xBB\xBF" "ts,sym,px,n,note\r\n"
	"2024-05-01T10:00:00Z,AAPL,1.5,1,\"plain\"\r\n"
	"2024-05-01T10:00:01Z,\"MS,FT\",2.5,2,\"multi\r\nline\"\r\n"
	"\r\n"
	"2024-05-01Tnope,IBM,3.5,3,\"say \"\"q\"\"\"\n"
	"2024-05-01T10:00:03Z,ORCL,4.5,4\n"
	"2024-05-01T10:00:04Z,SAP,5.5,5,,\n"
	"2024-05-01T10:00:05Z,bad\"q,5.5,5,z\n"
	"2024-05-01T10:00:06Z,\"x\"y,6.5,6,z\n"
	"2024-05-01T10:00:07Z,,,,\n"
	"2024-05-01T10:00:08Z,\"\",7.5,7,\"\"\n"
	"2024-05-01T10:00:09Z,END,8.5,8,\"last, no newline\"";

static void
run_messy(ps_store *st, const char *table, chunking how, unsigned seed, ps_csv_result *res,
		  char **out)
{
	ps_csv_options o = opts("on_error=skip");
	ps_error	err;

	assert_int_equal(load_chunked(st, table, messy_csv, sizeof(messy_csv) - 1, &o, how, seed,
								  res, &err), PS_OK);
	*out = dump(st, table);
	assert_non_null(*out);
}

static void
test_chunk_boundaries_anywhere(void **state)
{
	fixture    *f = *state;
	ps_csv_result whole, other;
	char	   *expect, *got;

	run_messy(f->st, "m0", WHOLE, 0, &whole, &expect);
	assert_int_equal(whole.rows_loaded, 5);
	assert_int_equal(whole.rows_rejected, 5);
	assert_int_equal(whole.nerrors, 5);
	assert_int_equal(whole.errors[0].line, 6);	/* bad time, after a quoted CRLF and a blank line */
	assert_int_equal(whole.errors[0].column, 1);
	assert_int_equal(whole.errors[1].line, 7);	/* 4 fields */
	assert_int_equal(whole.errors[2].line, 8);	/* 6 fields */
	assert_int_equal(whole.errors[3].line, 9);	/* quote in unquoted */
	assert_int_equal(whole.errors[4].line, 10);	/* text after closing quote */
	assert_string_equal(expect,
						"2024-05-01T10:00:00Z|'AAPL'|1.5|1|'plain'\n"
						"2024-05-01T10:00:01Z|'MS,FT'|2.5|2|'multi\r\nline'\n"
						"2024-05-01T10:00:07Z|NULL|NULL|NULL|NULL\n"
						"2024-05-01T10:00:08Z|''|7.5|7|''\n"
						"2024-05-01T10:00:09Z|'END'|8.5|8|'last, no newline'\n");
	assert_int_equal(row_count(f->st, "m0"), whole.rows_loaded);

	for (unsigned seed = 0; seed < 40; seed++)
	{
		char		table[16];

		snprintf(table, sizeof(table), "m%u", seed + 1);
		run_messy(f->st, table, seed == 0 ? BYTEWISE : RANDOM, seed, &other, &got);
		assert_string_equal(got, expect);
		assert_int_equal(other.rows_loaded, whole.rows_loaded);
		assert_int_equal(other.rows_rejected, whole.rows_rejected);
		assert_int_equal(other.nerrors, whole.nerrors);
		for (size_t i = 0; i < whole.nerrors; i++)
		{
			assert_int_equal(other.errors[i].line, whole.errors[i].line);
			assert_int_equal(other.errors[i].column, whole.errors[i].column);
			assert_string_equal(other.errors[i].message, whole.errors[i].message);
		}
		free(got);
	}
	free(expect);
}

static void
test_bare_cr_line_ends(void **state)
{
	fixture    *f = *state;
	ps_csv_options o = opts("on_error=skip");
	ps_error	err;
	static const char csv[] =
		"ts,s\n2024-01-01,a\r2024-01-02,\"b\nc\",extra\r2024-01-03,d\n2024-01-04,e";

	/*
	 * A bare CR (old Mac line end) ends a record; lines are counted at LF.
	 * The ragged record starts on line 2, after the CR, whatever the chunks.
	 */
	for (int how = WHOLE; how <= RANDOM; how++)
	{
		ps_csv_result res;
		char		table[16];

		snprintf(table, sizeof(table), "cr%d", how);
		assert_int_equal(load_chunked(f->st, table, csv, sizeof(csv) - 1, &o, (chunking) how, 7,
									  &res, &err), PS_OK);
		assert_int_equal(res.rows_loaded, 3);
		assert_int_equal(res.rows_rejected, 1);
		assert_int_equal(res.errors[0].line, 2);
		assert_int_equal(res.errors[0].column, 3);
		assert_dump(f->st, table,
					"2024-01-01T00:00:00Z|'a'\n"
					"2024-01-03T00:00:00Z|'d'\n"
					"2024-01-04T00:00:00Z|'e'\n");
	}
}

/* ---------------------------------------------------------------- later loads */

static void
test_later_loads_match_by_name(void **state)
{
	fixture    *f = *state;
	ps_csv_result res;
	ps_error	err;

	assert_int_equal(load(f->st, "t", "ts,sym,px\n2024-01-01,A,1.5\n", &res, &err), PS_OK);
	/* Other order, a missing column (NULL). */
	assert_int_equal(load(f->st, "t", "px,ts\n2.5,2024-01-02\n", &res, &err), PS_OK);
	assert_int_equal(res.rows_loaded, 1);
	/* Integers in a Float column convert; the table's types rule. */
	assert_int_equal(load(f->st, "t", "sym,px,ts\nC,3,2024-01-03\n", &res, &err), PS_OK);
	assert_schema(f->st, "t", "ts:Timestamp*,sym:String,px:Float");
	assert_dump(f->st, "t",
				"2024-01-01T00:00:00Z|'A'|1.5\n"
				"2024-01-02T00:00:00Z|NULL|2.5\n"
				"2024-01-03T00:00:00Z|'C'|3\n");
	/* The time column cannot be missing, nor renamed by time_column. */
	assert_int_equal(load(f->st, "t", "sym,px\nD,4\n", &res, &err), PS_ESCHEMA);
	assert_contains(err.message, "\"ts\"");
	{
		ps_csv_options o = opts("time_column=sym");

		assert_int_equal(load_opts(f->st, "t", "ts,sym\n2024-01-04,2024-01-04\n", &o, &res, &err),
						 PS_ESCHEMA);
		assert_contains(err.message, "time column is \"ts\"");
	}
	assert_int_equal(row_count(f->st, "t"), 3);
}

static void
test_unknown_and_added_columns(void **state)
{
	fixture    *f = *state;
	ps_csv_options add = opts("add_columns=true");
	ps_csv_result res;
	ps_error	err;

	assert_int_equal(load(f->st, "a", "ts,x\n2024-01-01,1\n", &res, &err), PS_OK);
	assert_int_equal(load(f->st, "a", "ts,x,extra,more\n2024-01-02,2,3,q\n", &res, &err),
					 PS_ESCHEMA);
	assert_contains(err.message, "\"extra\", \"more\"");
	assert_contains(err.message, "add_columns=true");
	assert_schema(f->st, "a", "ts:Timestamp*,x:Integer");
	assert_dump(f->st, "a", "2024-01-01T00:00:00Z|1\n");

	/* add_columns infers the new columns' types from the sample. */
	assert_int_equal(load_opts(f->st, "a", "extra,ts,flag\n2.5,2024-01-02,true\n", &add, &res, &err),
					 PS_OK);
	assert_int_equal(res.rows_loaded, 1);
	assert_schema(f->st, "a", "ts:Timestamp*,x:Integer,extra:Float,flag:Boolean");
	assert_dump(f->st, "a",
				"2024-01-01T00:00:00Z|1|NULL|NULL\n"
				"2024-01-02T00:00:00Z|NULL|2.5|t\n");

	/* A quoted empty field is "" even when the sample holds no byte at all. */
	assert_int_equal(load_opts(f->st, "a", "x,ts,other\n\"\",,\n", &add, &res, &err), PS_EBADROW);
	assert_int_equal(err.line, 2);
	assert_int_equal(err.column, 1);
	assert_contains(err.message, "invalid integer");

	/* A failed add_columns load adds nothing. */
	assert_int_equal(load_opts(f->st, "a", "ts,newcol\n2024-01-03,1\n2024-01-04\n", &add, &res, &err),
					 PS_EBADROW);
	assert_schema(f->st, "a", "ts:Timestamp*,x:Integer,extra:Float,flag:Boolean");
	assert_int_equal(row_count(f->st, "a"), 2);
}

static void
test_failed_load_leaves_table_unchanged(void **state)
{
	fixture    *f = *state;
	ps_csv_result res;
	ps_error	err;
	char	   *csv = NULL, *before, *after;
	size_t		len = 0;

	assert_int_equal(load(f->st, "fl", "ts,v\n2024-01-01,1\n2024-01-02,2\n", &res, &err), PS_OK);
	before = dump(f->st, "fl");
	/* Many batches are written (store batch_size 50) before the bad last row. */
	append(&csv, &len, "ts,v\n");
	for (int i = 0; i < 500; i++)
		append(&csv, &len, "2024-02-01T00:00:%02d.%03dZ,%d\n", i % 60, i, i);
	append(&csv, &len, "2024-03-01,oops\n");
	assert_int_equal(load(f->st, "fl", csv, &res, &err), PS_EBADROW);
	assert_int_equal(err.line, 502);
	after = dump(f->st, "fl");
	assert_string_equal(before, after);
	assert_int_equal(row_count(f->st, "fl"), 2);
	free(before);
	free(after);
	free(csv);
}

static void
test_dedup_retry_adds_nothing(void **state)
{
	fixture    *f = *state;
	ps_csv_options o = opts("dedup=true");
	ps_csv_result res;
	ps_error	err;
	const char *csv = "ts,s,v\n2024-01-01,a,1\n2024-01-01,a,1\n2024-01-01,b,1\n2024-01-02,a,\n";
	char	   *first;

	assert_int_equal(load_opts(f->st, "d", csv, &o, &res, &err), PS_OK);
	assert_int_equal(res.rows_loaded, 3);	/* the duplicate in the file is stored once */
	first = dump(f->st, "d");
	assert_int_equal(load_opts(f->st, "d", csv, &o, &res, &err), PS_OK);
	assert_int_equal(res.rows_loaded, 0);
	assert_int_equal(row_count(f->st, "d"), 3);
	assert_dump(f->st, "d", first);
	free(first);
}

/*
 * 40000 rows "ts,v" for an existing integer table; bad_value_* lines hold a
 * non-integer, bad_width_line one field too many (0: none).
 */
static char *
big_csv(int64_t bad_value_a, int64_t bad_value_b, int64_t bad_width_line, size_t *len)
{
	size_t		cap = 64 * 40001;	/* lines are shorter than 64 bytes */
	char	   *s = malloc(cap);

	assert_non_null(s);
	*len = (size_t) snprintf(s, cap, "ts,v\n");
	for (int i = 0; i < 40000; i++)
	{
		int64_t		line = i + 2;
		const char *v = line == bad_value_a || line == bad_value_b ? "oops" : "7";

		*len += (size_t) snprintf(s + *len, cap - *len, "2024-01-01T00:%02d:%02d.%03dZ,%s%s\n",
								  i / 60000, (i / 1000) % 60, i % 1000, v,
								  line == bad_width_line ? ",extra" : "");
	}
	assert_true(*len < cap);
	return s;
}

/* Loads past the first 16384 streamed records convert them on a thread of their own. */
static void
test_large_load_pipelined(void **state)
{
	fixture    *f = *state;
	ps_csv_options skip = opts("on_error=skip");
	ps_csv_options abort_mode = opts("");
	ps_csv_result res;
	ps_error	err;
	size_t		len;
	char	   *csv;

	assert_int_equal(load(f->st, "big", "ts,v\n2023-01-01T00:00:00Z,1\n", &res, &err), PS_OK);

	/* Skip mode: bad rows from both threads, reported in line order. */
	csv = big_csv(100, 30001, 25000, &len);
	csv[len] = '\0';
	assert_int_equal(load_opts(f->st, "big", csv, &skip, &res, &err), PS_OK);
	free(csv);
	assert_int_equal(res.rows_loaded, 39997);
	assert_int_equal(res.rows_rejected, 3);
	assert_int_equal(res.nerrors, 3);
	assert_int_equal(res.errors[0].line, 100);
	assert_int_equal(res.errors[1].line, 25000);
	assert_int_equal(res.errors[2].line, 30001);
	assert_int_equal(row_count(f->st, "big"), 39998);

	/* Abort mode: the first bad row wins, found by the converter (still queued)... */
	csv = big_csv(20000, 0, 20010, &len);
	assert_int_equal(load_chunked(f->st, "big", csv, len, &abort_mode, WHOLE, 0, &res, &err), PS_EBADROW);
	free(csv);
	assert_int_equal(err.line, 20000);
	/* ... or by the parser, with a later bad value already queued. */
	csv = big_csv(25000, 0, 20000, &len);
	assert_int_equal(load_chunked(f->st, "big", csv, len, &abort_mode, WHOLE, 0, &res, &err), PS_EBADROW);
	free(csv);
	assert_int_equal(err.line, 20000);
	assert_int_equal(row_count(f->st, "big"), 39998);
}

static void
test_finish_detached(void **state)
{
	fixture    *f = *state;
	ps_csv_options o = opts("");
	ps_csv_load *cl;
	ps_csv_result res;
	ps_load    *ld;
	ps_error	err;

	assert_int_equal(ps_csv_begin(f->st, "det", &o, &cl, &err), PS_OK);
	assert_int_equal(ps_csv_feed(cl, "ts,v\n2024-01-01,1\n2024-01-02,2", 30, &err), PS_OK);
	assert_int_equal(ps_csv_finish_detached(cl, &res, &ld, &err), PS_OK);
	assert_non_null(ld);
	assert_int_equal(res.rows_loaded, 2);
	assert_false(table_exists(f->st, "det"));	/* not committed yet */
	ps_load_abort(ld);
	assert_false(table_exists(f->st, "det"));

	assert_int_equal(ps_csv_begin(f->st, "det", &o, &cl, &err), PS_OK);
	assert_int_equal(ps_csv_feed(cl, "ts,v\n2024-01-01,1\n", 18, &err), PS_OK);
	assert_int_equal(ps_csv_finish_detached(cl, &res, &ld, &err), PS_OK);
	assert_int_equal(ps_load_commit(ld, &err), PS_OK);
	assert_dump(f->st, "det", "2024-01-01T00:00:00Z|1\n");

	/* After a failed feed, finish reports the same error and frees. */
	assert_int_equal(ps_csv_begin(f->st, "det", &o, &cl, &err), PS_OK);
	assert_int_equal(ps_csv_feed(cl, "ts,v\n2024-01-02,x\n", 18, &err), PS_EBADROW);
	assert_int_equal(ps_csv_feed(cl, "2024-01-03,3\n", 13, &err), PS_EBADROW);
	assert_int_equal(ps_csv_finish(cl, &res, &err), PS_EBADROW);
	assert_int_equal(err.line, 2);
	assert_int_equal(row_count(f->st, "det"), 1);
}

/* ---------------------------------------------------------------- both parsers */

#define X70 "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"

typedef struct split_case
{
	const char *opts;			/* for opts() */
	const char *existing;		/* CSV that creates the table first, or NULL */
	const char *csv;
	uint64_t	max_field;		/* max_field_bytes; 0: the default */
	uint32_t	batch_size;		/* 0: the default */
} split_case;

static const split_case split_cases[] = {
	/* Quote-free: NULLs, several types, no line end at the end. */
	{"", NULL, "ts,sym,px,n\n2024-01-01T00:00:00Z,AAPL,1.5,10\n2024-01-01T00:00:01Z,MSFT,,20\n"
	 "2024-01-01T00:00:02Z,,3.5,\n2024-01-01T00:00:03Z,IBM,4.5,40", 0, 0},
	/* BOM, CRLF, empty lines of every kind; a BOM-like prefix that is data. */
	{"", NULL, "\xEF\xBB\xBFts,v\r\n2024-01-01,1\r\n\r\n\n2024-01-02,2\r\n\r\r\n2024-01-03,3\n\n", 0, 0},
	{"", NULL, "\xEF\xBBts,v\n2024-01-01,1\n", 0, 0},
	/* Bare CRs end records; lines are counted at LF. */
	{"on_error=skip", NULL,
	 "ts,s\n2024-01-01,a\r2024-01-02,b,extra\r2024-01-03,d\n\r\r\n2024-01-04,e\r", 0, 0},
	/* Ragged rows and bad values, skipped or fatal. */
	{"on_error=skip", NULL, "ts,a,b\n2024-01-01,1,2\n2024-01-02,1\n2024-01-03,3,4\n"
	 "2024-01-04,1,2,3,4\n,5,6\nnot a time,5,6\n2024-01-05,,\n2024-01-06,x,\n,,\n", 0, 0},
	{"", NULL, "ts,a,b\n2024-01-01,1,2\n2024-01-03,3,4\n2024-01-04,1,2,3,4\n2024-01-05,5,6\n", 0, 0},
	{"", NULL, "ts,a,b\n2024-01-01,1,2\n2024-01-02,1\n", 0, 0},
	/*
	 * max_field_bytes 8 (libcsv's buffer: 10 bytes): lines of 8 and 9 bytes,
	 * fields of 9 (too long when ended), 10 and 11 bytes (too long as soon as
	 * a byte follows, and the line is skipped to its LF, across a bare CR).
	 */
	{"on_error=skip;time_unit=s", NULL, "ts,s\n1,123456\n2,1234567\n3,12345678901\n4,123456789\n"
	 "5,1234567890\n6,12345678901\r7,ok\r\n8,ok\n9,1234567890,\n10,a,b,c,d,e\n11,,\n", 8, 0},
	{"on_error=skip;time_unit=s", NULL, "ts,a,b\n1,1,1\n2,12345678,1234567890\n3,1,2\n"
	 "4,123,1234567890\r5,1,1\n6,1,1\n7,1,1234567890\r8,1,1\r\n", 8, 0},
	{"time_unit=s", NULL, "ts,s\n1,123456\n2,12\n3,1234567890\n4,x\n", 8, 0},
	{"time_unit=s", NULL, "ts,s\n1,123456\n2,12\n3,123456789\n", 8, 0},
	{"on_error=skip;time_unit=s", NULL, "ts,s\n1,a\n2,12345678901", 8, 0},
	{"on_error=skip;time_unit=s", NULL, "ts,s\n1,a\n2,1234567890", 8, 0},
	{"on_error=skip;time_unit=s", NULL, "ts,s\n1,a\n12345678901,b\n3,c\r\n", 8, 0},
	{"on_error=skip;time_unit=s", NULL, "ts,s\n1,a\n2,1234567890\n", 8, 0},
	{"", NULL, "timestamp,s\n1,a\n", 8, 0},
	/* Header problems are fatal. */
	{"", NULL, "ts,,v\n2024-01-01,1,2\n", 0, 0},
	{"on_error=skip", NULL, "ts,v,w,v\n2024-01-01,1,2,3\n", 0, 0},
	{"on_error=skip", NULL, "ts,v\xff\n2024-01-01,1\n", 0, 0},
	/* header=false: a new table, an existing one in its column order. */
	{"header=false;on_error=skip", NULL,
	 "x,2024-01-01T00:00:00Z,1.5\ny,2024-01-02,2\nz,2024-01-03\n", 0, 0},
	{"header=false;on_error=skip", "ts,v\n2024-01-01,1\n",
	 "2024-01-02,2\n2024-01-03\n2024-01-04,4,5\n\n", 0, 0},
	/* Existing tables: by name, unknown and added columns, empty inputs. */
	{"on_error=skip", "ts,x\n2024-01-01,1\n", "x,ts\n5,2024-01-02\n,2024-01-03\n6,\nq,2024-01-04\n", 0, 0},
	{"", "ts,x\n2024-01-01,1\n", "ts,x,extra\n2024-01-02,2,a\n", 0, 0},
	{"add_columns=true", "ts,x\n2024-01-01,1\n", "ts,x,extra\n2024-01-02,2,a\n2024-01-03,3,\n", 0, 0},
	{"", "ts,x\n2024-01-01,1\n", "ts,x\n", 0, 0},
	{"", "ts,x\n2024-01-01,1\n", "\n\r\n", 0, 0},
	{"", NULL, "", 0, 0},
	{"", NULL, "ts,v\n", 0, 0},
	{"", NULL, "ts,v", 0, 0},
	/* Quotes: the parsers take turns, within a chunk and across chunks. */
	{"on_error=skip", NULL, "ts,s,n\n2024-01-01,plain,1\n2024-01-02,\"a,b\",2\n2024-01-03,x,3\n"
	 "2024-01-04,\"two\nlines\",4\n2024-01-05,y,5\n2024-01-06,bad\"q,6\n2024-01-07,z,7\n"
	 "2024-01-08,\"x\"y,8\n2024-01-09,w,9\n2024-01-10,\"\",\n2024-01-11,\"open\n", 0, 0},
	{"", NULL, "ts,s,n\n2024-01-01,plain,1\n2024-01-02,\"a\r\nb\",2\n2024-01-03,x,3\n"
	 "2024-01-04,ab\"c,4\n", 0, 0},
	{"delimiter=|;quote='", NULL, "ts|s\n2024-01-01|a\"b\n2024-01-02|'x|y'\n2024-01-03|c,d\n2024-01-04|\n",
	 0, 0},
	/* Tabs, spaces kept, a trailing delimiter. */
	{"delimiter=\t;on_error=skip", NULL,
	 "ts\ts\tn\n2024-01-01\t a \t1\n2024-01-02\t\t\n2024-01-03\tx\t3\t\n", 0, 0},
	/* The sample ends after 2 rows, then rows stream. */
	{"on_error=skip", NULL, "ts,v\n1700000000,1\n1700000001,2\n1700000002,3\n1700000003,1.5\n"
	 "1700000004, 4\n1700000005,5\n", 0, 2},
	/* Fields and lines longer than the splitter's 64-byte blocks. */
	{"on_error=skip", NULL, "ts,note,n\n2024-01-01," X70 X70 ",1\n2024-01-02,,2\n2024-01-03," X70
	 ",3,\n2024-01-04," X70 "\n2024-01-05,y," X70 "\n", 0, 0},
	{"on_error=skip", NULL, "ts,note,n\n2024-01-01," X70 ",1\n2024-01-02," X70 X70 ",2\n", 100, 0},
};

typedef struct case_run
{
	ps_status	rc;
	ps_error	err;
	ps_csv_result res;
	char	   *dump;			/* NULL: no table */
} case_run;

/*
 * Load a split case into table "sc" (created first from `existing`), read it
 * back, drop it.
 */
static void
run_case(ps_store *st, const split_case *c, bool libcsv, uint32_t pipeline, chunking how,
		 unsigned seed, case_run *out)
{
	ps_csv_options o = opts(c->opts);
	ps_error	err;

	o.libcsv_only = libcsv;
	o.pipeline_records = pipeline;
	if (c->max_field)
		o.max_field_bytes = c->max_field;
	if (c->batch_size)
		o.batch_size = c->batch_size;
	if (c->existing)
	{
		ps_csv_options d;
		ps_csv_result r;

		ps_csv_options_default(&d);
		assert_int_equal(run_load(st, "sc", c->existing, strlen(c->existing), &d, WHOLE, 0, true,
								  &r, &err), PS_OK);
	}
	out->rc = run_load(st, "sc", c->csv, strlen(c->csv), &o, how, seed, true, &out->res, &out->err);
	out->dump = dump(st, "sc");
	if (out->dump != NULL)
		assert_int_equal(ps_store_drop_table(st, "sc", &err), PS_OK);
}

static void
assert_same_run(const char *what, const case_run *a, const case_run *b)
{
	assert_same_report(what, a->rc, &a->err, &a->res, b->rc, &b->err, &b->res);
	if ((a->dump == NULL) != (b->dump == NULL) ||
		(a->dump != NULL && strcmp(a->dump, b->dump) != 0))
		fail_msg("%s: table\n%s\nvs\n%s", what, a->dump ? a->dump : "(none)",
				 b->dump ? b->dump : "(none)");
}

/*
 * Every split case, cut in two at every byte, through the fast path (with
 * the converter thread from the start or not), reports and loads exactly
 * what libcsv alone does with the whole input.
 */
static void
test_paths_agree_every_split(void **state)
{
	fixture    *f = *state;
	static const struct
	{
		bool		libcsv;
		uint32_t	pipeline;
		bool		every_split;
	}			variants[] = {{false, 0, true}, {false, 1, true}, {false, 3, false}, {true, 2, false}};

	for (size_t i = 0; i < sizeof(split_cases) / sizeof(split_cases[0]); i++)
	{
		const split_case *c = &split_cases[i];
		size_t		len = strlen(c->csv);
		case_run	ref;

		run_case(f->st, c, true, 0, WHOLE, 0, &ref);
		for (size_t v = 0; v < sizeof(variants) / sizeof(variants[0]); v++)
		{
			size_t		nsplits = variants[v].every_split ? len + 1 : 0;

			for (size_t k = 0; k < nsplits + 5; k++)
			{
				char		what[128];
				case_run	got;
				chunking	how = k < nsplits ? SPLIT : k == nsplits ? BYTEWISE : RANDOM;
				unsigned	seed = k < nsplits ? (unsigned) k : (unsigned) (k - nsplits);

				snprintf(what, sizeof(what), "case %zu, %s, pipeline %u, chunking %d/%u", i,
						 variants[v].libcsv ? "libcsv" : "fast path", variants[v].pipeline,
						 (int) how, seed);
				run_case(f->st, c, variants[v].libcsv, variants[v].pipeline, how, seed, &got);
				assert_same_run(what, &got, &ref);
				free(got.dump);
			}
		}
		free(ref.dump);
	}
}

/*
 * A large load (past the first 16384 records, so the fast path writes the
 * converter's batches directly) with every kind of irregular record in
 * that stretch: same reports and rows as libcsv alone, whatever the chunks.
 */
static char *
irregular_csv(size_t *len)
{
	char	   *s = NULL;

	*len = 0;
	append(&s, len, "ts,sym,px,n\n");
	for (int i = 0; i < 20000; i++)
	{
		char		ts[32];

		snprintf(ts, sizeof(ts), "2024-01-01T%02d:%02d:%02d.%03dZ", i / 3600000, (i / 60000) % 60,
				 (i / 1000) % 60, i % 1000);
		switch (i >= 16500 && i % 97 == 0 ? (i / 97) % 12 : -1)
		{
			case 0:
				append(&s, len, "%s,S%d,1.5\n", ts, i % 7);	/* too few fields */
				break;
			case 1:
				append(&s, len, "%s,S%d,1.5,2,3\n", ts, i % 7);	/* too many */
				break;
			case 2:
				append(&s, len, "%s,%s%s,1.5,2\n", ts, X70, X70);	/* a field too long */
				break;
			case 3:
				append(&s, len, "%s,%s,1.5,2\r%s,x,1,1\r\n", ts, X70 X70 X70, ts);	/* skipped to LF */
				break;
			case 4:
				append(&s, len, "%s,%s,%s,2\n", ts, X70, X70);	/* the line too long */
				break;
			case 5:
				append(&s, len, "%s,\"q,uoted\",1.5,%d\n", ts, i);	/* libcsv's turn */
				break;
			case 6:
				append(&s, len, "%s,\"multi\nline\",1.5,%d\n", ts, i);
				break;
			case 7:
				append(&s, len, "%s,bad\"quote,1.5,%d\n", ts, i);
				break;
			case 8:
				append(&s, len, "%s,S,notanumber,%d\n", ts, i);	/* the converter's bad row */
				break;
			case 9:
				append(&s, len, "\r\n\n%s,S,,\r", ts);	/* empty lines, NULLs, a bare CR */
				break;
			case 10:
				append(&s, len, ",S,1,%d\n", i);	/* empty time */
				break;
			default:
				append(&s, len, "%s,S%d,%d.25,%d\n", ts, i % 7, i, i);
				break;
		}
	}
	return s;
}

static void
test_paths_agree_pipelined(void **state)
{
	fixture    *f = *state;
	size_t		len;
	char	   *csv = irregular_csv(&len);
	static const struct
	{
		chunking	how;
		unsigned	seed;
	}			chunkings[] = {{WHOLE, 0}, {SIZED, 1000}, {SIZED, 4096}, {SIZED, 65536}, {RANDOM, 3},
						   {SPLIT, 600000}};

	for (int mode = 0; mode < 2; mode++)
	{
		split_case	c = {mode ? "on_error=skip" : "", "ts,sym,px,n\n2023-01-01,A,1.5,1\n", csv, 160, 0};
		case_run	ref;

		run_case(f->st, &c, true, 0, WHOLE, 0, &ref);
		if (mode == 1)
		{
			assert_int_equal(ref.rc, PS_OK);
			assert_true(ref.res.rows_rejected >= 20);
			assert_true(ref.res.errors[0].line > 16384);
		}
		for (size_t k = 0; k < sizeof(chunkings) / sizeof(chunkings[0]); k++)
			for (uint32_t pipeline = 0; pipeline <= 1000; pipeline = pipeline ? pipeline * 1000 : 1)
			{
				char		what[96];
				case_run	got;

				snprintf(what, sizeof(what), "mode %d, chunking %d/%u, pipeline %u", mode,
						 (int) chunkings[k].how, chunkings[k].seed, pipeline);
				run_case(f->st, &c, false, pipeline, chunkings[k].how, chunkings[k].seed, &got);
				assert_same_run(what, &got, &ref);
				free(got.dump);
			}
		free(ref.dump);
	}
	free(csv);
}

/* The splitter's stops: record and byte limits, irregular records, line counts. */
static void
test_splitter(void **state)
{
	static const char in[] = "a,b\n\r\nc,\r,d\nee,ff,gg\nh,i\n" X70 "," X70 "\n";
	ps_csv_field fields[16];
	int64_t		lines[8];
	ps_csv_split s;

	(void) state;
	memset(&s, 0, sizeof(s));
	s.data = in;
	s.len = sizeof(in) - 1;
	s.delim = ',';
	s.ncols = 2;
	s.max_record = 1000;
	s.fields = fields;
	s.lines = lines;
	s.max_records = 2;
	s.max_bytes = 1000;
	s.base = 100;
	s.line = 1;

	ps_csv_split_records(&s);	/* "a,b" and "c," (after an empty line), then the record limit */
	assert_int_equal(s.nrecords, 2);
	assert_int_equal(s.irregular_end, 0);
	assert_int_equal(s.pos, 9);
	assert_int_equal(s.line, 3);
	assert_int_equal(lines[0], 1);
	assert_int_equal(lines[1], 3);
	assert_int_equal(fields[0].off, 100);
	assert_int_equal(fields[0].len, 1);
	assert_false(fields[0].is_null);
	assert_int_equal(fields[2].off, 106);
	assert_int_equal(fields[3].len, 0);
	assert_true(fields[3].is_null);

	ps_csv_split_records(&s);	/* ",d" (a NULL first), then "ee,ff,gg" has 3 fields */
	assert_int_equal(s.nrecords, 1);
	assert_int_equal(s.pos, 12);
	assert_int_equal(s.irregular_end, 20);
	assert_int_equal(s.line, 4);
	assert_true(fields[0].is_null);
	assert_int_equal(fields[1].off, 100 + 1);

	s.pos = s.irregular_end;
	s.max_bytes = 3;			/* stops at the first line end 3 bytes on */
	ps_csv_split_records(&s);
	assert_int_equal(s.nrecords, 1);
	assert_int_equal(s.pos, 25);
	assert_int_equal(s.line, 6);
	assert_int_equal(lines[0], 5);

	s.max_bytes = 1000;
	s.max_record = 140;			/* the last line has 141 bytes */
	ps_csv_split_records(&s);
	assert_int_equal(s.nrecords, 0);
	assert_int_equal(s.pos, 25);
	assert_int_equal(s.irregular_end, sizeof(in) - 2);
	s.max_record = 141;
	ps_csv_split_records(&s);
	assert_int_equal(s.nrecords, 1);
	assert_int_equal(s.pos, sizeof(in) - 1);
	assert_int_equal(fields[1].off, 100 + 71);
	assert_int_equal(fields[1].len, 70);

	assert_int_equal(ps_csv_line_end(in + 25, sizeof(in) - 26), 141);
	assert_int_equal(ps_csv_line_end("abc", 3), 3);
	assert_int_equal(ps_csv_line_end(X70 "\r", 71), 70);
}

int
main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, fixture_teardown)
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_options),
		T(test_begin_rejects_bad_options),
		T(test_infers_types_and_time_by_name),
		T(test_time_by_name_takes_epoch_numbers),
		T(test_time_by_iso_content),
		T(test_no_time_column),
		T(test_time_column_option),
		T(test_sample_then_stream),
		T(test_crlf_bom_and_blank_lines),
		T(test_quoted_fields_and_line_numbers),
		T(test_null_versus_empty_string),
		T(test_other_delimiter_and_quote),
		T(test_empty_and_header_only),
		T(test_header_errors),
		T(test_header_false),
		T(test_ragged_rows_abort),
		T(test_ragged_rows_skip),
		T(test_skip_keeps_lowest_lines),
		T(test_malformed_quotes),
		T(test_unbalanced_quote_at_eof),
		T(test_value_errors),
		T(test_oversized_field),
		T(test_oversized_field_stream_is_not_buffered),
		T(test_chunk_boundaries_anywhere),
		T(test_bare_cr_line_ends),
		T(test_later_loads_match_by_name),
		T(test_unknown_and_added_columns),
		T(test_failed_load_leaves_table_unchanged),
		T(test_dedup_retry_adds_nothing),
		T(test_finish_detached),
		T(test_large_load_pipelined),
		cmocka_unit_test(test_splitter),
		T(test_paths_agree_every_split),
		T(test_paths_agree_pipelined),
	};
#undef T
	return cmocka_run_group_tests(tests, NULL, NULL);
}
