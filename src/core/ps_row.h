/*
 * ps_row.h — the row encoding of values: on the wire (native protocol rows,
 * scans' rows) and in stores of format 1, whose row keys are here too.
 *
 * Key of format 1 (20 bytes; read only by the upgrade, ps_upgrade.c):
 * table id u32 BE | time i64 ns with the sign bit flipped, BE | row id u64
 * BE.  Memcmp order of keys is therefore (table, time, row id) order for the
 * full int64 time range, negative times included.  Format 2 keys are
 * ps_key.h's.
 *
 * Value: a format byte, then
 *   PS_ROW_V1:        varint ncols | null bitmap | columns
 *   PS_ROW_V1_TAGGED: varint load tag | varint ncols | null bitmap | columns
 * where ncols is the number of columns held, the null bitmap has
 * ceil(ncols/8) bytes (bit i set = column i NULL, LSB first), and each
 * non-NULL column is: INTEGER/TIMESTAMP 8 bytes little-endian two's
 * complement, FLOAT 8 bytes little-endian IEEE-754, BOOLEAN 1 byte (0/1),
 * STRING varint byte length + UTF-8 bytes.  A reader that expects more
 * columns than a value holds reads the missing trailing ones as NULL
 * (columns added later).  The tagged form is used by dedup tables, whose row
 * ids are content hashes, to record which load wrote a row.
 *
 * A "type list" is the ordered list of column types a value holds: for a
 * stored row, the table's columns minus the time column; for a projected row
 * on the wire, the requested columns.  Decoders borrow strings from the value
 * bytes: decoded ps_values are valid as long as those bytes.
 */
#ifndef PS_ROW_H
#define PS_ROW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "ps_buf.h"
#include "ps_error.h"
#include "ps_types.h"

#define PS_KEY_LEN 20
#define PS_ROW_V1 0x01
#define PS_ROW_V1_TAGGED 0x02

void		ps_key_encode(uint8_t out[PS_KEY_LEN], uint32_t table_id, int64_t time_ns, uint64_t row_id);
void		ps_key_decode(const uint8_t key[PS_KEY_LEN], uint32_t *table_id, int64_t *time_ns, uint64_t *row_id);
/* 12-byte prefix table|time, for range bounds. */
void		ps_key_prefix(uint8_t out[12], uint32_t table_id, int64_t time_ns);

/*
 * Append the value encoding of values[0..ntypes) (types[i] gives each
 * column's type) to out.  tag: 0 for the untagged form, else the load tag
 * (PS_ROW_V1_TAGGED).  Strings are checked for valid UTF-8 without NUL bytes
 * (PS_EINVAL), as are type codes; on any error out is left unchanged.
 */
ps_status	ps_row_encode(const ps_type *types, uint32_t ntypes, const ps_value *values,
						  uint64_t tag, ps_buf *out, ps_error *err);

/*
 * The same, untagged, for values read back from the store, whose strings
 * were checked when they were loaded: no UTF-8 check (scans).
 */
ps_status	ps_row_encode_stored(const ps_type *types, uint32_t ntypes, const ps_value *values,
								 ps_buf *out, ps_error *err);

/*
 * Decode a value into values[0..ntypes).  Columns beyond those the value holds
 * are NULL; columns the value holds beyond ntypes are ignored.  Returns
 * PS_ECORRUPT on any malformed or truncated input (never reads out of bounds;
 * non-canonical encodings and trailing bytes are malformed too) and PS_EINVAL
 * for an invalid type code in types; values[] is unspecified on error.
 * Strings are not re-checked for UTF-8 (they were checked at encode time).
 * Allocation-free.  If tag is non-NULL it receives the load tag (0 when
 * untagged).
 */
ps_status	ps_row_decode(const ps_type *types, uint32_t ntypes, const void *val, size_t len,
						  ps_value *values, uint64_t *tag, ps_error *err);

/* Read only the load tag of a value (0 when untagged); PS_ECORRUPT if malformed. */
ps_status	ps_row_tag(const void *val, size_t len, uint64_t *tag);

/*
 * Re-encode a stored value holding `types` as an untagged value holding only
 * the columns cols[0..ncols) (indexes into types), in that order: projection
 * for scans, so only referenced columns travel.  cols may repeat or be
 * empty; ntypes is at most PS_MAX_COLUMNS and each cols[j] < ntypes, else
 * PS_EINVAL.  Allocation-free apart from growing out; out is unchanged on
 * error.
 */
ps_status	ps_row_project(const ps_type *types, uint32_t ntypes, const void *val, size_t len,
						   const uint32_t *cols, uint32_t ncols, ps_buf *out, ps_error *err);

/*
 * 64-bit content hash (time + encoded untagged value) used as dedup row id:
 * XXH64 of the value bytes seeded with the time.  Part of the storage
 * format: it must never change.
 */
uint64_t	ps_row_hash(int64_t time_ns, const void *val, size_t len);

#endif
