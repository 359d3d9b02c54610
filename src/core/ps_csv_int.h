/*
 * ps_csv_int.h — a CSV load's state, shared by the modules of the CSV
 * loader: ps_csv.c (the public entry and input routing), ps_csv_options.c,
 * ps_csv_errors.c, ps_csv_libcsv.c, ps_csv_fast.c, ps_csv_schema.c,
 * ps_csv_convert.c and ps_csv_pipeline.c (ps_csv.c's comment tells how they
 * fit together).  Not a public header.
 */
#ifndef PS_CSV_INT_H
#define PS_CSV_INT_H

#include <csv.h>
#include <pthread.h>

#include "ps_buf.h"
#include "ps_csv.h"

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

	/* the compiled time_format and IANA zone opt.time points at (owned; NULL: none) */
	ps_time_format *format;
	ps_tz	   *tz;

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
	ps_progress *progress;		/* ps_csv_set_progress: bytes fed, and the load's rows */
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

/* ps_csv.c */
/* Grow *p (elements of size elem) to hold at least need; false on ENOMEM. */
bool		ps_csv_grow(void **p, size_t *alloc, size_t need, size_t elem);

/* ps_csv_options.c */
/* Delimiter and quote: exactly one byte, never a line end or NUL. */
bool		ps_csv_char_valid(char c);
/*
 * Compile the load's time_format and timezone, or where it named none the
 * table's defaults (table NULL: a new table), into cl->format and cl->tz,
 * and point cl->opt.time at them.  PS_EINVAL when a default no longer
 * resolves (its zone file gone), naming it.
 */
ps_status	ps_csv_time_setup(ps_csv_load *cl, const ps_table_info *table, ps_error *err);

/* ps_csv_errors.c */
/* Record a fatal error: the load moves to stage FAILED. */
void		ps_csv_fail(ps_csv_load *cl, const ps_error *e);
void		ps_csv_fail_nomem(ps_csv_load *cl);
/* A fatal error at line/column (0: none), worded as ps_csv_error_at does. */
void		ps_csv_fail_at(ps_csv_load *cl, ps_status code, int64_t line, int32_t column,
						   const char *fmt, ...) __attribute__((format(printf, 5, 6)));
/* Fill e with reason prefixed by the position ("line 7, column 3 (price): "). */
void		ps_csv_error_at(const ps_csv_load *cl, ps_error *e, ps_status code, int64_t line,
							int32_t column, const char *reason);
/* Keep reported errors sorted, the lowest PS_CSV_MAX_REPORTED. */
void		ps_csv_report(ps_error *errors, size_t *nerrors, const ps_error *e);
/* A bad row: fatal in abort mode and in the header, counted and reported in skip mode. */
void		ps_csv_take_bad_row(ps_csv_load *cl, const ps_error *e);
/* A bad row at line/column (column 0: the row as a whole); see ps_csv_take_bad_row. */
void		ps_csv_bad_row(ps_csv_load *cl, int64_t line, int32_t column, const char *fmt, ...)
			__attribute__((format(printf, 4, 5)));
/* A field, or a whole record, longer than max_field_bytes. */
void		ps_csv_bad_row_too_big(ps_csv_load *cl, int64_t line, int32_t column, bool field);
/* A column number for messages: 1-based, saturated. */
int32_t		ps_csv_column_number(uint64_t index0);

/* ps_csv_libcsv.c */
/* libcsv's field callback (data is the load): store the field in `row`. */
void		ps_csv_on_field(void *s, size_t len, void *data);
/* libcsv's record callback: route the record by stage, then reset `row`. */
void		ps_csv_on_record(int terminator, void *data);
/* libcsv's space test: no byte is a space (PostgreSQL does not trim CSV fields). */
int			ps_csv_no_space(unsigned char c);
/* Feed p[0, len) to libcsv, a physical line at a time. */
void		ps_csv_scan(ps_csv_load *cl, const char *p, size_t len);
/* After a malformed record was reported (skip mode): resume at the next line. */
void		ps_csv_resync(ps_csv_load *cl);
/* A malformed record: a bad row at the current field, then resync. */
void		ps_csv_malformed(ps_csv_load *cl, const char *reason);

/* ps_csv_fast.c */
/* Whole records of quote-free input, while libcsv holds no record. */
void		ps_csv_fast(ps_csv_load *cl, const char *p, size_t len);

/* ps_csv_schema.c */
/* Per-record field storage for n columns; false on ENOMEM. */
bool		ps_csv_fields_reserve(ps_csv_load *cl, uint32_t n);
/* The header record names the columns; then on to SAMPLE or STREAM. */
void		ps_csv_take_header(ps_csv_load *cl, int64_t line);
/* header=false, or no record at all: columns by position; then on to SAMPLE or STREAM. */
void		ps_csv_take_positional(ps_csv_load *cl, int64_t line);
/* Hold the current record back for inference (it has exactly ncols fields). */
void		ps_csv_sample_add(ps_csv_load *cl, int64_t line);
/* End of sampling: infer what is unknown, begin the load, replay the sample. */
void		ps_csv_end_sample(ps_csv_load *cl);
void		ps_csv_free_sample(ps_csv_load *cl);

/* ps_csv_convert.c */
/* Build the input schema, begin the ps_load, prepare the value row: stage STREAM. */
void		ps_csv_begin_load(ps_csv_load *cl);
/* Convert one record into row, in table order; PS_EBADROW with *e saying where and why. */
ps_status	ps_csv_convert_fields(const ps_csv_load *cl, const char *base, const csv_field *f,
								  int64_t line, ps_value *row, ps_error *e);
/* Append one converted row to the load; PS_EBADROW: refused (*e says why). */
ps_status	ps_csv_append_values(ps_csv_load *cl, const ps_value *row, int64_t line, ps_error *e);
/* Convert and append one record now, on the parser's thread. */
void		ps_csv_append_row(ps_csv_load *cl, const char *base, const csv_field *f, int64_t line);

/* ps_csv_pipeline.c */
/* Queue the current record (exactly ncols fields) for the converter. */
void		ps_csv_queue_record(ps_csv_load *cl, int64_t line);
/* Convert the batch being filled and hand it to the converter thread. */
void		ps_csv_hand_off(ps_csv_load *cl);
/* Convert every record parsed so far and end the converter, taking its errors. */
void		ps_csv_converter_drain(ps_csv_load *cl);
/* End the converter thread, after it appended what it holds if `finish`. */
void		ps_csv_converter_stop(ps_csv_load *cl, bool finish);
void		ps_csv_batch_free(csv_batch *b);

#endif
