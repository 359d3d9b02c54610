/*
 * upper_plan.c — aggregate pushdown (DESIGN §5): GetForeignUpperPaths for
 * UPPERREL_GROUP_AGG, as postgres_fdw does it, so that the owner computes
 * GROUP BY queries on its column vectors and block metadata
 * (core/ps_agg.h) and sends one row per group instead of every row.
 *
 * A query is pushed when all of these hold, else it is aggregated locally
 * exactly as before:
 *   - one pulsora foreign table, every WHERE clause of which the owner
 *     applies exactly (time range and series filters: no local quals);
 *   - no grouping sets, and each GROUP BY expression a column of the table
 *     (not the time column) or one fixed-width bucket of the time column:
 *     time_bucket(interval, time [, origin]) or date_bin(interval, time,
 *     origin) with constant width and origin (a month bucket stays local),
 *     or Grafana's $__timeGroup form floor(extract(epoch from time) / N) * N
 *     (upper_bucket.c);
 *   - every aggregate, in the target list and in HAVING, one of count(*),
 *     count(col), sum, avg, min and max of bigint or double precision
 *     columns (min and max of timestamps too), sum(x * y) of two such
 *     columns (VWAP's numerator), first(col, time) and
 *     last(col, time), with no DISTINCT, ORDER BY or FILTER; and outside
 *     aggregates nothing but the GROUP BY expressions;
 *   - fewer than PULSORA_UPPER_MAX_GROUPS groups estimated.
 * HAVING is checked on the groups by the ForeignScan itself.
 *
 * Partial aggregation (UPPERREL_PARTIAL_GROUP_AGG): when PostgreSQL
 * aggregates a partitioned table per partition but the grouping spans
 * partitions (time ranges grouped by symbol), each partition's groups are
 * partial and a Finalize Aggregate combines them.  Each foreign partition
 * then has its owner compute its partial groups, output as the transition
 * states PostgreSQL's own Partial Aggregate would (upper_state.c): sum and
 * avg of bigint as the exact sum with its count, avg of double precision
 * as its sum and count, first and last as the value with min or max of
 * the time.  HAVING is the Finalize Aggregate's.  SELECT
 * DISTINCT ON (columns) ... ORDER BY those, time DESC (the latest row of
 * each symbol) is pushed too, as the groups of those columns with the last
 * value of each other column (distinct_on_ok).  Arithmetic
 * over aggregates (sum(a) / sum(b)) is computed from the pushed aggregates
 * by the ForeignScan's projection.  avg asks the owner for sum and count.
 *
 * ORDER BY over the groups and LIMIT/OFFSET go to the owner too, where
 * they can (upper_order.c).
 *
 * The plan's fdw_scan_tlist holds the GROUP BY expressions and the
 * aggregates; fdw_private (enum FdwUpperPrivateIndex) says how each of its
 * entries is made from the owner's result columns (ps_agg.h).
 */
#include "postgres.h"

#include "catalog/namespace.h"
#include "catalog/pg_aggregate.h"
#include "catalog/pg_type.h"
#include "foreign/foreign.h"
#include "nodes/makefuncs.h"
#include "nodes/nodeFuncs.h"
#include "optimizer/cost.h"
#include "optimizer/optimizer.h"
#include "optimizer/pathnode.h"
#include "optimizer/planmain.h"
#include "optimizer/tlist.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"
#include "utils/selfuncs.h"

#include "core/ps_agg.h"
#include "pulsora_fdw.h"
#include "upper.h"

/* Above this many estimated groups the owner's group table would be too big: aggregate locally. */
#define PULSORA_UPPER_MAX_GROUPS (PS_AGG_MAX_GROUPS / 4)
/* The owner's cost per row it aggregates (vectors, often metadata alone). */
#define PULSORA_AGG_ROW_COST 0.0002

bool		pulsora_enable_aggregate_pushdown = true;

void
pulsora_upper_define_gucs(void)
{
	DefineCustomBoolVariable("pulsora.enable_aggregate_pushdown",
							 "Lets the owner compute GROUP BY queries on pulsora foreign tables.",
							 "When off, every row is sent to PostgreSQL, which aggregates them.",
							 &pulsora_enable_aggregate_pushdown, true, PGC_USERSET, 0,
							 NULL, NULL, NULL);
}

/* What is being built while the query is checked. */
typedef struct UpperBuild
{
	PlannerInfo *root;
	RelOptInfo *input_rel;
	PulsoraRelInfo *fp;
	bool		partial;		/* partial aggregates: transition states (upper_state.c) */
	bool		ok;
	List	   *tlist;			/* fdw_scan_tlist */
	List	   *outputs;		/* per tlist entry: IntList (kind, a, b, c) with item/group refs */
	List	   *group_exprs;	/* the GROUP BY expressions (for matching) */
	List	   *group_columns;	/* String: store columns grouped by */
	bool		has_bucket;
	int64		width_ns, origin_ns;
	List	   *fns;			/* IntList: ps_agg_fn per item */
	List	   *fn_columns;		/* String per item ("" for count(*)) */
	List	   *fn_columns2;	/* String per item: SUM_PRODUCT's second factor, else "" */
	List	   *fn_types;		/* IntList: store type of each item's column */
} UpperBuild;

/* The Var of the input relation expr is (relabelling aside), or NULL. */
static Var *
rel_var(UpperBuild *b, Node *expr)
{
	while (expr && IsA(expr, RelabelType))
		expr = (Node *) ((RelabelType *) expr)->arg;
	if (expr == NULL || !IsA(expr, Var))
		return NULL;
	if (((Var *) expr)->varno != b->input_rel->relid || ((Var *) expr)->varlevelsup != 0 ||
		((Var *) expr)->varattno <= 0 || ((Var *) expr)->varattno > b->fp->map.natts ||
		b->fp->map.store_name[((Var *) expr)->varattno - 1] == NULL)
		return NULL;
	return (Var *) expr;
}

/* Index of item (fn, column, column2) in b, added if new; column2 "" but for SUM_PRODUCT. */
static int
add_item2(UpperBuild *b, ps_agg_fn fn, const char *column, const char *column2, ps_type type)
{
	ListCell   *lc1,
			   *lc2,
			   *lc3;
	int			i = 0;

	forthree(lc1, b->fns, lc2, b->fn_columns, lc3, b->fn_columns2)
	{
		if (lfirst_int(lc1) == (int) fn && strcmp(strVal(lfirst(lc2)), column) == 0 &&
			strcmp(strVal(lfirst(lc3)), column2) == 0)
			return i;
		i++;
	}
	b->fns = lappend_int(b->fns, (int) fn);
	b->fn_columns = lappend(b->fn_columns, makeString(pstrdup(column)));
	b->fn_columns2 = lappend(b->fn_columns2, makeString(pstrdup(column2)));
	b->fn_types = lappend_int(b->fn_types, (int) type);
	return i;
}

static int
add_item(UpperBuild *b, ps_agg_fn fn, const char *column, ps_type type)
{
	return add_item2(b, fn, column, "", type);
}

static void add_output(UpperBuild *b, Expr *expr, Index sortgroupref, int kind, int x, int y, int z);

/* A double precision factor: a bigint or double precision column, cast or not; else NULL. */
static Var *
factor_var(UpperBuild *b, Node *n)
{
	Var		   *v;

	if (n && IsA(n, FuncExpr) && ((FuncExpr *) n)->funcid == F_FLOAT8_INT8 &&
		list_length(((FuncExpr *) n)->args) == 1)
		n = linitial(((FuncExpr *) n)->args);
	if ((v = rel_var(b, n)) == NULL || v->varattno == b->fp->map.time_attno ||
		(b->fp->map.store_type[v->varattno - 1] != PS_TYPE_FLOAT &&
		 b->fp->map.store_type[v->varattno - 1] != PS_TYPE_INTEGER))
		return NULL;
	return v;
}

/* sum(x * y) of two numeric columns (VWAP's numerator), as one owner item. */
static bool
add_sum_product(UpperBuild *b, Aggref *agg, Node *arg)
{
	OpExpr	   *op;
	Var		   *x, *y;

	if (!IsA(arg, OpExpr) || get_opcode(((OpExpr *) arg)->opno) != F_FLOAT8MUL ||
		list_length(((OpExpr *) arg)->args) != 2)
		return false;
	op = (OpExpr *) arg;
	if ((x = factor_var(b, linitial(op->args))) == NULL ||
		(y = factor_var(b, lsecond(op->args))) == NULL)
		return false;
	add_output(b, (Expr *) agg, 0, PULSORA_OUT_PLAIN,
			   add_item2(b, PS_AGG_SUM_PRODUCT, b->fp->map.store_name[x->varattno - 1],
						 b->fp->map.store_name[y->varattno - 1], PS_TYPE_FLOAT), 0, 0);
	return true;
}

static void
add_output(UpperBuild *b, Expr *expr, Index sortgroupref, int kind, int x, int y, int z)
{
	TargetEntry *tle = makeTargetEntry(expr, list_length(b->tlist) + 1, NULL, false);

	tle->ressortgroupref = sortgroupref;
	b->tlist = lappend(b->tlist, tle);
	b->outputs = lappend(b->outputs, list_make4_int(kind, x, y, z));
}

/* Record a supported aggregate as an output; false when it is not one. */
static bool
add_aggref(UpperBuild *b, Aggref *agg)
{
	Oid			fn = agg->aggfnoid;
	Var		   *arg = NULL;
	const char *column = "";
	ps_type		type = PS_TYPE_INTEGER;
	char	   *name;

	if (agg->aggdistinct != NIL || agg->aggorder != NIL || agg->aggfilter != NULL ||
		agg->aggkind != AGGKIND_NORMAL || agg->agglevelsup != 0 ||
		agg->aggsplit != (b->partial ? AGGSPLIT_INITIAL_SERIAL : AGGSPLIT_SIMPLE) ||
		agg->aggvariadic)
		return false;
	if (!agg->aggstar)
	{
		if (agg->args == NIL)
			return false;
		if ((arg = rel_var(b, (Node *) ((TargetEntry *) linitial(agg->args))->expr)) == NULL)
			return fn == F_SUM_FLOAT8 &&
				add_sum_product(b, agg, (Node *) ((TargetEntry *) linitial(agg->args))->expr);
		column = b->fp->map.store_name[arg->varattno - 1];
		type = b->fp->map.store_type[arg->varattno - 1];
		if (arg->varattno == b->fp->map.time_attno)
			column = b->fp->info.column_names[b->fp->info.time_column];
	}
	switch (fn)
	{
		case F_COUNT_:
			add_output(b, (Expr *) agg, 0, PULSORA_OUT_PLAIN,
					   add_item(b, PS_AGG_COUNT_ALL, "", PS_TYPE_INTEGER), 0, 0);
			return true;
		case F_COUNT_ANY:
			add_output(b, (Expr *) agg, 0, PULSORA_OUT_PLAIN,
					   add_item(b, PS_AGG_COUNT, column, type), 0, 0);
			return true;
		case F_SUM_INT8:
			if (b->partial)
				break;
			add_output(b, (Expr *) agg, 0, PULSORA_OUT_SUM_NUMERIC,
					   add_item(b, PS_AGG_SUM, column, type), 0, 0);
			return true;
		case F_SUM_FLOAT8:
			add_output(b, (Expr *) agg, 0, PULSORA_OUT_PLAIN,
					   add_item(b, PS_AGG_SUM, column, type), 0, 0);
			return true;
		case F_AVG_INT8:
		case F_AVG_FLOAT8:
			if (b->partial)
				break;
			add_output(b, (Expr *) agg, 0,
					   fn == F_AVG_INT8 ? PULSORA_OUT_AVG_NUMERIC : PULSORA_OUT_AVG_FLOAT,
					   add_item(b, PS_AGG_SUM, column, type),
					   add_item(b, PS_AGG_COUNT, column, type), 0);
			return true;
		case F_MIN_INT8:
		case F_MIN_FLOAT8:
		case F_MIN_TIMESTAMPTZ:
		case F_MIN_TIMESTAMP:
			add_output(b, (Expr *) agg, 0, PULSORA_OUT_PLAIN,
					   add_item(b, PS_AGG_MIN, column, type), 0, 0);
			return true;
		case F_MAX_INT8:
		case F_MAX_FLOAT8:
		case F_MAX_TIMESTAMPTZ:
		case F_MAX_TIMESTAMP:
			add_output(b, (Expr *) agg, 0, PULSORA_OUT_PLAIN,
					   add_item(b, PS_AGG_MAX, column, type), 0, 0);
			return true;
		default:
			break;
	}
	/* The partial states of sum and avg: the exact sum or the sum, with the count. */
	if (fn == F_SUM_INT8 || fn == F_AVG_INT8 || fn == F_AVG_FLOAT8)
	{
		add_output(b, (Expr *) agg, 0,
				   fn == F_AVG_FLOAT8 ? PULSORA_OUT_FLOAT8_AVG_STATE : PULSORA_OUT_INT8_SUM_STATE,
				   add_item(b, PS_AGG_SUM, column, type),
				   add_item(b, PS_AGG_COUNT, column, type), 0);
		return true;
	}
	/* first(value, time) and last(value, time) of this extension, by the table's time. */
	name = get_func_name(fn);
	if (name == NULL || (strcmp(name, "first") != 0 && strcmp(name, "last") != 0) ||
		get_func_namespace(fn) != pulsora_extension_schema(b->input_rel) || list_length(agg->args) != 2)
		return false;
	{
		Var		   *t = rel_var(b, (Node *) ((TargetEntry *) lsecond(agg->args))->expr);

		if (t == NULL || t->varattno != b->fp->map.time_attno)
			return false;
	}
	if (b->partial)
	{
		/* The state: the value, and the time of its row (the time column is never NULL). */
		const char *time_column = b->fp->info.column_names[b->fp->info.time_column];

		add_output(b, (Expr *) agg, 0, PULSORA_OUT_FIRST_LAST_STATE,
				   add_item(b, name[0] == 'f' ? PS_AGG_FIRST : PS_AGG_LAST, column, type),
				   add_item(b, name[0] == 'f' ? PS_AGG_MIN : PS_AGG_MAX, time_column,
							PS_TYPE_TIMESTAMP), 0);
		return true;
	}
	add_output(b, (Expr *) agg, 0, PULSORA_OUT_PLAIN,
			   add_item(b, name[0] == 'f' ? PS_AGG_FIRST : PS_AGG_LAST, column, type), 0, 0);
	return true;
}

/*
 * Walk an expression above the grouping: GROUP BY expressions are outputs
 * already, aggregates become outputs, and any other column is a failure.
 */
static bool
collect_aggs(Node *node, UpperBuild *b)
{
	ListCell   *lc;

	if (node == NULL || !b->ok)
		return false;
	foreach(lc, b->group_exprs)
		if (equal(node, lfirst(lc)))
			return false;
	if (IsA(node, Aggref))
	{
		foreach(lc, b->tlist)
			if (equal(node, ((TargetEntry *) lfirst(lc))->expr))
				return false;
		if (!add_aggref(b, (Aggref *) node))
			b->ok = false;
		return false;
	}
	if (IsA(node, Var) || IsA(node, PlaceHolderVar) || IsA(node, GroupingFunc) ||
		IsA(node, WindowFunc) || IsA(node, SubPlan) || IsA(node, SubLink))
	{
		b->ok = false;
		return false;
	}
	return expression_tree_walker(node, collect_aggs, b);
}

static bool
grouping_ok(UpperBuild *b, RelOptInfo *grouped_rel, GroupPathExtraData *extra)
{
	Query	   *query = b->root->parse;
	PathTarget *target = grouped_rel->reltarget;
	ListCell   *lc;
	int			i = 0;

	if (query->groupingSets != NIL || b->fp->local_conds != NIL ||
		b->input_rel->reloptkind == RELOPT_JOINREL)
		return false;
	/* The GROUP BY expressions first, so that the walk over the rest can match them. */
	foreach(lc, target->exprs)
	{
		Expr	   *expr = lfirst(lc);
		Index		sgref = get_pathtarget_sortgroupref(target, i++);
		Var		   *v;
		int			kind;

		if (!sgref || !get_sortgroupref_clause_noerr(sgref, query->groupClause))
			continue;
		/* The owner groups equal bytes: not what a nondeterministic collation calls equal. */
		if (OidIsValid(exprCollation((Node *) expr)) &&
			!get_collation_isdeterministic(exprCollation((Node *) expr)))
			return false;
		if ((v = rel_var(b, (Node *) expr)) != NULL && v->varattno != b->fp->map.time_attno)
		{
			add_output(b, expr, sgref, PULSORA_OUT_PLAIN, -1 - list_length(b->group_columns), 0, 0);
			b->group_columns = lappend(b->group_columns,
									   makeString(b->fp->map.store_name[v->varattno - 1]));
		}
		else if (!b->has_bucket &&
				 (kind = pulsora_time_bucket(b->input_rel, (Node *) expr, &b->width_ns,
											 &b->origin_ns)) >= 0)
		{
			b->has_bucket = true;
			add_output(b, expr, sgref, kind, 0, 0, 0);
		}
		else
			return false;
		b->group_exprs = lappend(b->group_exprs, expr);
	}
	if (list_length(b->group_columns) > PS_AGG_MAX_GROUP_COLUMNS)
		return false;
	i = 0;
	foreach(lc, target->exprs)
	{
		Index		sgref = get_pathtarget_sortgroupref(target, i++);

		if (sgref && get_sortgroupref_clause_noerr(sgref, query->groupClause))
			continue;
		collect_aggs(lfirst(lc), b);
	}
	/* A partial target holds HAVING's aggregates already: the Finalize Aggregate checks it. */
	if (extra->havingQual && !b->partial)
		collect_aggs(extra->havingQual, b);
	return b->ok && b->fns != NIL && list_length(b->fns) <= PS_AGG_MAX_ITEMS;
}

/*
 * SELECT DISTINCT ON (series columns) ... ORDER BY those, time DESC (or
 * ASC): the newest (oldest) row of each group, which the owner gives as
 * groups of those columns with MAX(time) (MIN) and LAST (FIRST) of every
 * other column the query reads: all of one group's LAST values come from
 * one row (ps_agg.h).  Rows of equal time: which one wins is not defined,
 * as in PostgreSQL (its sort is not stable).  More ORDER BY keys after the
 * time decide among equal times: such queries stay local.
 */
static bool
distinct_on_ok(UpperBuild *b)
{
	Query	   *query = b->root->parse;
	PathTarget *target = b->input_rel->reltarget;
	int			ndistinct = list_length(query->distinctClause);
	SortGroupClause *time_key;
	TargetEntry *tle;
	Var		   *v;
	bool		reverse = false;
	bool		newest;
	ListCell   *lc;
	int			i = 0;

	if (!query->hasDistinctOn || query->groupClause || query->hasAggs || query->groupingSets ||
		b->root->hasHavingQual || query->hasWindowFuncs || query->hasTargetSRFs ||
		b->fp->local_conds != NIL || b->fp->map.time_attno == 0 ||
		b->input_rel->reloptkind != RELOPT_BASEREL ||
		list_length(query->sortClause) != ndistinct + 1)
		return false;
	/* ORDER BY: the DISTINCT ON columns (any order), then the time column. */
	foreach(lc, query->sortClause)
	{
		SortGroupClause *sgc = lfirst(lc);

		if (i++ < ndistinct && !list_member_ptr(query->distinctClause, sgc) &&
			!get_sortgroupref_clause_noerr(sgc->tleSortGroupRef, query->distinctClause))
			return false;
	}
	time_key = llast(query->sortClause);
	tle = get_sortgroupclause_tle(time_key, query->targetList);
	if ((v = rel_var(b, (Node *) tle->expr)) == NULL || v->varattno != b->fp->map.time_attno ||
		!OidIsValid(get_equality_op_for_ordering_op(time_key->sortop, &reverse)))
		return false;
	newest = reverse;
	/* The DISTINCT ON columns become the groups, in the owner's terms. */
	foreach(lc, query->distinctClause)
	{
		SortGroupClause *sgc = lfirst(lc);
		Expr	   *expr = get_sortgroupclause_tle(sgc, query->targetList)->expr;

		if ((v = rel_var(b, (Node *) expr)) == NULL || v->varattno == b->fp->map.time_attno ||
			(OidIsValid(exprCollation((Node *) expr)) &&
			 !get_collation_isdeterministic(exprCollation((Node *) expr))))
			return false;
		b->group_exprs = lappend(b->group_exprs, expr);
	}
	/* Every column the query reads: a group column, the time, or a value of the row. */
	i = 0;
	foreach(lc, target->exprs)
	{
		Expr	   *expr = lfirst(lc);
		Index		sgref = get_pathtarget_sortgroupref(target, i++);
		int			g;

		if ((v = rel_var(b, (Node *) expr)) == NULL)
			return false;
		g = list_member(b->group_exprs, expr) ? list_length(b->group_columns) : -1;
		if (g >= 0)
		{
			add_output(b, expr, sgref, PULSORA_OUT_PLAIN, -1 - g, 0, 0);
			b->group_columns = lappend(b->group_columns,
									   makeString(b->fp->map.store_name[v->varattno - 1]));
		}
		else if (v->varattno == b->fp->map.time_attno)
			add_output(b, expr, sgref, PULSORA_OUT_PLAIN,
					   add_item(b, newest ? PS_AGG_MAX : PS_AGG_MIN,
								b->fp->info.column_names[b->fp->info.time_column], PS_TYPE_TIMESTAMP), 0, 0);
		else
			add_output(b, expr, sgref, PULSORA_OUT_PLAIN,
					   add_item(b, newest ? PS_AGG_LAST : PS_AGG_FIRST,
								b->fp->map.store_name[v->varattno - 1],
								b->fp->map.store_type[v->varattno - 1]), 0, 0);
	}
	/* (Each DISTINCT ON column must be read, to be a group.) */
	return list_length(b->group_columns) == ndistinct && b->fns != NIL;
}

/* Result column of the owner for an output reference: group -1 - g, or item i (part k). */
static int
result_column(const UpperBuild *b, int ref, int part)
{
	int			col = (b->has_bucket ? 1 : 0);
	int			i = 0;
	ListCell   *lc1,
			   *lc2;

	if (ref < 0)
		return col + (-1 - ref);
	col += list_length(b->group_columns);
	forboth(lc1, b->fns, lc2, b->fn_types)
	{
		if (i++ == ref)
			return col + part;
		col += lfirst_int(lc1) == PS_AGG_SUM && lfirst_int(lc2) == PS_TYPE_INTEGER ? 2 : 1;
	}
	elog(ERROR, "pulsora: aggregate item %d out of range", ref);
	return -1;
}

/* Outputs with references replaced by the owner's result columns (upper.h). */
static List *
resolve_outputs(const UpperBuild *b)
{
	List	   *out = NIL;
	ListCell   *lc;

	foreach(lc, b->outputs)
	{
		List	   *o = lfirst(lc);
		int			kind = linitial_int(o);

		switch (kind)
		{
			case PULSORA_OUT_BUCKET:
			case PULSORA_OUT_EPOCH:
				out = lappend(out, list_make4_int(kind, 0, 0, 0));
				break;
			case PULSORA_OUT_SUM_NUMERIC:
				out = lappend(out, list_make4_int(kind, result_column(b, lsecond_int(o), 0),
												  result_column(b, lsecond_int(o), 1), 0));
				break;
			case PULSORA_OUT_AVG_NUMERIC:
				out = lappend(out, list_make4_int(kind, result_column(b, lsecond_int(o), 0),
												  result_column(b, lsecond_int(o), 1),
												  result_column(b, lthird_int(o), 0)));
				break;
			case PULSORA_OUT_INT8_SUM_STATE:
				out = lappend(out, list_make4_int(kind, result_column(b, lsecond_int(o), 0),
												  result_column(b, lsecond_int(o), 1),
												  result_column(b, lthird_int(o), 0)));
				break;
			case PULSORA_OUT_AVG_FLOAT:
			case PULSORA_OUT_FLOAT8_AVG_STATE:
			case PULSORA_OUT_FIRST_LAST_STATE:
				out = lappend(out, list_make4_int(kind, result_column(b, lsecond_int(o), 0),
												  result_column(b, lthird_int(o), 0), 0));
				break;
			default:
				out = lappend(out, list_make4_int(kind, result_column(b, lsecond_int(o), 0), 0, 0));
				break;
		}
	}
	return out;
}

void
pulsoraGetForeignUpperPaths(PlannerInfo *root, UpperRelationKind stage, RelOptInfo *input_rel,
							RelOptInfo *output_rel, void *extra)
{
	GroupPathExtraData *gextra = stage == UPPERREL_GROUP_AGG ||
		stage == UPPERREL_PARTIAL_GROUP_AGG ? extra : NULL;
	PulsoraRelInfo *fp = input_rel->fdw_private;
	PulsoraUpperInfo *ui;
	UpperBuild	b;
	List	   *group_exprs;
	PathTarget *target;
	double		groups;
	Cost		startup, total;
	ForeignPath *path;

	/* Above pushed groups: their ORDER BY and LIMIT (upper_order.c). */
	if ((stage == UPPERREL_ORDERED || stage == UPPERREL_FINAL) && pulsora_enable_aggregate_pushdown &&
		output_rel->fdw_private == NULL && IS_UPPER_REL(input_rel) && input_rel->fdw_private != NULL)
	{
		if (stage == UPPERREL_ORDERED)
			pulsora_upper_ordered_paths(root, input_rel, output_rel);
		else
			pulsora_upper_final_paths(root, input_rel, output_rel, extra);
		return;
	}
	/*
	 * Partial groups are asked for a partition whose parent aggregates
	 * partitionwise (PostgreSQL asks only then, or for parallel plans,
	 * which foreign scans are not part of).
	 */
	if ((stage != UPPERREL_GROUP_AGG && stage != UPPERREL_DISTINCT &&
		 stage != UPPERREL_PARTIAL_GROUP_AGG) ||
		!pulsora_enable_aggregate_pushdown || output_rel->fdw_private != NULL || fp == NULL ||
		IS_UPPER_REL(input_rel) ||
		(gextra && (gextra->patype == PARTITIONWISE_AGGREGATE_PARTIAL) !=
		 (stage == UPPERREL_PARTIAL_GROUP_AGG)))
		return;
	memset(&b, 0, sizeof(b));
	b.root = root;
	b.input_rel = input_rel;
	b.fp = fp;
	b.partial = stage == UPPERREL_PARTIAL_GROUP_AGG;
	b.ok = true;
	if (gextra ? !grouping_ok(&b, output_rel, gextra) : !distinct_on_ok(&b))
		return;
	/* DISTINCT's own target is not set yet: its input's is what it outputs. */
	target = gextra ? output_rel->reltarget : input_rel->reltarget;
	group_exprs = gextra ? get_sortgrouplist_exprs(root->parse->groupClause, root->processed_tlist)
		: b.group_exprs;
	groups = group_exprs == NIL ? 1
		: estimate_num_groups(root, group_exprs, fp->fetched_rows, NULL, NULL);
	if (groups > PULSORA_UPPER_MAX_GROUPS)
		return;

	ui = palloc0(sizeof(PulsoraUpperInfo));
	ui->stage = stage;
	ui->input_rel = input_rel;
	ui->tlist = b.tlist;
	ui->outputs = resolve_outputs(&b);
	ui->group_columns = b.group_columns;
	ui->has_bucket = b.has_bucket;
	ui->width_ns = b.width_ns;
	ui->origin_ns = b.origin_ns;
	ui->fns = b.fns;
	ui->fn_columns = b.fn_columns;
	ui->fn_columns2 = b.fn_columns2;
	ui->fn_types = b.fn_types;
	ui->having = gextra && gextra->havingQual && !b.partial ? (List *) gextra->havingQual : NIL;
	output_rel->fdw_private = ui;

	/*
	 * Half the scan's startup: computing the groups in the owner never costs
	 * more than shipping the rows, and on a near-empty input the planner's
	 * fuzzy comparison would otherwise keep a local sort and aggregate that
	 * costs the same within 1%.
	 */
	startup = fp->startup_cost / 2 + fp->fetched_rows * PULSORA_AGG_ROW_COST;
	total = startup + groups * cpu_tuple_cost;
	ui->rows = groups;
	ui->startup_cost = startup;
	ui->total_cost = total;
	path = create_foreign_upper_path(root, output_rel, target, groups,
									 startup, total, NIL, NULL, NIL);
	add_path(output_rel, (Path *) path);
}

ForeignScan *
pulsora_upper_plan(PlannerInfo *root, RelOptInfo *rel, ForeignPath *best_path, List *tlist,
				   List *scan_clauses, Plan *outer_plan)
{
	PulsoraUpperInfo *ui = rel->fdw_private;
	PulsoraRelInfo *fp = ui->input_rel->fdw_private;
	PulsoraPlanQuals pq;
	List	   *fdw_private;
	List	   *bucket = NIL;

	pulsora_plan_quals(root, ui->input_rel, ui->input_rel->baserestrictinfo, &pq);
	if (pq.local_exprs != NIL)
		elog(ERROR, "pulsora: pushed aggregate over quals the owner cannot apply");
	if (ui->has_bucket)
		bucket = list_make2(makeConst(INT8OID, -1, InvalidOid, 8, Int64GetDatum(ui->width_ns), false, true),
							makeConst(INT8OID, -1, InvalidOid, 8, Int64GetDatum(ui->origin_ns), false, true));
	/* In the order of enum FdwUpperPrivateIndex. */
	fdw_private = list_make5(makeString(fp->table), makeInteger((int) fp->time_type),
							 pq.strategies, pq.operand_types, pq.series_items);
	fdw_private = lappend(fdw_private, bucket);
	fdw_private = lappend(fdw_private, ui->group_columns);
	fdw_private = lappend(fdw_private, ui->fns);
	fdw_private = lappend(fdw_private, ui->fn_columns);
	fdw_private = lappend(fdw_private, ui->fn_columns2);
	fdw_private = lappend(fdw_private, ui->outputs);
	/* An ordered or final path's sort and limit (upper_order.c); none for the groups alone. */
	fdw_private = lappend(fdw_private, best_path->fdw_private ?
						  list_nth(best_path->fdw_private, FdwUpperPathSort) : NIL);
	fdw_private = lappend(fdw_private, best_path->fdw_private ?
						  list_nth(best_path->fdw_private, FdwUpperPathLimit) : NIL);
	fdw_private = lappend(fdw_private, makeBoolean(ui->stage == UPPERREL_PARTIAL_GROUP_AGG));
	return make_foreignscan(tlist, ui->having, 0, pq.fdw_exprs, fdw_private, ui->tlist, NIL,
							outer_plan);
}
