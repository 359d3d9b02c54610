/*
 * ps_agg_int.h — what the parts of the store's aggregates share: ps_agg.c
 * (the request, the block walk and the per-block arithmetic),
 * ps_agg_groups.c (interning group keys, the states, the result columns
 * and their output) and ps_agg_order.c (which groups come out, in which
 * order).  Not a public header.
 *
 * A group is identified by its key bytes: i64 bucket start | u32 id of the
 * tuple of its series-key group columns | u32 id of the value of each other
 * group column.  Values and tuples get dense ids from interners, so a key
 * is fixed-width and a group of a block's run is found with one lookup.
 */
#ifndef PS_AGG_INT_H
#define PS_AGG_INT_H

#include "ps_agg.h"
#include "ps_buf.h"

/* Where a column's values come from while reading a block. */
typedef enum agg_source {
	AGG_SRC_NONE,				/* COUNT_ALL */
	AGG_SRC_TIME,				/* the block's times */
	AGG_SRC_SERIES,				/* a series-key column: one value per block */
	AGG_SRC_BLOCK				/* a stored column of the block */
} agg_source;

typedef struct agg_col {
	uint32_t	schema;			/* schema index */
	ps_type		type;
	agg_source	src;
	uint32_t	block;			/* AGG_SRC_BLOCK: block column index */
} agg_col;

/*
 * One aggregate of one group.  count: rows (COUNT_ALL) or non-NULL values.
 * v: MIN/MAX (once count > 0), FIRST/LAST (once have; a STRING value owns
 * its bytes, malloc'd) with t the winning row's time.
 */
typedef struct agg_state {
	uint64_t	count;
	__int128	sum_i;
	double		sum_f;
	ps_value	v;
	int64_t		t;
	bool		have;
} agg_state;

/* A set of byte strings, each given a dense id in order of arrival. */
typedef struct agg_intern {
	uint32_t   *slots;			/* id + 1; 0 = empty; nslots a power of two */
	uint32_t	nslots;
	uint32_t	n;
	size_t	   *offs;			/* n + 1 offsets into bytes */
	uint64_t   *hashes;
	size_t		cap;			/* of offs - 1 and hashes */
	ps_buf		bytes;
} agg_intern;

struct ps_agg {
	ps_agg_stats stats;
	uint32_t	nitems;
	ps_agg_fn  *fns;
	agg_col    *item_cols;
	agg_col    *item_cols2;		/* SUM_PRODUCT's second factor */
	uint32_t	ngroup;
	agg_col    *group_cols;
	uint32_t	nseries_group;	/* group columns that are series-key columns */
	uint32_t	nextra;			/* the other group columns */
	int64_t		width, origin;
	uint64_t	max_groups;

	agg_intern	tuples;			/* series-group tuples (agg_value_put of each, in group order) */
	agg_intern	values;			/* values of the other group columns */
	agg_intern	groups;			/* group keys */
	agg_state  *states;			/* groups.n x nitems */
	size_t		states_cap;		/* groups */
	ps_buf		scratch;

	/* output */
	uint32_t	ncols;
	ps_type    *types;
	int32_t    *col_item;		/* per result column: an item, or AGG_COL_* */
	ps_agg_sort *sort;			/* the request's sort keys */
	uint32_t	nsort;
	uint64_t	offset, limit;
	uint32_t   *order;			/* group ids, in output order */
	uint32_t	nout;			/* groups in order (offset included) */
	uint32_t	next_out;
	uint32_t	out_cap;
	ps_scan_vector *vec;
	ps_buf	   *strings;		/* per output column */
	ps_scan_batch batch;
};

ps_status	agg_intern_put(agg_intern *in, const void *p, size_t len, uint32_t *id, bool *added,
						   ps_error *err);
void		agg_intern_get(const agg_intern *in, uint32_t id, const uint8_t **p, size_t *len);
void		agg_intern_free(agg_intern *in);

/* Append a value of type t as key bytes: u8 null | 8 bytes, or u32 length and bytes (STRING). */
ps_status	agg_value_put(ps_buf *b, ps_type t, const ps_value *v);

/*
 * The states of the group with key bytes key[0..len), made (zeroed) when
 * new; PS_ETOOBIG past max_groups.
 */
ps_status	agg_group(ps_agg *a, const uint8_t *key, size_t len, agg_state **out, ps_error *err);
/* The group columns of group g, in group order, and its bucket start. */
void		agg_group_values(const ps_agg *a, uint32_t g, ps_value *vals, int64_t *bucket);
/*
 * The result value of aggregate i in its state s (ps_agg.h); an integer
 * SUM gives its low 64 bits (the whole sum is s->sum_i).
 */
void		agg_item_value(const ps_agg *a, uint32_t i, const agg_state *s, ps_value *v);

/* What a result column holds, besides an aggregate's index (col_item). */
#define AGG_COL_BUCKET (-1)
#define AGG_COL_SUM_LOW (-2)	/* the low 64 bits of the integer SUM before it */
#define AGG_COL_GROUP(c) (-3 - (int32_t) (c))	/* group column c */

/* The result columns' types and contents (ncols, types, col_item), once the request is resolved. */
ps_status	agg_columns(ps_agg *a, ps_error *err);
/* Check the request's sort keys, offset and limit against the result columns, and keep them. */
ps_status	agg_sort_set(ps_agg *a, const ps_agg_spec *spec, ps_error *err);
/* Order the groups for output: order, nout and next_out (ps_agg_order.c). */
ps_status	agg_order(ps_agg *a, ps_error *err);

#endif
