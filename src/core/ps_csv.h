/*
 * ps_csv.h — streaming CSV loads: the one code path behind REST ingest, the
 * SQL functions and the native protocol's CSV loads.
 *
 * Input arrives in chunks of any size (ps_csv_feed).  Lines that hold no
 * quote character are split into records and fields by a fast path
 * (ps_csv_split.c: CR/LF and delimiter found 64 bytes at a time); lines with
 * a quote, and records cut by a chunk boundary, go through libcsv.  Both
 * give the same records, errors, lines and columns.  Rows are converted and
 * appended to a ps_load, which writes them in batches.  A large load uses a
 * second thread: past the first 16384 records, records are parsed (fields
 * as offsets into a copy of their bytes) and converted in batches by the
 * caller, and appended by that thread while the caller does the next batch.
 * Memory is bounded by the inference sample (at most batch_size rows and
 * max(64 MiB, 2 x max_field_bytes) bytes), one record (at most
 * max_field_bytes), four batches of records (each about 256 KiB of text
 * plus one record, and at most 32768 fields, values and line numbers: under
 * 2 MiB plus one record) and the load's own buffers, whatever the input or
 * chunk size.
 * Semantics follow PostgreSQL's COPY ... CSV: an unquoted empty field is
 * NULL, a quoted empty field is the empty string; CRLF or LF line ends; a
 * UTF-8 BOM before the header is ignored.
 *
 * When the table does not exist, the first rows (up to batch_size) are held
 * back to infer the schema (ps_infer), then the load begins (ps_load_begin)
 * and they are appended.  Time column choice: option time_column, else the
 * first column named timestamp/time/ts/datetime/date (any case), else the
 * first column whose samples are all ISO-8601.  No time column -> error.
 *
 * Errors: on_error=abort (default) stops at the first bad row and the whole
 * load is rolled back; on_error=skip counts bad rows, keeps the first
 * PS_CSV_MAX_REPORTED errors, and commits the good ones.  Every bad-row error
 * names the 1-based line (physical line where the record starts, header =
 * line 1), the 1-based column and the reason.
 *
 * Details a caller may rely on:
 *  - Fields are never trimmed; quoting errors (a quote inside an unquoted
 *    field, text after a closing quote, a quote left open at the end) are bad
 *    rows.  In skip mode such a record is dropped up to the end of the
 *    physical line where the problem was found.  Empty lines are ignored.
 *    Lines are counted at LF (a CR-only file parses, but reports line 1).
 *  - A field longer than max_field_bytes, or a record whose fields plus
 *    delimiters are, is a bad row; libcsv's buffer never grows past the limit.
 *  - Bad rows are found as they are read (field count, size, quoting) and,
 *    for a new table, value errors of the sampled rows only once the sample
 *    is complete; in abort mode the first one found is returned.  In skip
 *    mode the reported errors are the lowest by (line, column, message), in
 *    that order.
 *    Problems in the header record are fatal in both modes.
 *  - Header: names are taken as written; an empty, invalid or duplicate name
 *    or more than PS_MAX_COLUMNS columns is an error naming the column.
 *    header=false: a new table gets column1..columnN; an existing table takes
 *    the fields in its own column order, as COPY without a header does.
 *  - An existing table accepts an empty or header-only input as zero rows;
 *    for a new table that is an error ("no data rows"), as there is nothing
 *    to infer types from.  Columns added with add_columns take their type
 *    from the sampled rows (no non-NULL sample: String).
 *  - For an existing table, time_column may only name its time column.
 */
#ifndef PS_CSV_H
#define PS_CSV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "ps_error.h"
#include "ps_store.h"
#include "ps_time.h"

#define PS_CSV_MAX_REPORTED 10

typedef enum ps_on_error { PS_ON_ERROR_ABORT = 0, PS_ON_ERROR_SKIP = 1 } ps_on_error;

typedef struct ps_csv_options {
	bool		header;			/* default true; false: columns named column1.. */
	char		delimiter;		/* default ',' */
	char		quote;			/* default '"' */
	char		time_column[PS_MAX_NAME + 1];	/* "" = infer */
	ps_time_options time;		/* unit, timezone offset; the load sets its tz and format */
	/*
	 * time_format and timezone as the load named them; "" = not named, so
	 * the table's defaults apply (ps_table_info), if it has any.  A load that
	 * creates its table keeps the ones it named as those defaults.
	 * time_format "iso" (any case) means no pattern: ISO-8601 or epoch.
	 */
	char		time_format[PS_TIME_FORMAT_MAX + 1];
	char		timezone[PS_TZ_NAME_MAX + 1];
	ps_on_error on_error;
	bool		add_columns;
	bool		dedup;
	/* series_key=a,b (ps_load_spec.series_key); unset: inferred */
	bool		series_key_set;
	char		series_key[PS_MAX_SERIES_COLUMNS * (PS_MAX_NAME + 1)];
	uint64_t	max_field_bytes;	/* default 16 MiB (ingestion.max_field_mb); 1 B..1 GiB */
	uint32_t	batch_size;		/* rows sampled for inference (>= 1); default 10000 */
	/*
	 * Tests only (zero otherwise): libcsv_only parses everything with libcsv,
	 * never the quote-free fast path; pipeline_records > 0 sends records to
	 * the converter thread from that many streamed records on, in batches of
	 * that many records (and 16 bytes each), so small inputs reach it.
	 */
	bool		libcsv_only;
	uint32_t	pipeline_records;
} ps_csv_options;

void		ps_csv_options_default(ps_csv_options *o);

/*
 * Set one option from its text form, as given in a REST query parameter or a
 * jsonb key: header, delimiter, quote, time_column, time_unit, time_format,
 * timezone, on_error, add_columns, dedup, series_key.  Unknown keys and bad
 * values are PS_EINVAL with a message naming the option: a time_format that
 * does not compile (ps_time_format.h), a timezone that is neither UTC, an
 * offset nor an IANA zone with a file under PS_TZ_DIR (which is read here
 * to check it, and again by the load).
 */
ps_status	ps_csv_option_set(ps_csv_options *o, const char *key, const char *value, ps_error *err);

typedef struct ps_csv_result {
	uint64_t	rows_loaded;
	uint64_t	rows_rejected;
	size_t		nerrors;		/* reported errors, <= PS_CSV_MAX_REPORTED */
	ps_error	errors[PS_CSV_MAX_REPORTED];
	/*
	 * This load creates its table: the table did not exist when the load
	 * began writing (ps_load_begin), and the load's commit creates it; false
	 * for an existing table, or one a concurrent load was already creating.
	 * After ps_csv_finish succeeds, the load did create the table.
	 */
	bool		created_table;
} ps_csv_result;

typedef struct ps_csv_load ps_csv_load;

/* Start a load into table (created on first load).  o is copied. */
ps_status	ps_csv_begin(ps_store *st, const char *table, const ps_csv_options *o,
						 ps_csv_load **out, ps_error *err);
/*
 * Report the load's progress into p (ps_store.h): the bytes fed and, once
 * the load has begun, its rows.  Call before the first feed; p must outlive
 * the load's commit or abort (ps_csv_finish_detached hands the load on).
 */
void		ps_csv_set_progress(ps_csv_load *cl, ps_progress *p);
/*
 * Feed the next chunk.  On a fatal error (abort mode bad row, storage error,
 * schema mismatch) returns it; the caller must then call ps_csv_abort.  In a
 * large load a bad value found by the converter thread is returned by a
 * later feed or by finish (still the first bad row of the input).
 */
ps_status	ps_csv_feed(ps_csv_load *cl, const void *data, size_t len, ps_error *err);
/* End of input: flush, commit, fill *res, free cl.  On error the load is rolled back and cl freed. */
ps_status	ps_csv_finish(ps_csv_load *cl, ps_csv_result *res, ps_error *err);
/* Roll back and free.  NULL ok. */
void		ps_csv_abort(ps_csv_load *cl);

/*
 * For callers that commit several loads together (the FDW's transactions):
 * end of input without committing; returns the underlying ps_load, now owned
 * by the caller (commit or abort it), and fills *res.  Frees cl.
 */
ps_status	ps_csv_finish_detached(ps_csv_load *cl, ps_csv_result *res, ps_load **load_out,
								   ps_error *err);

/*
 * Internal: the quote-free splitter (ps_csv_split.c), used by the CSV loader (ps_csv_fast.c).
 *
 * Input: bytes with no quote character that end with a CR or LF, starting at
 * a record boundary (libcsv holds nothing).  As libcsv reads such bytes: a
 * record is a maximal run of bytes other than CR and LF (so runs of line ends
 * are empty lines, ignored), its fields are split at every delimiter, an
 * empty field is NULL; lines are counted at LF.  A regular record has exactly
 * ncols fields and at most max_record bytes; the splitter writes regular
 * records out (ncols fields each) and stops at the first other one, which
 * the caller parses itself.
 */
typedef struct ps_csv_field
{
	uint32_t	off;			/* first byte, relative to the caller's buffer */
	uint32_t	len;
	bool		is_null;		/* unquoted empty field */
} ps_csv_field;

typedef struct ps_csv_split
{
	/* input, set by the caller */
	const char *data;
	size_t		len;			/* data[len - 1] is CR or LF */
	char		delim;
	uint32_t	ncols;			/* >= 1 */
	size_t		max_record;
	/* room, and where to stop */
	ps_csv_field *fields;		/* room for max_records * ncols */
	int64_t    *lines;			/* room for max_records: line of each record */
	size_t		max_records;	/* >= 1 */
	size_t		max_bytes;		/* stop at the first line end at or past pos + max_bytes */
	uint32_t	base;			/* field offsets are base + (byte - pos at the call) */
	/* state: pos is always at a record boundary, line is its line */
	size_t		pos;
	int64_t		line;
	/* found by the last call */
	size_t		nrecords;		/* regular records written out */
	size_t		irregular_end;	/* > pos: data[pos, irregular_end) is a record that is not regular */
} ps_csv_split;

/* Split from s->pos on; see ps_csv_split. */
void		ps_csv_split_records(ps_csv_split *s);

/* Offset of the first CR or LF in p[0, len), or len. */
size_t		ps_csv_line_end(const char *p, size_t len);

#endif
