/*
 * modify.c — INSERT and COPY FROM into pulsora foreign tables (DESIGN §5).
 *
 * Every row of INSERT/COPY goes into the transaction's load for the table
 * (connection.c), so statements are atomic with their transaction; the load
 * creates the store table when it does not exist yet, with the foreign
 * table's columns (the first timestamptz, else timestamp, column as its
 * time) and the series key the foreign table's option series_key names
 * (inferred from the column names without it).  UPDATE and DELETE are
 * refused at planning.
 */
#include "postgres.h"

#include "access/xact.h"
#include "catalog/pg_type.h"
#include "executor/executor.h"
#include "mb/pg_wchar.h"
#include "nodes/pathnodes.h"
#include "optimizer/planmain.h"
#include "parser/parsetree.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"

#include "core/ps_buf.h"
#include "core/ps_row.h"
#include "pulsora_fdw.h"

/* Executor state of INSERT / COPY FROM into one foreign table. */
typedef struct PulsoraInsertState
{
	PulsoraConn *conn;
	Oid			relid;
	char	   *table;
	int			ncolumns;		/* load columns: every live attribute */
	const char **names;
	ps_type    *types;
	AttrNumber *attnos;
	uint32		time_index;		/* index of the time column among them */
	char	   *series_key;		/* option series_key, for a table the load creates */
	const char *source;			/* "copy" or "insert": how the owner lists the load */
	ps_type    *value_types;	/* the other columns, in order */
	ps_value   *values;
	ps_buf		buf;			/* encoded row, reused */
	ps_client_load *load;		/* load of load_subid, fetched lazily */
	SubTransactionId load_subid;
	bool		convert_encoding;
	MemoryContext row_cxt;		/* reset per row; deleting it frees buf */
	MemoryContextCallback cleanup;
} PulsoraInsertState;

List *
pulsoraPlanForeignModify(PlannerInfo *root, ModifyTable *plan, Index resultRelation,
						 int subplan_index)
{
	RangeTblEntry *rte = planner_rt_fetch(resultRelation, root);
	char	   *relname = get_rel_name(rte->relid);

	if (plan->operation != CMD_INSERT)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 plan->operation == CMD_UPDATE
				 ? errmsg("cannot update foreign table \"%s\"", relname)
				 : errmsg("cannot delete from foreign table \"%s\"", relname),
				 errdetail("Pulsora foreign tables accept INSERT and COPY FROM only."),
				 errhint("Use pulsora_delete_range() to delete rows by time range.")));
	if (plan->onConflictAction != ONCONFLICT_NONE)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("INSERT with ON CONFLICT is not supported on foreign table \"%s\"", relname)));
	return NIL;
}

static void
insert_cleanup(void *arg)
{
	PulsoraInsertState *s = arg;

	ps_buf_free(&s->buf);
}

/*
 * Before a write creates the store table with the load columns of s: every
 * column the foreign table's option series_key names must be one of them,
 * of a type a series key takes, and not the time column.  (The owner checks
 * the same; this names the foreign table and its option.)
 */
static void
check_series_key(Relation rel, const PulsoraInsertState *s)
{
	char	   *list = pstrdup(s->series_key);
	char	   *p = list;

	while (*p)
	{
		char	   *end = strchr(p, ',');
		int			i;

		if (end)
			*end = '\0';
		for (i = 0; i < s->ncolumns && strcmp(s->names[i], p) != 0; i++)
			;
		if (i == s->ncolumns)
			ereport(ERROR,
					(errcode(ERRCODE_UNDEFINED_COLUMN),
					 errmsg("option \"series_key\" of foreign table \"%s\" names column \"%s\", which the table does not have",
							RelationGetRelationName(rel), p),
					 errhint("Name columns of the foreign table (their option \"column_name\" where set), separated by commas.")));
		if ((uint32) i == s->time_index ||
			(s->types[i] != PS_TYPE_STRING && s->types[i] != PS_TYPE_INTEGER &&
			 s->types[i] != PS_TYPE_BOOLEAN))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("column \"%s\" of foreign table \"%s\" cannot be part of a series key",
							p, RelationGetRelationName(rel)),
					 (uint32) i == s->time_index
					 ? errdetail("It is the time column.")
					 : errdetail("A series key takes text, bigint and boolean columns.")));
		if (!end)
			break;
		p = end + 1;
	}
	pfree(list);
}

static PulsoraInsertState *
insert_begin(Relation rel, const char *source)
{
	Oid			relid = RelationGetRelid(rel);
	TupleDesc	desc = RelationGetDescr(rel);
	PulsoraInsertState *s = palloc0(sizeof(PulsoraInsertState));
	PulsoraTableInfo info;
	PulsoraColumnMap map;
	AttrNumber	time_attno = 0;
	bool		table_exists;
	int			encoding = GetDatabaseEncoding();
	int			nvalues = 0;

	s->conn = pulsora_connect(GetForeignServer(GetForeignTable(relid)->serverid));
	s->relid = relid;
	s->table = pulsora_table_name(relid);
	s->names = palloc(sizeof(char *) * Max(desc->natts, 1));
	s->types = palloc(sizeof(ps_type) * Max(desc->natts, 1));
	s->attnos = palloc(sizeof(AttrNumber) * Max(desc->natts, 1));
	s->value_types = palloc(sizeof(ps_type) * Max(desc->natts, 1));
	s->values = palloc(sizeof(ps_value) * Max(desc->natts, 1));

	table_exists = pulsora_table_info(s->conn, s->table, true, &info);
	if (table_exists)
	{
		pulsora_map_columns(rel, &info, &map, false);
		time_attno = map.time_attno;
		if (time_attno == 0)
			ereport(ERROR,
					(errcode(ERRCODE_UNDEFINED_COLUMN),
					 errmsg("foreign table \"%s\" has no column for time column \"%s\" of pulsora table \"%s\"",
							RelationGetRelationName(rel), info.column_names[info.time_column],
							s->table)));
	}
	else
	{
		/* A new table: the first timestamptz (else timestamp) column is its time. */
		for (int i = 0; i < desc->natts && time_attno == 0; i++)
			if (!TupleDescAttr(desc, i)->attisdropped && TupleDescAttr(desc, i)->atttypid == TIMESTAMPTZOID)
				time_attno = i + 1;
		for (int i = 0; i < desc->natts && time_attno == 0; i++)
			if (!TupleDescAttr(desc, i)->attisdropped && TupleDescAttr(desc, i)->atttypid == TIMESTAMPOID)
				time_attno = i + 1;
		if (time_attno == 0)
			ereport(ERROR,
					(errcode(ERRCODE_UNDEFINED_COLUMN),
					 errmsg("foreign table \"%s\" has no timestamptz column to be the time column of new pulsora table \"%s\"",
							RelationGetRelationName(rel), s->table)));
	}

	for (int i = 0; i < desc->natts; i++)
	{
		Form_pg_attribute attr = TupleDescAttr(desc, i);
		ps_type		type;

		if (attr->attisdropped)
			continue;
		if (!pulsora_store_type_for(attr->atttypid, &type))
			ereport(ERROR,
					(errcode(ERRCODE_DATATYPE_MISMATCH),
					 errmsg("column \"%s\" of foreign table \"%s\" has type %s, which pulsora cannot store",
							NameStr(attr->attname), RelationGetRelationName(rel),
							format_type_be(attr->atttypid)),
					 errhint("Use bigint, double precision, text, boolean or timestamptz.")));
		if (attr->attnum == time_attno)
			s->time_index = (uint32) s->ncolumns;
		else
			s->value_types[nvalues++] = type;
		s->names[s->ncolumns] = pulsora_column_name(relid, attr->attnum);
		s->types[s->ncolumns] = type;
		s->attnos[s->ncolumns] = attr->attnum;
		s->ncolumns++;
	}

	/* Only a write that creates the table uses it (as dedup in loads). */
	s->series_key = pulsora_table_series_key(relid);
	if (s->series_key != NULL && !table_exists)
		check_series_key(rel, s);

	s->source = source;
	s->convert_encoding = encoding != PG_UTF8 && encoding != PG_SQL_ASCII;
	s->load_subid = InvalidSubTransactionId;
	s->row_cxt = AllocSetContextCreate(CurrentMemoryContext, "pulsora insert row",
									   ALLOCSET_DEFAULT_SIZES);
	s->cleanup.func = insert_cleanup;
	s->cleanup.arg = s;
	MemoryContextRegisterResetCallback(s->row_cxt, &s->cleanup);
	return s;
}

void
pulsoraBeginForeignModify(ModifyTableState *mtstate, ResultRelInfo *rinfo, List *fdw_private,
						  int subplan_index, int eflags)
{
	if (eflags & EXEC_FLAG_EXPLAIN_ONLY)
		return;
	rinfo->ri_FdwState = insert_begin(rinfo->ri_RelationDesc, "insert");
}

/* COPY FROM (whose ModifyTableState has no plan), or INSERT routed through a partitioned table. */
void
pulsoraBeginForeignInsert(ModifyTableState *mtstate, ResultRelInfo *rinfo)
{
	bool		copy = mtstate == NULL || mtstate->ps.plan == NULL;

	rinfo->ri_FdwState = insert_begin(rinfo->ri_RelationDesc, copy ? "copy" : "insert");
}

TupleTableSlot *
pulsoraExecForeignInsert(EState *estate, ResultRelInfo *rinfo, TupleTableSlot *slot,
						 TupleTableSlot *planSlot)
{
	PulsoraInsertState *s = rinfo->ri_FdwState;
	MemoryContext old;
	int64		time_ns = 0;
	int			nvalues = 0;
	ps_error	err;
	ps_status	st;

	MemoryContextReset(s->row_cxt);
	old = MemoryContextSwitchTo(s->row_cxt);
	slot_getallattrs(slot);
	for (int i = 0; i < s->ncolumns; i++)
	{
		int			a = s->attnos[i] - 1;
		Datum		d = slot->tts_values[a];
		ps_value   *v;

		if ((uint32) i == s->time_index)
		{
			if (slot->tts_isnull[a])
				ereport(ERROR,
						(errcode(ERRCODE_NOT_NULL_VIOLATION),
						 errmsg("null value in column \"%s\" of relation \"%s\" violates not-null constraint",
								NameStr(TupleDescAttr(slot->tts_tupleDescriptor, a)->attname),
								get_rel_name(s->relid)),
						 errdetail("It is the time column of pulsora table \"%s\".", s->table)));
			time_ns = pulsora_pg_to_ns(DatumGetInt64(d), s->names[i]);
			continue;
		}
		v = &s->values[nvalues++];
		v->is_null = slot->tts_isnull[a];
		if (v->is_null)
			continue;
		switch (s->types[i])
		{
			case PS_TYPE_INTEGER:
				v->v.i = DatumGetInt64(d);
				break;
			case PS_TYPE_FLOAT:
				v->v.f = DatumGetFloat8(d);
				break;
			case PS_TYPE_BOOLEAN:
				v->v.b = DatumGetBool(d);
				break;
			case PS_TYPE_TIMESTAMP:
				v->v.i = pulsora_pg_to_ns(DatumGetInt64(d), s->names[i]);
				break;
			case PS_TYPE_STRING:
				{
					text	   *t = DatumGetTextPP(d);
					const char *p = VARDATA_ANY(t);
					int			len = VARSIZE_ANY_EXHDR(t);

					if (s->convert_encoding)
					{
						char	   *utf8 = pg_server_to_any(p, len, PG_UTF8);

						if (utf8 != p)
							len = strlen(utf8);
						p = utf8;
					}
					v->v.s.ptr = p;
					v->v.s.len = (uint32) len;
				}
				break;
		}
	}

	ps_buf_reset(&s->buf);
	st = ps_row_encode(s->value_types, (uint32) nvalues, s->values, 0, &s->buf, &err);
	if (st != PS_OK)
		pulsora_report(s->conn, st, &err, psprintf("could not encode a row for pulsora table \"%s\"", s->table));
	if (s->load == NULL || s->load_subid != GetCurrentSubTransactionId())
	{
		s->load = pulsora_insert_load(s->conn, s->relid, s->table, s->names, s->types,
									  (uint32) s->ncolumns, s->time_index, s->series_key,
									  s->source);
		s->load_subid = GetCurrentSubTransactionId();
	}
	st = ps_client_load_row(s->load, time_ns, s->buf.data, s->buf.len, &err);
	if (st != PS_OK)
		pulsora_report(s->conn, st, &err, psprintf("could not write to pulsora table \"%s\"", s->table));
	MemoryContextSwitchTo(old);
	return slot;
}

void
pulsoraEndForeignModify(EState *estate, ResultRelInfo *rinfo)
{
	PulsoraInsertState *s = rinfo->ri_FdwState;

	if (s != NULL)
		MemoryContextDelete(s->row_cxt);	/* frees buf through the callback */
	rinfo->ri_FdwState = NULL;
}

int
pulsoraIsForeignRelUpdatable(Relation rel)
{
	return (1 << CMD_INSERT);
}
