/*
 * upper_order.c — ORDER BY, LIMIT and OFFSET over the groups of a pushed
 * aggregate (DESIGN §5), done by the owner: GetForeignUpperPaths for
 * UPPERREL_ORDERED and UPPERREL_FINAL, as postgres_fdw does them, over the
 * groups upper_plan.c pushed (GROUP BY, or DISTINCT ON).
 *
 * An ORDERED path is offered when every key of the query's ORDER BY is an
 * output the owner makes as a value it can order as PostgreSQL does
 * (ps_agg.h): a group column, the bucket (time_bucket, date_bin or the
 * epoch form), count, sum, min, max, first or last (not avg, not
 * arithmetic over aggregates), with the type's default B-tree order; text
 * only under the "C" collation in a UTF-8 database, whose order is the
 * bytes'.  Its path has the query's pathkeys, so no Sort is planned above
 * it, and it costs what the groups cost: the owner's sort is never dearer
 * than a local one.
 *
 * A FINAL path takes LIMIT and OFFSET when they are constants (LIMIT > 0)
 * and nothing is left for PostgreSQL to filter: no HAVING (the ForeignScan
 * checks it on the groups the owner sends, so an owner's limit would count
 * the groups it drops), no WITH TIES, no FOR UPDATE; over an ORDERED path
 * only when its sort was pushed.  Anything else keeps its local Sort or
 * Limit, with the same results.
 */
#include "postgres.h"

#include "catalog/pg_am.h"
#include "catalog/pg_type.h"
#include "commands/defrem.h"
#include "mb/pg_wchar.h"
#include "nodes/makefuncs.h"
#include "nodes/nodeFuncs.h"
#include "optimizer/optimizer.h"
#include "optimizer/pathnode.h"
#include "utils/lsyscache.h"
#include "utils/pg_locale.h"

#include "core/ps_agg.h"
#include "pulsora_fdw.h"
#include "upper.h"

/* ORDER BY x COLLATE "C" sorts a relabelled x: the owner has x. */
static Expr *
strip_relabel(Expr *e)
{
	while (e && IsA(e, RelabelType))
		e = ((RelabelType *) e)->arg;
	return e;
}

/* The fdw_scan_tlist entry that an expression of ec computes (relabelling aside), or -1. */
static int
sort_output(EquivalenceClass *ec, List *tlist, Expr **expr)
{
	ListCell   *lm,
			   *lt;

	foreach(lm, ec->ec_members)
	{
		EquivalenceMember *em = lfirst(lm);
		Expr	   *e = strip_relabel(em->em_expr);
		int			i = 0;

		if (em->em_is_child || em->em_is_const || exprType((Node *) e) != exprType((Node *) em->em_expr))
			continue;
		foreach(lt, tlist)
		{
			Expr	   *t = strip_relabel(((TargetEntry *) lfirst(lt))->expr);

			if (equal(e, t))
			{
				*expr = t;
				return i;
			}
			i++;
		}
	}
	return -1;
}

/* How EXPLAIN names owner result column col. */
static char *
column_label(const PulsoraUpperInfo *ui, int col)
{
	ListCell   *lc1,
			   *lc2,
			   *lc3,
			   *lc4;

	if (ui->has_bucket && col-- == 0)
		return pstrdup("bucket");
	if (col < list_length(ui->group_columns))
		return pstrdup(strVal(list_nth(ui->group_columns, col)));
	col -= list_length(ui->group_columns);
	forfour(lc1, ui->fns, lc2, ui->fn_columns, lc3, ui->fn_columns2, lc4, ui->fn_types)
	{
		int			width = lfirst_int(lc1) == PS_AGG_SUM && lfirst_int(lc4) == PS_TYPE_INTEGER ? 2 : 1;

		if (col < width)
			return pulsora_agg_label(lfirst_int(lc1), strVal(lfirst(lc2)), strVal(lfirst(lc3)));
		col -= width;
	}
	elog(ERROR, "pulsora: sort column out of range");
	return NULL;
}

/*
 * The owner's sort for the query's ORDER BY over ui's groups, as
 * FdwUpperSort; NIL when some key cannot be sorted by the owner.
 */
static List *
upper_sort(PlannerInfo *root, const PulsoraUpperInfo *ui)
{
	List	   *columns = NIL,
			   *flags = NIL,
			   *labels = NIL;
	ListCell   *lc;

	foreach(lc, root->sort_pathkeys)
	{
		PathKey    *pk = lfirst(lc);
		EquivalenceClass *ec = pk->pk_eclass;
		Expr	   *expr;
		int			i = sort_output(ec, ui->tlist, &expr);
		List	   *o;
		Oid			type;
		bool		desc = pk->pk_strategy == BTGreaterStrategyNumber;
		char	   *label;

		if (ec->ec_has_volatile || i < 0 ||
			(pk->pk_strategy != BTLessStrategyNumber && !desc))
			return NIL;
		o = list_nth(ui->outputs, i);
		type = exprType((Node *) expr);
		switch (linitial_int(o))
		{
			case PULSORA_OUT_BUCKET:
			case PULSORA_OUT_EPOCH:
			case PULSORA_OUT_SUM_NUMERIC:
				break;
			case PULSORA_OUT_PLAIN:
				if (type == TEXTOID)
				{
					/* The owner orders text by its bytes: so does "C", in UTF-8 as sent. */
					if (!lc_collate_is_c(ec->ec_collation) || GetDatabaseEncoding() != PG_UTF8)
						return NIL;
				}
				else if (type != INT8OID && type != FLOAT8OID && type != BOOLOID &&
						 type != TIMESTAMPTZOID && type != TIMESTAMPOID)
					return NIL;
				break;
			default:
				return NIL;		/* avg: a quotient the owner does not compute */
		}
		/* The type's default order, which ps_agg.h follows, not another operator family's. */
		if (pk->pk_opfamily != get_opclass_family(GetDefaultOpClass(type, BTREE_AM_OID)))
			return NIL;
		columns = lappend_int(columns, lsecond_int(o));
		flags = lappend_int(flags, (desc ? PS_AGG_SORT_DESC : 0) |
							(pk->pk_nulls_first ? PS_AGG_SORT_NULLS_FIRST : 0));
		label = column_label(ui, lsecond_int(o));
		if (desc)
			label = psprintf("%s DESC%s", label, pk->pk_nulls_first ? "" : " NULLS LAST");
		else if (pk->pk_nulls_first)
			label = psprintf("%s NULLS FIRST", label);
		labels = lappend(labels, makeString(label));
	}
	return columns == NIL ? NIL : list_make3(columns, flags, labels);
}

void
pulsora_upper_ordered_paths(PlannerInfo *root, RelOptInfo *input_rel, RelOptInfo *ordered_rel)
{
	PulsoraUpperInfo *ui = input_rel->fdw_private;
	PulsoraUpperInfo *oi;
	List	   *sort;

	if (root->parse->hasTargetSRFs || (sort = upper_sort(root, ui)) == NIL)
		return;
	/* (Unmarked, the ordered relation leaves a LIMIT above its local Sort local too.) */
	oi = palloc(sizeof(PulsoraUpperInfo));
	*oi = *ui;
	oi->stage = UPPERREL_ORDERED;
	oi->groups_rel = input_rel;
	oi->sort = sort;
	ordered_rel->fdw_private = oi;
	add_path(ordered_rel, (Path *)
			 create_foreign_upper_path(root, input_rel, root->upper_targets[UPPERREL_ORDERED],
									   ui->rows, ui->startup_cost, ui->total_cost,
									   root->sort_pathkeys, NULL, list_make2(sort, NIL)));
}

/* A LIMIT (or OFFSET) that the owner can apply: NULL or a constant, in *v (0: none). */
static bool
limit_value(Node *node, bool is_count, int64 *v)
{
	Const	   *c = (Const *) node;

	*v = 0;
	if (node == NULL)
		return true;
	if (!IsA(node, Const) || c->consttype != INT8OID)
		return false;
	if (c->constisnull)
		return true;
	*v = DatumGetInt64(c->constvalue);
	/* LIMIT 0 stops before the scan; negative values are PostgreSQL's errors to raise. */
	return is_count ? *v > 0 : *v >= 0;
}

void
pulsora_upper_final_paths(PlannerInfo *root, RelOptInfo *input_rel, RelOptInfo *final_rel,
						  FinalPathExtraData *extra)
{
	Query	   *parse = root->parse;
	PulsoraUpperInfo *ui = input_rel->fdw_private;
	RelOptInfo *groups_rel = input_rel;
	List	   *sort = NIL,
			   *pathkeys = NIL;
	int64		limit,
				offset;
	double		rows;
	Cost		total;

	if (parse->commandType != CMD_SELECT || !extra->limit_needed || parse->hasTargetSRFs ||
		parse->rowMarks != NIL || parse->limitOption == LIMIT_OPTION_WITH_TIES)
		return;
	if (ui->stage == UPPERREL_ORDERED)
	{
		if (ui->sort == NIL)
			return;
		sort = ui->sort;
		groups_rel = ui->groups_rel;
		pathkeys = root->sort_pathkeys;
		ui = groups_rel->fdw_private;
	}
	if (ui->having != NIL || !limit_value(parse->limitCount, true, &limit) ||
		!limit_value(parse->limitOffset, false, &offset))
		return;
	final_rel->fdw_private = ui;
	/* The rows a Limit node above the groups would estimate (adjust_limit_rows_costs). */
	rows = Max(ui->rows - (double) offset, 1.0);
	if (limit > 0 && rows > (double) limit)
		rows = (double) limit;
	/* Half that Limit's share of the groups' cost: fewer groups travel. */
	total = ui->startup_cost + rows * cpu_tuple_cost / 2;
	add_path(final_rel, (Path *)
			 create_foreign_upper_path(root, groups_rel, root->upper_targets[UPPERREL_FINAL],
									   rows, ui->startup_cost, total, pathkeys, NULL,
									   list_make2(sort,
												  list_make2(makeConst(INT8OID, -1, InvalidOid, 8,
																	   Int64GetDatum(offset), false, true),
															 makeConst(INT8OID, -1, InvalidOid, 8,
																	   Int64GetDatum(limit), false, true)))));
}
