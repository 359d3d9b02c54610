/*
 * convert.c — how foreign-table columns map onto store columns, conversion
 * of values between PostgreSQL Datums and the store, and the row reader
 * that streams a scan from the owner.
 *
 * Types (DESIGN §3): bigint <- Integer, double precision <- Float, text <-
 * String, boolean <- Boolean, timestamptz or timestamp <- Timestamp.  A
 * timestamp (without time zone) column shows the UTC wall-clock time.
 * Stored nanoseconds are floored to microseconds; writes of times outside
 * the store's range (1677..2262) and of ±infinity are errors.
 *
 * The reader decodes each row once (ps_row_decode) straight into the
 * executor's Datum arrays with a per-column conversion chosen by store type;
 * only text needs memory (in the batch context, no per-row context switch).
 * The client reads the next batch ahead while the executor consumes one
 * (ps_client.h), so the owner and the backend work at the same time.  Its
 * memory is a context of its own with one child per batch, reset before
 * each fetch, so a scan of any length uses bounded memory; deleting the
 * context (normally, or when an aborted query's memory goes) closes the
 * owner-side scan through a reset callback — unless the connection was
 * replaced meanwhile, which already freed the handle, or the context goes
 * with an error while an answer is still on its way, which closes the
 * connection rather than wait (pulsora_conn_abandon).
 *
 * For async foreign scans (async.c) the reader can open deferred (the
 * first batch, the types and any error of the open come with the first
 * fetch) and read without waiting for the owner (pulsora_reader_next_nowait,
 * with pulsora_reader_socket to wait on), so that scans of several owners
 * have their requests out at the same time.
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "common/int.h"
#include "datatype/timestamp.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/memutils.h"
#include "utils/rel.h"

#include "core/ps_row.h"
#include "core/ps_time.h"
#include "proto/ps_frame.h"
#include "pulsora_fdw.h"

/*
 * Batches: the first comes with the open (one round trip for a small range
 * or a LIMIT); later ones grow by rows up to the byte cap, each read ahead
 * while the executor consumes the one before, so that a scan stopped early
 * (a LIMIT PostgreSQL applies above local quals) leaves little owner work
 * behind and a long one moves in large batches.
 */
#define FETCH_ROWS_FIRST 1000
#define FETCH_ROWS_GROWTH 4
#define FETCH_BYTES PS_FRAME_SCAN_BYTES_MAX

bool
pulsora_store_type_for(Oid pg_type, ps_type *out)
{
	switch (pg_type)
	{
		case INT8OID:
			*out = PS_TYPE_INTEGER;
			return true;
		case FLOAT8OID:
			*out = PS_TYPE_FLOAT;
			return true;
		case TEXTOID:
			*out = PS_TYPE_STRING;
			return true;
		case BOOLOID:
			*out = PS_TYPE_BOOLEAN;
			return true;
		case TIMESTAMPTZOID:
		case TIMESTAMPOID:
			*out = PS_TYPE_TIMESTAMP;
			return true;
		default:
			return false;
	}
}

bool
pulsora_map_columns(Relation rel, const PulsoraTableInfo *info, PulsoraColumnMap *map, bool quiet)
{
	TupleDesc	desc = RelationGetDescr(rel);
	Oid			relid = RelationGetRelid(rel);

	map->natts = desc->natts;
	map->store_name = palloc0(sizeof(char *) * Max(desc->natts, 1));
	map->pg_type = palloc0(sizeof(Oid) * Max(desc->natts, 1));
	map->store_type = palloc0(sizeof(ps_type) * Max(desc->natts, 1));
	map->series = palloc0(sizeof(bool) * Max(desc->natts, 1));
	map->time_attno = 0;

	for (int i = 0; i < desc->natts; i++)
	{
		Form_pg_attribute attr = TupleDescAttr(desc, i);
		char	   *name;
		int			col = -1;
		ps_type		wanted;

		if (attr->attisdropped)
			continue;
		name = pulsora_column_name(relid, attr->attnum);
		for (int j = 0; j < info->ncolumns && col < 0; j++)
			if (strcmp(info->column_names[j], name) == 0)
				col = j;
		if (quiet && (col < 0 || !pulsora_store_type_for(attr->atttypid, &wanted) ||
					  wanted != info->column_types[col]))
			return false;
		if (col < 0)
			ereport(ERROR,
					(errcode(ERRCODE_UNDEFINED_COLUMN),
					 errmsg("column \"%s\" of foreign table \"%s\" does not exist in pulsora table \"%s\"",
							name, RelationGetRelationName(rel), info->name),
					 strcmp(name, NameStr(attr->attname)) != 0
					 ? errdetail("Attribute \"%s\" is mapped to it by option \"column_name\".",
								 NameStr(attr->attname)) : 0));
		for (int k = 0; k < i; k++)
			if (map->store_name[k] && strcmp(map->store_name[k], name) == 0)
				ereport(ERROR,
						(errcode(ERRCODE_DUPLICATE_COLUMN),
						 errmsg("columns \"%s\" and \"%s\" of foreign table \"%s\" both map to pulsora column \"%s\"",
								NameStr(TupleDescAttr(desc, k)->attname), NameStr(attr->attname),
								RelationGetRelationName(rel), name)));
		if (!pulsora_store_type_for(attr->atttypid, &wanted) || wanted != info->column_types[col])
			ereport(ERROR,
					(errcode(ERRCODE_DATATYPE_MISMATCH),
					 errmsg("column \"%s\" of foreign table \"%s\" has type %s, but pulsora column \"%s\" holds %s",
							NameStr(attr->attname), RelationGetRelationName(rel),
							format_type_be(attr->atttypid), name,
							ps_type_name(info->column_types[col])),
					 info->column_types[col] == PS_TYPE_TIMESTAMP
					 ? errhint("Declare the column as timestamptz (or timestamp).")
					 : errhint("Declare the column as %s.", ps_type_sql_name(info->column_types[col]))));
		map->store_name[i] = name;
		map->pg_type[i] = attr->atttypid;
		map->store_type[i] = info->column_types[col];
		map->series[i] = info->column_series[col] > 0;
		if (col == info->time_column)
			map->time_attno = attr->attnum;
	}
	return true;
}

int64
pulsora_ns_to_pg(int64 ns)
{
	return ps_time_floor_div(ns, 1000) - PULSORA_EPOCH_SHIFT_US;
}

int64
pulsora_pg_to_ns(int64 pg_us, const char *column)
{
	int64		unix_us;
	int64		ns;

	if (TIMESTAMP_NOT_FINITE(pg_us) ||
		pg_add_s64_overflow(pg_us, PULSORA_EPOCH_SHIFT_US, &unix_us) ||
		pg_mul_s64_overflow(unix_us, 1000, &ns))
		ereport(ERROR,
				(errcode(ERRCODE_DATETIME_VALUE_OUT_OF_RANGE),
				 errmsg("timestamp out of range for pulsora column \"%s\"", column),
				 errdetail("Pulsora stores times from 1677-09-21 00:12:43.145225 to 2262-04-11 23:47:16.854775 UTC.")));
	return ns;
}

struct PulsoraReader
{
	PulsoraConn *conn;
	uint64		generation;		/* of conn when the scan was opened */
	ps_client_scan *scan;		/* NULL once closed */
	const char *table;
	MemoryContext cxt;			/* holds the reader; deleting it closes the scan */
	MemoryContext batch_cxt;	/* Datums of the current batch */
	MemoryContextCallback cleanup;
	int			ncolumns;
	const ps_type *types;		/* owned by the scan, once types_known */
	bool		types_known;	/* false until a deferred open is answered */
	const ps_type *want_types;	/* the types the plan expects */
	const char **columns;		/* the store columns, for errors */
	AttrNumber *attnos;
	AttrNumber	time_attno;
	int			natts;
	bool		convert_encoding;	/* database encoding is not UTF-8 */
	const ps_frame_rows *batch; /* the last fetched batch (NULL before the first) */
	uint32		row;			/* next row of batch */
	bool		done;			/* the owner has no more rows */
	bool		closing;		/* pulsora_reader_close, not an error, frees it */
	uint32		fetch_rows;
	uint64		fetched;
};

static void
reader_cleanup(void *arg)
{
	PulsoraReader *r = arg;

	if (r->scan == NULL || pulsora_conn_generation(r->conn) != r->generation)
		;						/* the connection went, and the handle with it */
	else if (!r->closing && ps_client_scan_in_flight(pulsora_conn_client(r->conn)) &&
			 pulsora_conn_abandon(r->conn))
		;						/* freed by an error: see pulsora_conn_abandon */
	else
		(void) ps_client_scan_close(r->scan, NULL);
	r->scan = NULL;
}

/*
 * The columns the owner sends must have the types the plan expects; if
 * not, the reader is closed (and must not be used again) and an error
 * raised.
 */
static void
reader_check_types(PulsoraReader *r)
{
	for (int i = 0; i < r->ncolumns; i++)
		if (r->types[i] != r->want_types[i])
		{
			const char *now = ps_type_name(r->types[i]);
			const char *want = ps_type_name(r->want_types[i]);
			char	   *column = pstrdup(r->columns[i]);
			char	   *table = pstrdup(r->table);

			pulsora_forget_table_info(r->conn);
			r->closing = true;
			MemoryContextDelete(r->cxt);
			ereport(ERROR,
					(errcode(ERRCODE_DATATYPE_MISMATCH),
					 errmsg("pulsora column \"%s\" of table \"%s\" holds %s, not %s",
							column, table, now ? now : "an unknown type", want),
					 errhint("The pulsora table changed since the query was planned; run the query again.")));
		}
}

PulsoraReader *
pulsora_reader_open(PulsoraConn *conn, const PulsoraReadSpec *spec)
{
	MemoryContext cxt = AllocSetContextCreate(CurrentMemoryContext, "pulsora scan",
											  ALLOCSET_DEFAULT_SIZES);
	PulsoraReader *r = MemoryContextAllocZero(cxt, sizeof(PulsoraReader));
	ps_client_scan_spec ss;
	ps_type    *want_types;
	ps_error	err;
	ps_status	st;
	int			encoding = GetDatabaseEncoding();

	r->conn = conn;
	r->generation = pulsora_conn_generation(conn);
	r->table = MemoryContextStrdup(cxt, spec->table);
	r->cxt = cxt;
	r->batch_cxt = AllocSetContextCreate(cxt, "pulsora batch", ALLOCSET_DEFAULT_SIZES);
	r->ncolumns = spec->ncolumns;
	r->attnos = MemoryContextAlloc(cxt, sizeof(AttrNumber) * Max(spec->ncolumns, 1));
	memcpy(r->attnos, spec->attnos, sizeof(AttrNumber) * spec->ncolumns);
	want_types = MemoryContextAlloc(cxt, sizeof(ps_type) * Max(spec->ncolumns, 1));
	memcpy(want_types, spec->types, sizeof(ps_type) * spec->ncolumns);
	r->want_types = want_types;
	r->columns = MemoryContextAlloc(cxt, sizeof(char *) * Max(spec->ncolumns, 1));
	for (int i = 0; i < spec->ncolumns; i++)
		r->columns[i] = MemoryContextStrdup(cxt, spec->columns[i]);
	r->time_attno = spec->time_attno;
	r->natts = spec->natts;
	r->convert_encoding = encoding != PG_UTF8 && encoding != PG_SQL_ASCII;
	r->fetch_rows = FETCH_ROWS_FIRST;
	if (spec->limit > 0 && spec->limit < FETCH_ROWS_FIRST)
		r->fetch_rows = (uint32) spec->limit;

	memset(&ss, 0, sizeof ss);
	ss.table = spec->table;
	ss.lo = spec->lo_ns;
	ss.hi = spec->hi_ns;
	ss.descending = spec->descending;
	ss.unordered = spec->unordered;
	ss.no_times = spec->time_attno == 0;
	ss.limit = spec->limit > 0 ? (uint64) spec->limit : 0;
	ss.columns = spec->columns;
	ss.ncolumns = (uint32) spec->ncolumns;
	ss.first_rows = r->fetch_rows;
	ss.batch_bytes = FETCH_BYTES;
	ss.filters = spec->filters;
	ss.nfilters = (uint32_t) spec->nfilters;
	ss.deferred = spec->deferred;
	st = ps_client_scan_open(pulsora_conn_client(conn), &ss, &r->scan, &r->types, &err);
	if (st != PS_OK)
	{
		/* The plan may rest on a catalog copy that is out of date. */
		pulsora_forget_table_info(conn);
		MemoryContextDelete(cxt);
		pulsora_report(conn, st, &err, psprintf("could not scan pulsora table \"%s\"", spec->table));
	}
	r->cleanup.func = reader_cleanup;
	r->cleanup.arg = r;
	MemoryContextRegisterResetCallback(cxt, &r->cleanup);
	r->types_known = !spec->deferred;
	if (r->types_known)
		reader_check_types(r);
	return r;
}

/* A text Datum in batch_cxt (UTF-8 in the store, converted if need be). */
static Datum
string_datum(const PulsoraReader *r, const char *ptr, uint32 len)
{
	text	   *t;

	if (r->convert_encoding)
	{
		MemoryContext old = MemoryContextSwitchTo(r->batch_cxt);
		char	   *converted = pg_any_to_server(ptr, (int) len, PG_UTF8);

		t = cstring_to_text(converted);
		MemoryContextSwitchTo(old);
		return PointerGetDatum(t);
	}
	t = (text *) MemoryContextAlloc(r->batch_cxt, VARHDRSZ + len);
	SET_VARSIZE(t, VARHDRSZ + len);
	memcpy(VARDATA(t), ptr, len);
	return PointerGetDatum(t);
}

/* Fill values/isnull from row `row` of the batch; strings go to batch_cxt. */
static void
reader_form(PulsoraReader *r, const ps_frame_rows *batch, uint32 row, Datum *values, bool *isnull)
{
	memset(isnull, true, sizeof(bool) * r->natts);
	if (r->time_attno > 0)
	{
		values[r->time_attno - 1] = Int64GetDatum(pulsora_ns_to_pg(ps_frame_le_i64(batch->times, row)));
		isnull[r->time_attno - 1] = false;
	}
	for (int i = 0; i < r->ncolumns; i++)
	{
		const ps_frame_column *col = &batch->columns[i];
		int			a = r->attnos[i] - 1;

		if (ps_frame_is_null(col, row))
			continue;
		isnull[a] = false;
		switch (r->types[i])
		{
			case PS_TYPE_INTEGER:
				values[a] = Int64GetDatum(ps_frame_le_i64(col->values, row));
				break;
			case PS_TYPE_FLOAT:
				values[a] = Float8GetDatum(ps_frame_le_f64(col->values, row));
				break;
			case PS_TYPE_BOOLEAN:
				values[a] = BoolGetDatum(col->values[row] != 0);
				break;
			case PS_TYPE_TIMESTAMP:
				values[a] = Int64GetDatum(pulsora_ns_to_pg(ps_frame_le_i64(col->values, row)));
				break;
			case PS_TYPE_STRING:
				values[a] = string_datum(r, col->str_data + col->str_off[row],
										 col->str_off[row + 1] - col->str_off[row]);
				break;
		}
	}
}

/* Whether the next fetch can go without waiting for this scan's answer. */
static bool
reader_ready(PulsoraReader *r)
{
	bool		ready;

	/* A failure leaves ready set: the fetch reports it. */
	(void) ps_client_scan_poll(r->scan, &ready, NULL);
	return ready;
}

/*
 * The next row, as pulsora_reader_next; with blocked non-NULL, never waits
 * for this scan's answer: false with *blocked set when it is not there yet.
 */
static bool
reader_next(PulsoraReader *r, Datum *values, bool *isnull, bool *blocked)
{
	/* A replaced connection took the scan handle with it. */
	if (pulsora_conn_generation(r->conn) != r->generation)
		ereport(ERROR,
				(errcode(ERRCODE_CONNECTION_FAILURE),
				 errmsg("lost connection to pulsorad for %s while scanning pulsora table \"%s\"",
						pulsora_conn_where(r->conn), r->table)));
	for (;;)
	{
		if (r->batch != NULL && r->row < r->batch->count)
		{
			reader_form(r, r->batch, r->row++, values, isnull);
			r->fetched++;
			return true;
		}
		if (r->done)
			return false;

		CHECK_FOR_INTERRUPTS();
		if (blocked != NULL && !reader_ready(r))
		{
			*blocked = true;
			return false;
		}
		/* The previous batch's rows and Datums are no longer referenced. */
		MemoryContextReset(r->batch_cxt);
		/* This fetch takes the batch read ahead and asks for a larger next one. */
		r->fetch_rows = r->fetch_rows > PG_UINT32_MAX / FETCH_ROWS_GROWTH ? PG_UINT32_MAX
			: r->fetch_rows * FETCH_ROWS_GROWTH;
		{
			ps_error	err;
			ps_status	st = ps_client_scan_fetch(r->scan, r->fetch_rows, &r->done, &err);

			if (st != PS_OK)
			{
				/* A deferred open failed: the plan may rest on an outdated catalog copy. */
				if (!r->types_known)
					pulsora_forget_table_info(r->conn);
				pulsora_report(r->conn, st, &err, psprintf("could not scan pulsora table \"%s\"", r->table));
			}
		}
		if (!r->types_known)
		{
			r->types = ps_client_scan_types(r->scan);
			r->types_known = true;
			reader_check_types(r);
		}
		r->batch = ps_client_scan_rows(r->scan);
		r->row = 0;
	}
}

bool
pulsora_reader_next(PulsoraReader *r, Datum *values, bool *isnull)
{
	return reader_next(r, values, isnull, NULL);
}

bool
pulsora_reader_next_nowait(PulsoraReader *r, Datum *values, bool *isnull, bool *blocked)
{
	*blocked = false;
	return reader_next(r, values, isnull, blocked);
}

int
pulsora_reader_socket(PulsoraReader *r)
{
	if (pulsora_conn_generation(r->conn) != r->generation ||
		(r->batch != NULL && r->row < r->batch->count) || r->done || reader_ready(r))
		return -1;
	return ps_client_fd(pulsora_conn_client(r->conn));
}

uint64
pulsora_reader_fetched(const PulsoraReader *r)
{
	return r->fetched;
}

void
pulsora_reader_close(PulsoraReader *r)
{
	r->closing = true;
	MemoryContextDelete(r->cxt);	/* the callback closes the scan */
}
