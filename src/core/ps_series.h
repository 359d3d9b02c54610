/*
 * ps_series.h — series keys: how a table's series key is chosen when a load
 * creates the table, and the byte form of one series's key values (its
 * "tuple"), which the series dictionary maps to a u32 series id.
 *
 * A series key is zero or more STRING, INTEGER or BOOLEAN columns other
 * than the time column (ps_schema.nseries/series).  Named by the load option
 * series_key=a,b (empty: none), or inferred: the first STRING column named
 * symbol, ticker, instrument, sym, ric, isin or security (any case).
 *
 * Tuple: for each key column in key order, u8 0 (NULL) or 1, then for a
 * non-NULL value: STRING varint length + bytes, INTEGER 8 bytes big-endian
 * with the sign bit flipped, BOOLEAN one byte 0/1.  Tuples of one table
 * compare with memcmp in key order (strings: by length first).  The form is
 * stored in the catalog: never change it.
 */
#ifndef PS_SERIES_H
#define PS_SERIES_H

#include <stdbool.h>
#include <stddef.h>
#include "ps_buf.h"
#include "ps_error.h"
#include "ps_schema.h"
#include "ps_types.h"

/*
 * Set s's series key from the option text "a,b" (names as written, no
 * spaces trimmed; "" = no key).  PS_EINVAL naming the option and the column
 * for an unknown, repeated, time or wrongly typed column, or more than
 * PS_MAX_SERIES_COLUMNS.  s is unchanged on error.
 */
ps_status	ps_series_key_set(ps_schema *s, const char *list, ps_error *err);
/* Infer s's series key from column names (see above); no key when none fits. */
void		ps_series_key_infer(ps_schema *s);

/*
 * Append the tuple of row values[0..s->ncolumns) (schema order; only the key
 * columns are read) to out.  PS_ENOMEM leaves out unchanged.
 */
ps_status	ps_series_tuple_encode(const ps_schema *s, const ps_value *values, ps_buf *out);
/*
 * Decode a tuple into values[] at the key columns' schema indexes (other
 * entries untouched; strings borrowed from p).  PS_ECORRUPT when malformed.
 */
ps_status	ps_series_tuple_decode(const ps_schema *s, const void *p, size_t n, ps_value *values,
								   ps_error *err);

#endif
