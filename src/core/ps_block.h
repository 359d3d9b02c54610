/*
 * ps_block.h — a block: up to PS_BLOCK_ROWS rows of one series, in time
 * order, each column encoded apart, and the block's metadata.
 *
 * A block holds the time vector and the table's value columns (ps_types
 * given by the caller, in table order, series-key columns excluded: their
 * values live in the series dictionary).  Columns added to a table after a
 * block was written are absent from it and read as NULL: a block may hold
 * fewer columns than the reader expects, never more.
 *
 * Encoded block ("block bytes", the value of a data key):
 *   u8 format (PS_BLOCK_FORMAT_V1) | varint rows | varint ncols
 *   | the time column | ncols x (u8 type | u8 codec | varint len | payload)
 * Each payload starts with its null bitmap when the column has NULLs.  See
 * ps_codec.h for the codecs.  Times are delta-of-delta coded (or, per
 * block when smaller, as frame-of-reference deltas).
 * (Details: rows is 1..PS_BLOCK_ROWS; the time column is ps_codec.h's time
 * payload, self-delimiting; the codec byte carries PS_CODEC_NULLS when a
 * null bitmap of rows bits leads the payload, and the codec then holds only
 * the non-NULL values, in row order.)
 *
 * Metadata ("meta bytes", kept apart from the block so scans and
 * aggregates read it without decoding the block):
 *   u8 format | u32 rows | i64 min_time | i64 max_time | varint ncols
 *   | ncols x column statistics
 * Fixed-width head, so ps_block_meta_peek reads rows and time bounds at
 * fixed offsets (big-endian: rows at 1, min_time at 5, max_time at 13).
 * The column statistics' layout is described in ps_block_meta.c.
 *
 * Every decoder treats its input as hostile: malformed or truncated input is
 * PS_ECORRUPT, never a read out of bounds, never an allocation larger than
 * the input justifies.
 *
 * Ownership: builders and readers own their buffers; pointers they hand out
 * stay valid until the next call that changes them (append/encode/reset for
 * a builder, decode for a reader) or until they are freed.
 */
#ifndef PS_BLOCK_H
#define PS_BLOCK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "ps_buf.h"
#include "ps_error.h"
#include "ps_types.h"

#define PS_BLOCK_FORMAT_V1 0x01
#define PS_BLOCK_ROWS 1024
/* A builder counts as full past this many raw bytes (long strings), whatever its row count. */
#define PS_BLOCK_RAW_BYTES_MAX ((size_t) 1 << 20)

/* ------------------------------------------------------------------ builder */

typedef struct ps_block_builder ps_block_builder;

/* A builder for blocks of columns types[0..ncols) (copied).  PS_EINVAL for an invalid type. */
ps_status	ps_block_builder_new(const ps_type *types, uint32_t ncols, ps_block_builder **out,
								 ps_error *err);
void		ps_block_builder_free(ps_block_builder *b);	/* NULL ok */
/*
 * Append one row: time and values[0..ncols) (strings are copied).  Rows may
 * come in any time order.  Appending to a full builder is PS_ETOOBIG.
 * A string that is not valid UTF-8 or holds a NUL byte is PS_EINVAL, as in
 * ps_row_encode; a failed append changes nothing.
 */
ps_status	ps_block_builder_append(ps_block_builder *b, int64_t time, const ps_value *values,
									ps_error *err);
uint32_t	ps_block_builder_rows(const ps_block_builder *b);
/* Heap bytes the builder holds now (arrays and copied strings), for memory caps. */
size_t		ps_block_builder_bytes(const ps_block_builder *b);
/* rows == PS_BLOCK_ROWS, or raw bytes past PS_BLOCK_RAW_BYTES_MAX. */
bool		ps_block_builder_full(const ps_block_builder *b);
/* Smallest time appended so far (only when rows > 0). */
int64_t		ps_block_builder_min_time(const ps_block_builder *b);
/*
 * Sort the rows by (time, arrival order), append the block bytes to *block
 * and the metadata bytes to *meta, and empty the builder (its types stay).
 * A builder with no rows is PS_EINVAL.  On error *block and *meta are left
 * as they were and the builder keeps its rows.
 */
ps_status	ps_block_builder_encode(ps_block_builder *b, ps_buf *block, ps_buf *meta,
									ps_error *err);
/* Drop every row (keeping capacity for the next block). */
void		ps_block_builder_reset(ps_block_builder *b);
/* Release capacity beyond what an empty builder needs (idle series in a load). */
void		ps_block_builder_shrink(ps_block_builder *b);

/* ------------------------------------------------------------------ reader */

/*
 * One decoded column.  Exactly one of the value arrays is set, by type:
 * i (INTEGER, TIMESTAMP), f (FLOAT), b (BOOLEAN, one byte 0/1 per row), or
 * str_off/str_data (STRING: row r is str_data[str_off[r] .. str_off[r+1])).
 * nulls is a bitmap (bit r of byte r/8, LSB first, set = NULL), or NULL
 * when no row is NULL.  absent: the block predates the column, every row is
 * NULL and no array is set.  Values of NULL rows are unspecified.
 */
typedef struct ps_block_column {
	ps_type		type;
	bool		absent;
	bool		decoded;		/* false when the caller did not want it */
	const uint8_t *nulls;
	const int64_t *i;
	const double *f;
	const uint8_t *b;
	const uint32_t *str_off;	/* rows + 1 offsets */
	const char *str_data;
} ps_block_column;

typedef struct ps_block_reader ps_block_reader;

ps_status	ps_block_reader_new(ps_block_reader **out, ps_error *err);
void		ps_block_reader_free(ps_block_reader *r);	/* NULL ok */
/*
 * Decode block bytes data[0..len) for a reader expecting columns
 * types[0..ncols).  want[c] says whether column c is needed (NULL: all);
 * unwanted columns are skipped without decoding.  Times are always decoded.
 * A block holding more columns than ncols, or a column whose type differs
 * from types[c], is PS_ECORRUPT, as is anything malformed.  The decoded
 * arrays live in r until its next decode.
 */
ps_status	ps_block_decode(ps_block_reader *r, const void *data, size_t len, const ps_type *types,
							uint32_t ncols, const bool *want, ps_error *err);
uint32_t	ps_block_reader_rows(const ps_block_reader *r);
/* Heap bytes r holds (its arrays and string bytes), for caches. */
size_t		ps_block_reader_bytes(const ps_block_reader *r);
const int64_t *ps_block_reader_times(const ps_block_reader *r);	/* ascending */
const ps_block_column *ps_block_reader_column(const ps_block_reader *r, uint32_t c);
/*
 * Row `row` of column c as a ps_value (strings borrowed from r).  Column c
 * must have been wanted (or be absent: NULL).
 */
void		ps_block_reader_value(const ps_block_reader *r, uint32_t c, uint32_t row,
								  ps_value *out);

/* ------------------------------------------------------------------ metadata */

/*
 * Statistics of one column over the block's rows.  nulls counts NULL rows.
 * first/last are the values of the block's first and last rows in time
 * order (possibly NULL).  For INTEGER, FLOAT, BOOLEAN and TIMESTAMP columns
 * with at least one non-NULL value, has_minmax is set and min/max hold the
 * smallest and largest non-NULL values (FLOAT: NaN counts as larger than
 * every number, as in PostgreSQL; -0.0 and 0.0 are equal).  Sums, over
 * non-NULL values: INTEGER in sum_i (exact, 128-bit), FLOAT in sum_f,
 * BOOLEAN as the count of true values in sum_i.  STRING columns carry nulls
 * only (has_minmax false, first/last not kept: has_firstlast false).
 * Strings are never borrowed: meta never points into other memory.
 */
typedef struct ps_block_colstats {
	ps_type		type;
	uint32_t	nulls;
	bool		has_minmax;
	bool		has_firstlast;
	ps_value	min, max;
	ps_value	first, last;
	__int128	sum_i;
	double		sum_f;
} ps_block_colstats;

typedef struct ps_block_meta {
	uint32_t	rows;
	int64_t		min_time, max_time;
	uint32_t	ncols;
	ps_block_colstats *cols;	/* ncols entries, owned (ps_block_meta_clear) */
} ps_block_meta;

/* Decode meta bytes; PS_ECORRUPT when malformed.  *out is zeroed first. */
ps_status	ps_block_meta_decode(const void *p, size_t n, ps_block_meta *out, ps_error *err);
void		ps_block_meta_clear(ps_block_meta *m);	/* safe on a zeroed meta */
/* Only the fixed head: rows and time bounds.  PS_ECORRUPT when too short or of another format. */
ps_status	ps_block_meta_peek(const void *p, size_t n, uint32_t *rows, int64_t *min_time,
							   int64_t *max_time);

#endif
