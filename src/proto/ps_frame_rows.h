/*
 * ps_frame_rows.h — the ROWS payload (protocol 5): a scan batch as column
 * vectors, written by the owner straight from the store's vectors
 * (ps_scan_batch) and read by clients without a per-row decode.
 *
 * Payload (see ps_frame.h for the message table):
 *
 *   u32 count | u8 done | u8 has_times
 *   | if has_times: count x i64 time (ns)
 *   | for each column the scan requested, in request order:
 *       u8 has_nulls | if has_nulls: ceil(count / 8) bytes of null bitmap
 *       (bit r of byte r / 8, LSB first, set = NULL)
 *       | INTEGER, TIMESTAMP: count x i64; FLOAT: count x f64 (IEEE 754
 *         bits); BOOLEAN: count x u8 (0 or 1); STRING: count x u32 byte
 *         length, then the strings' bytes back to back.
 *
 * count is at most PS_FRAME_ROWS_MAX.  Vectors are little-endian, unlike the rest of the protocol, so that
 * owners and clients on little-endian machines (x86-64, arm64) copy them
 * as they are.  Values of NULL rows are 0 (strings: length 0).  A scan
 * opened with PS_SCAN_NO_TIMES gets has_times = 0.  Decoding checks every
 * length against the bytes left before using it, and that booleans are 0
 * or 1; the payload must be consumed exactly.
 *
 * Ownership: a ps_frame_rows points into the payload it was decoded from
 * (valid while that frame's buffer is) and owns its column array and
 * string offsets, reused from batch to batch until ps_frame_rows_free.
 */
#ifndef PS_FRAME_ROWS_H
#define PS_FRAME_ROWS_H

#include <endian.h>
#include <string.h>

#include "../core/ps_buf.h"
#include "../core/ps_store.h"	/* ps_scan_batch (types only) */
#include "../core/ps_types.h"

/* The most rows a ROWS batch may hold (the owner's scan batches are no larger). */
#define PS_FRAME_ROWS_MAX 65536u

/* One decoded column of a batch. */
typedef struct ps_frame_column {
	const uint8_t *nulls;		/* bitmap, or NULL when no row is NULL */
	const uint8_t *values;		/* count LE values: 8 bytes each (BOOLEAN: 1); not STRING */
	const uint32_t *str_off;	/* STRING: count + 1 offsets into str_data */
	const char *str_data;
} ps_frame_column;

typedef struct ps_frame_rows {
	uint32_t	count;
	bool		done;
	const uint8_t *times;		/* count LE i64, or NULL when the batch has none */
	uint32_t	ncolumns;
	ps_frame_column *columns;	/* owned */
	uint32_t	columns_cap;
	ps_buf		offsets;		/* owned: the STRING columns' str_off arrays */
} ps_frame_rows;

static inline int64_t
ps_frame_le_i64(const uint8_t *p, uint32_t row)
{
	uint64_t	v;

	memcpy(&v, p + (size_t) row * 8, 8);
	return (int64_t) le64toh(v);
}

static inline double
ps_frame_le_f64(const uint8_t *p, uint32_t row)
{
	uint64_t	v;
	double		d;

	memcpy(&v, p + (size_t) row * 8, 8);
	v = le64toh(v);
	memcpy(&d, &v, 8);
	return d;
}

static inline bool
ps_frame_is_null(const ps_frame_column *c, uint32_t row)
{
	return c->nulls && ((c->nulls[row >> 3] >> (row & 7)) & 1);
}

/*
 * Append the ROWS fields of batch to b: times when with_times, and the
 * batch's columns cols[0..ncols) (schema indexes; wanted in the scan).
 */
ps_status	ps_frame_rows_encode(ps_buf *b, const ps_scan_batch *batch, const uint32_t *cols,
								 uint32_t ncols, bool with_times, bool done);
/*
 * Decode the ROWS fields for a scan of columns types[0..ntypes) into *out
 * (initialised to zeros before its first use).  PS_EPROTO when malformed,
 * PS_ENOMEM when out of memory.
 */
ps_status	ps_frame_rows_decode(ps_reader *r, const ps_type *types, uint32_t ntypes,
								 ps_frame_rows *out);
/* Row `row` of column c (of type t) as a ps_value; strings borrowed from the frame. */
void		ps_frame_rows_value(const ps_frame_rows *rows, uint32_t c, ps_type t, uint32_t row,
								ps_value *out);
void		ps_frame_rows_free(ps_frame_rows *rows);

#endif
