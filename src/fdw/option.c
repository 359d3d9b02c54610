/*
 * option.c — the options of pulsora servers, foreign tables and columns:
 * the validator behind CREATE/ALTER ... OPTIONS, and lookups for the rest of
 * the extension.
 *
 *   server:  data_dir  (absolute; only a superuser may set it, as file_fdw
 *                       restricts filename: it names a place the server's
 *                       OS user reads and writes) -- an owner on this machine,
 *            autostart (boolean, default true; with data_dir only)
 *            or host and port (an owner on TCP, DESIGN §7, never started here),
 *            tls       (disable, require or verify-full; default verify-full,
 *                       disable for a loopback host)
 *            tls_ca_file (absolute; superuser only, as data_dir)
 *            connect_timeout (seconds, 0 = none; default 10; with host)
 *            async_capable (boolean, default true: scans under an Append
 *                          run as async foreign scans, async.c)
 *   table:   table        (store table name; default: the relation's name)
 *            series_key   (series-key columns "a,b", '' for none, used when
 *                          an INSERT or COPY creates the store table;
 *                          default: inferred from the column names)
 *            async_capable (boolean; overrides the server's)
 *   column:  column_name  (store column name; default: the attribute's name)
 *   user mapping: token (the owner's auth_token; PostgreSQL shows a
 *                  mapping's options only to superusers and its own user,
 *                  as for postgres_fdw's password)
 *
 * Every option is checked here, so lookups can trust what the catalogs hold.
 */
#include "postgres.h"

#include "access/reloptions.h"
#include "catalog/pg_foreign_server.h"
#include "catalog/pg_foreign_table.h"
#include "catalog/pg_user_mapping.h"
#include "catalog/pg_attribute.h"
#include "commands/defrem.h"
#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"

#include "pulsora_fdw.h"

typedef struct PulsoraOption
{
	const char *name;
	Oid			context;		/* catalog the option belongs to */
} PulsoraOption;

static const PulsoraOption valid_options[] = {
	{"data_dir", ForeignServerRelationId},
	{"autostart", ForeignServerRelationId},
	{"host", ForeignServerRelationId},
	{"port", ForeignServerRelationId},
	{"tls", ForeignServerRelationId},
	{"tls_ca_file", ForeignServerRelationId},
	{"connect_timeout", ForeignServerRelationId},
	{"async_capable", ForeignServerRelationId},
	{"table", ForeignTableRelationId},
	{"series_key", ForeignTableRelationId},
	{"async_capable", ForeignTableRelationId},
	{"column_name", AttributeRelationId},
	{"token", UserMappingRelationId},
	{NULL, InvalidOid}
};

PG_FUNCTION_INFO_V1(pulsora_fdw_validator);

static bool
option_is_valid(const char *name, Oid context)
{
	for (const PulsoraOption *opt = valid_options; opt->name; opt++)
		if (opt->context == context && strcmp(opt->name, name) == 0)
			return true;
	return false;
}

static void
report_invalid_option(const char *name, Oid context)
{
	StringInfoData buf;

	initStringInfo(&buf);
	for (const PulsoraOption *opt = valid_options; opt->name; opt++)
		if (opt->context == context)
			appendStringInfo(&buf, "%s%s", buf.len > 0 ? ", " : "", opt->name);
	ereport(ERROR,
			(errcode(ERRCODE_FDW_INVALID_OPTION_NAME),
			 errmsg("invalid option \"%s\"", name),
			 buf.len > 0
			 ? errhint("Valid options in this context are: %s", buf.data)
			 : errhint("There are no valid options in this context.")));
}

static void
check_data_dir(const char *data_dir)
{
	char		socket_path[PATH_MAX];
	ps_error	err;

	if (!superuser())
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("only superuser can set option \"data_dir\""),
				 errdetail("The data directory is read and written as the database server's operating system user.")));
	if (!is_absolute_path(data_dir))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("option \"data_dir\" must be an absolute path: \"%s\"", data_dir)));
	if (ps_socket_path(data_dir, socket_path, sizeof socket_path, &err) != PS_OK)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("option \"data_dir\" is unusable: %s", err.message)));
}

/* An integer option in [min, max]; errors name the option. */
static int
integer_option(DefElem *def, int min, int max)
{
	const char *value = defGetString(def);
	char	   *end;
	long		v;

	errno = 0;
	v = strtol(value, &end, 10);
	if (errno != 0 || end == value || *end != '\0' || v < min || v > max)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid value for option \"%s\": \"%s\"", def->defname, value),
				 errhint("Give an integer from %d to %d.", min, max)));
	return (int) v;
}

static ps_tls_mode
tls_option(DefElem *def)
{
	ps_tls_mode mode;

	if (!ps_tls_mode_parse(defGetString(def), &mode))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid value for option \"tls\": \"%s\"", defGetString(def)),
				 errhint("Valid values are \"disable\", \"require\" and \"verify-full\".")));
	return mode;
}

static void
check_tls_ca_file(const char *path)
{
	if (!superuser())
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("only superuser can set option \"tls_ca_file\""),
				 errdetail("The file is read as the database server's operating system user.")));
	if (!is_absolute_path(path))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("option \"tls_ca_file\" must be an absolute path: \"%s\"", path)));
}

/*
 * A server is local (data_dir) or remote (host and port), never both; the
 * options of the other kind are refused, so a server means one thing.
 */
static void
check_server_kind(List *options)
{
	static const char *const names[] = {"data_dir", "autostart", "host", "port", "tls",
	"tls_ca_file", "connect_timeout"};
	bool		seen[lengthof(names)] = {false};
	ListCell   *cell;

	foreach(cell, options)
		for (int i = 0; i < lengthof(names); i++)
			if (strcmp(lfirst_node(DefElem, cell)->defname, names[i]) == 0)
				seen[i] = true;
	if (seen[0] && (seen[2] || seen[3]))
		ereport(ERROR,
				(errcode(ERRCODE_FDW_INVALID_OPTION_NAME),
				 errmsg("a pulsora server takes option \"data_dir\" or options \"host\" and \"port\", not both"),
				 errhint("A server with data_dir uses the owner on this machine; one with host and port an owner on TCP.")));
	if (!seen[0] && !(seen[2] && seen[3]))
		ereport(ERROR,
				(errcode(ERRCODE_FDW_OPTION_NAME_NOT_FOUND),
				 errmsg("a pulsora server needs option \"data_dir\", or options \"host\" and \"port\""),
				 errhint("Name the directory pulsorad keeps the data in, e.g. OPTIONS (data_dir '/var/lib/pulsora/ticks'), or an owner serving TCP, e.g. OPTIONS (host '10.0.0.2', port '7820').")));
	/* autostart goes with data_dir; tls, tls_ca_file and connect_timeout with host. */
	for (int i = 1; i < lengthof(names); i++)
		if (seen[i] && i != 2 && i != 3 && (i == 1) != seen[0])
			ereport(ERROR,
					(errcode(ERRCODE_FDW_INVALID_OPTION_NAME),
					 errmsg("option \"%s\" applies only to a server with %s", names[i],
							i == 1 ? "\"data_dir\"" : "\"host\" and \"port\"")));
}

/*
 * A series_key value: store column names separated by commas, as the load
 * option takes it (no blanks trimmed; '' = no key).  Whether the columns
 * exist and fit a key is checked when a write creates the table.
 */
static void
bad_series_key(const char *value, const char *detail)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("invalid value for option \"series_key\": \"%s\"", value),
			 errdetail("%s", detail),
			 errhint("Name the series-key columns separated by commas, as in 'symbol' or 'symbol,venue', or give '' for no series key.")));
}

static void
check_series_key(const char *value)
{
	const char *p = value;
	const char *names[PS_MAX_SERIES_COLUMNS];
	int			lens[PS_MAX_SERIES_COLUMNS];
	int			n = 0;

	while (*value)
	{
		const char *end = strchr(p, ',');
		int			len = end ? (int) (end - p) : (int) strlen(p);

		if (len == 0)
			bad_series_key(value, "A column name is empty.");
		if (len > PS_MAX_NAME)
			bad_series_key(value, psprintf("Column name \"%.*s\" is longer than %d bytes.",
										   len, p, PS_MAX_NAME));
		for (int i = 0; i < n; i++)
			if (lens[i] == len && memcmp(names[i], p, len) == 0)
				bad_series_key(value, psprintf("Column \"%.*s\" is named twice.", len, p));
		if (n == PS_MAX_SERIES_COLUMNS)
			bad_series_key(value, psprintf("A series key has at most %d columns.",
										   PS_MAX_SERIES_COLUMNS));
		names[n] = p;
		lens[n++] = len;
		if (!end)
			break;
		p = end + 1;
		if (*p == '\0')
			bad_series_key(value, "A column name is empty.");
	}
}

/*
 * Validate the options of a pulsora object.  `catalog` says which kind of
 * object holds them (server, foreign table, column, wrapper, user mapping).
 */
Datum
pulsora_fdw_validator(PG_FUNCTION_ARGS)
{
	List	   *options = untransformRelOptions(PG_GETARG_DATUM(0));
	Oid			catalog = PG_GETARG_OID(1);
	ListCell   *cell;

	foreach(cell, options)
	{
		DefElem    *def = lfirst_node(DefElem, cell);

		if (!option_is_valid(def->defname, catalog))
			report_invalid_option(def->defname, catalog);

		if (strcmp(def->defname, "data_dir") == 0)
			check_data_dir(defGetString(def));
		else if (strcmp(def->defname, "port") == 0)
			(void) integer_option(def, 1, 65535);
		else if (strcmp(def->defname, "connect_timeout") == 0)
			(void) integer_option(def, 0, 86400);
		else if (strcmp(def->defname, "tls") == 0)
			(void) tls_option(def);
		else if (strcmp(def->defname, "tls_ca_file") == 0)
			check_tls_ca_file(defGetString(def));
		else if (strcmp(def->defname, "autostart") == 0 ||
				 strcmp(def->defname, "async_capable") == 0)
			(void) defGetBoolean(def);	/* errors on anything not boolean */
		else if (strcmp(def->defname, "series_key") == 0)
			check_series_key(defGetString(def));
		else if (defGetString(def)[0] == '\0')	/* table, column_name, host, token */
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("option \"%s\" must not be empty", def->defname)));
	}

	if (catalog == ForeignServerRelationId)
		check_server_kind(options);

	PG_RETURN_VOID();
}

void
pulsora_server_options(ForeignServer *server, PulsoraServerOptions *out)
{
	ListCell   *cell;

	bool		tls_set = false;

	memset(out, 0, sizeof *out);
	out->autostart = true;
	out->connect_timeout_s = PULSORA_CONNECT_TIMEOUT_S;
	foreach(cell, server->options)
	{
		DefElem    *def = lfirst_node(DefElem, cell);

		if (strcmp(def->defname, "data_dir") == 0)
			out->data_dir = defGetString(def);
		else if (strcmp(def->defname, "autostart") == 0)
			out->autostart = defGetBoolean(def);
		else if (strcmp(def->defname, "host") == 0)
			out->host = defGetString(def);
		else if (strcmp(def->defname, "port") == 0)
			out->port = integer_option(def, 1, 65535);
		else if (strcmp(def->defname, "tls") == 0)
		{
			out->tls = tls_option(def);
			tls_set = true;
		}
		else if (strcmp(def->defname, "tls_ca_file") == 0)
			out->tls_ca_file = defGetString(def);
		else if (strcmp(def->defname, "connect_timeout") == 0)
			out->connect_timeout_s = integer_option(def, 0, 86400);
	}
	/* Only possible for a server created before the validator was attached. */
	if (out->data_dir == NULL && (out->host == NULL || out->port == 0))
		ereport(ERROR,
				(errcode(ERRCODE_FDW_OPTION_NAME_NOT_FOUND),
				 errmsg("server \"%s\" has neither option \"data_dir\" nor \"host\" and \"port\"",
						server->servername)));
	if (out->host != NULL && !tls_set)
		out->tls = ps_client_default_tls(out->host);
}

char *
pulsora_table_name(Oid relid)
{
	ForeignTable *table = GetForeignTable(relid);
	ListCell   *cell;

	foreach(cell, table->options)
	{
		DefElem    *def = lfirst_node(DefElem, cell);

		if (strcmp(def->defname, "table") == 0)
			return pstrdup(defGetString(def));
	}
	return get_rel_name(relid);
}

char *
pulsora_table_series_key(Oid relid)
{
	ForeignTable *table = GetForeignTable(relid);
	ListCell   *cell;

	foreach(cell, table->options)
	{
		DefElem    *def = lfirst_node(DefElem, cell);

		if (strcmp(def->defname, "series_key") == 0)
			return pstrdup(defGetString(def));
	}
	return NULL;
}

/* The boolean option name among options, or dflt when it is not set. */
static bool
boolean_option(List *options, const char *name, bool dflt)
{
	ListCell   *cell;

	foreach(cell, options)
	{
		DefElem    *def = lfirst_node(DefElem, cell);

		if (strcmp(def->defname, name) == 0)
			return defGetBoolean(def);
	}
	return dflt;
}

bool
pulsora_async_capable(ForeignTable *table, ForeignServer *server)
{
	return boolean_option(table->options, "async_capable",
						  boolean_option(server->options, "async_capable", true));
}

char *
pulsora_column_name(Oid relid, AttrNumber attnum)
{
	List	   *options = GetForeignColumnOptions(relid, attnum);
	ListCell   *cell;

	foreach(cell, options)
	{
		DefElem    *def = lfirst_node(DefElem, cell);

		if (strcmp(def->defname, "column_name") == 0)
			return pstrdup(defGetString(def));
	}
	return get_attname(relid, attnum, false);
}
