/*
 * ps_schema.h — table schemas: columns, the time column, inference of types
 * from text, conversion of text fields into typed values, and the catalog
 * serialization of a schema.
 *
 * A ps_schema owns its column array and every column name (malloc'd);
 * ps_schema_free releases them.  Exactly one column is the time column
 * (type TIMESTAMP, never NULL).  Column names are non-empty UTF-8 up to
 * PS_MAX_NAME bytes, unique (case-sensitive).  A stored row value holds the
 * non-time columns in schema order ("value columns").
 */
#ifndef PS_SCHEMA_H
#define PS_SCHEMA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "ps_buf.h"
#include "ps_error.h"
#include "ps_time.h"
#include "ps_types.h"

#define PS_MAX_COLUMNS 1600		/* as PostgreSQL's MaxHeapAttributeNumber */
#define PS_MAX_NAME 128			/* bytes, table and column names */
#define PS_MAX_SERIES_COLUMNS 8	/* columns in a series key */

typedef struct ps_column {
	char	   *name;		/* owned, NUL-terminated */
	ps_type		type;
	bool		nullable;	/* false only for the time column */
} ps_column;

typedef struct ps_schema {
	uint32_t	ncolumns;
	ps_column  *columns;	/* owned */
	uint32_t	time_index;	/* index of the time column in columns */
	/*
	 * The series key (ps_series.h): nseries column indexes, in key order, of
	 * STRING, INTEGER or BOOLEAN columns other than the time column; 0 = the
	 * table has no series key.
	 */
	uint32_t	nseries;
	uint32_t	series[PS_MAX_SERIES_COLUMNS];
} ps_schema;

void		ps_schema_free(ps_schema *s);	/* frees contents and s itself; NULL ok */
ps_schema  *ps_schema_copy(const ps_schema *s);	/* NULL on ENOMEM */
/*
 * Build a schema from names/types (copied); validates names, types,
 * uniqueness and the time column's type: PS_EINVAL, or PS_ETOOBIG above
 * PS_MAX_COLUMNS.  *out is set only on success.
 */
ps_status	ps_schema_new(const char *const *names, const ps_type *types, uint32_t n,
						  uint32_t time_index, ps_schema **out, ps_error *err);
/* Append a nullable column (add_columns); validates name and type (PS_EINVAL), PS_EEXISTS if taken, PS_ETOOBIG when full.  s is unchanged on error. */
ps_status	ps_schema_add_column(ps_schema *s, const char *name, ps_type type, ps_error *err);
int			ps_schema_find(const ps_schema *s, const char *name);	/* index or -1 */
/* Number and types of the value columns (all but the time column), in order. */
uint32_t	ps_schema_value_count(const ps_schema *s);
/* Fills types[0..value_count) ; caller provides the array. */
void		ps_schema_value_types(const ps_schema *s, ps_type *types);
/* True when column is part of the series key. */
bool		ps_schema_is_series(const ps_schema *s, uint32_t column);
/* Map a schema column index to its value-column index; UINT32_MAX for the time column. */
uint32_t	ps_schema_value_index(const ps_schema *s, uint32_t column);

/*
 * Append the versioned catalog encoding of s to out (PS_ENOMEM leaves out
 * unchanged).  Deserialize validates everything a new schema must satisfy,
 * and the exact length; any failure is PS_ECORRUPT (PS_ENOMEM aside).  *out
 * is set only on success; the caller frees it with ps_schema_free.
 */
ps_status	ps_schema_serialize(const ps_schema *s, ps_buf *out);
ps_status	ps_schema_deserialize(const void *p, size_t n, ps_schema **out, ps_error *err);

/* Table names: 1..PS_MAX_NAME bytes of [A-Za-z0-9_-] (NUL-terminated; NULL is invalid). */
bool		ps_table_name_valid(const char *name);
/* Column names: 1..PS_MAX_NAME bytes of valid UTF-8 without NUL or C0/C1 control characters or DEL. */
bool		ps_column_name_valid(const char *name, size_t len);

/*
 * Type inference over sample text fields, one ps_infer per column: feed every
 * non-NULL sample with ps_infer_feed, then ps_infer_result.  The lattice:
 * a column is BOOLEAN if every sample is a boolean literal, INTEGER if every
 * sample is an int64, FLOAT if every sample is a number (incl. NaN/Infinity),
 * TIMESTAMP if every sample is ISO-8601 (ps_time_is_iso) or, when `time` is
 * set (a load's time_format), parses with those options, else STRING.  A
 * column with only NULLs is STRING.  Only the words true/false/t/f/yes/no
 * (any case) count as boolean literals here, although ps_value_from_text
 * also takes y/n/on/off/1/0: a column of 0s and 1s is more likely a count or
 * a code than a flag, so it is inferred INTEGER.  No sample may carry
 * surrounding spaces (" 42" is a STRING sample).
 */
typedef struct ps_infer {
	uint64_t	seen;
	bool		can_bool, can_int, can_float, can_iso;
	const ps_time_options *time;	/* NULL (ps_infer_init): ISO-8601; borrowed */
} ps_infer;

void		ps_infer_init(ps_infer *inf);
void		ps_infer_feed(ps_infer *inf, const char *s, size_t len);
ps_type		ps_infer_result(const ps_infer *inf);
bool		ps_infer_all_iso(const ps_infer *inf);	/* every sample ISO (time candidate) */

/*
 * Convert one text field to a typed value.  s == NULL means SQL NULL.
 * Integers: optional sign, decimal digits, overflow is an error.  Floats:
 * strtod syntax plus NaN/Infinity/-Infinity (case-insensitive).  Booleans:
 * true/false/t/f/yes/no/on/off/1/0 (case-insensitive, as PostgreSQL).
 * Timestamps: ps_time_parse with topt (NULL = defaults).  Strings: UTF-8
 * checked (no NUL bytes), borrowed from s.  Surrounding spaces, hex floats
 * and trailing garbage are errors; float text longer than 400 bytes is not
 * read as a number.  Float overflow ("1e999") is an error, underflow reads as
 * 0 or a denormal.  On failure returns PS_EBADROW with a reason quoting the
 * input in err (no position: the caller adds line/column); PS_EINVAL for an
 * invalid type code.
 */
ps_status	ps_value_from_text(ps_type type, const char *s, size_t len,
							   const ps_time_options *topt, ps_value *out, ps_error *err);

#endif
