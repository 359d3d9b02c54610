/*
 * upper.h — what upper_plan.c (planning pushed aggregates) hands to
 * upper_exec.c (running them): the planner state of a grouped relation,
 * and the layout of the plan's fdw_private.  Not installed; include after
 * postgres.h and pulsora_fdw.h.
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
	PULSORA_OUT_AVG_FLOAT		/* sum a / count b, as double precision */
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
	FdwUpperOutputs				/* List of IntList (kind, a, b, c) per fdw_scan_tlist entry */
};

/* Planner state of a grouped relation the owner can compute (RelOptInfo.fdw_private). */
typedef struct PulsoraUpperInfo
{
	RelOptInfo *input_rel;		/* the foreign table's relation */
	List	   *tlist;			/* fdw_scan_tlist */
	List	   *outputs;
	List	   *group_columns;
	bool		has_bucket;
	int64		width_ns, origin_ns;
	List	   *fns;
	List	   *fn_columns;
	List	   *fn_columns2;
	List	   *having;			/* HAVING, checked by the ForeignScan on each group */
} PulsoraUpperInfo;

#endif
