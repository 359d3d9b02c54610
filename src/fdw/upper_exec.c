/*
 * upper_exec.c — running a ForeignScan of pushed aggregates (planned by
 * upper_plan.c): the time range and series filters are computed as for a
 * scan, the owner computes the groups (AGGREGATE, ps_client_aggregate),
 * and each group becomes a tuple of fdw_scan_tlist: GROUP BY values, the
 * bucket start, and each aggregate in PostgreSQL's result type (count
 * bigint, sum and avg of bigint numeric, of double precision double
 * precision, min, max, first and last the column's type), or, for partial
 * aggregates, in its transition state's type (upper_state.c).
 *
 * The owner sorts the groups and applies LIMIT and OFFSET when the plan
 * says so (upper_order.c), and they arrive in that order.
 *
 * Under an async Append (partitionwise aggregation, async.c) the AGGREGATE
 * goes out deferred and the groups are read without waiting: the result
 * columns' types come with the answer, and until it is whole the next
 * call returns an empty slot, with the connection's socket to wait on.
 *
 * Memory: one batch of groups at a time; text and numeric Datums live in a
 * context reset before each fetch.  The owner-side handle is closed when
 * the scan ends, and, should the query fail first, when the query's memory
 * goes (a reset callback), unless the connection was replaced meanwhile,
 * which already dropped the handle.
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "executor/executor.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "nodes/nodeFuncs.h"
#include "utils/builtins.h"
#include "utils/memutils.h"
#include "utils/numeric.h"

#include "core/ps_agg.h"
#include "pulsora_fdw.h"
#include "upper.h"

#define UPPER_FETCH_ROWS 4096

/* The owner-side groups, owned by a memory context whose reset closes them. */
typedef struct UpperGroups
{
	PulsoraConn *conn;
	uint64		generation;
	ps_client_scan *scan;
	MemoryContextCallback cb;
} UpperGroups;

typedef struct PulsoraUpperState
{
	PulsoraConn *conn;			/* NULL for EXPLAIN without ANALYZE */
	ps_client_scan_spec spec;
	ps_client_agg_spec agg;
	Oid			time_type;
	List	   *bound_states;
	List	   *strategies;
	List	   *operand_types;
	bool		range_known;
	PulsoraRange range;
	PulsoraSeriesExec *series;
	int			noutputs;
	int		   *kinds, *col_a, *col_b, *col_c;
	Oid		   *value_types;	/* per output: the value's type of a first/last state */
	bool		partial;		/* the outputs are partial aggregates' states */
	MemoryContext groups_cxt;	/* holds groups; deleted at the end of each (re)scan */
	MemoryContext batch_cxt;
	UpperGroups *groups;
	const ps_type *types;		/* of the owner's result columns */
	ps_value   *vals;			/* the current group, one value per result column */
	List	   *sort_labels;	/* String per pushed sort key, for EXPLAIN */
	bool		last_batch;		/* the current batch is the owner's last */
	bool		finished;
	uint64		fetched;
} PulsoraUpperState;

static void
groups_cleanup(void *arg)
{
	UpperGroups *g = arg;

	if (g->scan && pulsora_conn_generation(g->conn) == g->generation)
		ps_client_scan_close(g->scan, NULL);
	g->scan = NULL;
}

void
pulsora_upper_begin(ForeignScanState *node, int eflags)
{
	ForeignScan *plan = (ForeignScan *) node->ss.ps.plan;
	List	   *priv = plan->fdw_private;
	PulsoraUpperState *s = palloc0(sizeof(PulsoraUpperState));
	List	   *bucket = list_nth(priv, FdwUpperBucket);
	List	   *groups = list_nth(priv, FdwUpperGroupColumns);
	List	   *fns = list_nth(priv, FdwUpperFns);
	List	   *fn_columns = list_nth(priv, FdwUpperFnColumns);
	List	   *fn_columns2 = list_nth(priv, FdwUpperFnColumns2);
	List	   *outputs = list_nth(priv, FdwUpperOutputs);
	List	   *sort = list_nth(priv, FdwUpperSort);
	List	   *limit = list_nth(priv, FdwUpperLimit);
	List	   *series_items = list_nth(priv, FdwUpperSeries);
	int			ntime;
	int			i;
	const char **group_by = palloc(sizeof(char *) * (list_length(groups) + 1));
	uint8	   *fn_codes = palloc(list_length(fns));
	const char **columns = palloc(sizeof(char *) * list_length(fns));
	const char **columns2 = palloc(sizeof(char *) * list_length(fns));
	ListCell   *lc;

	node->fdw_state = s;
	s->spec.table = strVal(list_nth(priv, FdwUpperTable));
	s->time_type = (Oid) intVal(list_nth(priv, FdwUpperTimeType));
	s->strategies = list_nth(priv, FdwUpperStrategies);
	s->operand_types = list_nth(priv, FdwUpperOperandTypes);
	ntime = list_length(s->strategies);
	s->bound_states = ExecInitExprList(list_copy_head(plan->fdw_exprs, ntime), (PlanState *) node);
	if (series_items != NIL)
		s->series = pulsora_series_exec(series_items, list_copy_tail(plan->fdw_exprs, ntime),
										(PlanState *) node);
	if (bucket != NIL)
	{
		s->agg.bucket_width = DatumGetInt64(((Const *) linitial(bucket))->constvalue);
		s->agg.bucket_origin = DatumGetInt64(((Const *) lsecond(bucket))->constvalue);
	}
	i = 0;
	foreach(lc, groups)
		group_by[i++] = strVal(lfirst(lc));
	s->agg.group_by = group_by;
	s->agg.ngroup = list_length(groups);
	i = 0;
	foreach(lc, fns)
	{
		fn_codes[i] = (uint8) lfirst_int(lc);
		columns[i] = strVal(list_nth(fn_columns, i));
		columns2[i] = strVal(list_nth(fn_columns2, i));
		if (columns[i][0] == '\0')
			columns[i] = NULL;
		i++;
	}
	s->agg.fns = fn_codes;
	s->agg.columns = columns;
	s->agg.columns2 = columns2;
	s->agg.nitems = list_length(fns);
	if (sort != NIL)
	{
		uint32	   *sort_columns = palloc(sizeof(uint32) * list_length(linitial(sort)));
		uint8	   *sort_flags = palloc(list_length(linitial(sort)));

		i = 0;
		foreach(lc, (List *) linitial(sort))
			sort_columns[i++] = (uint32) lfirst_int(lc);
		i = 0;
		foreach(lc, (List *) lsecond(sort))
			sort_flags[i++] = (uint8) lfirst_int(lc);
		s->agg.sort_columns = sort_columns;
		s->agg.sort_flags = sort_flags;
		s->agg.nsort = list_length(linitial(sort));
		s->sort_labels = lthird(sort);
	}
	if (limit != NIL)
	{
		s->agg.offset = (uint64) DatumGetInt64(((Const *) linitial(limit))->constvalue);
		s->agg.limit = (uint64) DatumGetInt64(((Const *) lsecond(limit))->constvalue);
	}
	s->noutputs = list_length(outputs);
	s->kinds = palloc(sizeof(int) * (s->noutputs + 1));
	s->col_a = palloc(sizeof(int) * (s->noutputs + 1));
	s->col_b = palloc(sizeof(int) * (s->noutputs + 1));
	s->col_c = palloc(sizeof(int) * (s->noutputs + 1));
	s->value_types = palloc0(sizeof(Oid) * (s->noutputs + 1));
	s->partial = boolVal(list_nth(priv, FdwUpperPartial));
	i = 0;
	foreach(lc, outputs)
	{
		List	   *o = lfirst(lc);

		s->kinds[i] = linitial_int(o);
		s->col_a[i] = lsecond_int(o);
		s->col_b[i] = lthird_int(o);
		s->col_c[i] = lfourth_int(o);
		if (s->kinds[i] == PULSORA_OUT_FIRST_LAST_STATE)
		{
			Aggref	   *agg = (Aggref *) ((TargetEntry *) list_nth(plan->fdw_scan_tlist, i))->expr;

			s->value_types[i] = exprType((Node *) ((TargetEntry *) linitial(agg->args))->expr);
		}
		i++;
	}
	if (eflags & EXEC_FLAG_EXPLAIN_ONLY)
	{
		/* Show the range and the filters when known without running anything. */
		if (!pulsora_contains_exec_param((Node *) plan->fdw_exprs, NULL))
		{
			pulsora_range_compute(s->bound_states, s->strategies, s->operand_types,
								  s->time_type, node->ss.ps.ps_ExprContext, &s->range);
			s->range_known = true;
			if (s->series)
				pulsora_series_compute(s->series, node->ss.ps.ps_ExprContext);
		}
		return;
	}
	s->conn = pulsora_connect(GetForeignServer(plan->fs_server));
}

/* The owner's result columns, known from its answer: enough for every output? */
static void
upper_take_types(PulsoraUpperState *s, const ps_type *types, uint32 ntypes)
{
	for (int i = 0; i < s->noutputs; i++)
		if (Max(Max(s->col_a[i], s->col_b[i]), s->col_c[i]) >= (int) ntypes)
			ereport(ERROR,
					(errcode(ERRCODE_FDW_ERROR),
					 errmsg("pulsorad answered %u aggregate columns for pulsora table \"%s\", fewer than asked",
							ntypes, s->spec.table)));
	s->types = types;
	s->vals = MemoryContextAllocZero(s->groups_cxt, sizeof(ps_value) * ntypes);
}

/* Ask the owner for the groups of this (re)scan. */
static void
upper_start(ForeignScanState *node, PulsoraUpperState *s)
{
	MemoryContext old;
	UpperGroups *g;
	ps_error	err;
	ps_status	st;
	uint32		ntypes;

	pulsora_range_compute(s->bound_states, s->strategies, s->operand_types, s->time_type,
						  node->ss.ps.ps_ExprContext, &s->range);
	s->range_known = true;
	if (s->series)
	{
		pulsora_series_compute(s->series, node->ss.ps.ps_ExprContext);
		s->spec.filters = s->series->filters;
		s->spec.nfilters = s->series->nfilters;
	}
	/* An async scan asks without waiting, so that other owners get asked too. */
	s->spec.deferred = node->ss.ps.async_capable;
	/* A contradiction: an empty range, which without groups still makes one group of nothing. */
	if (!pulsora_range_to_ns(&s->range, &s->spec.lo, &s->spec.hi) ||
		(s->series && s->series->empty))
	{
		s->spec.lo = 1;
		s->spec.hi = 0;
		s->spec.nfilters = 0;
	}
	s->spec.first_rows = UPPER_FETCH_ROWS;
	s->groups_cxt = AllocSetContextCreate(node->ss.ps.state->es_query_cxt, "pulsora groups",
										  ALLOCSET_SMALL_SIZES);
	s->batch_cxt = AllocSetContextCreate(s->groups_cxt, "pulsora group batch",
										 ALLOCSET_DEFAULT_SIZES);
	old = MemoryContextSwitchTo(s->groups_cxt);
	g = palloc0(sizeof(UpperGroups));
	MemoryContextSwitchTo(old);
	g->conn = s->conn;
	g->generation = pulsora_conn_generation(s->conn);
	g->cb.func = groups_cleanup;
	g->cb.arg = g;
	MemoryContextRegisterResetCallback(s->groups_cxt, &g->cb);
	s->groups = g;
	for (;;)
	{
		st = ps_client_aggregate(pulsora_conn_client(s->conn), &s->spec, &s->agg, &g->scan,
								 &s->types, &ntypes, &err);
		if (st == PS_OK || !pulsora_reconnect(s->conn, st))
			break;
		g->generation = pulsora_conn_generation(s->conn);
	}
	if (st != PS_OK)
		pulsora_report(s->conn, st, &err,
					   psprintf("could not aggregate pulsora table \"%s\"", s->spec.table));
	if (!s->spec.deferred)
		upper_take_types(s, s->types, ntypes);
}

/* Signed 128-bit integer from its halves, as numeric. */
static Datum
int128_numeric(int64 hi, int64 lo)
{
	__int128	v = (__int128) (((unsigned __int128) (uint64) hi << 64) | (uint64) lo);
	unsigned __int128 u = v < 0 ? -(unsigned __int128) v : (unsigned __int128) v;
	char		buf[48];
	char	   *p = buf + sizeof(buf) - 1;

	*p = '\0';
	do
	{
		*--p = (char) ('0' + (int) (u % 10));
		u /= 10;
	} while (u > 0);
	if (v < 0)
		*--p = '-';
	return DirectFunctionCall3(numeric_in, CStringGetDatum(p), ObjectIdGetDatum(InvalidOid),
							   Int32GetDatum(-1));
}

/* A result value v of store type t as a Datum (text in the current context); false for NULL. */
static bool
plain_datum(ps_type t, const ps_value *v, Datum *out)
{
	if (v->is_null)
		return false;
	switch (t)
	{
		case PS_TYPE_INTEGER:
			*out = Int64GetDatum(v->v.i);
			break;
		case PS_TYPE_FLOAT:
			*out = Float8GetDatum(v->v.f);
			break;
		case PS_TYPE_BOOLEAN:
			*out = BoolGetDatum(v->v.b);
			break;
		case PS_TYPE_TIMESTAMP:
			*out = Int64GetDatum(pulsora_ns_to_pg(v->v.i));
			break;
		case PS_TYPE_STRING:
			if (GetDatabaseEncoding() != PG_UTF8)
				*out = CStringGetTextDatum(pg_any_to_server(v->v.s.ptr, (int) v->v.s.len, PG_UTF8));
			else
				*out = PointerGetDatum(cstring_to_text_with_len(v->v.s.ptr, (int) v->v.s.len));
			break;
	}
	return true;
}

/* Output i of the group in s->vals (text and numeric in the current context). */
static bool
form_output(PulsoraUpperState *s, int i, Datum *value)
{
	const ps_value *a = &s->vals[s->col_a[i]];
	int64		count;

	switch (s->kinds[i])
	{
		case PULSORA_OUT_SUM_NUMERIC:
			if (a->is_null)
				return false;
			*value = int128_numeric(a->v.i, s->vals[s->col_b[i]].v.i);
			return true;
		case PULSORA_OUT_AVG_NUMERIC:
			if ((count = s->vals[s->col_c[i]].v.i) == 0)
				return false;
			*value = DirectFunctionCall2(numeric_div, int128_numeric(a->v.i, s->vals[s->col_b[i]].v.i),
										 NumericGetDatum(int64_to_numeric(count)));
			return true;
		case PULSORA_OUT_EPOCH:
			/* Whole seconds from the Unix epoch (the width is whole seconds, the origin 0). */
			*value = NumericGetDatum(int64_to_numeric(a->v.i / INT64CONST(1000000000)));
			return true;
		case PULSORA_OUT_AVG_FLOAT:
			if ((count = s->vals[s->col_b[i]].v.i) == 0)
				return false;
			*value = Float8GetDatum(a->v.f / (double) count);
			return true;
		case PULSORA_OUT_INT8_SUM_STATE:
			/* No non-NULL value: the sum is NULL, the state a count of 0 and a sum of 0. */
			*value = a->is_null ? pulsora_int8_sum_state(0, 0, 0)
				: pulsora_int8_sum_state(s->vals[s->col_c[i]].v.i, a->v.i, s->vals[s->col_b[i]].v.i);
			return true;
		case PULSORA_OUT_FLOAT8_AVG_STATE:
			*value = pulsora_float8_avg_state(s->vals[s->col_b[i]].v.i, a->is_null ? 0.0 : a->v.f);
			return true;
		case PULSORA_OUT_FIRST_LAST_STATE:
			{
				const ps_value *time = &s->vals[s->col_b[i]];
				Datum		v = (Datum) 0;
				bool		isnull = !plain_datum(s->types[s->col_a[i]], a, &v);

				/* A group of no row (the empty range without GROUP BY) has no state. */
				if (time->is_null)
					return false;
				*value = PointerGetDatum(pulsora_first_last_state_bytes(pulsora_ns_to_pg(time->v.i),
																		s->value_types[i], v, isnull));
				return true;
			}
		default:
			return plain_datum(s->types[s->col_a[i]], a, value);
	}
}

/* Drop this (re)scan's groups: the owner's handle goes with their context. */
static void
upper_release(PulsoraUpperState *s)
{
	if (s->groups_cxt)
		MemoryContextDelete(s->groups_cxt);
	s->groups_cxt = NULL;
	s->batch_cxt = NULL;
	s->groups = NULL;
	s->types = NULL;
	s->vals = NULL;
}

/* Whether the next fetch can go without waiting for the owner's answer. */
static bool
upper_ready(PulsoraUpperState *s)
{
	bool		ready;

	/* A failure leaves ready set: the fetch reports it. */
	(void) ps_client_scan_poll(s->groups->scan, &ready, NULL);
	return ready;
}

TupleTableSlot *
pulsora_upper_next(ForeignScanState *node)
{
	PulsoraUpperState *s = node->fdw_state;
	TupleTableSlot *slot = node->ss.ss_ScanTupleSlot;
	MemoryContext old;
	int64_t		t;

	ExecClearTuple(slot);
	if (s->finished)
		return slot;
	if (s->groups == NULL)
		upper_start(node, s);
	else if (pulsora_conn_generation(s->conn) != s->groups->generation)
		ereport(ERROR,
				(errcode(ERRCODE_CONNECTION_FAILURE),
				 errmsg("lost connection to pulsorad for %s while aggregating pulsora table \"%s\"",
						pulsora_conn_where(s->conn), s->spec.table)));
	while (s->vals == NULL || !ps_client_scan_row(s->groups->scan, &t, s->vals))
	{
		ps_error	err;
		ps_status	st;

		if (s->last_batch)
		{
			/* All groups read: the owner has released the handle. */
			s->finished = true;
			upper_release(s);
			return slot;
		}
		CHECK_FOR_INTERRUPTS();
		if (node->ss.ps.async_capable && !upper_ready(s))
			return slot;		/* async.c waits for pulsora_upper_socket */
		MemoryContextReset(s->batch_cxt);
		st = ps_client_scan_fetch(s->groups->scan, UPPER_FETCH_ROWS, &s->last_batch, &err);
		if (st != PS_OK)
			pulsora_report(s->conn, st, &err,
						   psprintf("could not aggregate pulsora table \"%s\"", s->spec.table));
		if (s->vals == NULL)
			upper_take_types(s, ps_client_scan_types(s->groups->scan),
							 ps_client_scan_ntypes(s->groups->scan));
	}
	old = MemoryContextSwitchTo(s->batch_cxt);
	for (int i = 0; i < s->noutputs; i++)
		slot->tts_isnull[i] = !form_output(s, i, &slot->tts_values[i]);
	MemoryContextSwitchTo(old);
	s->fetched++;
	return ExecStoreVirtualTuple(slot);
}

bool
pulsora_upper_finished(ForeignScanState *node)
{
	return ((PulsoraUpperState *) node->fdw_state)->finished;
}

int
pulsora_upper_socket(ForeignScanState *node)
{
	PulsoraUpperState *s = node->fdw_state;

	/* Called only after the next call returned no group without finishing: its batch is read. */
	if (s->finished || s->groups == NULL ||
		pulsora_conn_generation(s->conn) != s->groups->generation || upper_ready(s))
		return -1;
	return ps_client_fd(pulsora_conn_client(s->conn));
}

void
pulsora_upper_rescan(ForeignScanState *node)
{
	PulsoraUpperState *s = node->fdw_state;

	/* Parameters may have changed: the next fetch asks the owner again. */
	upper_release(s);
	s->finished = false;
	s->last_batch = false;
}

void
pulsora_upper_end(ForeignScanState *node)
{
	PulsoraUpperState *s = node->fdw_state;

	if (s != NULL)
		upper_release(s);
}

char *
pulsora_agg_label(int fn, const char *column, const char *column2)
{
	if (fn == PS_AGG_SUM_PRODUCT)
		return psprintf("sum(%s * %s)", column, column2);
	return psprintf("%s(%s)", ps_agg_fn_name((ps_agg_fn) fn), column && column[0] ? column : "*");
}

void
pulsora_upper_explain(ForeignScanState *node, ExplainState *es)
{
	PulsoraUpperState *s = node->fdw_state;
	List	   *keys = NIL;
	List	   *aggs = NIL;
	ListCell   *lc;

	ExplainPropertyText("Pulsora Table", s->spec.table, es);
	if (s->bound_states != NIL)
		ExplainPropertyText("Time Range",
							s->range_known ? pulsora_range_format(&s->range, s->time_type)
							: "computed at run time", es);
	if (s->series)
		ExplainPropertyText("Series Filter", pulsora_series_format(s->series), es);
	if (s->agg.bucket_width > 0)
		keys = lappend(keys, psprintf("bucket of %lld us",
									  (long long) (s->agg.bucket_width / 1000)));
	for (uint32 g = 0; g < s->agg.ngroup; g++)
		keys = lappend(keys, unconstify(char *, s->agg.group_by[g]));
	for (uint32 i = 0; i < s->agg.nitems; i++)
		aggs = lappend(aggs, pulsora_agg_label(s->agg.fns[i], s->agg.columns[i], s->agg.columns2[i]));
	if (keys != NIL)
		ExplainPropertyList("Pushed Group Keys", keys, es);
	ExplainPropertyList(s->partial ? "Pushed Partial Aggregates" : "Pushed Aggregates", aggs, es);
	if (s->sort_labels != NIL)
	{
		List	   *labels = NIL;

		foreach(lc, s->sort_labels)
			labels = lappend(labels, strVal(lfirst(lc)));
		ExplainPropertyList("Pushed Sort Keys", labels, es);
	}
	if (s->agg.limit > 0)
		ExplainPropertyUInteger("Pushed Limit", NULL, s->agg.limit, es);
	if (s->agg.offset > 0)
		ExplainPropertyUInteger("Pushed Offset", NULL, s->agg.offset, es);
	if (es->analyze)
		ExplainPropertyUInteger("Groups Fetched", NULL, s->fetched, es);
}
