/*
 * series_filter.c — pushing equality predicates on series-key columns into
 * the owner's scan as series filters (DESIGN §2, §5).
 *
 * A qual is pushable when it compares a series-key column of the foreign
 * table for equality with an operand known before the scan starts —
 * "sym = X", "sym IN (X, Y)", "sym = ANY (A)" — where the operand is a
 * Const, a Param (PREPARE generic plans, PL/pgSQL, nested-loop and initplan
 * parameters) or a stable expression over those.  The operator is
 * recognised by its btree strategy in the column type's operator family:
 * text = text, bigint = bigint/integer/smallint, boolean = boolean; a
 * boolean key column alone or under NOT (which is what PostgreSQL makes of
 * "flag = true" and "flag = false") is "flag = true" or "flag = false".
 *
 * The store compares key values exactly: strings byte for byte (UTF-8),
 * integers and booleans by value.  PostgreSQL's equality is the same
 * whenever text is compared under a deterministic collation (texteq is
 * then a byte comparison; the database-to-UTF-8 conversion is one to one),
 * so such quals are exact and PostgreSQL does not recheck them; the
 * columns they name need not even travel.  Under a nondeterministic
 * collation (case- or accent-insensitive ICU collations) byte equality
 * would miss matches, so those quals are not pushed at all.
 *
 * The protocol carries at most PS_FRAME_MAX_FILTER_VALUES values per scan.
 * Quals whose value count is known at planning (scalars, IN lists, constant
 * arrays) are pushed exactly while they fit; an array whose length only run
 * time tells (= ANY ($1), = ANY (ARRAY(SELECT ...))) is pushed when its
 * values fit what is left, and PostgreSQL rechecks it in any case.
 *
 * At run time each qual's values are evaluated (NULLs dropped: equality
 * with NULL is never true), sorted and made distinct; the quals of one
 * column are intersected, giving one filter per column.  A column left
 * with no value means no row can match: the scan is not even opened.
 */
#include "postgres.h"

#include <math.h>

#include "access/stratnum.h"
#include "catalog/pg_type.h"
#include "executor/executor.h"
#include "lib/stringinfo.h"
#include "mb/pg_wchar.h"
#include "nodes/makefuncs.h"
#include "nodes/nodeFuncs.h"
#include "optimizer/clauses.h"
#include "optimizer/optimizer.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/selfuncs.h"
#include "utils/typcache.h"

#include "pulsora_fdw.h"

/* ================================================================ planning */

/* The series-key attribute node refers to (under a RelabelType), or 0. */
static AttrNumber
series_attno(Node *node, Index relid, const PulsoraColumnMap *map)
{
	Var		   *var;

	if (node && IsA(node, RelabelType))
		node = (Node *) ((RelabelType *) node)->arg;
	if (node == NULL || !IsA(node, Var))
		return 0;
	var = (Var *) node;
	if (var->varno != relid || var->varlevelsup != 0 || var->varattno <= 0 ||
		var->varattno > map->natts || map->store_name[var->varattno - 1] == NULL ||
		!map->series[var->varattno - 1])
		return 0;
	return var->varattno;
}

/*
 * Is opno an equality between a column of column_type and values of
 * value_type (in that order, or commuted) that compares as the store does?
 */
static bool
store_equality(Oid opno, Oid column_type, Oid value_type, bool column_on_left, Oid collation)
{
	Oid			opfamily = lookup_type_cache(column_type, TYPECACHE_BTREE_OPFAMILY)->btree_opf;
	int			strategy;
	Oid			lefttype;
	Oid			righttype;

	if (!OidIsValid(opfamily) || !op_in_opfamily(opno, opfamily))
		return false;
	get_op_opfamily_properties(opno, opfamily, false, &strategy, &lefttype, &righttype);
	if (strategy != BTEqualStrategyNumber ||
		(column_on_left ? (lefttype != column_type || righttype != value_type)
		 : (righttype != column_type || lefttype != value_type)))
		return false;
	switch (column_type)
	{
		case INT8OID:
			return value_type == INT8OID || value_type == INT4OID || value_type == INT2OID;
		case BOOLOID:
			return value_type == BOOLOID;
		case TEXTOID:
			/* Byte equality is texteq's only under a deterministic collation. */
			return value_type == TEXTOID && OidIsValid(collation) &&
				get_collation_isdeterministic(collation);
		default:
			return false;
	}
}

/* The operand must be computable once, before the scan, without this row. */
static bool
operand_ok(PlannerInfo *root, Expr *operand, Index relid, bool allow_outer)
{
	Relids		relids;

	if (contain_volatile_functions((Node *) operand) || contain_subplans((Node *) operand))
		return false;
	relids = pull_varnos(root, (Node *) operand);
	if (bms_is_member(relid, relids))
		return false;
	return allow_outer || bms_is_empty(relids);
}

/* Most values an array operand yields, or -1 when only run time tells. */
static int
array_values(Expr *operand)
{
	if (IsA(operand, Const))
	{
		Const	   *c = (Const *) operand;
		ArrayType  *arr;

		if (c->constisnull)
			return 0;
		arr = DatumGetArrayTypeP(c->constvalue);
		return ArrayGetNItems(ARR_NDIM(arr), ARR_DIMS(arr));
	}
	if (IsA(operand, ArrayExpr) && !((ArrayExpr *) operand)->multidims)
		return list_length(((ArrayExpr *) operand)->elements);
	return -1;
}

bool
pulsora_series_qual(PlannerInfo *root, Expr *clause, Index relid, const PulsoraColumnMap *map,
					bool allow_outer, PulsoraSeriesQual *out)
{
	AttrNumber	attno;
	Expr	   *operand;
	Oid			column_type;

	if (clause == NULL)
		return false;
	if (IsA(clause, OpExpr) && list_length(((OpExpr *) clause)->args) == 2)
	{
		OpExpr	   *op = (OpExpr *) clause;
		bool		on_left = true;

		if ((attno = series_attno(linitial(op->args), relid, map)) != 0)
			operand = lsecond(op->args);
		else if ((attno = series_attno(lsecond(op->args), relid, map)) != 0)
		{
			operand = linitial(op->args);
			on_left = false;
		}
		else
			return false;
		column_type = map->pg_type[attno - 1];
		out->value_type = exprType((Node *) operand);
		if (!store_equality(op->opno, column_type, out->value_type, on_left, op->inputcollid))
			return false;
		out->is_array = false;
		out->nvalues = 1;
	}
	else if (IsA(clause, ScalarArrayOpExpr))
	{
		ScalarArrayOpExpr *saop = (ScalarArrayOpExpr *) clause;

		/* "column = ANY (array)"; "<> ALL" and others are not equality sets. */
		if (!saop->useOr || list_length(saop->args) != 2 ||
			(attno = series_attno(linitial(saop->args), relid, map)) == 0)
			return false;
		operand = lsecond(saop->args);
		column_type = map->pg_type[attno - 1];
		out->value_type = get_element_type(exprType((Node *) operand));
		if (!OidIsValid(out->value_type) ||
			!store_equality(saop->opno, column_type, out->value_type, true, saop->inputcollid))
			return false;
		out->is_array = true;
		out->nvalues = array_values(operand);
	}
	else if (IsA(clause, Var) || is_notclause(clause))
	{
		/* PostgreSQL turns "flag = true" into "flag" and "flag = false" into "NOT flag". */
		bool		negated = !IsA(clause, Var);
		Node	   *var = negated ? (Node *) get_notclausearg(clause) : (Node *) clause;

		if ((attno = series_attno(var, relid, map)) == 0 || map->pg_type[attno - 1] != BOOLOID)
			return false;
		operand = (Expr *) makeBoolConst(!negated, false);
		out->value_type = BOOLOID;
		out->is_array = false;
		out->nvalues = 1;
	}
	else
		return false;
	if (!operand_ok(root, operand, relid, allow_outer))
		return false;
	out->attno = attno;
	out->operand = operand;
	return true;
}

PulsoraSeriesPush
pulsora_series_take(const PulsoraSeriesQual *q, int *budget)
{
	if (q->nvalues < 0)
		return PULSORA_SERIES_RECHECK;
	if (q->nvalues > *budget)
		return PULSORA_SERIES_LOCAL;
	*budget -= q->nvalues;
	return PULSORA_SERIES_EXACT;
}

Selectivity
pulsora_series_selectivity(PlannerInfo *root, RelOptInfo *baserel, List *quals, List *clauses,
						   const PulsoraTableInfo *info)
{
	double		per_column;
	Selectivity sel = 1.0;
	Bitmapset  *done = NULL;
	ListCell   *lc;

	if (quals == NIL)
		return 1.0;
	if (info->nseries == 0 || info->nkey == 0)
		return clauselist_selectivity(root, clauses, baserel->relid, JOIN_INNER, NULL);
	/* Distinct values of one key column, if the key's columns vary alike. */
	per_column = Max(1.0, pow((double) info->nseries, 1.0 / info->nkey));
	foreach(lc, quals)
	{
		PulsoraSeriesQual *q = lfirst(lc);
		double		values = -1;
		ListCell   *lc2;

		if (bms_is_member(q->attno, done))
			continue;
		done = bms_add_member(done, q->attno);
		/* Several quals on one column: the fewest values bound its filter. */
		foreach(lc2, quals)
		{
			PulsoraSeriesQual *q2 = lfirst(lc2);
			double		n;

			if (q2->attno != q->attno)
				continue;
			n = q2->nvalues >= 0 ? q2->nvalues : estimate_array_length((Node *) q2->operand);
			values = values < 0 ? n : Min(values, n);
		}
		sel *= Min(1.0, values / per_column);
	}
	return sel;
}

List *
pulsora_series_private(const PulsoraSeriesQual *q, const char *column, ps_type type,
					   PulsoraSeriesPush push)
{
	return list_make5(makeString(pstrdup(column)), makeInteger((int) type),
					  makeInteger((int) q->value_type), makeInteger(q->is_array),
					  makeInteger(push == PULSORA_SERIES_RECHECK));
}

bool
pulsora_series_plan_filters(List *quals, const PulsoraColumnMap *map, ps_filter_spec **filters,
							int *nfilters, bool *empty)
{
	List	   *items = NIL;
	List	   *exprs = NIL;
	PulsoraSeriesExec *x;
	ExprContext *econtext;
	ListCell   *lc;

	foreach(lc, quals)
	{
		PulsoraSeriesQual *q = lfirst(lc);

		if (!IsA(q->operand, Const))
			return false;
		items = lappend(items, pulsora_series_private(q, map->store_name[q->attno - 1],
													  map->store_type[q->attno - 1],
													  PULSORA_SERIES_EXACT));
		exprs = lappend(exprs, q->operand);
	}
	/* The executor's own computation, on constants. */
	x = pulsora_series_exec(items, exprs, NULL);
	econtext = CreateStandaloneExprContext();
	pulsora_series_compute(x, econtext);
	FreeExprContext(econtext, true);
	*filters = x->filters;
	*nfilters = x->nfilters;
	*empty = x->empty;
	return true;
}

/* ================================================================ execution */

PulsoraSeriesExec *
pulsora_series_exec(List *items, List *exprs, PlanState *parent)
{
	PulsoraSeriesExec *x = palloc0(sizeof(PulsoraSeriesExec));
	int			n = list_length(items);
	int			i = 0;
	ListCell   *lc1,
			   *lc2;

	Assert(list_length(exprs) == n);
	x->nquals = n;
	x->columns = palloc(sizeof(char *) * Max(n, 1));
	x->types = palloc(sizeof(ps_type) * Max(n, 1));
	x->value_types = palloc(sizeof(Oid) * Max(n, 1));
	x->is_array = palloc(sizeof(bool) * Max(n, 1));
	x->recheck = palloc(sizeof(bool) * Max(n, 1));
	x->states = palloc(sizeof(ExprState *) * Max(n, 1));
	forboth(lc1, items, lc2, exprs)
	{
		List	   *item = lfirst(lc1);

		x->columns[i] = strVal(linitial(item));
		x->types[i] = (ps_type) intVal(lsecond(item));
		x->value_types[i] = (Oid) intVal(lthird(item));
		x->is_array[i] = intVal(lfourth(item)) != 0;
		x->recheck[i] = intVal(list_nth(item, 4)) != 0;
		x->states[i] = ExecInitExpr((Expr *) lfirst(lc2), parent);
		i++;
	}
	x->cxt = AllocSetContextCreate(CurrentMemoryContext, "pulsora series filters",
								   ALLOCSET_SMALL_SIZES);
	return x;
}

static int
compare_values(const void *a, const void *b, void *arg)
{
	const ps_value *x = a;
	const ps_value *y = b;

	switch (*(const ps_type *) arg)
	{
		case PS_TYPE_STRING:
			{
				int			c = memcmp(x->v.s.ptr, y->v.s.ptr, Min(x->v.s.len, y->v.s.len));

				if (c != 0)
					return c;
				return x->v.s.len < y->v.s.len ? -1 : x->v.s.len > y->v.s.len;
			}
		case PS_TYPE_BOOLEAN:
			return (int) x->v.b - (int) y->v.b;
		default:
			return x->v.i < y->v.i ? -1 : x->v.i > y->v.i;
	}
}

/* One value as the store holds it, in the current memory context. */
static ps_value
store_value(Oid value_type, Datum d)
{
	ps_value	v;

	memset(&v, 0, sizeof v);
	switch (value_type)
	{
		case INT2OID:
			v.v.i = DatumGetInt16(d);
			break;
		case INT4OID:
			v.v.i = DatumGetInt32(d);
			break;
		case INT8OID:
			v.v.i = DatumGetInt64(d);
			break;
		case BOOLOID:
			v.v.b = DatumGetBool(d);
			break;
		default:
			{
				text	   *t = DatumGetTextPP(d);
				const char *p = VARDATA_ANY(t);
				int			len = VARSIZE_ANY_EXHDR(t);
				int			encoding = GetDatabaseEncoding();
				char	   *copy;

				/* The store holds UTF-8. */
				if (encoding != PG_UTF8 && encoding != PG_SQL_ASCII)
				{
					const char *utf8 = pg_server_to_any(p, len, PG_UTF8);

					if (utf8 != p)
						len = strlen(utf8);
					p = utf8;
				}
				copy = palloc(Max(len, 1));
				memcpy(copy, p, len);
				v.v.s.ptr = copy;
				v.v.s.len = (uint32) len;
			}
			break;
	}
	return v;
}

/* Qual i's values, sorted and distinct, in x->cxt. */
static ps_value *
qual_values(PulsoraSeriesExec *x, int i, ExprContext *econtext, int *n)
{
	MemoryContext old = MemoryContextSwitchTo(econtext->ecxt_per_tuple_memory);
	bool		isnull;
	Datum		d = ExecEvalExpr(x->states[i], econtext, &isnull);
	Datum	   *elems = &d;
	bool	   *nulls = &isnull;
	int			nelems = 1;
	ps_value   *values;
	int			k = 0;

	if (!isnull && x->is_array[i])
	{
		int16		typlen;
		bool		typbyval;
		char		typalign;

		get_typlenbyvalalign(x->value_types[i], &typlen, &typbyval, &typalign);
		deconstruct_array(DatumGetArrayTypeP(d), x->value_types[i], typlen, typbyval, typalign,
						  &elems, &nulls, &nelems);
	}
	MemoryContextSwitchTo(x->cxt);
	values = palloc(sizeof(ps_value) * Max(nelems, 1));
	for (int j = 0; j < nelems; j++)
		if (!nulls[j])			/* "= NULL" is never true */
			values[k++] = store_value(x->value_types[i], elems[j]);
	MemoryContextSwitchTo(old);
	if (k > 1)
	{
		int			m = 1;

		qsort_arg(values, k, sizeof(ps_value), compare_values, &x->types[i]);
		for (int j = 1; j < k; j++)
			if (compare_values(&values[j], &values[m - 1], &x->types[i]) != 0)
				values[m++] = values[j];
		k = m;
	}
	*n = k;
	return values;
}

/* Keep in f only the values also in values[0..n) (both sorted). */
static void
intersect(ps_filter_spec *f, const ps_value *values, int n)
{
	ps_value   *kept = unconstify(ps_value *, f->values);
	uint32		a = 0;
	int			b = 0;
	uint32		m = 0;

	while (a < f->nvalues && b < n)
	{
		int			c = compare_values(&kept[a], &values[b], &f->type);

		if (c == 0)
			kept[m++] = kept[a];
		if (c <= 0)
			a++;
		if (c >= 0)
			b++;
	}
	f->nvalues = m;
}

void
pulsora_series_compute(PulsoraSeriesExec *x, ExprContext *econtext)
{
	ps_value  **values;
	int		   *counts;
	bool	   *used;
	int			budget = PS_FRAME_MAX_FILTER_VALUES;

	MemoryContextReset(x->cxt);
	values = MemoryContextAlloc(x->cxt, sizeof(ps_value *) * Max(x->nquals, 1));
	counts = MemoryContextAlloc(x->cxt, sizeof(int) * Max(x->nquals, 1));
	used = MemoryContextAllocZero(x->cxt, sizeof(bool) * Max(x->nquals, 1));
	x->filters = MemoryContextAllocZero(x->cxt, sizeof(ps_filter_spec) * Max(x->nquals, 1));
	x->nfilters = 0;
	x->empty = false;

	/*
	 * Exact quals first: planning made sure that their values fit.  Then
	 * those rechecked anyway, each only if its values fit what is left.
	 */
	for (int pass = 0; pass < 2; pass++)
		for (int i = 0; i < x->nquals; i++)
		{
			if (x->recheck[i] != (pass == 1))
				continue;
			values[i] = qual_values(x, i, econtext, &counts[i]);
			if (counts[i] > budget)
			{
				if (!x->recheck[i])
					elog(ERROR, "pulsora series filter values exceed the planned %d",
						 PS_FRAME_MAX_FILTER_VALUES);
				continue;
			}
			budget -= counts[i];
			used[i] = true;
		}

	/* One filter per column: the intersection of its quals' values. */
	for (int i = 0; i < x->nquals; i++)
	{
		int			f;

		if (!used[i])
			continue;
		for (f = 0; f < x->nfilters; f++)
			if (strcmp(x->filters[f].column, x->columns[i]) == 0)
				break;
		if (f == x->nfilters)
		{
			x->filters[f].column = x->columns[i];
			x->filters[f].type = x->types[i];
			x->filters[f].values = values[i];
			x->filters[f].nvalues = (uint32) counts[i];
			x->nfilters++;
		}
		else
			intersect(&x->filters[f], values[i], counts[i]);
	}
	for (int f = 0; f < x->nfilters; f++)
		if (x->filters[f].nvalues == 0)
			x->empty = true;
	x->known = true;
}

/* ================================================================ EXPLAIN */

static void
append_value(StringInfo buf, ps_type type, const ps_value *v)
{
	switch (type)
	{
		case PS_TYPE_STRING:
			{
				char	   *utf8 = pnstrdup(v->v.s.ptr, v->v.s.len);

				appendStringInfoString(buf, quote_literal_cstr(pg_any_to_server(utf8, (int) v->v.s.len,
																				 PG_UTF8)));
			}
			break;
		case PS_TYPE_BOOLEAN:
			appendStringInfoString(buf, v->v.b ? "true" : "false");
			break;
		default:
			appendStringInfo(buf, INT64_FORMAT, v->v.i);
			break;
	}
}

char *
pulsora_series_format(const PulsoraSeriesExec *x)
{
	StringInfoData buf;

	initStringInfo(&buf);
	if (!x->known)
	{
		/* The columns, once each, and when the values become known. */
		for (int i = 0; i < x->nquals; i++)
		{
			bool		seen = false;

			for (int j = 0; j < i; j++)
				seen |= strcmp(x->columns[j], x->columns[i]) == 0;
			if (!seen)
				appendStringInfo(&buf, "%s%s", buf.len > 0 ? ", " : "",
								 quote_identifier(x->columns[i]));
		}
		appendStringInfoString(&buf, ": computed at run time");
		return buf.data;
	}
	if (x->empty)
		return pstrdup("empty");
	if (x->nfilters == 0)
		return pstrdup("none (too many values)");	/* only rechecked quals were left */
	for (int f = 0; f < x->nfilters; f++)
	{
		const ps_filter_spec *flt = &x->filters[f];

		if (f > 0)
			appendStringInfoString(&buf, " AND ");
		appendStringInfo(&buf, "%s %s", quote_identifier(flt->column),
						 flt->nvalues == 1 ? "= " : "IN (");
		for (uint32 i = 0; i < flt->nvalues; i++)
		{
			if (i > 0)
				appendStringInfoString(&buf, ", ");
			append_value(&buf, flt->type, &flt->values[i]);
		}
		if (flt->nvalues != 1)
			appendStringInfoChar(&buf, ')');
	}
	return buf.data;
}
