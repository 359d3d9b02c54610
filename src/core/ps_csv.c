/*
 * ps_csv.c — streaming CSV loads over libcsv and a quote-free fast path: the
 * one code path behind REST ingest, the SQL load functions and the native
 * protocol's CSV loads.  This file is the public entry (ps_csv_begin,
 * ps_csv_feed, ps_csv_finish, ps_csv_abort) and routes the input; the
 * loader's other modules share struct ps_csv_load through ps_csv_int.h:
 *   ps_csv_options.c   the options and their text forms;
 *   ps_csv_errors.c    bad rows, fatal errors and the report of errors;
 *   ps_csv_libcsv.c    the libcsv path, and the per-field and per-record
 *                      callbacks that route every record by stage;
 *   ps_csv_fast.c      the quote-free fast path (splitting: ps_csv_split.c);
 *   ps_csv_schema.c    the HEADER and SAMPLE stages: columns, types, the
 *                      time column and the inference sample;
 *   ps_csv_convert.c   beginning the ps_load, converting and appending rows;
 *   ps_csv_pipeline.c  the converter thread and its batches (STREAM).
 *
 * Flow.  csv_input routes each chunk: whole records before the next quote
 * character go to the fast path (ps_csv_fast, splitting in ps_csv_split.c) when
 * libcsv holds no record; everything else goes to libcsv one physical line
 * at a time (ps_csv_scan, split at LF with memchr), so every record knows the
 * line it starts on.  Both end in the same callbacks: ps_csv_on_field per
 * field, which copies the field into `row` (one reused buffer), and
 * ps_csv_on_record per record, which routes the record by stage:
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
 *    beyond entry_cap (max_field_bytes + 2) because ps_csv_scan never feeds it
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
 *    (in_record false), and does for them what libcsv and ps_csv_scan would
 *    (csv_fast_record in ps_csv_fast.c); either can take over at any
 *    record boundary.
 *  - Semantics are PostgreSQL's COPY CSV: no trimming of spaces, an unquoted
 *    empty field is NULL, "" is the empty string, quoting errors are errors
 *    (CSV_STRICT).  Empty lines between records are ignored.
 *  - Lines are counted at LF; a record's line is the line of its first byte
 *    (the header is line 1, a UTF-8 BOM before it is dropped).
 *  - Bad rows: in abort mode the first one found is fatal; in skip mode it is
 *    counted and the PS_CSV_MAX_REPORTED lowest errors (csv_error_cmp in
 *    ps_csv_errors.c) are kept.  A malformed record (bad quoting, an
 *    oversized field) is skipped up to the end of the physical line where
 *    the problem was found.
 *    Problems in the header record are always fatal.
 *  - Once a fatal error is recorded (stage FAILED), callbacks do nothing and
 *    every later call returns that error.
 *  - Records handed to the converter precede every record the parser still
 *    holds: in abort mode a bad row found by the parser first lets the
 *    converter finish, so the bad row with the lowest line is returned.
 */
#include "ps_csv_int.h"
#include "ps_load_int.h"

#include <csv.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Largest accepted max_field_bytes: keeps offsets in 32 bits. */
#define CSV_MAX_FIELD_LIMIT ((uint64_t) 1 << 30)
/* The sample may always hold this much, and at least two maximal records. */
#define CSV_SAMPLE_MIN_BUDGET ((size_t) 64 << 20)

static const unsigned char utf8_bom[3] = {0xEF, 0xBB, 0xBF};

/* ---------------------------------------------------------------- arrays */

/* Grow *p (elements of size elem) to hold at least need; false on ENOMEM. */
bool
ps_csv_grow(void **p, size_t *alloc, size_t need, size_t elem)
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

/* ---------------------------------------------------------------- input */

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
 * quote character go to ps_csv_fast when libcsv holds no record; libcsv gets
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
		ps_csv_scan(cl, p, len);
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
				ps_csv_fast(cl, p, n);
				p += n;
				continue;
			}
		}
		n = ps_csv_line_end(p, (size_t) (end - p));
		if (n < (size_t) (end - p))
			n += p[n] == '\r' && n + 1 < (size_t) (end - p) && p[n + 1] == '\n' ? 2 : 1;
		ps_csv_scan(cl, p, n);
		p += n;
	}
}

/* ---------------------------------------------------------------- API */

static ps_status
csv_fatal_status(const ps_csv_load *cl, ps_error *err)
{
	if (err)
		*err = cl->fatal;
	return cl->fatal.code;
}

ps_status
ps_csv_begin(ps_store *st, const char *table, const ps_csv_options *o,
			 ps_csv_load **out, ps_error *err)
{
	ps_csv_load *cl;
	ps_table_info info;
	ps_error	e;
	ps_status	rc;

	*out = NULL;
	if (table == NULL || !ps_table_name_valid(table))
		return ps_error_set(err, PS_EINVAL,
							"invalid table name \"%.64s\": use 1 to %d letters, digits, '_' or '-'",
							table ? table : "", PS_MAX_NAME);
	if (!ps_csv_char_valid(o->delimiter) || !ps_csv_char_valid(o->quote))
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
	csv_set_space_func(&cl->parser, ps_csv_no_space);

	rc = ps_store_table_info(st, table, &info, &cl->table_schema, &e);
	if (rc == PS_OK || rc == PS_ENOTFOUND)
		rc = ps_csv_time_setup(cl, rc == PS_OK ? &info : NULL, &e);
	if (rc != PS_OK)
	{
		ps_csv_abort(cl);
		if (err)
			*err = e;
		return rc;
	}
	*out = cl;
	return PS_OK;
}

void
ps_csv_set_progress(ps_csv_load *cl, ps_progress *p)
{
	cl->progress = p;
}

ps_status
ps_csv_feed(ps_csv_load *cl, const void *data, size_t len, ps_error *err)
{
	const char *p = data;

	if (cl->stage == CSV_STAGE_FAILED)
		return csv_fatal_status(cl, err);
	ps_progress_add_bytes(cl->progress, len);
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
		csv_fini(&cl->parser, ps_csv_on_field, ps_csv_on_record, cl) != 0)
		ps_csv_malformed(cl, "unterminated quoted field at end of input");
	ps_csv_converter_drain(cl);
	if (cl->stage == CSV_STAGE_HEADER && cl->table_schema != NULL)
	{
		/* No records at all: an existing table takes zero rows. */
		ps_csv_take_positional(cl, 0);
	}
	if (cl->stage == CSV_STAGE_HEADER ||
		(cl->stage == CSV_STAGE_SAMPLE && cl->sample_rows == 0 && cl->table_schema == NULL))
		ps_csv_fail_at(cl, PS_EINVAL, 0, 0, "no data rows: cannot infer the schema of new table \"%s\"",
					   cl->table);
	if (cl->stage == CSV_STAGE_SAMPLE)
		ps_csv_end_sample(cl);
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
	res->created_table = cl->ld->creates_table;
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
	ps_csv_converter_stop(cl, false);
	ps_load_abort(cl->ld);
	csv_free(&cl->parser);
	ps_buf_free(&cl->row);
	free(cl->fields);
	ps_schema_free(cl->table_schema);
	ps_time_format_free(cl->format);
	ps_tz_free(cl->tz);
	for (uint32_t i = 0; cl->names != NULL && i < cl->ncols; i++)
		free(cl->names[i]);
	free(cl->names);
	free(cl->types);
	free(cl->infer);
	ps_csv_free_sample(cl);
	free(cl->values);
	for (unsigned i = 0; i < CSV_NBATCHES; i++)
		ps_csv_batch_free(&cl->batches[i]);
	pthread_mutex_destroy(&cl->mu);
	pthread_cond_destroy(&cl->cv);
	free(cl);
}
