/*
 * pulsora_fdw.c — the foreign-data wrapper of the extension `pulsora`:
 * planning and executing scans, EXPLAIN, and the handler that also hands
 * out the callbacks of modify.c (INSERT, COPY FROM), analyze.c (ANALYZE),
 * async.c (async scans), upper_plan.c (pushed aggregates) and import.c
 * (IMPORT FOREIGN SCHEMA) (DESIGN §5).
 *
 * Planning asks the owner for the table's catalog entry (schema, exact row
 * count, time bounds; a copy at most a second old will do, see
 * connection.c): it checks the foreign table's columns against the
 * schema and estimates rows as the fraction of the stored time span that the
 * constant time quals cover, or, with constant series filters, as the owner
 * counts them in its block metadata for that range (series differ in
 * size).  Time quals (scan_range.c) become the iterator's range;
 * those whose range is exact are dropped from the quals PostgreSQL
 * rechecks.  Equality quals on series-key columns (series_filter.c) become
 * series filters, exact and dropped likewise.  Paths: a scan in time order,
 * ascending or descending, when the query orders by the time column (the
 * owner merges the series, so no Sort is needed), else an unordered one
 * (the owner hands out whole blocks, merging nothing), parameterised ones
 * (unordered) for join clauses on the time column or
 * a series-key column (nested loops re-open the scan per outer row), and
 * LIMIT pushed into the scan when nothing between the scan and the LIMIT
 * can drop rows.
 *
 * Under an Append, scans are async (async.c, option async_capable): such
 * a scan opens without waiting for the owner and, where its next row has
 * not arrived, IterateForeignScan returns an empty slot rather than wait.
 *
 * fdw_exprs of a ForeignScan are the time-qual operands, then the
 * series-qual operands, evaluated at the first fetch after
 * BeginForeignScan or ReScan; fdw_private is a list indexed by enum
 * FdwScanPrivateIndex.
 */
#include "postgres.h"


#include "access/htup_details.h"
#include "access/stratnum.h"
#include "access/table.h"
#include "catalog/pg_type.h"
#include "commands/explain.h"
#include "executor/executor.h"
#include "foreign/fdwapi.h"
#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "nodes/makefuncs.h"
#include "nodes/nodeFuncs.h"
#include "optimizer/cost.h"
#include "optimizer/optimizer.h"
#include "optimizer/pathnode.h"
#include "optimizer/paths.h"
#include "optimizer/planmain.h"
#include "optimizer/restrictinfo.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/typcache.h"

#include "pulsora_fdw.h"

PG_MODULE_MAGIC;

void		_PG_init(void);

PG_FUNCTION_INFO_V1(pulsora_fdw_handler);

/* Cost model: one local-socket round trip to start, cheap per-row transfer. */
#define PULSORA_STARTUP_COST 10.0
#define PULSORA_ROW_COST 0.005

/*
 * The order a path asks of the owner: time order when the query's first
 * pathkey is the time column, else none at all, which spares the owner
 * its merge of the series (rows come block by block).
 */
typedef enum PulsoraScanOrder
{
	PULSORA_UNORDERED,
	PULSORA_ASCENDING,
	PULSORA_DESCENDING
} PulsoraScanOrder;

enum FdwScanPrivateIndex
{
	FdwScanTable,				/* String: store table */
	FdwScanColumns,				/* List of String: value columns to fetch */
	FdwScanAttnos,				/* IntList: attribute of each */
	FdwScanTypes,				/* IntList: expected ps_type of each */
	FdwScanTimeAttno,			/* Integer: time attribute if used above the scan, or 0 */
	FdwScanTimeType,			/* Integer: its type oid */
	FdwScanStrategies,			/* IntList: btree strategy per fdw_exprs item */
	FdwScanOperandTypes,		/* OidList: operand type per fdw_exprs item */
	FdwScanOrder,				/* Integer: enum PulsoraScanOrder */
	FdwScanLimit,				/* Integer: rows, or -1 */
	FdwScanSeries				/* List: pulsora_series_private per series operand */
};

/* Executor state of one foreign scan. */
typedef struct PulsoraScanState
{
	PulsoraConn *conn;			/* NULL for EXPLAIN without ANALYZE */
	PulsoraReadSpec spec;		/* lo_ns/hi_ns set per (re)scan */
	Oid			time_type;
	List	   *bound_states;	/* ExprState per fdw_exprs item */
	List	   *strategies;
	List	   *operand_types;
	bool		range_known;	/* range evaluated (for EXPLAIN) */
	PulsoraRange range;
	PulsoraSeriesExec *series;	/* series filters, or NULL */
	PulsoraReader *reader;		/* open scan, or NULL */
	bool		finished;		/* this (re)scan has no more rows */
	uint64		fetched;		/* rows fetched by closed readers */
} PulsoraScanState;

static void pulsoraGetForeignRelSize(PlannerInfo *root, RelOptInfo *baserel, Oid foreigntableid);

/* ================================================================ planning */

/*
 * Rows the series quals (exact, constant) keep in the constant time range,
 * counted by the owner from its block metadata: series are rarely the same
 * size, so this beats the share of the series.  False when there are no
 * such quals or the owner declines (too many blocks to look at).
 */
static bool
series_estimate(PulsoraConn *conn, PulsoraRelInfo *fp, const PulsoraRange *range,
				List *series_quals, double *rows)
{
	ps_filter_spec *filters;
	int			nfilters;
	bool		empty;
	int64		lo_ns, hi_ns;

	if (series_quals == NIL || fp->info.row_count == 0 ||
		!pulsora_series_plan_filters(series_quals, &fp->map, &filters, &nfilters, &empty))
		return false;
	if (empty || !pulsora_range_to_ns(range, &lo_ns, &hi_ns))
	{
		*rows = 0;
		return true;
	}
	return pulsora_estimate_rows(conn, fp->table, lo_ns, hi_ns, filters, nfilters, rows);
}

static void
pulsoraGetForeignRelSize(PlannerInfo *root, RelOptInfo *baserel, Oid foreigntableid)
{
	PulsoraRelInfo *fp = palloc0(sizeof(PulsoraRelInfo));
	ForeignTable *table = GetForeignTable(foreigntableid);
	ForeignServer *server = GetForeignServer(table->serverid);
	PulsoraConn *conn;
	Relation	rel;
	bool		from_copy;
	PulsoraRange range;
	List	   *runtime_bounds = NIL;
	List	   *series_quals = NIL;
	List	   *series_clauses = NIL;
	int			budget = PS_FRAME_MAX_FILTER_VALUES;
	QualCost	qual_cost;
	double		fraction;
	double		rows;
	ListCell   *lc;

	baserel->fdw_private = fp;
	fp->table = pulsora_table_name(foreigntableid);
	fp->async_capable = pulsora_async_capable(table, server);
	conn = pulsora_connect(server);
	rel = table_open(foreigntableid, NoLock);	/* the planner holds a lock */
	/* A kept catalog copy that does not fit may be outdated: ask the owner. */
	from_copy = pulsora_table_info_for_planning(conn, fp->table, false, &fp->info);
	if (!from_copy || !pulsora_map_columns(rel, &fp->info, &fp->map, true))
	{
		if (from_copy)
			pulsora_table_info_for_planning(conn, fp->table, true, &fp->info);
		pulsora_map_columns(rel, &fp->info, &fp->map, false);
	}
	table_close(rel, NoLock);
	fp->time_type = fp->map.time_attno > 0 ? fp->map.pg_type[fp->map.time_attno - 1] : InvalidOid;

	pulsora_range_init(&range);
	foreach(lc, baserel->baserestrictinfo)
	{
		RestrictInfo *ri = lfirst_node(RestrictInfo, lc);
		PulsoraTimeQual q;
		PulsoraSeriesQual sq;

		if (pulsora_time_qual(root, ri->clause, baserel->relid, fp->map.time_attno,
							  fp->time_type, false, &q))
		{
			if (IsA(q.operand, Const))
				pulsora_range_apply(&range, fp->time_type, q.strategy, q.operand_type,
									((Const *) q.operand)->constvalue,
									((Const *) q.operand)->constisnull);
			else
				runtime_bounds = lappend(runtime_bounds, ri);
			if (q.exact)
				continue;
		}
		else if (pulsora_series_qual(root, ri->clause, baserel->relid, &fp->map, false, &sq) &&
				 pulsora_series_take(&sq, &budget) == PULSORA_SERIES_EXACT)
		{
			/* (Quals rechecked anyway count among the local ones.) */
			PulsoraSeriesQual *copy = palloc(sizeof sq);

			*copy = sq;
			series_quals = lappend(series_quals, copy);
			series_clauses = lappend(series_clauses, ri);
			continue;
		}
		fp->local_conds = lappend(fp->local_conds, ri);
	}

	fraction = fp->info.row_count == 0 ? 0.0
		: pulsora_range_fraction(&range, fp->info.min_time, fp->info.max_time);
	if (!series_estimate(conn, fp, &range, series_quals, &rows))
		rows = fp->info.row_count * fraction *
			pulsora_series_selectivity(root, baserel, series_quals, series_clauses, &fp->info);
	fp->fetched_rows = clamp_row_est(rows * clauselist_selectivity(root, runtime_bounds,
																	baserel->relid, JOIN_INNER,
																	NULL));
	baserel->tuples = (double) fp->info.row_count;
	baserel->rows = clamp_row_est(fp->fetched_rows *
								  clauselist_selectivity(root, fp->local_conds, baserel->relid,
														 JOIN_INNER, NULL));

	cost_qual_eval(&qual_cost, fp->local_conds, root);
	fp->startup_cost = PULSORA_STARTUP_COST + qual_cost.startup;
	fp->total_cost = fp->startup_cost +
		fp->fetched_rows * (cpu_tuple_cost + PULSORA_ROW_COST + qual_cost.per_tuple);
}

/*
 * The first of the query's pathkeys if it orders by the time column (so a
 * scan in that direction delivers it); *descending tells the direction.
 */
static PathKey *
time_query_pathkey(PlannerInfo *root, RelOptInfo *baserel, PulsoraRelInfo *fp, bool *descending)
{
	PathKey    *pk;
	ListCell   *lc;

	if (root->query_pathkeys == NIL || fp->map.time_attno == 0)
		return NULL;
	pk = linitial(root->query_pathkeys);
	if (pk->pk_opfamily != lookup_type_cache(fp->time_type, TYPECACHE_BTREE_OPFAMILY)->btree_opf)
		return NULL;
	foreach(lc, pk->pk_eclass->ec_members)
	{
		EquivalenceMember *em = lfirst(lc);
		Expr	   *expr = em->em_expr;

		while (expr && IsA(expr, RelabelType))
			expr = ((RelabelType *) expr)->arg;
		if (expr && IsA(expr, Var) &&
			((Var *) expr)->varno == baserel->relid &&
			((Var *) expr)->varattno == fp->map.time_attno &&
			((Var *) expr)->varlevelsup == 0)
		{
			*descending = pk->pk_strategy == BTGreaterStrategyNumber;
			return pk;
		}
	}
	return NULL;
}

/*
 * Rows the LIMIT above lets through, if the scan may stop there: the query
 * scans only this relation, nothing between scan and LIMIT can drop or
 * multiply rows, and the path's order is the order the LIMIT applies to.
 */
static int
pushable_limit(PlannerInfo *root, RelOptInfo *baserel, PulsoraRelInfo *fp, List *pathkeys)
{
	Query	   *parse = root->parse;

	if (root->limit_tuples <= 0 || root->limit_tuples > PG_INT32_MAX)
		return -1;
	if (fp->local_conds != NIL)
		return -1;
	if (root->query_pathkeys != NIL && !pathkeys_contained_in(root->query_pathkeys, pathkeys))
		return -1;
	if (parse->commandType != CMD_SELECT || parse->hasAggs || parse->groupClause ||
		parse->groupingSets || root->hasHavingQual || parse->hasWindowFuncs ||
		parse->distinctClause || parse->hasTargetSRFs || parse->rowMarks ||
		parse->setOperations)
		return -1;
	if (baserel->reloptkind != RELOPT_BASEREL || !bms_equal(root->all_baserels, baserel->relids))
		return -1;
	return (int) root->limit_tuples;
}

static void
add_scan_path(PlannerInfo *root, RelOptInfo *baserel, PulsoraRelInfo *fp,
			  List *pathkeys, PulsoraScanOrder order)
{
	int			limit = pushable_limit(root, baserel, fp, pathkeys);
	double		rows = baserel->rows;
	Cost		total = fp->total_cost;

	if (limit > 0 && limit < rows)
	{
		total = fp->startup_cost + (fp->total_cost - fp->startup_cost) * (limit / rows);
		rows = limit;
	}
	add_path(baserel, (Path *)
			 create_foreignscan_path(root, baserel, NULL, rows, fp->startup_cost, total,
									 pathkeys, NULL, NULL,
									 list_make2(makeInteger(order), makeInteger(limit))));
}

/* Is em the time column or a series-key column of rel? */
static bool
ec_member_is_pushable(PlannerInfo *root, RelOptInfo *rel, EquivalenceClass *ec,
					  EquivalenceMember *em, void *arg)
{
	PulsoraRelInfo *fp = arg;
	Expr	   *expr = em->em_expr;
	AttrNumber	attno;

	while (expr && IsA(expr, RelabelType))
		expr = ((RelabelType *) expr)->arg;
	if (expr == NULL || !IsA(expr, Var) || ((Var *) expr)->varno != rel->relid ||
		((Var *) expr)->varlevelsup != 0)
		return false;
	attno = ((Var *) expr)->varattno;
	return attno > 0 && (attno == fp->map.time_attno ||
						 (attno <= fp->map.natts && fp->map.series[attno - 1]));
}

/*
 * Parameterised paths: join clauses on the time column become the range per
 * outer row, those on a series-key column a series filter.
 */
static void
add_parameterized_paths(PlannerInfo *root, RelOptInfo *baserel, PulsoraRelInfo *fp)
{
	List	   *clauses = NIL;
	List	   *ppis = NIL;
	ListCell   *lc;

	foreach(lc, baserel->joininfo)
		clauses = lappend(clauses, lfirst(lc));
	if (baserel->has_eclass_joins)
		clauses = list_concat(clauses,
							  generate_implied_equalities_for_column(root, baserel,
																	 ec_member_is_pushable, fp,
																	 baserel->lateral_referencers));

	foreach(lc, clauses)
	{
		RestrictInfo *ri = lfirst_node(RestrictInfo, lc);
		PulsoraTimeQual q;
		PulsoraSeriesQual sq;
		Relids		outer;

		if (!join_clause_is_movable_to(ri, baserel) ||
			!(pulsora_time_qual(root, ri->clause, baserel->relid, fp->map.time_attno,
								fp->time_type, true, &q) ||
			  pulsora_series_qual(root, ri->clause, baserel->relid, &fp->map, true, &sq)))
			continue;
		outer = bms_union(bms_difference(ri->clause_relids, baserel->relids),
						  baserel->lateral_relids);
		if (bms_is_empty(outer))
			continue;
		ppis = list_append_unique_ptr(ppis, get_baserel_parampathinfo(root, baserel, outer));
	}

	foreach(lc, ppis)
	{
		ParamPathInfo *ppi = lfirst(lc);
		double		rows = ppi->ppi_rows;
		Cost		total = fp->startup_cost + rows * (cpu_tuple_cost + PULSORA_ROW_COST);

		add_path(baserel, (Path *)
				 create_foreignscan_path(root, baserel, NULL, rows, fp->startup_cost, total,
										 NIL, ppi->ppi_req_outer, NULL,
										 list_make2(makeInteger(PULSORA_UNORDERED), makeInteger(-1))));
	}
}

static void
pulsoraGetForeignPaths(PlannerInfo *root, RelOptInfo *baserel, Oid foreigntableid)
{
	PulsoraRelInfo *fp = baserel->fdw_private;
	bool		descending = false;
	PathKey    *pk = time_query_pathkey(root, baserel, fp, &descending);

	if (pk != NULL)
		add_scan_path(root, baserel, fp, list_make1(pk),
					  descending ? PULSORA_DESCENDING : PULSORA_ASCENDING);
	else
		add_scan_path(root, baserel, fp, NIL, PULSORA_UNORDERED);
	add_parameterized_paths(root, baserel, fp);
}

void
pulsora_plan_quals(PlannerInfo *root, RelOptInfo *baserel, List *clauses, PulsoraPlanQuals *out)
{
	PulsoraRelInfo *fp = baserel->fdw_private;
	List	   *series_exprs = NIL;
	int			budget = PS_FRAME_MAX_FILTER_VALUES;
	ListCell   *lc;

	memset(out, 0, sizeof(*out));
	foreach(lc, clauses)
	{
		RestrictInfo *ri = lfirst_node(RestrictInfo, lc);
		PulsoraTimeQual q;
		PulsoraSeriesQual sq;
		PulsoraSeriesPush push;

		if (ri->pseudoconstant)
			continue;			/* a gating Result checks those */
		if (pulsora_time_qual(root, ri->clause, baserel->relid, fp->map.time_attno,
							  fp->time_type, true, &q))
		{
			out->fdw_exprs = lappend(out->fdw_exprs, q.operand);
			out->strategies = lappend_int(out->strategies, q.strategy);
			out->operand_types = lappend_oid(out->operand_types, q.operand_type);
			if (q.exact)
				continue;
		}
		/* In the order GetForeignRelSize asked, so the same quals stay local. */
		else if (pulsora_series_qual(root, ri->clause, baserel->relid, &fp->map, true, &sq) &&
				 (push = pulsora_series_take(&sq, &budget)) != PULSORA_SERIES_LOCAL)
		{
			series_exprs = lappend(series_exprs, sq.operand);
			out->series_items = lappend(out->series_items,
										pulsora_series_private(&sq, fp->map.store_name[sq.attno - 1],
															   fp->map.store_type[sq.attno - 1], push));
			if (push == PULSORA_SERIES_EXACT)
				continue;
		}
		out->local_exprs = lappend(out->local_exprs, ri->clause);
	}
	out->fdw_exprs = list_concat(out->fdw_exprs, series_exprs);
}

static ForeignScan *
pulsoraGetForeignPlan(PlannerInfo *root, RelOptInfo *baserel, Oid foreigntableid,
					  ForeignPath *best_path, List *tlist, List *scan_clauses, Plan *outer_plan)
{
	PulsoraRelInfo *fp = baserel->fdw_private;
	PulsoraPlanQuals pq;
	List	   *local_exprs;
	List	   *columns = NIL;
	List	   *attnos = NIL;
	List	   *types = NIL;
	List	   *fdw_private;
	Bitmapset  *attrs_used = NULL;
	bool		whole_row;
	AttrNumber	time_attno;

	if (IS_UPPER_REL(baserel))
		return pulsora_upper_plan(root, baserel, best_path, tlist, scan_clauses, outer_plan);
	pulsora_plan_quals(root, baserel, scan_clauses, &pq);
	local_exprs = pq.local_exprs;

	/* Fetch only the columns used above the scan or by the quals left here. */
	pull_varattnos((Node *) baserel->reltarget->exprs, baserel->relid, &attrs_used);
	pull_varattnos((Node *) local_exprs, baserel->relid, &attrs_used);
	whole_row = bms_is_member(0 - FirstLowInvalidHeapAttributeNumber, attrs_used);
	for (int i = 0; i < fp->map.natts; i++)
	{
		AttrNumber	attno = i + 1;

		if (fp->map.store_name[i] == NULL || attno == fp->map.time_attno)
			continue;
		if (!whole_row && !bms_is_member(attno - FirstLowInvalidHeapAttributeNumber, attrs_used))
			continue;
		columns = lappend(columns, makeString(fp->map.store_name[i]));
		attnos = lappend_int(attnos, attno);
		types = lappend_int(types, (int) fp->map.store_type[i]);
	}

	/* The time travels anyway; it becomes a Datum only when used (not for count(*)). */
	time_attno = fp->map.time_attno;
	if (time_attno > 0 && !whole_row &&
		!bms_is_member(time_attno - FirstLowInvalidHeapAttributeNumber, attrs_used))
		time_attno = 0;

	/* In the order of enum FdwScanPrivateIndex. */
	fdw_private = list_make5(makeString(fp->table), columns, attnos, types,
							 makeInteger(time_attno));
	fdw_private = lappend(fdw_private, makeInteger((int) fp->time_type));
	fdw_private = lappend(fdw_private, pq.strategies);
	fdw_private = lappend(fdw_private, pq.operand_types);
	fdw_private = lappend(fdw_private, linitial(best_path->fdw_private));
	fdw_private = lappend(fdw_private, lsecond(best_path->fdw_private));
	fdw_private = lappend(fdw_private, pq.series_items);
	return make_foreignscan(tlist, local_exprs, baserel->relid, pq.fdw_exprs, fdw_private,
							NIL, NIL, outer_plan);
}

/* ================================================================ scanning */

bool
pulsora_contains_exec_param(Node *node, void *context)
{
	if (node == NULL)
		return false;
	if (IsA(node, Param) && ((Param *) node)->paramkind == PARAM_EXEC)
		return true;
	return expression_tree_walker(node, pulsora_contains_exec_param, context);
}

static void
compute_range(ForeignScanState *node, PulsoraScanState *s)
{
	pulsora_range_compute(s->bound_states, s->strategies, s->operand_types, s->time_type,
						  node->ss.ps.ps_ExprContext, &s->range);
	s->range_known = true;
}

static void
scan_BeginForeignScan(ForeignScanState *node, int eflags)
{
	ForeignScan *plan = (ForeignScan *) node->ss.ps.plan;
	List	   *priv = plan->fdw_private;
	PulsoraScanState *s = palloc0(sizeof(PulsoraScanState));
	List	   *series_items = list_nth(priv, FdwScanSeries);
	int			ntime;
	List	   *time_exprs;
	List	   *series_exprs;
	List	   *columns = list_nth(priv, FdwScanColumns);
	List	   *attnos = list_nth(priv, FdwScanAttnos);
	List	   *types = list_nth(priv, FdwScanTypes);
	int			n = list_length(columns);
	const char **names = palloc(sizeof(char *) * Max(n, 1));
	AttrNumber *attnums = palloc(sizeof(AttrNumber) * Max(n, 1));
	ps_type    *stypes = palloc(sizeof(ps_type) * Max(n, 1));

	node->fdw_state = s;
	for (int i = 0; i < n; i++)
	{
		names[i] = strVal(list_nth(columns, i));
		attnums[i] = (AttrNumber) list_nth_int(attnos, i);
		stypes[i] = (ps_type) list_nth_int(types, i);
	}
	s->spec.table = strVal(list_nth(priv, FdwScanTable));
	s->spec.ncolumns = n;
	s->spec.columns = names;
	s->spec.types = stypes;
	s->spec.attnos = attnums;
	s->spec.time_attno = (AttrNumber) intVal(list_nth(priv, FdwScanTimeAttno));
	s->spec.natts = RelationGetDescr(node->ss.ss_currentRelation)->natts;
	s->spec.descending = intVal(list_nth(priv, FdwScanOrder)) == PULSORA_DESCENDING;
	s->spec.unordered = intVal(list_nth(priv, FdwScanOrder)) == PULSORA_UNORDERED;
	s->spec.limit = intVal(list_nth(priv, FdwScanLimit));
	s->time_type = (Oid) intVal(list_nth(priv, FdwScanTimeType));
	s->strategies = list_nth(priv, FdwScanStrategies);
	s->operand_types = list_nth(priv, FdwScanOperandTypes);
	/* fdw_exprs: the time operands, then the series operands. */
	ntime = list_length(s->strategies);
	time_exprs = list_copy_head(plan->fdw_exprs, ntime);
	series_exprs = list_copy_tail(plan->fdw_exprs, ntime);
	s->bound_states = ExecInitExprList(time_exprs, (PlanState *) node);
	if (series_items != NIL)
		s->series = pulsora_series_exec(series_items, series_exprs, (PlanState *) node);

	if (eflags & EXEC_FLAG_EXPLAIN_ONLY)
	{
		/* Show the range and the filters when known without running anything. */
		if (!pulsora_contains_exec_param((Node *) time_exprs, NULL))
			compute_range(node, s);
		if (s->series && !pulsora_contains_exec_param((Node *) series_exprs, NULL))
			pulsora_series_compute(s->series, node->ss.ps.ps_ExprContext);
		return;
	}
	s->conn = pulsora_connect(GetForeignServer(plan->fs_server));
}

static TupleTableSlot *
scan_IterateForeignScan(ForeignScanState *node)
{
	PulsoraScanState *s = node->fdw_state;
	TupleTableSlot *slot = node->ss.ss_ScanTupleSlot;

	ExecClearTuple(slot);
	if (s->finished)
		return slot;
	if (s->reader == NULL)
	{
		MemoryContext old;

		compute_range(node, s);
		if (s->series)
		{
			pulsora_series_compute(s->series, node->ss.ps.ps_ExprContext);
			s->spec.filters = s->series->filters;
			s->spec.nfilters = s->series->nfilters;
		}
		if (!pulsora_range_to_ns(&s->range, &s->spec.lo_ns, &s->spec.hi_ns) ||
			(s->series && s->series->empty))
		{
			s->finished = true;	/* contradiction: nothing to ask the owner */
			return slot;
		}
		/* An async scan asks without waiting, so that other owners get asked too. */
		s->spec.deferred = node->ss.ps.async_capable;
		old = MemoryContextSwitchTo(node->ss.ps.state->es_query_cxt);
		s->reader = pulsora_reader_open(s->conn, &s->spec);
		MemoryContextSwitchTo(old);
	}
	if (node->ss.ps.async_capable)
	{
		bool		blocked;

		if (pulsora_reader_next_nowait(s->reader, slot->tts_values, slot->tts_isnull, &blocked))
			return ExecStoreVirtualTuple(slot);
		if (blocked)
			return slot;		/* async.c waits for pulsora_scan_socket */
	}
	else if (pulsora_reader_next(s->reader, slot->tts_values, slot->tts_isnull))
		return ExecStoreVirtualTuple(slot);

	/* Exhausted: free the owner's iterator now rather than at end of query. */
	s->fetched += pulsora_reader_fetched(s->reader);
	pulsora_reader_close(s->reader);
	s->reader = NULL;
	s->finished = true;
	return slot;
}

static void
close_reader(PulsoraScanState *s)
{
	if (s->reader != NULL)
	{
		s->fetched += pulsora_reader_fetched(s->reader);
		pulsora_reader_close(s->reader);
		s->reader = NULL;
	}
}

bool
pulsora_scan_finished(ForeignScanState *node)
{
	if (((Scan *) node->ss.ps.plan)->scanrelid == 0)
		return pulsora_upper_finished(node);
	return ((PulsoraScanState *) node->fdw_state)->finished;
}

int
pulsora_scan_socket(ForeignScanState *node)
{
	PulsoraScanState *s = node->fdw_state;

	if (((Scan *) node->ss.ps.plan)->scanrelid == 0)
		return pulsora_upper_socket(node);
	return s->reader != NULL ? pulsora_reader_socket(s->reader) : -1;
}

static void
scan_ReScanForeignScan(ForeignScanState *node)
{
	PulsoraScanState *s = node->fdw_state;

	/* Parameters may have changed: the next fetch re-evaluates the range. */
	close_reader(s);
	s->finished = false;
}

static void
scan_EndForeignScan(ForeignScanState *node)
{
	PulsoraScanState *s = node->fdw_state;

	if (s != NULL)
		close_reader(s);
}

static void
scan_ExplainForeignScan(ForeignScanState *node, ExplainState *es)
{
	PulsoraScanState *s = node->fdw_state;

	ExplainPropertyText("Pulsora Table", s->spec.table, es);
	if (s->bound_states != NIL)
		ExplainPropertyText("Time Range",
							s->range_known ? pulsora_range_format(&s->range, s->time_type)
							: "computed at run time", es);
	if (s->series)
		ExplainPropertyText("Series Filter", pulsora_series_format(s->series), es);
	if (es->verbose)
	{
		List	   *columns = NIL;

		for (int i = 0; i < s->spec.ncolumns; i++)
			columns = lappend(columns, unconstify(char *, s->spec.columns[i]));
		if (columns != NIL)
			ExplainPropertyList("Value Columns", columns, es);
		else
			ExplainPropertyText("Value Columns", "none", es);
	}
	if (s->spec.descending)
		ExplainPropertyText("Time Order", "descending", es);
	if (s->spec.limit > 0)
		ExplainPropertyInteger("Row Limit", NULL, s->spec.limit, es);
	if (es->analyze)
		ExplainPropertyUInteger("Rows Fetched", NULL,
								s->fetched + (s->reader ? pulsora_reader_fetched(s->reader) : 0), es);
}

/* ================================================================ dispatch */

/* A ForeignScan of pushed aggregates has no scan relation (upper_exec.c). */
#define IS_PUSHED_AGGREGATE(node) (((Scan *) (node)->ss.ps.plan)->scanrelid == 0)

static void
pulsoraBeginForeignScan(ForeignScanState *node, int eflags)
{
	if (IS_PUSHED_AGGREGATE(node))
		pulsora_upper_begin(node, eflags);
	else
		scan_BeginForeignScan(node, eflags);
}

static TupleTableSlot *
pulsoraIterateForeignScan(ForeignScanState *node)
{
	return IS_PUSHED_AGGREGATE(node) ? pulsora_upper_next(node) : scan_IterateForeignScan(node);
}

static void
pulsoraReScanForeignScan(ForeignScanState *node)
{
	if (IS_PUSHED_AGGREGATE(node))
		pulsora_upper_rescan(node);
	else
		scan_ReScanForeignScan(node);
}

static void
pulsoraEndForeignScan(ForeignScanState *node)
{
	if (IS_PUSHED_AGGREGATE(node))
		pulsora_upper_end(node);
	else
		scan_EndForeignScan(node);
}

static void
pulsoraExplainForeignScan(ForeignScanState *node, ExplainState *es)
{
	if (IS_PUSHED_AGGREGATE(node))
		pulsora_upper_explain(node, es);
	else
		scan_ExplainForeignScan(node, es);
}

/* ================================================================ handler */

void
_PG_init(void)
{
	pulsora_upper_define_gucs();
}

Datum
pulsora_fdw_handler(PG_FUNCTION_ARGS)
{
	FdwRoutine *routine = makeNode(FdwRoutine);

	routine->GetForeignRelSize = pulsoraGetForeignRelSize;
	routine->GetForeignPaths = pulsoraGetForeignPaths;
	routine->GetForeignPlan = pulsoraGetForeignPlan;
	routine->BeginForeignScan = pulsoraBeginForeignScan;
	routine->IterateForeignScan = pulsoraIterateForeignScan;
	routine->ReScanForeignScan = pulsoraReScanForeignScan;
	routine->EndForeignScan = pulsoraEndForeignScan;
	routine->ExplainForeignScan = pulsoraExplainForeignScan;
	routine->GetForeignUpperPaths = pulsoraGetForeignUpperPaths;
	routine->AnalyzeForeignTable = pulsoraAnalyzeForeignTable;

	routine->IsForeignPathAsyncCapable = pulsoraIsForeignPathAsyncCapable;
	routine->ForeignAsyncRequest = pulsoraForeignAsyncRequest;
	routine->ForeignAsyncConfigureWait = pulsoraForeignAsyncConfigureWait;
	routine->ForeignAsyncNotify = pulsoraForeignAsyncNotify;

	routine->PlanForeignModify = pulsoraPlanForeignModify;
	routine->BeginForeignModify = pulsoraBeginForeignModify;
	routine->ExecForeignInsert = pulsoraExecForeignInsert;
	routine->EndForeignModify = pulsoraEndForeignModify;
	routine->BeginForeignInsert = pulsoraBeginForeignInsert;
	routine->EndForeignInsert = pulsoraEndForeignModify;
	routine->IsForeignRelUpdatable = pulsoraIsForeignRelUpdatable;

	routine->ImportForeignSchema = pulsoraImportForeignSchema;

	PG_RETURN_POINTER(routine);
}

bool
pulsora_is_own_server(ForeignServer *server)
{
	ForeignDataWrapper *fdw = GetForeignDataWrapper(server->fdwid);

	return OidIsValid(fdw->fdwhandler) &&
		GetFdwRoutine(fdw->fdwhandler)->GetForeignRelSize == pulsoraGetForeignRelSize;
}
