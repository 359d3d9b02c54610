/*
 * upper_bucket.c — which GROUP BY expressions are time buckets the owner
 * computes (aggregate pushdown, upper_plan.c): fixed-width buckets of the
 * time column with a constant width and origin, written as TimescaleDB's
 * time_bucket(interval, time [, origin]), PostgreSQL's date_bin(interval,
 * time, origin), or Grafana's $__timeGroup(time, N) expansion
 * floor(extract(epoch from time) / N) * N.  A month bucket (not fixed
 * width) and origins outside the store's range are not buckets here: such
 * queries are aggregated by PostgreSQL.
 */
#include "postgres.h"

#include <ctype.h>
#include <errno.h>

#include "catalog/pg_type.h"
#include "datatype/timestamp.h"
#include "foreign/foreign.h"
#include "nodes/pathnodes.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/lsyscache.h"
#include "utils/timestamp.h"

#include "pulsora_fdw.h"
#include "upper.h"

/* TimescaleDB's default origin for fixed-width buckets: 2000-01-03, a Monday. */
#define TIME_BUCKET_DEFAULT_ORIGIN (2 * USECS_PER_DAY)

Oid
pulsora_extension_schema(RelOptInfo *rel)
{
	ForeignServer *server = GetForeignServer(rel->serverid);

	return get_func_namespace(GetForeignDataWrapper(server->fdwid)->fdwhandler);
}

/* Is expr (relabelling aside) the time column of the foreign table rel? */
static bool
time_column(RelOptInfo *rel, Node *expr)
{
	PulsoraRelInfo *fp = rel->fdw_private;

	while (expr && IsA(expr, RelabelType))
		expr = (Node *) ((RelabelType *) expr)->arg;
	return expr != NULL && IsA(expr, Var) && fp->map.time_attno != 0 &&
		((Var *) expr)->varno == rel->relid && ((Var *) expr)->varlevelsup == 0 &&
		((Var *) expr)->varattno == fp->map.time_attno;
}

/* A constant (not NULL) interval of days and time only, in microseconds; false otherwise. */
static bool
fixed_interval(Node *n, int64 *us)
{
	Interval   *iv;

	if (n == NULL || !IsA(n, Const) || ((Const *) n)->constisnull ||
		((Const *) n)->consttype != INTERVALOID)
		return false;
	iv = DatumGetIntervalP(((Const *) n)->constvalue);
	if (iv->month != 0 || iv->day < 0 || iv->time < 0)
		return false;
	*us = (int64) iv->day * USECS_PER_DAY + iv->time;
	return *us > 0 && *us <= PG_INT64_MAX / 1000;
}

/* A constant finite timestamp(tz) of the time column's type, in PostgreSQL us. */
static bool
const_time(const PulsoraRelInfo *fp, Node *n, int64 *us)
{
	if (n == NULL || !IsA(n, Const) || ((Const *) n)->constisnull ||
		((Const *) n)->consttype != fp->time_type)
		return false;
	*us = DatumGetInt64(((Const *) n)->constvalue);
	return !TIMESTAMP_NOT_FINITE(*us);
}

/* Is expr a fixed-width bucket of the time column?  Sets its width and origin. */
static bool
bucket_expr(RelOptInfo *rel, Node *expr, int64 *width_ns, int64 *origin_ns)
{
	PulsoraRelInfo *fp = rel->fdw_private;
	FuncExpr   *f;
	char	   *name;
	int64		width_us, origin_us = TIME_BUCKET_DEFAULT_ORIGIN;
	int			nargs;

	if (!IsA(expr, FuncExpr))
		return false;
	f = (FuncExpr *) expr;
	nargs = list_length(f->args);
	if (nargs < 2 || nargs > 3 || !fixed_interval(linitial(f->args), &width_us) ||
		!time_column(rel, lsecond(f->args)))
		return false;
	if (f->funcid == F_DATE_BIN_INTERVAL_TIMESTAMPTZ_TIMESTAMPTZ ||
		f->funcid == F_DATE_BIN_INTERVAL_TIMESTAMP_TIMESTAMP)
	{
		if (nargs != 3 || !const_time(fp, lthird(f->args), &origin_us))
			return false;
	}
	else
	{
		name = get_func_name(f->funcid);
		if (name == NULL || strcmp(name, "time_bucket") != 0 ||
			get_func_namespace(f->funcid) != pulsora_extension_schema(rel) ||
			(nargs == 3 && !const_time(fp, lthird(f->args), &origin_us)))
			return false;
	}
	*width_ns = width_us * 1000;
	*origin_ns = (origin_us + PULSORA_EPOCH_SHIFT_US) * 1000;
	/* Origins outside the store's range cannot be expressed in ns. */
	return origin_us > PG_INT64_MIN / 2000 && origin_us < PG_INT64_MAX / 2000;
}

/* A numeric constant holding a positive whole number of seconds (at most a year). */
static bool
const_seconds(Node *n, int64 *seconds)
{
	char	   *text;
	char	   *end;
	long long	v;

	if (n == NULL || !IsA(n, Const) || ((Const *) n)->constisnull ||
		((Const *) n)->consttype != NUMERICOID)
		return false;
	text = DatumGetCString(DirectFunctionCall1(numeric_out, ((Const *) n)->constvalue));
	if (!isdigit((unsigned char) text[0]))
		return false;
	errno = 0;
	v = strtoll(text, &end, 10);
	if (errno != 0 || (*end != '\0' && strspn(end, ".0") != strlen(end)) || v <= 0 ||
		v > 366LL * 86400)
		return false;
	*seconds = v;
	return true;
}

/*
 * Is expr the form Grafana's PostgreSQL data source writes for
 * $__timeGroup(time, N): floor(extract(epoch from time) / N) * N?  Then
 * it is a bucket of N seconds counted from the Unix epoch, whose value is
 * its start in epoch seconds (numeric).
 */
static bool
epoch_bucket_expr(RelOptInfo *rel, Node *expr, int64 *width_ns, int64 *origin_ns)
{
	OpExpr	   *mul, *div;
	FuncExpr   *fl, *ex;
	int64		n1, n2;
	Const	   *field;

	if (!IsA(expr, OpExpr))
		return false;
	mul = (OpExpr *) expr;
	if (get_opcode(mul->opno) != F_NUMERIC_MUL || list_length(mul->args) != 2 ||
		!const_seconds(lsecond(mul->args), &n2) || !IsA(linitial(mul->args), FuncExpr))
		return false;
	fl = linitial(mul->args);
	if (fl->funcid != F_FLOOR_NUMERIC || list_length(fl->args) != 1 || !IsA(linitial(fl->args), OpExpr))
		return false;
	div = linitial(fl->args);
	if (get_opcode(div->opno) != F_NUMERIC_DIV || list_length(div->args) != 2 ||
		!const_seconds(lsecond(div->args), &n1) || n1 != n2 || !IsA(linitial(div->args), FuncExpr))
		return false;
	ex = linitial(div->args);
	if ((ex->funcid != F_EXTRACT_TEXT_TIMESTAMPTZ && ex->funcid != F_EXTRACT_TEXT_TIMESTAMP) ||
		list_length(ex->args) != 2 || !IsA(linitial(ex->args), Const))
		return false;
	field = linitial(ex->args);
	if (field->constisnull || pg_strcasecmp(TextDatumGetCString(field->constvalue), "epoch") != 0 ||
		!time_column(rel, lsecond(ex->args)))
		return false;
	*width_ns = n1 * INT64CONST(1000000000);
	*origin_ns = 0;
	return true;
}

int
pulsora_time_bucket(RelOptInfo *rel, Node *expr, int64 *width_ns, int64 *origin_ns)
{
	if (bucket_expr(rel, expr, width_ns, origin_ns))
		return PULSORA_OUT_BUCKET;
	if (epoch_bucket_expr(rel, expr, width_ns, origin_ns))
		return PULSORA_OUT_EPOCH;
	return -1;
}
