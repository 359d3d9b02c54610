/*
 * first_last.c — the aggregates first(value, time) and last(value, time),
 * with TimescaleDB's names and semantics so that queries port (DESIGN §5):
 * first returns the value of the row with the smallest time, last the value
 * of the row with the largest.  The time is a timestamptz or a timestamp
 * (one overload each); both are int64 microseconds compared as integers,
 * which is exactly their btree order (-infinity and infinity included).
 * Plain aggregates, usable on any table; they know nothing of the store.
 *
 * Semantics: rows whose time is NULL are ignored; the value may be NULL and
 * is then the answer if its row wins; a group with no row of non-NULL time
 * (an empty group included) gives NULL.  Ties: a row replaces the kept one
 * only with a strictly smaller (first) or larger (last) time, so within one
 * transition state the first row seen among equal times wins, and the
 * combine function keeps its left state on equal times.  Which row that is
 * depends on the aggregate's input order (a scan's order, or a sort's, which
 * is not stable) and, in parallel plans, on how rows were split between
 * workers and in which order their states are combined: it is not defined,
 * as in TimescaleDB.
 *
 * State (type internal): NULL until a row with a non-NULL time is seen, then
 * a FirstLastState that always holds a row.  Its by-reference value is a
 * copy owned by the aggregate context (never a pointer into the input row;
 * out-of-line TOAST pointers and expanded objects are flattened first), and
 * the copy it replaces is freed, so memory stays at one value per group
 * whatever the number of rows.  The transition and combine functions write
 * only to their first (left) state; the final function does not modify it
 * (it may run more than once, as in window aggregation).
 *
 * Parallel aggregation: the serialize function writes the time, the value's
 * type (oid, typlen, typbyval) and the value with datumSerialize; the
 * deserialize function reads it back with datumRestore.  That is correct for
 * every type here because a serialized state never leaves the query that
 * made it: PostgreSQL passes it only from a Partial Aggregate to its
 * Finalize Aggregate, in one server, between the processes of one parallel
 * query (or within one backend for partitionwise aggregation).  Within that
 * scope datumSerialize is PostgreSQL's own means of moving a datum between
 * processes (parallel query parameters): by-value datums are copied whole,
 * by-reference ones byte for byte (same binary, same architecture), cstrings
 * and fixed-length types by their length, expanded objects flattened; the
 * state holds no TOAST pointers (they are detoasted when kept), so nothing
 * refers to another process's memory; and rows of anonymous record types
 * keep their typmod, which the shared record typmod registry of a parallel
 * query makes valid in the leader.  Binary send/receive (TimescaleDB's way)
 * would fail where this does not: types without send/receive functions
 * (aclitem) and anonymous records, which record_recv cannot read.  The bytes
 * are not a portable format and are never stored.
 */
#include "postgres.h"

#include "access/detoast.h"
#include "fmgr.h"
#include "utils/datum.h"
#include "utils/lsyscache.h"

#include "pulsora_fdw.h"

PG_FUNCTION_INFO_V1(pulsora_first_sfunc);
PG_FUNCTION_INFO_V1(pulsora_last_sfunc);
PG_FUNCTION_INFO_V1(pulsora_first_combine);
PG_FUNCTION_INFO_V1(pulsora_last_combine);
PG_FUNCTION_INFO_V1(pulsora_first_last_serialize);
PG_FUNCTION_INFO_V1(pulsora_first_last_deserialize);
PG_FUNCTION_INFO_V1(pulsora_first_last_final);

typedef struct FirstLastState
{
	int64		time;			/* the kept row's time, never NULL */
	Datum		value;			/* its value; by reference: owned by the state */
	bool		value_null;
	bool		typbyval;		/* of the value's type */
	int16		typlen;
	Oid			type;
} FirstLastState;

/* The value's type, looked up once per aggregate call site (fn_extra). */
typedef struct ValueType
{
	Oid			type;
	int16		typlen;
	bool		typbyval;
} ValueType;

/* Serialized form: this header, then the value as datumSerialize writes it. */
typedef struct SerializedHeader
{
	int64		time;
	Oid			type;
	int16		typlen;
	bool		typbyval;
} SerializedHeader;

static MemoryContext
aggregate_context(FunctionCallInfo fcinfo, const char *name)
{
	MemoryContext aggcontext;

	if (!AggCheckCallContext(fcinfo, &aggcontext))
		elog(ERROR, "%s called in non-aggregate context", name);
	return aggcontext;
}

static ValueType *
value_type(FunctionCallInfo fcinfo)
{
	ValueType  *vt = (ValueType *) fcinfo->flinfo->fn_extra;

	if (vt == NULL)
	{
		Oid			type = get_fn_expr_argtype(fcinfo->flinfo, 1);

		if (!OidIsValid(type))
			elog(ERROR, "could not determine the type of the value of first/last");
		vt = MemoryContextAlloc(fcinfo->flinfo->fn_mcxt, sizeof(ValueType));
		vt->type = type;
		get_typlenbyval(type, &vt->typlen, &vt->typbyval);
		fcinfo->flinfo->fn_extra = vt;
	}
	return vt;
}

/*
 * Makes (value, isnull) the state's value: by-reference values are copied
 * into aggcontext (flattened first if out of line), and the previous copy is
 * freed.  Temporary detoasted copies live in the caller's (per-row) context
 * and are freed here too.
 */
static void
keep_value(FirstLastState *state, MemoryContext aggcontext, Datum value, bool isnull)
{
	Datum		previous = state->value;
	bool		had_copy = !state->value_null && !state->typbyval;

	if (isnull)
	{
		state->value = (Datum) 0;
		state->value_null = true;
	}
	else if (state->typbyval)
	{
		state->value = value;
		state->value_null = false;
	}
	else
	{
		struct varlena *flat = NULL;
		MemoryContext old;

		if (state->typlen == -1 && VARATT_IS_EXTERNAL(DatumGetPointer(value)))
		{
			flat = detoast_external_attr((struct varlena *) DatumGetPointer(value));
			value = PointerGetDatum(flat);
		}
		old = MemoryContextSwitchTo(aggcontext);
		state->value = datumCopy(value, false, state->typlen);
		MemoryContextSwitchTo(old);
		state->value_null = false;
		if (flat)
			pfree(flat);
	}
	if (had_copy)
		pfree(DatumGetPointer(previous));
}

/* first/last_sfunc(internal, anyelement, timestamptz|timestamp) => internal */
static Datum
transition(FunctionCallInfo fcinfo, bool last, const char *name)
{
	MemoryContext aggcontext = aggregate_context(fcinfo, name);
	FirstLastState *state = PG_ARGISNULL(0) ? NULL : (FirstLastState *) PG_GETARG_POINTER(0);
	int64		time;

	if (PG_ARGISNULL(2))
	{
		/* a row without a time never counts */
		if (state == NULL)
			PG_RETURN_NULL();
		PG_RETURN_POINTER(state);
	}
	time = DatumGetInt64(PG_GETARG_DATUM(2));

	if (state == NULL)
	{
		ValueType  *vt = value_type(fcinfo);

		state = MemoryContextAlloc(aggcontext, sizeof(FirstLastState));
		state->value = (Datum) 0;
		state->value_null = true;
		state->type = vt->type;
		state->typlen = vt->typlen;
		state->typbyval = vt->typbyval;
		state->time = time;
		keep_value(state, aggcontext, PG_GETARG_DATUM(1), PG_ARGISNULL(1));
	}
	else if (last ? time > state->time : time < state->time)
	{
		state->time = time;
		keep_value(state, aggcontext, PG_GETARG_DATUM(1), PG_ARGISNULL(1));
	}
	PG_RETURN_POINTER(state);
}

Datum
pulsora_first_sfunc(PG_FUNCTION_ARGS)
{
	return transition(fcinfo, false, "pulsora_first_sfunc");
}

Datum
pulsora_last_sfunc(PG_FUNCTION_ARGS)
{
	return transition(fcinfo, true, "pulsora_last_sfunc");
}

/*
 * first/last_combine(internal, internal) => internal.  The right state may
 * live in short-lived memory (deserialized): it is copied, never adopted.
 */
static Datum
combine(FunctionCallInfo fcinfo, bool last, const char *name)
{
	MemoryContext aggcontext = aggregate_context(fcinfo, name);
	FirstLastState *left = PG_ARGISNULL(0) ? NULL : (FirstLastState *) PG_GETARG_POINTER(0);
	FirstLastState *right = PG_ARGISNULL(1) ? NULL : (FirstLastState *) PG_GETARG_POINTER(1);

	if (right == NULL)
	{
		if (left == NULL)
			PG_RETURN_NULL();
		PG_RETURN_POINTER(left);
	}
	if (left == NULL)
	{
		left = MemoryContextAlloc(aggcontext, sizeof(FirstLastState));
		left->value = (Datum) 0;
		left->value_null = true;
		left->type = right->type;
		left->typlen = right->typlen;
		left->typbyval = right->typbyval;
		left->time = right->time;
		keep_value(left, aggcontext, right->value, right->value_null);
	}
	else if (last ? right->time > left->time : right->time < left->time)
	{
		left->time = right->time;
		keep_value(left, aggcontext, right->value, right->value_null);
	}
	PG_RETURN_POINTER(left);
}

Datum
pulsora_first_combine(PG_FUNCTION_ARGS)
{
	return combine(fcinfo, false, "pulsora_first_combine");
}

Datum
pulsora_last_combine(PG_FUNCTION_ARGS)
{
	return combine(fcinfo, true, "pulsora_last_combine");
}

/*
 * The serialized state of a first/last whose kept row has this time and
 * value (of type type): what first_last_serialize writes, and what a
 * partial aggregate computed by an owner hands its Finalize Aggregate
 * (upper_state.c).  palloc'd in the current context.
 */
bytea *
pulsora_first_last_state_bytes(int64 time, Oid type, Datum value, bool isnull)
{
	SerializedHeader header;
	Size		value_size;
	bytea	   *result;
	char	   *p;

	memset(&header, 0, sizeof(header));
	header.time = time;
	header.type = type;
	get_typlenbyval(type, &header.typlen, &header.typbyval);
	value_size = datumEstimateSpace(value, isnull, header.typbyval, header.typlen);
	result = (bytea *) palloc(VARHDRSZ + sizeof(header) + value_size);
	SET_VARSIZE(result, VARHDRSZ + sizeof(header) + value_size);
	p = VARDATA(result);
	memcpy(p, &header, sizeof(header));
	p += sizeof(header);
	datumSerialize(value, isnull, header.typbyval, header.typlen, &p);
	Assert(p == (char *) result + VARSIZE(result));
	return result;
}

/* first_last_serialize(internal) => bytea; strict, so the state is not NULL. */
Datum
pulsora_first_last_serialize(PG_FUNCTION_ARGS)
{
	FirstLastState *state;

	(void) aggregate_context(fcinfo, "pulsora_first_last_serialize");
	state = (FirstLastState *) PG_GETARG_POINTER(0);
	PG_RETURN_BYTEA_P(pulsora_first_last_state_bytes(state->time, state->type, state->value,
													 state->value_null));
}

/*
 * first_last_deserialize(bytea, internal) => internal; strict.  The state
 * and its value are palloc'd in the current (short-lived) context: combine
 * copies what it keeps.
 */
Datum
pulsora_first_last_deserialize(PG_FUNCTION_ARGS)
{
	bytea	   *bytes;
	SerializedHeader header;
	FirstLastState *state;
	char	   *p;
	char	   *end;

	(void) aggregate_context(fcinfo, "pulsora_first_last_deserialize");
	bytes = PG_GETARG_BYTEA_PP(0);
	p = VARDATA_ANY(bytes);
	end = p + VARSIZE_ANY_EXHDR(bytes);
	if (end - p < (ptrdiff_t) (sizeof(header) + sizeof(int)))
		elog(ERROR, "invalid serialized state of first/last");
	memcpy(&header, p, sizeof(header));
	p += sizeof(header);

	state = palloc(sizeof(FirstLastState));
	state->time = header.time;
	state->type = header.type;
	state->typlen = header.typlen;
	state->typbyval = header.typbyval;
	state->value = datumRestore(&p, &state->value_null);
	if (p != end)
		elog(ERROR, "invalid serialized state of first/last");
	PG_RETURN_POINTER(state);
}

/*
 * first_last_final(internal, anyelement, timestamptz|timestamp) => anyelement
 * (FINALFUNC_EXTRA: the dummy arguments give the result type).  Returns a
 * copy in the caller's context; the state is left untouched.
 */
Datum
pulsora_first_last_final(PG_FUNCTION_ARGS)
{
	FirstLastState *state;

	(void) aggregate_context(fcinfo, "pulsora_first_last_final");
	state = PG_ARGISNULL(0) ? NULL : (FirstLastState *) PG_GETARG_POINTER(0);
	if (state == NULL || state->value_null)
		PG_RETURN_NULL();
	if (state->typbyval)
		PG_RETURN_DATUM(state->value);
	PG_RETURN_DATUM(datumCopy(state->value, false, state->typlen));
}
