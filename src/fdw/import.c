/*
 * import.c — IMPORT FOREIGN SCHEMA for pulsora servers (DESIGN §5): one
 * CREATE FOREIGN TABLE per store table, with the table's series key as the
 * option series_key.
 */
#include "postgres.h"

#include "lib/stringinfo.h"
#include "nodes/parsenodes.h"
#include "utils/builtins.h"

#include "pulsora_fdw.h"

static int
compare_names(const void *a, const void *b)
{
	return strcmp(*(const char *const *) a, *(const char *const *) b);
}

static bool
import_wanted(ImportForeignSchemaStmt *stmt, const char *name)
{
	ListCell   *lc;
	bool		listed = false;

	if (stmt->list_type == FDW_IMPORT_SCHEMA_ALL)
		return true;
	foreach(lc, stmt->table_list)
		if (strcmp(((RangeVar *) lfirst(lc))->relname, name) == 0)
			listed = true;
	return stmt->list_type == FDW_IMPORT_SCHEMA_LIMIT_TO ? listed : !listed;
}

/*
 * One CREATE FOREIGN TABLE per store table.  The store has a single
 * namespace, so the remote schema name is not interpreted.  Names too long
 * for a PostgreSQL identifier keep their full spelling in an option.
 */
List *
pulsoraImportForeignSchema(ImportForeignSchemaStmt *stmt, Oid serverOid)
{
	ForeignServer *server = GetForeignServer(serverOid);
	PulsoraConn *conn = pulsora_connect(server);
	ps_client_table *tables = NULL;
	size_t		ntables = 0;
	char	  **names;
	List	   *commands = NIL;
	ps_error	err;
	ps_status	st;

	PULSORA_CALL_OWNER(conn, st, ps_client_tables(pulsora_conn_client(conn), &tables, &ntables, &err));
	if (st != PS_OK)
		pulsora_report(conn, st, &err, "could not list pulsora tables");
	names = palloc(sizeof(char *) * Max(ntables, 1));
	for (size_t i = 0; i < ntables; i++)
		names[i] = pstrdup(tables[i].name);
	ps_client_tables_free(tables, ntables);
	qsort(names, ntables, sizeof(char *), compare_names);

	for (size_t i = 0; i < ntables; i++)
	{
		PulsoraTableInfo info;
		StringInfoData buf;

		if (!import_wanted(stmt, names[i]) || !pulsora_table_info(conn, names[i], true, &info))
			continue;
		initStringInfo(&buf);
		appendStringInfo(&buf, "CREATE FOREIGN TABLE %s (", quote_identifier(names[i]));
		for (int c = 0; c < info.ncolumns; c++)
		{
			const char *col = info.column_names[c];

			appendStringInfo(&buf, "%s\n  %s %s%s", c > 0 ? "," : "", quote_identifier(col),
							 ps_type_sql_name(info.column_types[c]),
							 c == info.time_column ? " NOT NULL" : "");
			if (strlen(col) >= NAMEDATALEN)
				appendStringInfo(&buf, " OPTIONS (column_name %s)", quote_literal_cstr(col));
		}
		appendStringInfo(&buf, "\n) SERVER %s OPTIONS (table %s",
						 quote_identifier(server->servername), quote_literal_cstr(names[i]));
		if (info.nkey > 0)
		{
			StringInfoData key;

			/* The key's columns in key order: its first column has position 1. */
			initStringInfo(&key);
			for (int k = 1; k <= info.nkey; k++)
				for (int c = 0; c < info.ncolumns; c++)
					if (info.column_series[c] == k)
						appendStringInfo(&key, "%s%s", k > 1 ? "," : "", info.column_names[c]);
			appendStringInfo(&buf, ", series_key %s", quote_literal_cstr(key.data));
		}
		appendStringInfoChar(&buf, ')');
		commands = lappend(commands, buf.data);
	}
	return commands;
}
