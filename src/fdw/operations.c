/*
 * operations.c — the SQL functions for running a pulsora owner:
 * pulsora_backup(server) takes an online backup into the owner's
 * [storage] backup_dir, pulsora_backups(server) lists the backups there,
 * pulsora_loads(server) lists the loads in progress on the owner, whoever
 * runs them (REST, SQL functions, COPY, INSERT, pulsora-cli).
 *
 * Privileges, on top of EXECUTE (revoked from PUBLIC by the install
 * script): ownership of the server for pulsora_backup and pulsora_backups
 * (a backup writes on the owner's disk, and its path is the owner's), as
 * for pulsora_drop_table; USAGE for pulsora_loads, as for pulsora_status.
 * A backup is taken at once, outside the transaction: ROLLBACK does not
 * remove it.
 */
#include "postgres.h"

#include "fmgr.h"
#include "funcapi.h"
#include "utils/builtins.h"
#include "utils/timestamp.h"

#include "pulsora_fdw.h"

PG_FUNCTION_INFO_V1(pulsora_backup);
PG_FUNCTION_INFO_V1(pulsora_backups);
PG_FUNCTION_INFO_V1(pulsora_loads);

/* pulsora_backup(server name) -> (path text, bytes bigint, elapsed_ms double precision) */
Datum
pulsora_backup(PG_FUNCTION_ARGS)
{
	ForeignServer *server = pulsora_server_for_call(PG_GETARG_NAME(0), SERVER_OWNER);
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	PulsoraConn *conn;
	ps_msg_backup b;
	ps_error	err;
	ps_status	st;
	Datum		values[3];
	bool		nulls[3] = {false, false, false};

	InitMaterializedSRF(fcinfo, 0);
	conn = pulsora_connect(server);
	/*
	 * A cached connection to an owner that has since restarted fails at
	 * once, before any backup is taken: then one retry on a new connection.
	 */
	PULSORA_CALL_OWNER(conn, st,
					   ps_client_backup(pulsora_conn_client(conn), &b, &err));
	if (st != PS_OK)
		pulsora_report(conn, st, &err,
					   psprintf("could not take a backup of pulsora server \"%s\"", server->servername));
	values[0] = CStringGetTextDatum(b.path);
	values[1] = Int64GetDatum((int64) b.bytes);
	values[2] = Float8GetDatum((double) b.elapsed_us / 1000.0);
	ps_msg_backup_clear(&b);
	tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	return (Datum) 0;
}

/* pulsora_backups(server name) -> (name, path, bytes, created, elapsed_ms), oldest first */
Datum
pulsora_backups(PG_FUNCTION_ARGS)
{
	ForeignServer *server = pulsora_server_for_call(PG_GETARG_NAME(0), SERVER_OWNER);
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	PulsoraConn *conn;
	ps_msg_backup_list list;
	ps_error	err;
	ps_status	st;

	InitMaterializedSRF(fcinfo, 0);
	conn = pulsora_connect(server);
	PULSORA_CALL_OWNER(conn, st,
					   ps_client_backups(pulsora_conn_client(conn), &list, &err));
	if (st != PS_OK)
		pulsora_report(conn, st, &err,
					   psprintf("could not list the backups of pulsora server \"%s\"", server->servername));
	PG_TRY();
	{
		for (uint32 i = 0; i < list.n; i++)
		{
			const ps_msg_backup *b = &list.backups[i];
			Datum		values[5];
			bool		nulls[5] = {false, false, false, false, false};

			values[0] = CStringGetTextDatum(b->name);
			values[1] = CStringGetTextDatum(b->path);
			values[2] = Int64GetDatum((int64) b->bytes);
			values[3] = TimestampTzGetDatum(pulsora_ns_to_pg(b->created_ns));
			/* Backups taken before their duration was recorded have none. */
			nulls[4] = b->elapsed_us == 0;
			values[4] = Float8GetDatum((double) b->elapsed_us / 1000.0);
			tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
		}
	}
	PG_FINALLY();
	{
		ps_msg_backup_list_clear(&list);
	}
	PG_END_TRY();
	return (Datum) 0;
}

/*
 * pulsora_loads(server name) -> (id, table_name, source, rows, bytes,
 * started, rows_per_second), oldest first.
 */
Datum
pulsora_loads(PG_FUNCTION_ARGS)
{
	ForeignServer *server = pulsora_server_for_call(PG_GETARG_NAME(0), SERVER_USAGE);
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	PulsoraConn *conn;
	ps_msg_load_list list;
	ps_error	err;
	ps_status	st;

	InitMaterializedSRF(fcinfo, 0);
	conn = pulsora_connect(server);
	PULSORA_CALL_OWNER(conn, st,
					   ps_client_loads(pulsora_conn_client(conn), &list, &err));
	if (st != PS_OK)
		pulsora_report(conn, st, &err,
					   psprintf("could not list the loads of pulsora server \"%s\"", server->servername));
	PG_TRY();
	{
		for (uint32 i = 0; i < list.n; i++)
		{
			const ps_msg_load_entry *l = &list.loads[i];
			Datum		values[7];
			bool		nulls[7] = {false, false, false, false, false, false, false};

			values[0] = Int64GetDatum((int64) l->id);
			values[1] = CStringGetTextDatum(l->table);
			values[2] = CStringGetTextDatum(l->source);
			values[3] = Int64GetDatum((int64) l->rows);
			values[4] = Int64GetDatum((int64) l->bytes);
			values[5] = TimestampTzGetDatum(pulsora_ns_to_pg(l->started_ns));
			values[6] = Float8GetDatum((double) l->rows_per_second);
			tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
		}
	}
	PG_FINALLY();
	{
		ps_msg_load_list_clear(&list);
	}
	PG_END_TRY();
	return (Datum) 0;
}
