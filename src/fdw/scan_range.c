/*
 * scan_range.c — pushing time predicates into the owner's iterator range.
 *
 * A qual is pushable when it compares the foreign table's time column with
 * an operand known before the scan starts: a Const, a Param (PREPARE,
 * PL/pgSQL, nested-loop and initplan parameters), or any stable,
 * non-volatile expression over those (now() - interval '1 day').  The
 * operator is recognised by its btree strategy in the time type's btree
 * operator family (datetime_ops, which holds timestamptz, timestamp and date
 * in every cross-type combination), never by its name.
 *
 * Ranges are kept in the column's own domain (PostgreSQL microseconds,
 * inclusive bounds) and turned into stored nanoseconds only at the end;
 * each bound remembers whether the query wrote it exclusive ("<", ">"), so
 * that EXPLAIN shows the range as written: [a, b), (a, b].
 * Stored nanoseconds are shown to PostgreSQL floored to microseconds, so
 * "ts >= X" is exactly "ns >= X*1000" and "ts <= X" is "ns <= X*1000+999":
 * the ns range holds exactly the rows whose shown value is in the us range.
 * Operands are converted to the column's type as PostgreSQL's cross-type
 * comparison operators do (session TimeZone for timestamp/date against
 * timestamptz; out-of-range conversions compare as ±infinity), so such
 * quals are exact too.  The one inexact case — a timestamp column compared
 * with a timestamptz — depends on the zone's rules per value; it is pushed
 * widened by two days and left for PostgreSQL to recheck.  All arithmetic
 * saturates: PostgreSQL's ±infinity and values beyond the store's
 * 1677..2262 range become "no bound" or "no rows", never a wrapped value.
 */
#include "postgres.h"

#include "access/stratnum.h"
#include "catalog/pg_type.h"
#include "datatype/timestamp.h"
#include "executor/executor.h"
#include "nodes/makefuncs.h"
#include "nodes/nodeFuncs.h"
#include "optimizer/clauses.h"
#include "optimizer/optimizer.h"
#include "utils/builtins.h"
#include "utils/date.h"
#include "utils/lsyscache.h"
#include "utils/timestamp.h"
#include "utils/typcache.h"

#include "pulsora_fdw.h"

/* A timestamptz operand against a timestamp column is pushed this much wider. */
#define INEXACT_MARGIN_US (2 * USECS_PER_DAY)

static bool
is_time_var(Node *node, Index relid, AttrNumber time_attno)
{
	Var		   *var;

	if (node && IsA(node, RelabelType))
		node = (Node *) ((RelabelType *) node)->arg;
	if (node == NULL || !IsA(node, Var))
		return false;
	var = (Var *) node;
	return var->varno == relid && var->varattno == time_attno && var->varlevelsup == 0;
}

static int
commute_strategy(int strategy)
{
	switch (strategy)
	{
		case BTLessStrategyNumber:
			return BTGreaterStrategyNumber;
		case BTLessEqualStrategyNumber:
			return BTGreaterEqualStrategyNumber;
		case BTGreaterEqualStrategyNumber:
			return BTLessEqualStrategyNumber;
		case BTGreaterStrategyNumber:
			return BTLessStrategyNumber;
		default:
			return strategy;
	}
}

/*
 * The time column is never NULL: "ts IS NOT NULL" holds for every row (the
 * range "ts >= -infinity" says so) and "ts IS NULL" for none ("ts = NULL").
 */
static bool
time_null_test(NullTest *test, Index relid, AttrNumber time_attno, Oid time_type,
			   PulsoraTimeQual *out)
{
	if (test->argisrow || !is_time_var((Node *) test->arg, relid, time_attno))
		return false;
	if (test->nulltesttype == IS_NOT_NULL)
	{
		out->strategy = BTGreaterEqualStrategyNumber;
		out->operand = (Expr *) makeConst(time_type, -1, InvalidOid, sizeof(int64),
										  Int64GetDatum(DT_NOBEGIN), false, FLOAT8PASSBYVAL);
	}
	else
	{
		out->strategy = BTEqualStrategyNumber;
		out->operand = (Expr *) makeNullConst(time_type, -1, InvalidOid);
	}
	out->operand_type = time_type;
	out->exact = true;
	return true;
}

bool
pulsora_time_qual(PlannerInfo *root, Expr *clause, Index relid, AttrNumber time_attno,
				  Oid time_type, bool allow_outer, PulsoraTimeQual *out)
{
	OpExpr	   *op;
	Node	   *left;
	Node	   *right;
	Expr	   *operand;
	bool		var_on_left;
	Oid			operand_type;
	Oid			opfamily;
	int			strategy;
	Oid			lefttype;
	Oid			righttype;
	Relids		operand_relids;

	if (time_attno <= 0 || clause == NULL)
		return false;
	if (IsA(clause, NullTest))
		return time_null_test((NullTest *) clause, relid, time_attno, time_type, out);
	if (!IsA(clause, OpExpr))
		return false;
	op = (OpExpr *) clause;
	if (list_length(op->args) != 2)
		return false;
	left = linitial(op->args);
	right = lsecond(op->args);
	if (is_time_var(left, relid, time_attno))
	{
		var_on_left = true;
		operand = (Expr *) right;
	}
	else if (is_time_var(right, relid, time_attno))
	{
		var_on_left = false;
		operand = (Expr *) left;
	}
	else
		return false;

	operand_type = exprType((Node *) operand);
	if (operand_type != TIMESTAMPTZOID && operand_type != TIMESTAMPOID && operand_type != DATEOID)
		return false;

	opfamily = lookup_type_cache(time_type, TYPECACHE_BTREE_OPFAMILY)->btree_opf;
	if (!OidIsValid(opfamily) || !op_in_opfamily(op->opno, opfamily))
		return false;
	get_op_opfamily_properties(op->opno, opfamily, false, &strategy, &lefttype, &righttype);
	if (var_on_left ? (lefttype != time_type || righttype != operand_type)
		: (righttype != time_type || lefttype != operand_type))
		return false;
	if (!var_on_left)
		strategy = commute_strategy(strategy);

	/* The operand must be computable once, before the scan, without this row. */
	if (contain_volatile_functions((Node *) operand) || contain_subplans((Node *) operand))
		return false;
	operand_relids = pull_varnos(root, (Node *) operand);
	if (bms_is_member(relid, operand_relids))
		return false;
	if (!allow_outer && !bms_is_empty(operand_relids))
		return false;

	out->strategy = strategy;
	out->operand_type = operand_type;
	out->operand = operand;
	out->exact = !(time_type == TIMESTAMPOID && operand_type == TIMESTAMPTZOID);
	return true;
}

void
pulsora_range_init(PulsoraRange *r)
{
	r->lo = PG_INT64_MIN;
	r->hi = PG_INT64_MAX;
	r->lo_exclusive = false;
	r->hi_exclusive = false;
	r->empty = false;
}

/* A converted value that overflowed compares as the infinity on its side. */
static int64
overflowed(int64 value, int overflow)
{
	if (overflow > 0)
		return DT_NOEND;
	if (overflow < 0)
		return DT_NOBEGIN;
	return value;
}

static int64
saturating_add(int64 a, int64 b)
{
	int64		r;

	if (pg_add_s64_overflow(a, b, &r))
		return b > 0 ? PG_INT64_MAX : PG_INT64_MIN;
	return r;
}

/*
 * The operand as a value of the column's type; *exact false when only an
 * approximation is possible (then margin is added by the caller).
 */
static int64
operand_in_column_domain(Oid time_type, Oid operand_type, Datum value, bool *exact)
{
	int			overflow = 0;
	int64		v;

	*exact = true;
	if (time_type == TIMESTAMPTZOID)
	{
		switch (operand_type)
		{
			case TIMESTAMPOID:
				v = timestamp2timestamptz_opt_overflow(DatumGetTimestamp(value), &overflow);
				return overflowed(v, overflow);
			case DATEOID:
				v = date2timestamptz_opt_overflow(DatumGetDateADT(value), &overflow);
				return overflowed(v, overflow);
			default:
				return DatumGetTimestampTz(value);
		}
	}
	switch (operand_type)
	{
		case DATEOID:
			v = date2timestamp_opt_overflow(DatumGetDateADT(value), &overflow);
			return overflowed(v, overflow);
		case TIMESTAMPTZOID:
			*exact = false;
			return DatumGetTimestampTz(value);
		default:
			return DatumGetTimestamp(value);
	}
}

void
pulsora_range_apply(PulsoraRange *r, Oid time_type, int strategy, Oid operand_type,
					Datum value, bool isnull)
{
	bool		exact;
	int64		v;
	int64		lo = PG_INT64_MIN;
	int64		hi = PG_INT64_MAX;
	bool		lo_exclusive = false;
	bool		hi_exclusive = false;
	int64		margin;

	/* Comparison operators are strict: NULL matches nothing. */
	if (isnull)
	{
		r->empty = true;
		return;
	}
	v = operand_in_column_domain(time_type, operand_type, value, &exact);
	margin = (exact || TIMESTAMP_NOT_FINITE(v)) ? 0 : INEXACT_MARGIN_US;

	switch (strategy)
	{
		case BTLessStrategyNumber:
			if (margin == 0 && v == PG_INT64_MIN)
				r->empty = true;
			hi = margin ? saturating_add(v, margin) : v - (v != PG_INT64_MIN);
			hi_exclusive = margin == 0 && v != PG_INT64_MIN;
			break;
		case BTLessEqualStrategyNumber:
			hi = saturating_add(v, margin);
			break;
		case BTEqualStrategyNumber:
			lo = saturating_add(v, -margin);
			hi = saturating_add(v, margin);
			break;
		case BTGreaterEqualStrategyNumber:
			lo = saturating_add(v, -margin);
			break;
		case BTGreaterStrategyNumber:
			if (margin == 0 && v == PG_INT64_MAX)
				r->empty = true;
			lo = margin ? saturating_add(v, -margin) : v + (v != PG_INT64_MAX);
			lo_exclusive = margin == 0 && v != PG_INT64_MAX;
			break;
		default:
			elog(ERROR, "unexpected btree strategy %d", strategy);
	}

	/*
	 * Keep the tighter bound on each side, with its form.  "> a" is tighter
	 * than ">= a" by itself: its inclusive lo is a + 1.  When two forms give
	 * the same inclusive bound ("> a - 1" and ">= a", the same microseconds),
	 * the one with the tighter written value, ">= a", is kept.
	 */
	if (lo > r->lo || (lo == r->lo && r->lo_exclusive && !lo_exclusive))
	{
		r->lo = lo;
		r->lo_exclusive = lo_exclusive;
	}
	if (hi < r->hi || (hi == r->hi && r->hi_exclusive && !hi_exclusive))
	{
		r->hi = hi;
		r->hi_exclusive = hi_exclusive;
	}
	if (r->lo > r->hi)
		r->empty = true;
}

bool
pulsora_range_to_ns(const PulsoraRange *r, int64 *lo_ns, int64 *hi_ns)
{
	int128		lo;
	int128		hi;

	if (r->empty || r->lo > r->hi)
		return false;
	lo = r->lo == PG_INT64_MIN ? (int128) PG_INT64_MIN
		: ((int128) r->lo + PULSORA_EPOCH_SHIFT_US) * 1000;
	hi = r->hi == PG_INT64_MAX ? (int128) PG_INT64_MAX
		: ((int128) r->hi + PULSORA_EPOCH_SHIFT_US) * 1000 + 999;
	if (lo > PG_INT64_MAX || hi < PG_INT64_MIN)
		return false;
	*lo_ns = (int64) Max(lo, (int128) PG_INT64_MIN);
	*hi_ns = (int64) Min(hi, (int128) PG_INT64_MAX);
	return *lo_ns <= *hi_ns;
}

double
pulsora_range_fraction(const PulsoraRange *r, int64 min_ns, int64 max_ns)
{
	int64		lo;
	int64		hi;

	if (!pulsora_range_to_ns(r, &lo, &hi))
		return 0.0;
	lo = Max(lo, min_ns);
	hi = Min(hi, max_ns);
	if (lo > hi)
		return 0.0;
	return ((double) hi - (double) lo + 1.0) / ((double) max_ns - (double) min_ns + 1.0);
}

static char *
format_bound(int64 v, Oid time_type)
{
	/* Values beyond PostgreSQL's range (a widened bound) still mean "none". */
	if (v < MIN_TIMESTAMP)
		v = DT_NOBEGIN;
	else if (v >= END_TIMESTAMP)
		v = DT_NOEND;
	if (time_type == TIMESTAMPOID)
		return DatumGetCString(DirectFunctionCall1(timestamp_out, TimestampGetDatum(v)));
	return DatumGetCString(DirectFunctionCall1(timestamptz_out, TimestampTzGetDatum(v)));
}

char *
pulsora_range_format(const PulsoraRange *r, Oid time_type)
{
	int64		lo_ns;
	int64		hi_ns;

	if (!pulsora_range_to_ns(r, &lo_ns, &hi_ns))
		return pstrdup("empty");
	/* An exclusive bound is shown as the query wrote it: "> lo - 1", "< hi + 1". */
	return psprintf("%c%s, %s%c",
					r->lo_exclusive ? '(' : '[',
					format_bound(r->lo - r->lo_exclusive, time_type),
					format_bound(r->hi + r->hi_exclusive, time_type),
					r->hi_exclusive ? ')' : ']');
}

void
pulsora_range_compute(List *bound_states, List *strategies, List *operand_types, Oid time_type,
					  ExprContext *econtext, PulsoraRange *r)
{
	MemoryContext old = MemoryContextSwitchTo(econtext->ecxt_per_tuple_memory);
	ListCell   *lc1,
			   *lc2,
			   *lc3;

	pulsora_range_init(r);
	forthree(lc1, bound_states, lc2, strategies, lc3, operand_types)
	{
		bool		isnull;
		Datum		value = ExecEvalExpr((ExprState *) lfirst(lc1), econtext, &isnull);

		pulsora_range_apply(r, time_type, lfirst_int(lc2), lfirst_oid(lc3), value, isnull);
	}
	MemoryContextSwitchTo(old);
}
