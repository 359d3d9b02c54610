/*
 * ps_csv.c — streaming CSV loads over libcsv and a quote-free fast path: the
 * one code path behind REST ingest, the SQL load functions and the native
 * protocol's CSV loads.
 *
 * Flow.  csv_input routes each chunk: whole records before the next quote
 * character go to the fast path (csv_fast, splitting in ps_csv_split.c) when
 * libcsv holds no record; everything else goes to libcsv one physical line
 * at a time (csv_scan, split at LF with memchr), so every record knows the
 * line it starts on.  Both end in the same callbacks: csv_on_field per
 * field, which copies the field into `row` (one reused buffer), and
 * csv_on_record per record, which routes the record by stage:
 *   HEADER  the first record names the columns (or, with header=false, only
 *           counts them); the table is looked up once, at ps_csv_begin;
 *   SAMPLE  a new table (or unknown columns with add_columns) needs types,
 *           so up to batch_size rows are copied into the sample arena; when
 *           it is full, or at the end of input, types and the time column are
 *           inferred, the ps_load begins and the sample is replayed;
 *   STREAM  every record is converted into `values` and appended; past the
 *           first CSV_PIPELINE_MIN_RECORDS, records are copied into a ring
 *           of CSV_NBATCHES batches; the caller converts each batch when it
 *           is full and hands it to a converter thread, which appends it
 *           while the caller parses and converts the next ones (so the
 *           store's work has a core of its own).  There the fast path skips
 *           the callbacks: regular records (ncols fields, not too long) go
 *           into the batch as offsets into one copy of their bytes; any
 *           other record takes the callbacks' way.
 * An existing table whose columns are all known goes from HEADER to STREAM
 * with no sample at all.
 *
 * Invariants.
 *  - Memory is bounded whatever the input: libcsv's entry buffer never grows
 *    beyond entry_cap (max_field_bytes + 2) because csv_scan never feeds it
 *    more bytes than it has room for (it reads the entry_pos and quoted
 *    fields that csv.h documents in struct csv_parser); a record's bytes (fields plus one
 *    delimiter each) are limited to max_field_bytes, so `row` is too; fields
 *    beyond the expected count are counted, not stored; the sample is
 *    limited to batch_size rows and sample_budget bytes; each batch to
 *    batch_records records and batch_bytes plus one record (a record the
 *    fast path takes whole is at most max_field_bytes long, and so are the
 *    empty lines it copies before it, as it stops at batch_bytes).  Nothing
 *    is allocated per field or per row once the buffers have grown.
 *  - The fast path and libcsv give the same records, lines and errors: the
 *    fast path sees only quote-free whole records while libcsv holds none
 *    (in_record false), and does for them what libcsv and csv_scan would
 *    (csv_fast_record); either can take over at any record boundary.
 *  - Semantics are PostgreSQL's COPY CSV: no trimming of spaces, an unquoted
 *    empty field is NULL, "" is the empty string, quoting errors are errors
 *    (CSV_STRICT).  Empty lines between records are ignored.
 *  - Lines are counted at LF; a record's line is the line of its first byte
 *    (the header is line 1, a UTF-8 BOM before it is dropped).
 *  - Bad rows: in abort mode the first one found is fatal; in skip mode it is
 *    counted and the PS_CSV_MAX_REPORTED lowest errors (csv_error_cmp)
 *    are kept.  A malformed record (bad quoting, an oversized field) is
 *    skipped up to the end of the physical line where the problem was found.
 *    Problems in the header record are always fatal.
 *  - Once a fatal error is recorded (stage FAILED), callbacks do nothing and
 *    every later call returns that error.
 *  - Records handed to the converter precede every record the parser still
 *    holds: in abort mode a bad row found by the parser first lets the
 *    converter finish, so the bad row with the lowest line is returned.
 */
#include "ps_csv.h"

#include <csv.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Largest accepted max_field_bytes: keeps offsets in 32 bits. */
#define CSV_MAX_FIELD_LIMIT ((uint64_t) 1 << 30)
/* The sample may always hold this much, and at least two maximal records. */
#define CSV_SAMPLE_MIN_BUDGET ((size_t) 64 << 20)
/* libcsv's entry buffer starts at this size and then doubles. */
#define CSV_ENTRY_MIN_BLOCK 4096
#define CSV_NO_TIME UINT32_MAX
/*
 * Past this many streamed records, records go to the converter thread in
 * batches of at most CSV_BATCH_FIELDS table values or CSV_BATCH_BYTES bytes
 * (plus one record); before, each is converted and appended as it is parsed
 * (small loads see their bad rows at once).  A hand-off may wake a thread,
 * which is slow on a virtual machine, so a batch holds thousands of rows
 * (4681 ticks of 7 columns); a ring of CSV_NBATCHES lets the parser run
 * ahead while the converter is in a slow append (a block sealed, a write).
 * On the 5M-tick load, 2 to 6 batches of 128 KiB to 512 KiB all measured
 * within 5%; 2048-record batches with a 2-deep queue were much slower.
 */
#define CSV_PIPELINE_MIN_RECORDS 16384
#define CSV_BATCH_FIELDS ((size_t) 32768)
#define CSV_BATCH_BYTES ((size_t) 256 << 10)
#define CSV_NBATCHES 4
#define CSV_VALID_OPTIONS \
	"header, delimiter, quote, time_column, time_unit, timezone, on_error, add_columns, dedup, series_key"

static const unsigned char utf8_bom[3] = {0xEF, 0xBB, 0xBF};

typedef enum csv_stage
{
	CSV_STAGE_HEADER,			/* no record yet */
	CSV_STAGE_SAMPLE,			/* rows held back for type inference */
	CSV_STAGE_STREAM,			/* the ps_load is open */
	CSV_STAGE_FAILED			/* cl->fatal holds the error */
} csv_stage;

/* One field of a record: bytes at off (in `row`, the sample arena or a batch). */
typedef ps_csv_field csv_field;

/*
 * Parsed records for the converter: ncols fields each, bytes in `bytes`;
 * the parser converts them into vals (a row in table order each, text
 * pointing into `bytes`; columns not in the input stay NULL) when it hands
 * the batch off.
 */
typedef struct csv_batch
{
	ps_buf		bytes;
	csv_field  *fields;
	size_t		fields_alloc;
	ps_value   *vals;
	size_t		vals_alloc;
	int64_t    *lines;			/* line where each record starts */
	size_t		lines_alloc;
	size_t		nrecords;
} csv_batch;

struct ps_csv_load
{
	ps_store   *st;
	char		table[PS_MAX_NAME + 1];
	ps_csv_options opt;
	csv_stage	stage;
	ps_error	fatal;

	/* parsing and positions */
	struct csv_parser parser;
	unsigned char parser_opts;
	size_t		entry_cap;		/* libcsv's entry buffer never exceeds this */
	int64_t		line;			/* line of the next byte fed to libcsv */
	int64_t		record_line;	/* line where the current record starts */
	bool		in_record;		/* a record has started and not ended */
	bool		skip_to_eol;	/* skip mode: dropping the rest of a malformed line */
	bool		bom_checked;
	size_t		bom_len;		/* bytes of a possible BOM held back so far */

	/* the record being parsed */
	ps_buf		row;
	csv_field  *fields;
	uint32_t	fields_alloc;
	uint32_t	fields_limit;	/* fields stored per record (ncols once known) */
	uint64_t	nfields;		/* fields seen, stored or not */
	uint64_t	row_bytes;		/* field bytes plus one delimiter per field */
	int32_t		too_big_column; /* > 0: the record exceeded max_field_bytes here */
	bool		too_big_field;	/* ... in one field, not only in total */

	/* the table as it was at ps_csv_begin: NULL when it did not exist */
	ps_schema  *table_schema;

	/* input columns */
	uint32_t	ncols;
	char	  **names;			/* ncols malloc'd names */
	ps_type    *types;			/* input types; table types once streaming */
	bool	   *infer;			/* type comes from the sample */
	uint32_t	time_field;		/* input index of the time column, or CSV_NO_TIME */

	/* the inference sample */
	ps_buf		sample_data;
	csv_field  *sample_fields;	/* sample_rows * ncols */
	size_t		sample_fields_alloc;
	int64_t    *sample_lines;
	size_t		sample_rows;
	size_t		sample_rows_alloc;
	size_t		sample_budget;

	/* the load */
	ps_load    *ld;
	const uint32_t *target;		/* input index -> table column (owned by ld) */
	ps_value   *values;			/* one row in table order; unmapped stay NULL */
	uint32_t	nvalues;		/* the table's columns */

	/*
	 * The converter: in the STREAM stage a thread of its own appends batches
	 * of converted records while the caller parses and converts the next
	 * ones; while it runs, only it touches `values` and `ld`.  The batches
	 * handed off are the nqueued ones from head on, the caller fills the one
	 * at fill.  mu/cv guard head, nqueued, stop and conv_failed; conv_fatal,
	 * conv_rejected and conv_errors are the converter's until it has ended
	 * (or published conv_failed).
	 */
	uint64_t	streamed;		/* records that reached the STREAM stage */
	csv_batch	batches[CSV_NBATCHES];	/* a ring: converted in order */
	unsigned	fill;			/* the batch records are parsed into */
	unsigned	head;			/* the oldest batch handed off */
	unsigned	nqueued;		/* batches handed off and not yet converted */
	uint64_t	pipeline_min;	/* CSV_PIPELINE_MIN_RECORDS, or the test option */
	size_t		batch_records;	/* records per batch: CSV_BATCH_FIELDS table values */
	size_t		batch_bytes;	/* ... and at most this many bytes plus one record */
	pthread_mutex_t mu;
	pthread_cond_t cv;
	pthread_t	thread;
	bool		threaded;
	bool		stop;
	bool		conv_failed;	/* conv_fatal holds why */
	ps_error	conv_fatal;
	uint64_t	conv_rejected;
	size_t		conv_nerrors;
	ps_error	conv_errors[PS_CSV_MAX_REPORTED];

	uint64_t	rejected;
	size_t		nerrors;
	ps_error	errors[PS_CSV_MAX_REPORTED];
};

/* ---------------------------------------------------------------- options */

void
ps_csv_options_default(ps_csv_options *o)
{
	memset(o, 0, sizeof *o);
	o->header = true;
	o->delimiter = ',';
	o->quote = '"';
	ps_time_options_default(&o->time);
	o->on_error = PS_ON_ERROR_ABORT;
	o->max_field_bytes = (uint64_t) 16 << 20;
	o->batch_size = 10000;
}

static bool
parse_bool_option(const char *v, bool *out)
{
	static const char *const yes[] = {"true", "t", "1", "yes", "y", "on"};
	static const char *const no[] = {"false", "f", "0", "no", "n", "off"};

	for (size_t i = 0; i < sizeof yes / sizeof yes[0]; i++)
	{
		if (strcasecmp(v, yes[i]) == 0)
		{
			*out = true;
			return true;
		}
		if (strcasecmp(v, no[i]) == 0)
		{
			*out = false;
			return true;
		}
	}
	return false;
}

/* Delimiter and quote: exactly one byte, never a line end or NUL. */
static bool
csv_char_valid(char c)
{
	return c != '\0' && c != '\r' && c != '\n';
}

ps_status
ps_csv_option_set(ps_csv_options *o, const char *key, const char *value, ps_error *err)
{
	char		q[PS_ERROR_QUOTE_MAX];
	bool	   *flag;
	char	   *character;

	if (key == NULL)
		return ps_error_set(err, PS_EINVAL, "option name missing");
	if (value == NULL)
		return ps_error_set(err, PS_EINVAL, "option %s needs a value",
							ps_error_quote(key, strlen(key), q));
#define BAD_VALUE(what) \
	ps_error_set(err, PS_EINVAL, "option %s: %s, not %s", key, what, \
				 ps_error_quote(value, strlen(value), q))

	flag = strcmp(key, "header") == 0 ? &o->header
		: strcmp(key, "add_columns") == 0 ? &o->add_columns
		: strcmp(key, "dedup") == 0 ? &o->dedup : NULL;
	if (flag != NULL)
	{
		if (!parse_bool_option(value, flag))
			return BAD_VALUE("expected true or false");
		return PS_OK;
	}
	character = strcmp(key, "delimiter") == 0 ? &o->delimiter
		: strcmp(key, "quote") == 0 ? &o->quote : NULL;
	if (character != NULL)
	{
		if (strlen(value) != 1 || !csv_char_valid(value[0]))
			return BAD_VALUE("expected one character other than CR or LF");
		*character = value[0];
		return PS_OK;
	}
	if (strcmp(key, "series_key") == 0)
	{
		size_t		len = strlen(value);

		if (len >= sizeof(o->series_key))
			return BAD_VALUE("expected at most 8 column names");
		memcpy(o->series_key, value, len + 1);
		o->series_key_set = true;
		return PS_OK;
	}
	if (strcmp(key, "time_column") == 0)
	{
		size_t		len = strlen(value);

		if (!ps_column_name_valid(value, len))
			return BAD_VALUE("expected a column name");
		memcpy(o->time_column, value, len + 1);
		return PS_OK;
	}
	if (strcmp(key, "time_unit") == 0)
	{
		if (strcmp(value, "auto") == 0)
			o->time.unit = PS_UNIT_AUTO;
		else if (ps_time_parse_unit(value, &o->time.unit) != PS_OK)
			return BAD_VALUE("expected s, ms, us, ns or auto");
		return PS_OK;
	}
	if (strcmp(key, "timezone") == 0)
	{
		if (ps_time_parse_offset(value, strlen(value), &o->time.default_offset_s) != PS_OK)
			return BAD_VALUE("expected UTC or an offset like -05:00");
		return PS_OK;
	}
	if (strcmp(key, "on_error") == 0)
	{
		if (strcmp(value, "abort") == 0)
			o->on_error = PS_ON_ERROR_ABORT;
		else if (strcmp(value, "skip") == 0)
			o->on_error = PS_ON_ERROR_SKIP;
		else
			return BAD_VALUE("expected abort or skip");
		return PS_OK;
	}
#undef BAD_VALUE
	return ps_error_set(err, PS_EINVAL, "unknown option %s (valid options: %s)",
						ps_error_quote(key, strlen(key), q), CSV_VALID_OPTIONS);
}

/* ---------------------------------------------------------------- errors */

static void
csv_fail(ps_csv_load *cl, const ps_error *e)
{
	cl->fatal = *e;
	cl->stage = CSV_STAGE_FAILED;
}

/*
 * Fill e with reason prefixed by the position: "line 7, column 3 (price): "
 * (the name once columns are known), "line 7: " or nothing for line 0.
 */
static void
csv_error_at(const ps_csv_load *cl, ps_error *e, ps_status code, int64_t line, int32_t column,
			 const char *reason)
{
	if (column > 0 && cl->names != NULL && (uint32_t) column <= cl->ncols)
		ps_error_set_at(e, code, line, column, "line %lld, column %d (%s): %s",
						(long long) line, (int) column, cl->names[column - 1], reason);
	else if (column > 0)
		ps_error_set_at(e, code, line, column, "line %lld, column %d: %s",
						(long long) line, (int) column, reason);
	else if (line > 0)
		ps_error_set_at(e, code, line, 0, "line %lld: %s", (long long) line, reason);
	else
		ps_error_set(e, code, "%s", reason);
}

static void __attribute__((format(printf, 5, 6)))
csv_fail_at(ps_csv_load *cl, ps_status code, int64_t line, int32_t column, const char *fmt, ...)
{
	char		reason[PS_ERROR_MESSAGE_MAX];
	ps_error	e;
	va_list		ap;

	va_start(ap, fmt);
	vsnprintf(reason, sizeof reason, fmt, ap);
	va_end(ap);
	csv_error_at(cl, &e, code, line, column, reason);
	csv_fail(cl, &e);
}

static ps_status
csv_fatal_status(const ps_csv_load *cl, ps_error *err)
{
	if (err)
		*err = cl->fatal;
	return cl->fatal.code;
}

/*
 * Order of reported errors: by line, then column and message.  Not by
 * arrival: the converter's errors arrive after the parser's, and a line can
 * hold several records (bare CR line ends), so this is what keeps the report
 * the same whichever thread found each error.
 */
static int
csv_error_cmp(const ps_error *a, const ps_error *b)
{
	if (a->line != b->line)
		return a->line < b->line ? -1 : 1;
	if (a->column != b->column)
		return a->column < b->column ? -1 : 1;
	return strcmp(a->message, b->message);
}

/* Keep reported errors sorted, the lowest PS_CSV_MAX_REPORTED. */
static void
csv_report(ps_error *errors, size_t *nerrors, const ps_error *e)
{
	size_t		pos = *nerrors;

	if (pos == PS_CSV_MAX_REPORTED)
	{
		if (csv_error_cmp(e, &errors[pos - 1]) >= 0)
			return;
		pos--;
	}
	while (pos > 0 && csv_error_cmp(&errors[pos - 1], e) > 0)
	{
		errors[pos] = errors[pos - 1];
		pos--;
	}
	errors[pos] = *e;
	if (*nerrors < PS_CSV_MAX_REPORTED)
		(*nerrors)++;
}

static void csv_converter_drain(ps_csv_load *cl);

/*
 * A bad row found by the parser (or in the sample): fatal in abort mode and
 * for the header record, counted and reported in skip mode.  In abort mode
 * every record before it is converted and appended first (the drain hands
 * off the batch being filled), so a bad row found there comes first and is
 * the one returned.
 */
static void
csv_take_bad_row(ps_csv_load *cl, const ps_error *e)
{
	if (cl->opt.on_error == PS_ON_ERROR_ABORT ||
		(cl->stage == CSV_STAGE_HEADER && cl->opt.header))
	{
		csv_converter_drain(cl);
		if (cl->stage != CSV_STAGE_FAILED)
			csv_fail(cl, e);
		return;
	}
	cl->rejected++;
	csv_report(cl->errors, &cl->nerrors, e);
}

/* A bad row at line/column (column 0: the row as a whole); see csv_take_bad_row. */
static void __attribute__((format(printf, 4, 5)))
csv_bad_row(ps_csv_load *cl, int64_t line, int32_t column, const char *fmt, ...)
{
	char		reason[PS_ERROR_MESSAGE_MAX];
	ps_error	e;
	va_list		ap;

	va_start(ap, fmt);
	vsnprintf(reason, sizeof reason, fmt, ap);
	va_end(ap);
	csv_error_at(cl, &e, PS_EBADROW, line, column, reason);
	csv_take_bad_row(cl, &e);
}

/* A field, or a whole record, longer than max_field_bytes. */
static void
csv_bad_row_too_big(ps_csv_load *cl, int64_t line, int32_t column, bool field)
{
	csv_bad_row(cl, line, column, "%s exceeds max_field_mb (%llu bytes)",
				field ? "field" : "line", (unsigned long long) cl->opt.max_field_bytes);
}

/* A column number for messages: 1-based, saturated. */
static int32_t
csv_column_number(uint64_t index0)
{
	return index0 >= INT32_MAX ? INT32_MAX : (int32_t) index0 + 1;
}

/* ---------------------------------------------------------------- arrays */

/* Grow *p (elements of size elem) to hold at least need; false on ENOMEM. */
static bool
csv_grow(void **p, size_t *alloc, size_t need, size_t elem)
{
	size_t		n = *alloc ? *alloc : 16;
	void	   *np;

	if (need <= *alloc)
		return true;
	while (n < need)
		n *= 2;
	if (n > SIZE_MAX / elem || (np = realloc(*p, n * elem)) == NULL)
		return false;
	*p = np;
	*alloc = n;
	return true;
}

static void
csv_fail_nomem(ps_csv_load *cl)
{
	ps_error	e;

	ps_error_set(&e, PS_ENOMEM, "out of memory");
	csv_fail(cl, &e);
}

/* ---------------------------------------------------------------- loading */

/* Build the input schema, begin the ps_load, prepare the value row. */
static void
csv_begin_load(ps_csv_load *cl)
{
	ps_schema  *input = NULL;
	ps_load_spec spec;
	const ps_schema *ls;
	ps_error	e;

	if (ps_schema_new((const char *const *) cl->names, cl->types, cl->ncols, cl->time_field,
					  &input, &e) != PS_OK)
	{
		csv_fail(cl, &e);
		return;
	}
	spec.table = cl->table;
	spec.input = input;
	spec.add_columns = cl->opt.add_columns;
	spec.dedup = cl->opt.dedup;
	spec.series_key = cl->opt.series_key_set ? cl->opt.series_key : NULL;
	if (ps_load_begin(cl->st, &spec, &cl->ld, &e) != PS_OK)
	{
		ps_schema_free(input);
		csv_fail(cl, &e);
		return;
	}
	ps_schema_free(input);

	ls = ps_load_schema(cl->ld);
	cl->target = ps_load_input_map(cl->ld);
	cl->nvalues = ls->ncolumns;
	if ((cl->values = malloc(ls->ncolumns * sizeof *cl->values)) == NULL)
	{
		csv_fail_nomem(cl);
		return;
	}
	for (uint32_t c = 0; c < ls->ncolumns; c++)
		cl->values[c].is_null = true;
	/* Convert to what the table stores (the load checked they agree). */
	for (uint32_t i = 0; i < cl->ncols; i++)
		cl->types[i] = ls->columns[cl->target[i]].type;
	/* Every input column has a table column: nvalues >= ncols. */
	cl->batch_records = CSV_BATCH_FIELDS / cl->nvalues > 0 ? CSV_BATCH_FIELDS / cl->nvalues : 1;
	if (cl->opt.pipeline_records > 0)
		cl->batch_records = cl->opt.pipeline_records;
	cl->stage = CSV_STAGE_STREAM;
}

/*
 * Convert one record (fields relative to base) into row, in table order
 * (other columns untouched).  PS_EBADROW: the record is bad (*e says where
 * and why).  Uses only what is fixed once streaming starts.
 */
static ps_status
csv_convert_fields(const ps_csv_load *cl, const char *base, const csv_field *f, int64_t line,
				   ps_value *row, ps_error *e)
{
	ps_error	why;

	for (uint32_t i = 0; i < cl->ncols; i++)
	{
		/* base is NULL when no field of the record (or sample) had a byte. */
		const char *s = f[i].is_null ? NULL : base ? base + f[i].off : "";

		if (i == cl->time_field && (s == NULL || f[i].len == 0))
		{
			csv_error_at(cl, e, PS_EBADROW, line, (int32_t) i + 1, "empty time value");
			return PS_EBADROW;
		}
		if (ps_value_from_text(cl->types[i], s, f[i].len, &cl->opt.time, &row[cl->target[i]],
							   &why) != PS_OK)
		{
			csv_error_at(cl, e, PS_EBADROW, line, (int32_t) i + 1, why.message);
			return PS_EBADROW;
		}
	}
	return PS_OK;
}

/*
 * Append one converted row to the load.  PS_EBADROW: the load refused the
 * row (*e says why); any other error is fatal.  Uses only the load, so the
 * converter thread runs it.
 */
static ps_status
csv_append_values(ps_csv_load *cl, const ps_value *row, int64_t line, ps_error *e)
{
	ps_error	why;
	ps_status	rc;

	rc = ps_load_append(cl->ld, row, &why);
	if (rc == PS_EINVAL)
	{
		csv_error_at(cl, e, PS_EBADROW, line, 0, why.message);
		return PS_EBADROW;
	}
	if (rc != PS_OK)
		*e = why;
	return rc;
}

/* Convert and append one record now, on the parser's thread (the sample). */
static void
csv_append_row(ps_csv_load *cl, const char *base, const csv_field *f, int64_t line)
{
	ps_error	e;
	ps_status	rc = csv_convert_fields(cl, base, f, line, cl->values, &e);

	if (rc == PS_OK)
		rc = csv_append_values(cl, cl->values, line, &e);
	if (rc == PS_EBADROW)
		csv_take_bad_row(cl, &e);
	else if (rc != PS_OK)
		csv_fail(cl, &e);
}

/* ---------------------------------------------------------------- converter */

static void
csv_batch_reset(csv_batch *b)
{
	ps_buf_reset(&b->bytes);
	b->nrecords = 0;
}

static void
csv_batch_free(csv_batch *b)
{
	ps_buf_free(&b->bytes);
	free(b->fields);
	free(b->vals);
	free(b->lines);
}

/*
 * The parser's side of a hand-off: convert the batch's records into vals,
 * keeping the good ones in order.  A bad one is counted and reported in skip
 * mode; in abort mode the batch ends before it and the function returns
 * true with *bad saying why.  The converter thread then has only the load's
 * work left, and both cores work: with the store writing in the appending
 * thread, converting there too left the parser's core mostly idle.
 */
static bool
csv_batch_convert(ps_csv_load *cl, csv_batch *b, ps_error *bad)
{
	const char *base = (const char *) b->bytes.data;
	size_t		kept = 0;

	if (b->vals == NULL)
	{
		/* Rows for a whole batch, once: conversion never writes the NULLs. */
		b->vals_alloc = cl->batch_records * cl->nvalues;
		if ((b->vals = malloc(b->vals_alloc * sizeof *b->vals)) == NULL)
		{
			ps_error_set(bad, PS_ENOMEM, "out of memory");
			b->nrecords = 0;
			return true;
		}
		for (size_t i = 0; i < b->vals_alloc; i++)
			b->vals[i].is_null = true;
	}
	for (size_t r = 0; r < b->nrecords; r++)
	{
		ps_error	e;

		if (csv_convert_fields(cl, base, &b->fields[r * cl->ncols], b->lines[r],
							   &b->vals[kept * cl->nvalues], &e) == PS_OK)
		{
			b->lines[kept++] = b->lines[r];
			continue;
		}
		if (cl->opt.on_error == PS_ON_ERROR_ABORT)
		{
			*bad = e;
			b->nrecords = kept;
			return true;
		}
		csv_take_bad_row(cl, &e);
	}
	b->nrecords = kept;
	return false;
}

/*
 * The converter's side: append a converted batch.  Returns true on a fatal
 * error (conv_fatal says why); in skip mode bad rows are counted instead.
 */
static bool
csv_append_batch(ps_csv_load *cl, const csv_batch *b)
{
	for (size_t r = 0; r < b->nrecords; r++)
	{
		ps_error	e;
		ps_status	rc = csv_append_values(cl, &b->vals[r * cl->nvalues], b->lines[r], &e);

		if (rc == PS_OK)
			continue;
		if (rc == PS_EBADROW && cl->opt.on_error == PS_ON_ERROR_SKIP)
		{
			cl->conv_rejected++;
			csv_report(cl->conv_errors, &cl->conv_nerrors, &e);
			continue;
		}
		cl->conv_fatal = e;
		return true;
	}
	return false;
}

static void *
csv_converter_main(void *arg)
{
	ps_csv_load *cl = arg;

	pthread_mutex_lock(&cl->mu);
	for (;;)
	{
		csv_batch  *b;
		bool		failed;

		while (cl->nqueued == 0 && !cl->stop)
			pthread_cond_wait(&cl->cv, &cl->mu);
		if (cl->stop)
			break;
		b = &cl->batches[cl->head];
		failed = cl->conv_failed;
		pthread_mutex_unlock(&cl->mu);
		/* After a fatal error the rest is dropped: the load can only abort. */
		if (!failed)
			failed = csv_append_batch(cl, b);
		csv_batch_reset(b);
		pthread_mutex_lock(&cl->mu);
		cl->conv_failed = failed;
		cl->head = (cl->head + 1) % CSV_NBATCHES;
		cl->nqueued--;
		pthread_cond_broadcast(&cl->cv);
	}
	pthread_mutex_unlock(&cl->mu);
	return NULL;
}

/*
 * Convert the filled batch and hand it to the converter (started with the
 * first batch; if it cannot start, the batch is appended here).  A fatal
 * error of the converter fails the load here; an abort-mode bad value, once
 * the records before it are handed off (csv_take_bad_row).
 */
static void
csv_hand_off(ps_csv_load *cl)
{
	csv_batch  *b = &cl->batches[cl->fill];
	ps_error	bad;
	bool		failed = false,
				found_bad;

	if (b->nrecords == 0)
		return;
	found_bad = csv_batch_convert(cl, b, &bad);
	if (b->nrecords > 0 && !cl->threaded)
		cl->threaded = pthread_create(&cl->thread, NULL, csv_converter_main, cl) == 0;
	if (b->nrecords == 0)
		csv_batch_reset(b);		/* all bad: nothing to hand off */
	else if (!cl->threaded)
	{
		if (!cl->conv_failed)
			cl->conv_failed = csv_append_batch(cl, b);
		csv_batch_reset(b);
		failed = cl->conv_failed;
	}
	else
	{
		pthread_mutex_lock(&cl->mu);
		/* The batch after this one must be free to fill next. */
		while (cl->nqueued >= CSV_NBATCHES - 1 && !cl->conv_failed)
			pthread_cond_wait(&cl->cv, &cl->mu);
		failed = cl->conv_failed;
		if (!failed)
		{
			cl->nqueued++;
			cl->fill = (cl->fill + 1) % CSV_NBATCHES;
			pthread_cond_broadcast(&cl->cv);
		}
		pthread_mutex_unlock(&cl->mu);
	}
	if (failed && cl->stage != CSV_STAGE_FAILED)
		csv_fail(cl, &cl->conv_fatal);
	if (found_bad && cl->stage != CSV_STAGE_FAILED)
	{
		if (bad.code == PS_EBADROW)
			csv_take_bad_row(cl, &bad);
		else
			csv_fail(cl, &bad);
	}
}

/* End the converter thread, after it appended what it holds if `finish`. */
static void
csv_converter_stop(ps_csv_load *cl, bool finish)
{
	if (!cl->threaded)
		return;
	pthread_mutex_lock(&cl->mu);
	while (finish && cl->nqueued > 0)
		pthread_cond_wait(&cl->cv, &cl->mu);
	cl->stop = true;
	pthread_cond_broadcast(&cl->cv);
	pthread_mutex_unlock(&cl->mu);
	pthread_join(cl->thread, NULL);
	cl->threaded = false;
	cl->stop = false;
	for (; cl->nqueued > 0; cl->nqueued--)
	{
		csv_batch_reset(&cl->batches[cl->head]);
		cl->head = (cl->head + 1) % CSV_NBATCHES;
	}
}

/*
 * Convert every record parsed so far and end the converter; its bad rows
 * join the load's, its fatal error (if any) fails the load.
 */
static void
csv_converter_drain(ps_csv_load *cl)
{
	if (cl->stage != CSV_STAGE_STREAM)
		return;
	csv_hand_off(cl);
	csv_converter_stop(cl, true);
	if (cl->conv_failed && cl->stage != CSV_STAGE_FAILED)
		csv_fail(cl, &cl->conv_fatal);
	cl->rejected += cl->conv_rejected;
	for (size_t i = 0; i < cl->conv_nerrors; i++)
		csv_report(cl->errors, &cl->nerrors, &cl->conv_errors[i]);
	cl->conv_rejected = 0;
	cl->conv_nerrors = 0;
}

/* Queue the current record (exactly ncols fields) for the converter. */
static void
csv_queue_record(ps_csv_load *cl, int64_t line)
{
	csv_batch  *b = &cl->batches[cl->fill];
	size_t		nf = b->nrecords * cl->ncols;
	uint32_t	base = (uint32_t) b->bytes.len;

	if (!csv_grow((void **) &b->fields, &b->fields_alloc, nf + cl->ncols, sizeof *b->fields) ||
		!csv_grow((void **) &b->lines, &b->lines_alloc, b->nrecords + 1, sizeof *b->lines) ||
		ps_buf_append(&b->bytes, cl->row.data, cl->row.len) != PS_OK)
	{
		csv_fail_nomem(cl);
		return;
	}
	for (uint32_t i = 0; i < cl->ncols; i++)
	{
		b->fields[nf + i] = cl->fields[i];
		b->fields[nf + i].off += base;
	}
	b->lines[b->nrecords++] = line;
	if (b->nrecords >= cl->batch_records || b->bytes.len >= cl->batch_bytes)
		csv_hand_off(cl);
}

static void
csv_free_sample(ps_csv_load *cl)
{
	ps_buf_free(&cl->sample_data);
	free(cl->sample_fields);
	free(cl->sample_lines);
	cl->sample_fields = NULL;
	cl->sample_lines = NULL;
	cl->sample_fields_alloc = cl->sample_rows_alloc = cl->sample_rows = 0;
}

static bool
is_time_column_name(const char *name)
{
	static const char *const words[] = {"timestamp", "time", "ts", "datetime", "date"};

	for (size_t i = 0; i < sizeof words / sizeof words[0]; i++)
		if (strcasecmp(name, words[i]) == 0)
			return true;
	return false;
}

/* End of sampling: infer what is unknown, begin the load, replay the sample. */
static void
csv_end_sample(ps_csv_load *cl)
{
	ps_infer   *inf = calloc(cl->ncols, sizeof *inf);
	const char *base = (const char *) cl->sample_data.data;

	if (inf == NULL)
	{
		csv_fail_nomem(cl);
		return;
	}
	for (uint32_t i = 0; i < cl->ncols; i++)
	{
		if (!cl->infer[i])
			continue;
		ps_infer_init(&inf[i]);
		for (size_t r = 0; r < cl->sample_rows; r++)
		{
			const csv_field *f = &cl->sample_fields[r * cl->ncols + i];

			if (!f->is_null)
				ps_infer_feed(&inf[i], base != NULL ? base + f->off : "", f->len);
		}
	}
	if (cl->time_field == CSV_NO_TIME)
	{
		/* A new table whose header named no time column: the first all-ISO one. */
		for (uint32_t i = 0; i < cl->ncols && cl->time_field == CSV_NO_TIME; i++)
			if (ps_infer_all_iso(&inf[i]))
				cl->time_field = i;
		if (cl->time_field == CSV_NO_TIME)
		{
			free(inf);
			csv_fail_at(cl, PS_EINVAL, 0, 0,
						"no time column found: name one with time_column (or call a column "
						"timestamp, time, ts, datetime or date)");
			return;
		}
	}
	for (uint32_t i = 0; i < cl->ncols; i++)
		if (cl->infer[i])
			cl->types[i] = i == cl->time_field ? PS_TYPE_TIMESTAMP : ps_infer_result(&inf[i]);
	free(inf);

	csv_begin_load(cl);
	for (size_t r = 0; r < cl->sample_rows && cl->stage == CSV_STAGE_STREAM; r++)
		csv_append_row(cl, base, &cl->sample_fields[r * cl->ncols], cl->sample_lines[r]);
	csv_free_sample(cl);
}

/* Hold the current record back for inference (it has exactly ncols fields). */
static void
csv_sample_add(ps_csv_load *cl, int64_t line)
{
	size_t		nf = (size_t) cl->sample_rows * cl->ncols;
	size_t		cost = cl->row.len + cl->ncols * sizeof(csv_field) + sizeof(int64_t);
	size_t		used = cl->sample_data.len + nf * sizeof(csv_field) +
		cl->sample_rows * sizeof(int64_t);
	uint32_t	base = (uint32_t) cl->sample_data.len;

	if (cl->sample_rows > 0 && used + cost > cl->sample_budget)
	{
		/* The sample is as large as it may get: infer from it, then stream. */
		csv_end_sample(cl);
		if (cl->stage == CSV_STAGE_STREAM)
			csv_append_row(cl, (const char *) cl->row.data, cl->fields, line);
		return;
	}
	if (!csv_grow((void **) &cl->sample_fields, &cl->sample_fields_alloc, nf + cl->ncols,
				  sizeof(csv_field)) ||
		!csv_grow((void **) &cl->sample_lines, &cl->sample_rows_alloc, cl->sample_rows + 1,
				  sizeof(int64_t)) ||
		ps_buf_append(&cl->sample_data, cl->row.data, cl->row.len) != PS_OK)
	{
		csv_fail_nomem(cl);
		return;
	}
	for (uint32_t i = 0; i < cl->ncols; i++)
	{
		cl->sample_fields[nf + i] = cl->fields[i];
		cl->sample_fields[nf + i].off += base;
	}
	cl->sample_lines[cl->sample_rows++] = line;
	if (cl->sample_rows >= cl->opt.batch_size)
		csv_end_sample(cl);
}

/* ---------------------------------------------------------------- columns */

/* Per-record field storage for ncols columns (data records store no more). */
static bool
csv_fields_reserve(ps_csv_load *cl, uint32_t n)
{
	size_t		alloc = cl->fields_alloc;

	if (!csv_grow((void **) &cl->fields, &alloc, n, sizeof(csv_field)))
		return false;
	cl->fields_alloc = (uint32_t) alloc;
	return true;
}

static void
csv_fail_schema_missing_time(ps_csv_load *cl, const char *time_name)
{
	csv_fail_at(cl, PS_ESCHEMA, 0, 0,
				"the input has no column \"%s\", the time column of table \"%s\"",
				time_name, cl->table);
}

/*
 * Names are known (cl->names, cl->ncols): decide types, the time column and
 * whether a sample is needed, then move to SAMPLE or STREAM.
 */
static void
csv_setup_columns(ps_csv_load *cl, int64_t line)
{
	const ps_schema *ts = cl->table_schema;

	if ((cl->types = calloc(cl->ncols, sizeof *cl->types)) == NULL ||
		(cl->infer = calloc(cl->ncols, sizeof *cl->infer)) == NULL ||
		!csv_fields_reserve(cl, cl->ncols))
	{
		csv_fail_nomem(cl);
		return;
	}
	/* Data records store exactly ncols fields; more are only counted. */
	cl->fields_limit = cl->ncols;
	cl->time_field = CSV_NO_TIME;
	if (ts != NULL)
	{
		const char *time_name = ts->columns[ts->time_index].name;
		char		unknown[PS_ERROR_MESSAGE_MAX / 2];
		size_t		used = 0;
		uint32_t	nunknown = 0;

		if (cl->opt.time_column[0] != '\0' && strcmp(cl->opt.time_column, time_name) != 0)
		{
			csv_fail_at(cl, PS_ESCHEMA, 0, 0,
						"time_column \"%s\" does not match table \"%s\", whose time column is \"%s\"",
						cl->opt.time_column, cl->table, time_name);
			return;
		}
		unknown[0] = '\0';
		for (uint32_t i = 0; i < cl->ncols; i++)
		{
			int			idx = ps_schema_find(ts, cl->names[i]);

			if (idx >= 0)
			{
				cl->types[i] = ts->columns[idx].type;
				if ((uint32_t) idx == ts->time_index)
					cl->time_field = i;
				continue;
			}
			cl->infer[i] = true;
			if (nunknown++ < 8 && used < sizeof unknown)
			{
				int			n = snprintf(unknown + used, sizeof unknown - used, "%s\"%s\"",
										 used ? ", " : "", cl->names[i]);

				used += n > 0 ? (size_t) n : 0;
			}
		}
		if (cl->time_field == CSV_NO_TIME)
		{
			csv_fail_schema_missing_time(cl, time_name);
			return;
		}
		if (nunknown > 0 && !cl->opt.add_columns)
		{
			csv_fail_at(cl, PS_ESCHEMA, line, 0,
						"%u unknown column%s for table \"%s\": %s%s (use add_columns=true to add them)",
						nunknown, nunknown == 1 ? "" : "s", cl->table, unknown,
						nunknown > 8 ? ", ..." : "");
			return;
		}
		if (nunknown == 0)
		{
			csv_begin_load(cl);
			return;
		}
	}
	else
	{
		for (uint32_t i = 0; i < cl->ncols; i++)
			cl->infer[i] = true;
		if (cl->opt.time_column[0] != '\0')
		{
			for (uint32_t i = 0; i < cl->ncols && cl->time_field == CSV_NO_TIME; i++)
				if (strcmp(cl->names[i], cl->opt.time_column) == 0)
					cl->time_field = i;
			if (cl->time_field == CSV_NO_TIME)
			{
				csv_fail_at(cl, PS_EINVAL, line, 0, "time_column \"%s\" is not a column of the input",
							cl->opt.time_column);
				return;
			}
		}
		else
			for (uint32_t i = 0; i < cl->ncols && cl->time_field == CSV_NO_TIME; i++)
				if (is_time_column_name(cl->names[i]))
					cl->time_field = i;
	}
	cl->stage = CSV_STAGE_SAMPLE;
}

static void
csv_take_header(ps_csv_load *cl, int64_t line)
{
	const char *base = (const char *) cl->row.data;
	uint32_t	n = (uint32_t) cl->nfields;
	char		q[PS_ERROR_QUOTE_MAX];

	for (uint32_t i = 0; i < n; i++)
	{
		const csv_field *f = &cl->fields[i];
		/* base is NULL while every field so far is empty (""): no offset on NULL. */
		const char *name = base != NULL ? base + f->off : "";

		if (f->is_null || f->len == 0)
		{
			csv_fail_at(cl, PS_EINVAL, line, (int32_t) i + 1, "empty column name in the header");
			return;
		}
		if (!ps_column_name_valid(name, f->len))
		{
			csv_fail_at(cl, PS_EINVAL, line, (int32_t) i + 1,
						"invalid column name %s: names are 1 to %d bytes of UTF-8 without control characters",
						ps_error_quote(name, f->len, q), PS_MAX_NAME);
			return;
		}
		for (uint32_t j = 0; j < i; j++)
			if (cl->fields[j].len == f->len && memcmp(base + cl->fields[j].off, name, f->len) == 0)
			{
				csv_fail_at(cl, PS_EINVAL, line, (int32_t) i + 1,
							"duplicate column name %s (also column %u)",
							ps_error_quote(name, f->len, q), j + 1);
				return;
			}
	}
	if ((cl->names = calloc(n, sizeof *cl->names)) == NULL)
	{
		csv_fail_nomem(cl);
		return;
	}
	cl->ncols = n;
	for (uint32_t i = 0; i < n; i++)
		if ((cl->names[i] = strndup(base + cl->fields[i].off, cl->fields[i].len)) == NULL)
		{
			csv_fail_nomem(cl);
			return;
		}
	csv_setup_columns(cl, line);
}

/*
 * header=false: an existing table's columns are taken in table order (as
 * COPY without a header does); a new table's are named column1..columnN after
 * the first record.
 */
static void
csv_take_positional(ps_csv_load *cl, int64_t line)
{
	const ps_schema *ts = cl->table_schema;
	uint32_t	n = ts ? ts->ncolumns : (uint32_t) cl->nfields;

	if ((cl->names = calloc(n, sizeof *cl->names)) == NULL)
	{
		csv_fail_nomem(cl);
		return;
	}
	cl->ncols = n;
	for (uint32_t i = 0; i < n; i++)
	{
		char		generated[32];

		snprintf(generated, sizeof generated, "column%u", i + 1);
		if ((cl->names[i] = strdup(ts ? ts->columns[i].name : generated)) == NULL)
		{
			csv_fail_nomem(cl);
			return;
		}
	}
	csv_setup_columns(cl, line);
}

/* ---------------------------------------------------------------- records */

static void
csv_reset_record(ps_csv_load *cl)
{
	ps_buf_reset(&cl->row);
	cl->nfields = 0;
	cl->row_bytes = 0;
	cl->too_big_column = 0;
	cl->too_big_field = false;
	cl->in_record = false;
}

static void
csv_on_field(void *s, size_t len, void *data)
{
	ps_csv_load *cl = data;
	uint64_t	k = cl->nfields++;
	csv_field  *f;

	if (cl->stage == CSV_STAGE_FAILED || cl->too_big_column > 0)
		return;
	cl->row_bytes += len + 1;
	if (cl->row_bytes > cl->opt.max_field_bytes + 1)
	{
		/* +1: the last field has no delimiter after it. */
		cl->too_big_column = csv_column_number(k);
		cl->too_big_field = len > cl->opt.max_field_bytes;
		return;
	}
	if (k >= cl->fields_limit)
	{
		/* Only the header record, whose width is not known yet, grows this. */
		if (cl->stage != CSV_STAGE_HEADER || k >= PS_MAX_COLUMNS)
			return;
		if (!csv_fields_reserve(cl, (uint32_t) k + 1))
		{
			csv_fail_nomem(cl);
			return;
		}
		cl->fields_limit = cl->fields_alloc < PS_MAX_COLUMNS ? cl->fields_alloc : PS_MAX_COLUMNS;
	}
	f = &cl->fields[k];
	f->off = (uint32_t) cl->row.len;
	f->len = (uint32_t) len;
	f->is_null = s == NULL;
	if (len == 0)
		return;
	/* row.len + len <= max_field_bytes + 1 here, so this stays bounded. */
	if (len > cl->row.cap - cl->row.len && ps_buf_reserve(&cl->row, len) != PS_OK)
	{
		csv_fail_nomem(cl);
		return;
	}
	memcpy(cl->row.data + cl->row.len, s, len);
	cl->row.len += len;
}

static void
csv_record(ps_csv_load *cl)
{
	int64_t		line = cl->record_line;

	if (cl->too_big_column > 0)
	{
		csv_bad_row_too_big(cl, line, cl->too_big_column, cl->too_big_field);
		return;
	}
	if (cl->stage == CSV_STAGE_HEADER)
	{
		if (cl->nfields > PS_MAX_COLUMNS)
		{
			csv_fail_at(cl, PS_EINVAL, line, 0, "%llu columns: at most %d are allowed",
						(unsigned long long) cl->nfields, PS_MAX_COLUMNS);
			return;
		}
		if (cl->opt.header)
		{
			csv_take_header(cl, line);
			return;
		}
		csv_take_positional(cl, line);
		if (cl->stage == CSV_STAGE_FAILED)
			return;
	}
	if (cl->nfields != cl->ncols)
	{
		csv_bad_row(cl, line, csv_column_number(cl->nfields < cl->ncols ? cl->nfields : cl->ncols),
					"expected %u fields, found %llu", cl->ncols,
					(unsigned long long) cl->nfields);
		return;
	}
	if (cl->stage == CSV_STAGE_SAMPLE)
		csv_sample_add(cl, line);
	else if (cl->streamed++ < cl->pipeline_min)
		csv_append_row(cl, (const char *) cl->row.data, cl->fields, line);
	else
		csv_queue_record(cl, line);
}

static void
csv_on_record(int terminator, void *data)
{
	ps_csv_load *cl = data;

	(void) terminator;
	if (cl->stage != CSV_STAGE_FAILED)
		csv_record(cl);
	csv_reset_record(cl);
}

/* PostgreSQL does not trim CSV fields; libcsv trims spaces unless told so. */
static int
csv_no_space(unsigned char c)
{
	(void) c;
	return 0;
}

/* ---------------------------------------------------------------- scanning */

/* Forget a malformed record: reset libcsv without emitting it. */
static void
csv_discard_record(ps_csv_load *cl)
{
	/* Without STRICT_FINI, csv_fini always resets; NULL callbacks emit nothing. */
	csv_set_opts(&cl->parser, cl->parser_opts & ~CSV_STRICT_FINI);
	csv_fini(&cl->parser, NULL, NULL, NULL);
	csv_set_opts(&cl->parser, cl->parser_opts);
	csv_reset_record(cl);
}

/*
 * libcsv adds blk_size bytes whenever its entry buffer is full: make that
 * doubling (few reallocs for long fields) but never past entry_cap.
 */
static void
csv_set_growth(ps_csv_load *cl)
{
	size_t		size = csv_get_buffer_size(&cl->parser);
	size_t		blk = size < CSV_ENTRY_MIN_BLOCK ? CSV_ENTRY_MIN_BLOCK : size;

	if (size >= cl->entry_cap)
		return;
	if (blk > cl->entry_cap - size)
		blk = cl->entry_cap - size;
	csv_set_blk_size(&cl->parser, blk);
}

/* After a malformed record was reported (skip mode): resume at the next line. */
static void
csv_resync(ps_csv_load *cl)
{
	if (cl->stage == CSV_STAGE_FAILED)
		return;
	csv_discard_record(cl);
	cl->skip_to_eol = true;
}

static void
csv_malformed(ps_csv_load *cl, const char *reason)
{
	csv_bad_row(cl, cl->record_line, csv_column_number(cl->nfields), "%s", reason);
	csv_resync(cl);
}

/*
 * Feed p[0..len) to libcsv, one physical line (or the part of it in this
 * chunk) at a time, and never more than libcsv's entry buffer has room for.
 */
static void
csv_scan(ps_csv_load *cl, const char *p, size_t len)
{
	while (len > 0 && cl->stage != CSV_STAGE_FAILED)
	{
		const char *nl = memchr(p, '\n', len);
		size_t		seg = nl ? (size_t) (nl - p) + 1 : len;
		const char *cr;
		bool		ends_line;
		size_t		done = 0;

		if (cl->skip_to_eol)
		{
			if (nl == NULL)
				return;
			cl->skip_to_eol = false;
			cl->line++;
			p += seg;
			len -= seg;
			continue;
		}
		/*
		 * A bare CR ends a record too: end the segment there, so that a record
		 * can only end at the end of a segment and only start at the start of
		 * one, wherever the chunks were cut.  CRLF is one terminator.
		 */
		cr = memchr(p, '\r', seg);
		if (cr != NULL && cr + 1 != nl)
			seg = (size_t) (cr - p) + 1;
		ends_line = p[seg - 1] == '\n';
		if (!cl->in_record)
		{
			/* A record starts at the first byte that is not a line end. */
			for (size_t i = 0; i < seg; i++)
				if (p[i] != '\r' && p[i] != '\n')
				{
					cl->in_record = true;
					cl->record_line = cl->line;
					break;
				}
		}
		while (done < seg)
		{
			size_t		room = cl->entry_cap - cl->parser.entry_pos;
			size_t		piece = seg - done < room ? seg - done : room;
			size_t		n;

			if (room == 0)
			{
				csv_bad_row_too_big(cl, cl->record_line, csv_column_number(cl->nfields), true);
				csv_resync(cl);
				break;
			}
			csv_set_growth(cl);
			n = csv_parse(&cl->parser, p + done, piece, csv_on_field, csv_on_record, cl);
			done += n;
			if (cl->stage == CSV_STAGE_FAILED)
				return;
			if (n < piece)
			{
				if (csv_error(&cl->parser) != CSV_EPARSE)
				{
					csv_fail_nomem(cl);
					return;
				}
				csv_malformed(cl, cl->parser.quoted ? "unexpected character after a closing quote"
							  : "quote character inside an unquoted field");
				break;
			}
		}
		if (cl->stage == CSV_STAGE_FAILED)
			return;
		if (cl->skip_to_eol)
		{
			/* Resume at the malformed byte: the skip consumes up to the LF. */
			p += done;
			len -= done;
			continue;
		}
		if (ends_line)
			cl->line++;
		p += seg;
		len -= seg;
	}
}

/* ---------------------------------------------------------------- quote-free input */

/*
 * One whole record of quote-free input (no CR or LF in r[0, n)), field by
 * field through the callbacks libcsv would call.  A field that would fill
 * libcsv's entry buffer (entry_cap bytes) is the error csv_scan reports when
 * that buffer is full and the next byte comes: always so here, as a line end
 * follows.
 */
static void
csv_fast_record(ps_csv_load *cl, const char *r, size_t n)
{
	const char *end = r + n;

	cl->in_record = true;
	cl->record_line = cl->line;
	for (;;)
	{
		const char *d = memchr(r, cl->opt.delimiter, (size_t) (end - r));
		size_t		len = (size_t) ((d ? d : end) - r);

		if (len >= cl->entry_cap)
		{
			csv_bad_row_too_big(cl, cl->record_line, csv_column_number(cl->nfields), true);
			csv_resync(cl);
			return;
		}
		csv_on_field(len > 0 ? (void *) r : NULL, len, cl);
		if (d == NULL)
			break;
		r = d + 1;
	}
	csv_on_record('\n', cl);
}

/*
 * Streaming past CSV_PIPELINE_MIN_RECORDS: regular records go straight into
 * the converter's batches (their bytes copied once, fields as offsets), the
 * others through csv_fast_record.  Returns where it stopped in p[0, len).
 */
static size_t
csv_fast_bulk(ps_csv_load *cl, const char *p, size_t len, size_t pos)
{
	ps_csv_split s;

	memset(&s, 0, sizeof s);
	s.data = p;
	s.len = len;
	s.delim = cl->opt.delimiter;
	s.ncols = cl->ncols;
	s.max_record = (size_t) cl->opt.max_field_bytes;
	s.pos = pos;
	s.line = cl->line;
	while (s.pos < len && cl->stage == CSV_STAGE_STREAM && !cl->skip_to_eol)
	{
		csv_batch  *b = &cl->batches[cl->fill];
		size_t		from = s.pos;

		if (!csv_grow((void **) &b->fields, &b->fields_alloc, cl->batch_records * cl->ncols,
					  sizeof *b->fields) ||
			!csv_grow((void **) &b->lines, &b->lines_alloc, cl->batch_records, sizeof *b->lines))
		{
			csv_fail_nomem(cl);
			break;
		}
		s.fields = b->fields + b->nrecords * cl->ncols;
		s.lines = b->lines + b->nrecords;
		s.max_records = cl->batch_records - b->nrecords;
		s.max_bytes = cl->batch_bytes - b->bytes.len;	/* > 0: a full batch was handed off */
		s.base = (uint32_t) b->bytes.len;
		ps_csv_split_records(&s);
		if (ps_buf_append(&b->bytes, p + from, s.pos - from) != PS_OK)
		{
			csv_fail_nomem(cl);
			break;
		}
		b->nrecords += s.nrecords;
		cl->streamed += s.nrecords;
		cl->line = s.line;
		if (b->nrecords >= cl->batch_records || b->bytes.len >= cl->batch_bytes)
			csv_hand_off(cl);
		if (s.irregular_end > s.pos && cl->stage == CSV_STAGE_STREAM)
		{
			csv_fast_record(cl, p + s.pos, s.irregular_end - s.pos);
			s.pos = s.irregular_end;
		}
	}
	return s.pos;
}

/*
 * Whole records of quote-free input: p[0, len) holds no quote and ends with
 * CR or LF, and libcsv holds no record.  Lines are counted here as csv_scan
 * counts them.
 */
static void
csv_fast(ps_csv_load *cl, const char *p, size_t len)
{
	size_t		pos = 0;

	while (pos < len && cl->stage != CSV_STAGE_FAILED)
	{
		size_t		end;

		if (cl->skip_to_eol)
		{
			const char *nl = memchr(p + pos, '\n', len - pos);

			if (nl == NULL)
				return;
			cl->skip_to_eol = false;
			cl->line++;
			pos = (size_t) (nl - p) + 1;
			continue;
		}
		if (cl->stage == CSV_STAGE_STREAM && cl->streamed >= cl->pipeline_min)
		{
			pos = csv_fast_bulk(cl, p, len, pos);
			continue;
		}
		if (p[pos] == '\n' || p[pos] == '\r')
		{
			/* An empty line, or the end of the record before. */
			cl->line += p[pos] == '\n';
			pos++;
			continue;
		}
		end = pos + ps_csv_line_end(p + pos, len - pos);
		csv_fast_record(cl, p + pos, end - pos);
		pos = end;
	}
}

/* Bytes up to and including the last CR or LF of p[0, len); 0 if none. */
static size_t
csv_through_last_line_end(const char *p, size_t len)
{
	const char *lf = memrchr(p, '\n', len);
	const char *after = lf ? lf + 1 : p;
	const char *cr = memrchr(after, '\r', (size_t) (p + len - after));
	const char *last = cr ? cr : lf;

	return last ? (size_t) (last - p) + 1 : 0;
}

/*
 * Route input to the fast path or to libcsv.  Whole records before the next
 * quote character go to csv_fast when libcsv holds no record; libcsv gets
 * the rest a line at a time: a record it holds (the end of one cut by the
 * previous chunk, a quoted field over several lines), the line of a quote,
 * and the partial record at the end of the chunk.  Either way the records,
 * lines and errors are libcsv's, so the two can take turns anywhere.
 */
static void
csv_input(ps_csv_load *cl, const char *p, size_t len)
{
	const char *end = p + len;
	const char *quote = NULL;	/* the next quote at or after p, or end */

	if (cl->opt.libcsv_only)
	{
		csv_scan(cl, p, len);
		return;
	}
	while (p < end && cl->stage != CSV_STAGE_FAILED)
	{
		size_t		n;

		if (cl->skip_to_eol)
		{
			const char *nl = memchr(p, '\n', (size_t) (end - p));

			if (nl == NULL)
				return;
			cl->skip_to_eol = false;
			cl->line++;
			p = nl + 1;
			continue;
		}
		if (!cl->in_record)
		{
			if (quote == NULL || quote < p)
			{
				quote = memchr(p, (unsigned char) cl->opt.quote, (size_t) (end - p));
				if (quote == NULL)
					quote = end;
			}
			if ((n = csv_through_last_line_end(p, (size_t) (quote - p))) > 0)
			{
				csv_fast(cl, p, n);
				p += n;
				continue;
			}
		}
		n = ps_csv_line_end(p, (size_t) (end - p));
		if (n < (size_t) (end - p))
			n += p[n] == '\r' && n + 1 < (size_t) (end - p) && p[n + 1] == '\n' ? 2 : 1;
		csv_scan(cl, p, n);
		p += n;
	}
}

/* ---------------------------------------------------------------- API */

ps_status
ps_csv_begin(ps_store *st, const char *table, const ps_csv_options *o,
			 ps_csv_load **out, ps_error *err)
{
	ps_csv_load *cl;
	ps_error	e;
	ps_status	rc;

	*out = NULL;
	if (table == NULL || !ps_table_name_valid(table))
		return ps_error_set(err, PS_EINVAL,
							"invalid table name \"%.64s\": use 1 to %d letters, digits, '_' or '-'",
							table ? table : "", PS_MAX_NAME);
	if (!csv_char_valid(o->delimiter) || !csv_char_valid(o->quote))
		return ps_error_set(err, PS_EINVAL, "delimiter and quote must not be CR, LF or NUL");
	if (o->delimiter == o->quote)
		return ps_error_set(err, PS_EINVAL, "delimiter and quote must differ (both are '%c')",
							o->delimiter);
	if (o->max_field_bytes == 0 || o->max_field_bytes > CSV_MAX_FIELD_LIMIT)
		return ps_error_set(err, PS_EINVAL, "max_field_mb must be between 1 byte and %llu MiB",
							(unsigned long long) (CSV_MAX_FIELD_LIMIT >> 20));
	if (o->batch_size == 0)
		return ps_error_set(err, PS_EINVAL, "batch_size must be at least 1");
	if ((cl = calloc(1, sizeof *cl)) == NULL)
		return ps_error_set(err, PS_ENOMEM, "out of memory");

	cl->st = st;
	pthread_mutex_init(&cl->mu, NULL);
	pthread_cond_init(&cl->cv, NULL);
	snprintf(cl->table, sizeof cl->table, "%s", table);
	cl->opt = *o;
	cl->opt.time_column[PS_MAX_NAME] = '\0';
	cl->stage = CSV_STAGE_HEADER;
	cl->line = 1;
	cl->record_line = 1;
	cl->entry_cap = (size_t) o->max_field_bytes + 2;
	cl->pipeline_min = o->pipeline_records ? o->pipeline_records : CSV_PIPELINE_MIN_RECORDS;
	cl->batch_bytes = o->pipeline_records ? (size_t) 16 * o->pipeline_records : CSV_BATCH_BYTES;
	cl->sample_budget = CSV_SAMPLE_MIN_BUDGET;
	if (cl->sample_budget < 2 * cl->entry_cap)
		cl->sample_budget = 2 * cl->entry_cap;
	cl->row = (ps_buf) PS_BUF_INIT;
	cl->sample_data = (ps_buf) PS_BUF_INIT;

	cl->parser_opts = CSV_STRICT | CSV_STRICT_FINI | CSV_EMPTY_IS_NULL;
	if (csv_init(&cl->parser, cl->parser_opts) != 0)
	{
		pthread_mutex_destroy(&cl->mu);
		pthread_cond_destroy(&cl->cv);
		free(cl);
		return ps_error_set(err, PS_ENOMEM, "out of memory");
	}
	csv_set_delim(&cl->parser, (unsigned char) o->delimiter);
	csv_set_quote(&cl->parser, (unsigned char) o->quote);
	csv_set_space_func(&cl->parser, csv_no_space);

	rc = ps_store_table_info(st, table, NULL, &cl->table_schema, &e);
	if (rc != PS_OK && rc != PS_ENOTFOUND)
	{
		ps_csv_abort(cl);
		if (err)
			*err = e;
		return rc;
	}
	*out = cl;
	return PS_OK;
}

ps_status
ps_csv_feed(ps_csv_load *cl, const void *data, size_t len, ps_error *err)
{
	const char *p = data;

	if (cl->stage == CSV_STAGE_FAILED)
		return csv_fatal_status(cl, err);
	if (!cl->bom_checked)
	{
		/* Hold back what could still be a BOM, across chunk boundaries. */
		while (len > 0 && cl->bom_len < sizeof utf8_bom &&
			   (unsigned char) *p == utf8_bom[cl->bom_len])
		{
			cl->bom_len++;
			p++;
			len--;
		}
		if (cl->bom_len < sizeof utf8_bom && len == 0)
			return PS_OK;
		cl->bom_checked = true;
		if (cl->bom_len < sizeof utf8_bom)
			csv_input(cl, (const char *) utf8_bom, cl->bom_len);	/* it was data */
	}
	csv_input(cl, p, len);
	if (cl->stage == CSV_STAGE_FAILED)
		return csv_fatal_status(cl, err);
	return PS_OK;
}

/* End of input: the last record, then whatever the stage still needs. */
static void
csv_end_input(ps_csv_load *cl)
{
	if (cl->stage != CSV_STAGE_FAILED && !cl->bom_checked)
	{
		cl->bom_checked = true;
		csv_input(cl, (const char *) utf8_bom, cl->bom_len);
	}
	if (cl->stage != CSV_STAGE_FAILED && !cl->skip_to_eol &&
		csv_fini(&cl->parser, csv_on_field, csv_on_record, cl) != 0)
		csv_malformed(cl, "unterminated quoted field at end of input");
	csv_converter_drain(cl);
	if (cl->stage == CSV_STAGE_HEADER && cl->table_schema != NULL)
	{
		/* No records at all: an existing table takes zero rows. */
		csv_take_positional(cl, 0);
	}
	if (cl->stage == CSV_STAGE_HEADER ||
		(cl->stage == CSV_STAGE_SAMPLE && cl->sample_rows == 0 && cl->table_schema == NULL))
		csv_fail_at(cl, PS_EINVAL, 0, 0, "no data rows: cannot infer the schema of new table \"%s\"",
					cl->table);
	if (cl->stage == CSV_STAGE_SAMPLE)
		csv_end_sample(cl);
}

static void
csv_fill_result(const ps_csv_load *cl, ps_csv_result *res)
{
	if (res == NULL)
		return;
	memset(res, 0, sizeof *res);
	res->rows_loaded = ps_load_rows(cl->ld);
	res->rows_rejected = cl->rejected;
	res->nerrors = cl->nerrors;
	memcpy(res->errors, cl->errors, cl->nerrors * sizeof cl->errors[0]);
}

ps_status
ps_csv_finish_detached(ps_csv_load *cl, ps_csv_result *res, ps_load **load_out, ps_error *err)
{
	ps_status	rc;

	*load_out = NULL;
	csv_end_input(cl);
	if (cl->stage == CSV_STAGE_FAILED)
	{
		rc = csv_fatal_status(cl, err);
		ps_csv_abort(cl);
		return rc;
	}
	csv_fill_result(cl, res);
	*load_out = cl->ld;
	cl->ld = NULL;
	ps_csv_abort(cl);
	return PS_OK;
}

ps_status
ps_csv_finish(ps_csv_load *cl, ps_csv_result *res, ps_error *err)
{
	ps_load    *ld;
	ps_status	rc;

	if ((rc = ps_csv_finish_detached(cl, res, &ld, err)) != PS_OK)
		return rc;
	return ps_load_commit(ld, err);
}

void
ps_csv_abort(ps_csv_load *cl)
{
	if (cl == NULL)
		return;
	csv_converter_stop(cl, false);
	ps_load_abort(cl->ld);
	csv_free(&cl->parser);
	ps_buf_free(&cl->row);
	free(cl->fields);
	ps_schema_free(cl->table_schema);
	for (uint32_t i = 0; cl->names != NULL && i < cl->ncols; i++)
		free(cl->names[i]);
	free(cl->names);
	free(cl->types);
	free(cl->infer);
	csv_free_sample(cl);
	free(cl->values);
	for (unsigned i = 0; i < CSV_NBATCHES; i++)
		csv_batch_free(&cl->batches[i]);
	pthread_mutex_destroy(&cl->mu);
	pthread_cond_destroy(&cl->cv);
	free(cl);
}
