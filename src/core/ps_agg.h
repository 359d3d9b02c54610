/*
 * ps_agg.h — aggregates computed in the store (DESIGN §2, §5): count, sum,
 * min, max, first and last over a time range and series filters, grouped
 * by time bucket and by columns, for the FDW's aggregate pushdown and
 * REST's /aggregate.
 *
 * ps_agg_run reads the range once, block by block with no merge, and keeps
 * one state per (group, aggregate).  A block that lies wholly inside the
 * range and inside one bucket, when the groups depend on nothing but the
 * series and the bucket, is answered from its metadata (count, nulls,
 * min, max, sum, first, last) without being read or decoded; other blocks
 * are decoded (through the shared decoded-block cache) and aggregated on
 * their column vectors, one bucket run at a time.
 *
 * Results come back as column vectors (ps_scan_batch, ps_store.h), one row
 * per group, groups ordered by the request's sort keys, then by the group
 * columns (NULLs last) and the bucket; after offset groups, at most limit
 * of them (kept with a bounded heap, not by sorting every group).  Result
 * columns, in order:
 *   - the bucket's start (TIMESTAMP), when bucket_width > 0;
 *   - each group column, with its own type;
 *   - per aggregate: COUNT_ALL and COUNT an INTEGER; SUM of an INTEGER
 *     column two INTEGER columns, the high and the low 64 bits of the exact
 *     128-bit sum (NULL when the group has no non-NULL value); SUM of a
 *     FLOAT column a FLOAT (added in no particular order, so it may differ
 *     from another engine's in the last bits); SUM_PRODUCT a FLOAT: the sum
 *     over rows where neither factor is NULL of their product, each factor
 *     an INTEGER or FLOAT column taken as a double (NULL when there is no
 *     such row; never answered from metadata); MIN, MAX, FIRST and LAST the
 *     column's type.
 * FIRST and LAST give the value (NULL included) of the row with the
 * smallest and largest time; among rows of equal time, which one wins is
 * not defined, but every LAST (FIRST) of a group comes from one row.  MIN
 * and MAX skip NULLs and order FLOATs as PostgreSQL does (NaN above every
 * number).  MIN and MAX of STRING or BOOLEAN columns, and SUM of anything
 * but INTEGER and FLOAT, are PS_EINVAL: PostgreSQL orders text by
 * collation, which the store does not know.  When every aggregate is a
 * LAST or a MAX of the time column (or every one a FIRST or a MIN of it)
 * and the groups are series-key columns without a bucket, only the blocks
 * that may hold each series' newest (oldest) row are read (ps_scan_latest,
 * ps_scan_int.h).
 *
 * Sort keys order groups as PostgreSQL orders the values (its default
 * B-tree order): numbers by value, a FLOAT NaN above every number and
 * equal to itself, -0 equal to 0; TIMESTAMP by microsecond (floored, the
 * precision PostgreSQL sees, so that values equal there tie as there);
 * STRING by bytes (PostgreSQL's "C" collation); BOOLEAN false first; an
 * integer SUM by its 128-bit value, the key naming its first (high)
 * column.  NULLs come last, first with PS_AGG_SORT_NULLS_FIRST.
 *
 * Memory: the groups and their states, capped at max_groups (PS_ETOOBIG
 * past it), the sort keys' values of the groups sorted (every group, or
 * offset + limit of them), plus one decoded block at a time and one output
 * batch.
 */
#ifndef PS_AGG_H
#define PS_AGG_H

#include "ps_store.h"

#define PS_AGG_MAX_GROUPS 1000000u		/* default cap on groups */
#define PS_AGG_MAX_ITEMS 256			/* aggregates per request */
#define PS_AGG_MAX_GROUP_COLUMNS 32
#define PS_AGG_MAX_SORT 64				/* sort keys per request */

typedef enum ps_agg_fn {
	PS_AGG_COUNT_ALL = 1,		/* count(*): column unused (NULL) */
	PS_AGG_COUNT,				/* non-NULL values */
	PS_AGG_SUM,
	PS_AGG_MIN,
	PS_AGG_MAX,
	PS_AGG_FIRST,
	PS_AGG_LAST,
	PS_AGG_SUM_PRODUCT			/* sum of column * column2 (VWAP's numerator) */
} ps_agg_fn;

/* "count", "sum", ... (REST field names); NULL when fn is not one.  Inline: clients use it too. */
static inline const char *
ps_agg_fn_name(ps_agg_fn fn)
{
	static const char *const names[] = {
		[PS_AGG_COUNT_ALL] = "count", [PS_AGG_COUNT] = "count", [PS_AGG_SUM] = "sum",
		[PS_AGG_MIN] = "min", [PS_AGG_MAX] = "max", [PS_AGG_FIRST] = "first", [PS_AGG_LAST] = "last",
		[PS_AGG_SUM_PRODUCT] = "sum",
	};

	return fn >= PS_AGG_COUNT_ALL && fn <= PS_AGG_SUM_PRODUCT ? names[fn] : NULL;
}

typedef struct ps_agg_item {
	ps_agg_fn	fn;
	const char *column;			/* any column, the time column included; NULL for COUNT_ALL */
	const char *column2;		/* SUM_PRODUCT's second factor; unused otherwise */
} ps_agg_item;

/* A sort key: a result column (numbered as ps_agg_types lists them) and PS_AGG_SORT_* flags. */
#define PS_AGG_SORT_DESC 1
#define PS_AGG_SORT_NULLS_FIRST 2
typedef struct ps_agg_sort {
	uint32_t	column;
	uint8_t		flags;
} ps_agg_sort;

/* Borrowed for ps_agg_run only. */
typedef struct ps_agg_spec {
	const char *table;
	int64_t		lo, hi;			/* inclusive time bounds */
	const ps_series_filter *filters;
	uint32_t	nfilters;
	/* Buckets: [origin + k * width, origin + (k + 1) * width); width 0 = none. */
	int64_t		bucket_width;	/* ns, >= 0 */
	int64_t		bucket_origin;	/* ns */
	const char *const *group_by;	/* value columns (not the time column) */
	uint32_t	ngroup;
	const ps_agg_item *items;
	uint32_t	nitems;			/* 1..PS_AGG_MAX_ITEMS */
	uint64_t	max_groups;		/* 0 = PS_AGG_MAX_GROUPS */
	const ps_agg_sort *sort;	/* output order, before the group columns' */
	uint32_t	nsort;			/* 0..PS_AGG_MAX_SORT */
	uint64_t	offset;			/* groups skipped, in output order */
	uint64_t	limit;			/* groups at most after them; 0 = no limit */
} ps_agg_spec;

/* What a run did, for EXPLAIN ANALYZE, metrics and tests. */
typedef struct ps_agg_stats {
	uint64_t	blocks_from_meta;	/* answered from metadata */
	uint64_t	blocks_decoded;
	uint64_t	rows_read;			/* rows of decoded blocks in range */
	uint64_t	groups;
} ps_agg_stats;

typedef struct ps_agg ps_agg;

/*
 * Compute the aggregates of spec on a consistent snapshot (committed rows
 * only).  PS_ENOTFOUND for an unknown table, PS_EINVAL naming the column,
 * aggregate or sort key at fault (a key past the result columns, naming
 * the low column of an integer SUM, or with unknown flags), PS_ETOOBIG
 * past max_groups.  *out is owned by the caller (ps_agg_free).
 */
ps_status	ps_agg_run(ps_store *st, const ps_agg_spec *spec, ps_agg **out, ps_error *err);
/* Result columns and their types (owned by a, valid until ps_agg_free). */
uint32_t	ps_agg_ncolumns(const ps_agg *a);
const ps_type *ps_agg_types(const ps_agg *a);
void		ps_agg_stats_get(const ps_agg *a, ps_agg_stats *out);
/*
 * The next groups, at most max_rows (> 0) and past about max_bytes no more
 * (at least one), as column vectors (batch->times NULL; every column
 * wanted).  *done when no group is left after these.  The batch is owned
 * by a and valid until its next call.
 */
ps_status	ps_agg_next_batch(ps_agg *a, uint32_t max_rows, size_t max_bytes,
							  const ps_scan_batch **out, bool *done, ps_error *err);
void		ps_agg_free(ps_agg *a);	/* NULL ok */

#endif
