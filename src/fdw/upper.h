/*
 * upper.h — what upper_plan.c (planning pushed aggregates) and
 * upper_order.c (their ORDER BY, LIMIT and OFFSET) hand to upper_exec.c
 * (running them): the planner state of a grouped relation, and the layout
 * of the plan's fdw_private.  Not installed; include after postgres.h and
 * pulsora_fdw.h.
 */
#ifndef PULSORA_UPPER_H
#define PULSORA_UPPER_H

/* How an entry of fdw_scan_tlist is made from the owner's result columns (ps_agg.h). */
typedef enum PulsoraOutputKind
{
	PULSORA_OUT_PLAIN,			/* column a, converted as a column of its store type */
	PULSORA_OUT_BUCKET,			/* the bucket start, column 0 */
	PULSORA_OUT_EPOCH,			/* the bucket start in epoch seconds (numeric), column 0 */
	PULSORA_OUT_SUM_NUMERIC,	/* an exact sum: high 64 bits in a, low in b; numeric */
	PULSORA_OUT_AVG_NUMERIC,	/* sum (a, b) / count c, as numeric */
	PULSORA_OUT_AVG_FLOAT,		/* sum a / count b, as double precision */
	/* The transition states of partial aggregates (upper_state.c): */
	PULSORA_OUT_INT8_SUM_STATE, /* count c, exact sum (a, b): sum/avg(bigint) */
	PULSORA_OUT_FLOAT8_AVG_STATE,	/* sum a, count b: avg(double precision) */
	PULSORA_OUT_FIRST_LAST_STATE	/* value a, time b: first/last */
} PulsoraOutputKind;

/* fdw_private of a ForeignScan of pushed aggregates (scanrelid 0). */
enum FdwUpperPrivateIndex
{
	FdwUpperTable,				/* String: store table */
	FdwUpperTimeType,			/* Integer: type oid of the time column */
	FdwUpperStrategies,			/* IntList: btree strategy per time operand (fdw_exprs) */
	FdwUpperOperandTypes,		/* OidList: type per time operand */
	FdwUpperSeries,				/* List: pulsora_series_private per series operand */
	FdwUpperBucket,				/* NIL, or two int8 Consts: width and origin (ns) */
	FdwUpperGroupColumns,		/* List of String: store columns grouped by */
	FdwUpperFns,				/* IntList: ps_agg_fn per aggregate asked of the owner */
	FdwUpperFnColumns,			/* List of String: its column ("" for count(*)) */
	FdwUpperFnColumns2,			/* List of String: SUM_PRODUCT's second factor, else "" */
	FdwUpperOutputs,			/* List of IntList (kind, a, b, c) per fdw_scan_tlist entry */
	FdwUpperSort,				/* NIL, or (IntList result columns, IntList PS_AGG_SORT_* flags,
								 * List of String labels for EXPLAIN) */
	FdwUpperLimit,				/* NIL, or two int8 Consts: offset, limit (0 = none) */
	FdwUpperPartial				/* Boolean: partial aggregates (transition states) */
};

/* The path-level fdw_private of an ordered or final path: the sort (as FdwUpperSort) and limit. */
enum FdwUpperPathIndex
{
	FdwUpperPathSort,
	FdwUpperPathLimit
};

/*
 * Planner state (RelOptInfo.fdw_private) of a grouped or distinct relation
 * the owner can compute (stage UPPERREL_GROUP_AGG or UPPERREL_DISTINCT),
 * and of the ordered relation above one (UPPERREL_ORDERED), which adds the
 * sort the owner does, if it can (sort NIL: a local Sort does it).
 */
typedef struct PulsoraUpperInfo
{
	UpperRelationKind stage;	/* GROUP_AGG, PARTIAL_GROUP_AGG, DISTINCT or ORDERED */
	RelOptInfo *input_rel;		/* the foreign table's relation */
	List	   *tlist;			/* fdw_scan_tlist */
	List	   *outputs;
	List	   *group_columns;
	bool		has_bucket;
	int64		width_ns, origin_ns;
	List	   *fns;
	List	   *fn_columns;
	List	   *fn_columns2;
	List	   *fn_types;		/* IntList: store type of each aggregate's column */
	List	   *having;			/* HAVING, checked by the ForeignScan on each group */
	double		rows;			/* the groups' path: groups estimated, and its costs */
	Cost		startup_cost, total_cost;
	RelOptInfo *groups_rel;		/* UPPERREL_ORDERED: the relation of the groups */
	List	   *sort;			/* UPPERREL_ORDERED: as FdwUpperSort */
} PulsoraUpperInfo;

/* upper_order.c: ORDERED and FINAL paths over a pushed aggregate's groups. */
extern void pulsora_upper_ordered_paths(PlannerInfo *root, RelOptInfo *input_rel,
										RelOptInfo *ordered_rel);
extern void pulsora_upper_final_paths(PlannerInfo *root, RelOptInfo *input_rel,
									  RelOptInfo *final_rel, FinalPathExtraData *extra);

/* upper_bucket.c: the schema of this extension's functions (time_bucket, first, last). */
extern Oid	pulsora_extension_schema(RelOptInfo *rel);
/*
 * upper_bucket.c: if expr is a fixed-width bucket of rel's time column, its
 * output kind (PULSORA_OUT_BUCKET, or PULSORA_OUT_EPOCH for Grafana's
 * epoch-seconds form) with *width_ns and *origin_ns (ns since 1970) set;
 * else -1.
 */
extern int	pulsora_time_bucket(RelOptInfo *rel, Node *expr, int64 *width_ns, int64 *origin_ns);

/* upper_state.c: transition states, as the Partial Aggregate of PostgreSQL 15 outputs them. */
extern Datum pulsora_int8_sum_state(int64 count, int64 sum_hi, int64 sum_lo);
extern Datum pulsora_float8_avg_state(int64 count, double sum);

/* upper_exec.c: how EXPLAIN names an owner aggregate, "sum(qty)" (palloc'd). */
extern char *pulsora_agg_label(int fn, const char *column, const char *column2);

#endif
