/*
 * ps_rest_groups.h — the groups of a store aggregate (ps_agg.h) written as
 * rows, one plan for GET /tables/{t}/aggregate, GET /tables/{t}/latest
 * (ps_rest_aggregate.c, ps_rest_latest.c) and pulsora-cli's `aggregate`
 * and `latest` (cli_groups.c), so all four ask the store the same
 * aggregates and print the same text for the same group.
 *
 * A plan fixes the answer's keys (a ps_rest_layout) and the store
 * aggregates to ask for (items); once the aggregate has run, binding it
 * to the result types works out where each key's value lies (a SUM of an
 * INTEGER column takes two result columns), and then each group, handed
 * over as one ps_value per result column, becomes one row.
 *
 *  - aggregate: keys "bucket" (when bucketed), the by columns, then each
 *    field as written; avg(col) is sum(col) / count(col) computed here,
 *    from the exact 128-bit sum for an INTEGER column; a store aggregate
 *    is asked once however many fields share it.
 *  - latest: keys the given columns in the given order; grouped by the
 *    by columns, the time column's value is MAX(time) and every other
 *    column's LAST(column), so all come from the row with the largest
 *    time (ps_agg.c keeps, for every LAST of a group, the same winning
 *    row).  The one group a store aggregate without groups returns over
 *    no row (its MAX(time) NULL) is no row: ps_rest_groups_skip says so.
 *
 * Pure: no HTTP library, no store, no protocol.  Column names in items
 * are borrowed from what the plan was given, for as long as the items are
 * used (the run); keys are copied.
 */
#ifndef PS_REST_GROUPS_H
#define PS_REST_GROUPS_H

#include <stdbool.h>
#include <stdint.h>

#include "core/ps_agg.h"
#include "core/ps_buf.h"
#include "ps_rest_format.h"
#include "ps_rest_params.h"

typedef struct ps_rest_group_key ps_rest_group_key;	/* one key's source (private) */

typedef struct ps_rest_groups {
	ps_rest_layout layout;		/* the answer's keys and format */
	ps_agg_item items[PS_AGG_MAX_ITEMS];	/* to ask the store */
	uint32_t	nitems;
	uint32_t	nlead;			/* result columns before the items' (bucket, group columns) */
	ps_rest_group_key *keys;	/* layout's keys in order (owned) */
	uint32_t	nkeys;
	const ps_type *types;		/* of the result columns, once bound (borrowed) */
	uint32_t	ntypes;
	uint32_t	skip_col;		/* a result column whose NULL means no row; UINT32_MAX none */
} ps_rest_groups;

/* Plan q's answer into *g (zeroed or freed before); PS_ENOMEM. */
ps_status	ps_rest_groups_aggregate(ps_rest_groups *g, const ps_rest_aggregate *q);

/*
 * Plan a latest into *g (zeroed or freed before): keys names[0..n) (the
 * time column among them or not), grouped by by[0..nby), which the
 * store's spec must name in that order.  PS_ENOMEM, or PS_EINVAL when
 * over PS_AGG_MAX_ITEMS columns would need a LAST.
 */
ps_status	ps_rest_groups_latest(ps_rest_groups *g, const ps_rest_formatter *fmt,
								  const char *const *names, uint32_t n, const char *time_column,
								  const char (*by)[PS_MAX_NAME + 1], uint32_t nby, ps_error *err);

/* Bind to the aggregate's result columns (types borrowed: keep them while rows are written). */
ps_status	ps_rest_groups_bind(ps_rest_groups *g, const ps_type *types, uint32_t ntypes,
								ps_error *err);

/* Whether the group whose result values are row[0..ntypes) is no row of the answer. */
bool		ps_rest_groups_skip(const ps_rest_groups *g, const ps_value *row);

/* Append the group whose result values are row[0..ntypes) as one row (PS_ENOMEM). */
ps_status	ps_rest_groups_row(ps_rest_groups *g, ps_buf *b, const ps_value *row);

void		ps_rest_groups_free(ps_rest_groups *g);	/* zeroed ok; g itself is the caller's */

#endif
