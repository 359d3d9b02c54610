/*
 * connection.c — the backend's connections to data-directory owners, the
 * loads that INSERT/COPY open inside a transaction, and the mapping of
 * ps_client errors onto ereport.
 *
 * Like postgres_fdw's connection cache: one entry per data directory (a
 * local owner, over its Unix socket, started here when none runs) or per
 * remote owner and user mapping (host and port, over TCP with the mapping's
 * token, never started here; errors name the server and its address) in a
 * backend-lifetime hash table.  An entry is never removed, so PulsoraConn
 * pointers stay valid for the backend's life; its ps_client is replaced when
 * it breaks (at the next use, or at transaction end), and every replacement
 * bumps the entry's generation so that holders of scan handles (which die
 * with their client) know not to touch them.
 *
 * The planner's catalog calls are answered from a copy kept per
 * connection for a short while (pulsora_table_info_for_planning): small
 * queries would otherwise spend a round trip to the owner on every plan.
 * The copies live in a context of the entry, at most PULSORA_INFO_KEPT of
 * them, and go whenever this backend writes through the connection or the
 * client is replaced.
 *
 * Waiting for the owner: every client gets conn_wait_check, so a backend
 * waiting on an owner that does not answer still obeys query cancel,
 * statement_timeout and termination.  CHECK_FOR_INTERRUPTS there longjmps
 * out of the middle of a frame; the client then counts as broken and, like
 * any broken client, is closed at transaction abort (or at its next use):
 * the next statement reconnects, and the owner, seeing the connection
 * close, aborts its loads and drops its scans.  Nothing the client
 * malloc'd is lost on the way: the client owns it until closed.  An async
 * scan (async.c) waits in the Append instead, outside any client call, so
 * a cancel there leaves its answer owed on a sound connection: the scan's
 * cleanup at the transaction's abort then closes the connection rather
 * than wait for that answer with interrupts held (pulsora_conn_abandon),
 * unless the transaction's writes live on it.
 *
 * Transactional writes: each (foreign table, subtransaction) gets one row
 * load on the table's connection.  At XACT_EVENT_PRE_COMMIT every load of
 * every connection is finished first (each owner has written and checked
 * all the rows, not yet visible), and only then are each connection's loads
 * committed with one ps_client_load_commit, so a transaction's rows on one
 * data directory appear atomically, and an error while finishing (a bad
 * row, an owner gone) aborts the transaction on every owner.  Across owners
 * only the commit messages themselves are not atomic: if one fails after
 * another owner committed, that owner keeps its rows (docs/scale-out.md).
 * At abort, and at the abort of the subtransaction that began it, a load is
 * aborted.  A committed subtransaction hands its loads to its parent.  Load
 * records are kept in TopMemoryContext and always removed from the list
 * before the handle is given to a ps_client call that frees it, so no path
 * can free a handle twice.
 */
#include "postgres.h"

#include "access/xact.h"
#include "commands/defrem.h"
#include "foreign/foreign.h"
#include "miscadmin.h"
#include "storage/ipc.h"
#include "storage/pmsignal.h"
#include "utils/hsearch.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"

#include "proto/ps_frame.h"
#include "pulsora_fdw.h"

/*
 * The hash key: a local owner's data directory (an absolute path), or for
 * a remote one "host:port/user mapping oid" (which no absolute path is):
 * users with different tokens get connections of their own.
 */
#define CONN_KEY_MAX MAXPGPATH

struct PulsoraConn
{
	char		key[CONN_KEY_MAX];	/* hash key */
	bool		remote;
	char		data_dir[MAXPGPATH];	/* a local owner's; "" for a remote one */
	char		address[PS_ADDRESS_MAX];	/* a remote owner's host:port */
	/* What messages name: data directory "D", or pulsora server "S" (host:port). */
	char		where[MAXPGPATH + NAMEDATALEN + 64];
	Oid			serverid;		/* the server last used with this entry */
	ps_client  *client;			/* NULL when not connected */
	uint64		generation;		/* bumped whenever client is closed */
	List	   *loads;			/* PulsoraXactLoad *, this transaction's */
	bool		autostart;		/* of the server last used with this entry */
	char		servername[NAMEDATALEN];
	MemoryContext info_cxt;		/* holds infos and everything they point to, or NULL */
	List	   *infos;			/* PulsoraKeptInfo *, for the planner */
};

/*
 * How long a wait for the owner may last where interrupts are held
 * (transaction abort, cleanup), so a cancel cannot end it.  Giving up only
 * drops the connection: the owner then aborts its loads and scans itself.
 */
#define PULSORA_CLEANUP_WAIT_MS 10000

/* Most catalog copies kept per connection; beyond, all are dropped. */
#define PULSORA_INFO_KEPT 64

typedef struct PulsoraKeptInfo
{
	PulsoraTableInfo info;
	TimestampTz fetched_at;
} PulsoraKeptInfo;

typedef struct PulsoraXactLoad
{
	ps_client_load *load;
	Oid			relid;
	SubTransactionId subid;
} PulsoraXactLoad;

static HTAB *connections = NULL;

static void pulsora_xact_callback(XactEvent event, void *arg);
static void pulsora_subxact_callback(SubXactEvent event, SubTransactionId mySubid,
									 SubTransactionId parentSubid, void *arg);

int
pulsora_sqlstate(ps_status status)
{
	switch (status)
	{
		case PS_OK:
			return ERRCODE_SUCCESSFUL_COMPLETION;
		case PS_EINVAL:
			return ERRCODE_INVALID_PARAMETER_VALUE;
		case PS_ENOTFOUND:
			return ERRCODE_UNDEFINED_TABLE;
		case PS_EEXISTS:
			return ERRCODE_DUPLICATE_TABLE;
		case PS_EBUSY:
			return ERRCODE_OBJECT_IN_USE;
		case PS_ENOMEM:
			return ERRCODE_OUT_OF_MEMORY;
		case PS_EIO:
			return ERRCODE_IO_ERROR;
		case PS_ECORRUPT:
			return ERRCODE_DATA_CORRUPTED;
		case PS_ELOCKED:
			return ERRCODE_LOCK_NOT_AVAILABLE;
		case PS_ETOOBIG:
			return ERRCODE_PROGRAM_LIMIT_EXCEEDED;
		case PS_EPROTO:
			return ERRCODE_PROTOCOL_VIOLATION;
		case PS_ESCHEMA:
			return ERRCODE_DATATYPE_MISMATCH;
		case PS_EBADROW:
			return ERRCODE_INVALID_TEXT_REPRESENTATION;
		case PS_ETIME:
			return ERRCODE_DATETIME_VALUE_OUT_OF_RANGE;
		case PS_EPERM:
			return ERRCODE_INSUFFICIENT_PRIVILEGE;
		case PS_ECONN:
			return ERRCODE_CONNECTION_FAILURE;
		case PS_EINTERNAL:
			return ERRCODE_INTERNAL_ERROR;
		case PS_EFORMAT:
			return ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE;
	}
	return ERRCODE_INTERNAL_ERROR;
}

const char *
pulsora_error_position(const ps_error *err)
{
	char		line[32];

	if (err->line <= 0)
		return "";
	/* Messages about input usually name their position already. */
	snprintf(line, sizeof line, "line %lld", (long long) err->line);
	if (strstr(err->message, line) != NULL)
		return "";
	if (err->column > 0)
		return psprintf("line %lld, column %d: ", (long long) err->line, (int) err->column);
	return psprintf("line %lld: ", (long long) err->line);
}

void
pulsora_report(PulsoraConn *conn, ps_status status, const ps_error *err, const char *what)
{
	const char *message = (err && err->message[0]) ? err->message : ps_strerror(status);
	const char *position = err ? pulsora_error_position(err) : "";

	if (status == PS_ECONN && conn != NULL)
		ereport(ERROR,
				(errcode(pulsora_sqlstate(status)),
				 what ? errmsg("%s: lost connection to pulsorad for %s: %s",
							   what, conn->where, message)
				 : errmsg("lost connection to pulsorad for %s: %s", conn->where, message),
				 conn->remote ? 0 : errhint("See \"%s/pulsorad.log\".", conn->data_dir)));
	ereport(ERROR,
			(errcode(pulsora_sqlstate(status)),
			 what ? errmsg("%s: %s%s", what, position, message)
			 : errmsg("%s%s", position, message)));
}

void
pulsora_report_no_table(PulsoraConn *conn, const char *table)
{
	ereport(ERROR,
			(errcode(ERRCODE_UNDEFINED_TABLE),
			 errmsg("pulsora table \"%s\" does not exist in %s", table, conn->where)));
}

static void
connections_init(void)
{
	HASHCTL		ctl;

	ctl.keysize = MAXPGPATH;
	ctl.entrysize = sizeof(PulsoraConn);
	connections = hash_create("pulsora connections", 8, &ctl, HASH_ELEM | HASH_STRINGS);
	RegisterXactCallback(pulsora_xact_callback, NULL);
	RegisterSubXactCallback(pulsora_subxact_callback, NULL);
}

/*
 * The wait check of every client (ps_client.h): called about every 100 ms
 * while a call waits for the owner, and at once when a signal arrives.
 * Query cancel, statement_timeout and termination leave through
 * CHECK_FOR_INTERRUPTS; where interrupts are held it returns, and then the
 * wait gives up on a pending cancel or termination, or after
 * PULSORA_CLEANUP_WAIT_MS, rather than hang an abort on a stopped owner.
 */
static bool
conn_wait_check(void *arg, uint32_t waited_ms)
{
	/* As WaitLatch's WL_EXIT_ON_PM_DEATH: nobody is left to cancel us. */
	if (!PostmasterIsAlive())
		proc_exit(1);
	CHECK_FOR_INTERRUPTS();
	if (INTERRUPTS_CAN_BE_PROCESSED())
		return true;
	return !QueryCancelPending && !ProcDiePending && waited_ms < PULSORA_CLEANUP_WAIT_MS;
}

/* Close the client (freeing every scan and load handle on it). */
static void
conn_drop_client(PulsoraConn *conn)
{
	ps_client_close(conn->client);
	conn->client = NULL;
	conn->generation++;
	pulsora_forget_table_info(conn);
}

/*
 * The token of the current user's user mapping for server (or PUBLIC's),
 * NULL when the mapping has none; *umid receives the mapping's oid.  No
 * mapping is an error naming the server (GetUserMapping's).
 */
static const char *
remote_token(ForeignServer *server, Oid *umid)
{
	UserMapping *um = GetUserMapping(GetUserId(), server->serverid);
	ListCell   *cell;

	*umid = um->umid;
	foreach(cell, um->options)
		if (strcmp(lfirst_node(DefElem, cell)->defname, "token") == 0)
			return defGetString(lfirst_node(DefElem, cell));
	return NULL;
}

/* Connect conn to its remote owner (never started from here). */
static void
conn_open_remote(PulsoraConn *conn, const PulsoraServerOptions *opts)
{
	ps_client_remote r;
	ps_error	err;
	ps_status	st;
	Oid			umid;
	const char *token = remote_token(GetForeignServer(conn->serverid), &umid);

	memset(&r, 0, sizeof r);
	r.host = opts->host;
	r.port = (uint16_t) opts->port;
	r.tls = opts->tls;
	r.tls_ca_file = opts->tls_ca_file;
	r.token = token;
	r.connect_timeout_ms = (uint32_t) opts->connect_timeout_s * 1000;
	st = ps_client_connect_remote(&r, conn_wait_check, NULL, &conn->client, &err);
	if (st != PS_OK)
		ereport(ERROR,
				(errcode(st == PS_ECONN ? ERRCODE_CONNECTION_FAILURE : pulsora_sqlstate(st)),
				 errmsg("%s: %s", conn->where, err.message)));
}

/* Connect conn (which has no client), starting a local owner if allowed. */
static void
conn_open(PulsoraConn *conn)
{
	PulsoraServerOptions opts;
	ps_error	err;
	ps_status	st;

	/*
	 * Straight into conn->client: should the handshake be interrupted, the
	 * entry holds the broken client, which the abort then closes.
	 */
	if (conn->remote)
	{
		pulsora_server_options(GetForeignServer(conn->serverid), &opts);
		conn_open_remote(conn, &opts);
		return;
	}
	st = ps_client_connect_wait(conn->data_dir, conn_wait_check, NULL, &conn->client, &err);
	if (st == PS_OK)
		return;
	if (st == PS_ECONN && conn->autostart)
		pulsora_owner_start(conn->data_dir, conn_wait_check, &conn->client);
	else if (st == PS_ECONN)
		ereport(ERROR,
				(errcode(ERRCODE_CONNECTION_FAILURE),
				 errmsg("no pulsorad is running for data directory \"%s\": %s",
						conn->data_dir, err.message),
				 errhint("Start \"pulsorad -D %s\", or set option \"autostart\" of server \"%s\" to true.",
						 conn->data_dir, conn->servername)));
	else
		ereport(ERROR,
				(errcode(pulsora_sqlstate(st)),
				 errmsg("could not connect to pulsorad for data directory \"%s\": %s",
						conn->data_dir, err.message)));
}

PulsoraConn *
pulsora_connect(ForeignServer *server)
{
	PulsoraServerOptions opts;
	PulsoraConn *conn;
	char		key[CONN_KEY_MAX];
	char		address[PS_ADDRESS_MAX];
	bool		found;

	pulsora_server_options(server, &opts);
	if (opts.host != NULL)
	{
		Oid			umid;

		(void) remote_token(server, &umid);
		ps_address_format(opts.host, (uint16_t) opts.port, address, sizeof address);
		if (snprintf(key, sizeof key, "%s/%u", address, umid) >= (int) sizeof key)
			ereport(ERROR,
					(errcode(ERRCODE_NAME_TOO_LONG),
					 errmsg("host of server \"%s\" is too long", server->servername)));
	}
	else if (strlcpy(key, opts.data_dir, sizeof key) >= sizeof key)
		ereport(ERROR,
				(errcode(ERRCODE_NAME_TOO_LONG),
				 errmsg("data_dir of server \"%s\" is too long", server->servername)));
	if (connections == NULL)
		connections_init();

	conn = hash_search(connections, key, HASH_ENTER, &found);
	if (!found)
	{
		conn->remote = opts.host != NULL;
		if (conn->remote)
		{
			conn->data_dir[0] = '\0';
			strlcpy(conn->address, address, sizeof conn->address);
			snprintf(conn->where, sizeof conn->where, "pulsora server \"%s\" (%s)",
					 server->servername, address);
		}
		else
		{
			strlcpy(conn->data_dir, opts.data_dir, sizeof conn->data_dir);
			conn->address[0] = '\0';
			snprintf(conn->where, sizeof conn->where, "data directory \"%s\"", opts.data_dir);
		}
		conn->client = NULL;
		conn->generation = 0;
		conn->loads = NIL;
		conn->infos = NIL;
		conn->info_cxt = NULL;	/* created on first use: nothing here may fail */
	}

	if (conn->client != NULL && ps_client_broken(conn->client))
	{
		/* Writes of this transaction went down with the connection. */
		if (conn->loads != NIL)
			ereport(ERROR,
					(errcode(ERRCODE_CONNECTION_FAILURE),
					 errmsg("lost connection to pulsorad for %s with rows of this transaction not yet committed",
							conn->where),
					 conn->remote ? 0 : errhint("See \"%s/pulsorad.log\".", conn->data_dir)));
		conn_drop_client(conn);
	}
	if (conn->client != NULL)
		return conn;

	conn->autostart = opts.autostart;
	conn->serverid = server->serverid;
	strlcpy(conn->servername, server->servername, sizeof conn->servername);
	conn_open(conn);
	return conn;
}

bool
pulsora_reconnect(PulsoraConn *conn, ps_status status)
{
	if (status != PS_ECONN || conn->loads != NIL)
		return false;
	conn_drop_client(conn);
	conn_open(conn);
	return true;
}

bool
pulsora_conn_abandon(PulsoraConn *conn)
{
	/*
	 * A subtransaction's scans may share the connection with its parent's,
	 * which live on; the transaction's loads must reach PRE_COMMIT.
	 */
	if (IsSubTransaction() || conn->loads != NIL)
		return false;
	conn_drop_client(conn);
	return true;
}

ps_client *
pulsora_conn_client(PulsoraConn *conn)
{
	return conn->client;
}

uint64
pulsora_conn_generation(const PulsoraConn *conn)
{
	return conn->generation;
}

const char *
pulsora_conn_data_dir(const PulsoraConn *conn)
{
	return conn->remote ? NULL : conn->data_dir;
}

const char *
pulsora_conn_where(const PulsoraConn *conn)
{
	return conn->where;
}

bool
pulsora_table_info(PulsoraConn *conn, const char *table, bool missing_ok, PulsoraTableInfo *out)
{
	ps_client_table info;
	ps_client_column *cols = NULL;
	size_t		ncols = 0;
	ps_error	err;
	ps_status	st;

	PULSORA_CALL_OWNER(conn, st,
					   ps_client_table_info(conn->client, table, &info, &cols, &ncols, &err));
	if (st == PS_ENOTFOUND && missing_ok)
		return false;
	if (st != PS_OK)
	{
		if (st == PS_ENOTFOUND)
			pulsora_report_no_table(conn, table);
		pulsora_report(conn, st, &err, psprintf("could not read pulsora table \"%s\"", table));
	}

	/* Copy everything into palloc'd memory before anything can ereport. */
	out->name = pstrdup(table);
	out->row_count = info.row_count;
	out->min_time = info.min_time;
	out->max_time = info.max_time;
	out->nseries = info.nseries;
	free(info.name);
	out->ncolumns = (int) ncols;
	out->column_names = palloc(sizeof(char *) * Max(ncols, 1));
	out->column_types = palloc(sizeof(ps_type) * Max(ncols, 1));
	out->column_series = palloc(sizeof(int) * Max(ncols, 1));
	out->time_column = -1;
	out->nkey = 0;
	for (size_t i = 0; i < ncols; i++)
	{
		out->column_names[i] = pstrdup(cols[i].name);
		out->column_types[i] = cols[i].type;
		out->column_series[i] = cols[i].series_position;
		if (cols[i].is_time)
			out->time_column = (int) i;
		if (cols[i].is_series)
			out->nkey++;
	}
	ps_client_columns_free(cols, ncols);
	if (out->time_column < 0)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_CORRUPTED),
				 errmsg("pulsora table \"%s\" has no time column", table)));
	return true;
}

/* A deep copy of src in the current memory context. */
static void
table_info_copy(const PulsoraTableInfo *src, PulsoraTableInfo *dst)
{
	*dst = *src;
	dst->name = pstrdup(src->name);
	dst->column_names = palloc(sizeof(char *) * Max(src->ncolumns, 1));
	dst->column_types = palloc(sizeof(ps_type) * Max(src->ncolumns, 1));
	dst->column_series = palloc(sizeof(int) * Max(src->ncolumns, 1));
	for (int i = 0; i < src->ncolumns; i++)
		dst->column_names[i] = pstrdup(src->column_names[i]);
	memcpy(dst->column_types, src->column_types, sizeof(ps_type) * src->ncolumns);
	memcpy(dst->column_series, src->column_series, sizeof(int) * src->ncolumns);
}

static void
table_info_free(PulsoraTableInfo *info)
{
	for (int i = 0; i < info->ncolumns; i++)
		pfree(info->column_names[i]);
	pfree(info->column_names);
	pfree(info->column_types);
	pfree(info->column_series);
	pfree(info->name);
}

bool
pulsora_table_info_for_planning(PulsoraConn *conn, const char *table, bool fresh,
								PulsoraTableInfo *out)
{
	TimestampTz now = GetCurrentTimestamp();
	PulsoraKeptInfo *kept = NULL;
	PulsoraTableInfo copy;
	MemoryContext old;
	ListCell   *cell;

	foreach(cell, conn->infos)
	{
		PulsoraKeptInfo *k = lfirst(cell);

		if (strcmp(k->info.name, table) == 0)
			kept = k;
	}
	if (kept != NULL && !fresh &&
		!TimestampDifferenceExceeds(kept->fetched_at, now, PULSORA_INFO_MAX_AGE_MS))
	{
		table_info_copy(&kept->info, out);
		return true;
	}

	pulsora_table_info(conn, table, false, out);
	/* Keep a copy; the previous one of this table goes once the new one is whole. */
	if (kept == NULL && list_length(conn->infos) >= PULSORA_INFO_KEPT)
		pulsora_forget_table_info(conn);
	if (conn->info_cxt == NULL)
		conn->info_cxt = AllocSetContextCreate(TopMemoryContext, "pulsora catalog copies",
											   ALLOCSET_SMALL_SIZES);
	old = MemoryContextSwitchTo(conn->info_cxt);
	table_info_copy(out, &copy);
	if (kept == NULL)
	{
		kept = palloc(sizeof(PulsoraKeptInfo));
		kept->info = copy;
		conn->infos = lappend(conn->infos, kept);
	}
	else
	{
		table_info_free(&kept->info);
		kept->info = copy;
	}
	kept->fetched_at = now;
	MemoryContextSwitchTo(old);
	return false;
}

bool
pulsora_estimate_rows(PulsoraConn *conn, const char *table, int64 lo_ns, int64 hi_ns,
					  const ps_filter_spec *filters, int nfilters, double *rows)
{
	ps_client_scan_spec spec;
	ps_error	err;
	ps_status	st;

	memset(&spec, 0, sizeof spec);
	spec.table = table;
	spec.lo = lo_ns;
	spec.hi = hi_ns;
	spec.filters = filters;
	spec.nfilters = (uint32_t) nfilters;
	PULSORA_CALL_OWNER(conn, st,
					   ps_client_estimate(conn->client, &spec, PULSORA_ESTIMATE_MAX_BLOCKS, rows,
										  &err));
	/* Too many blocks, or a table gone since its catalog copy: the caller guesses. */
	if (st == PS_ETOOBIG || st == PS_ENOTFOUND)
		return false;
	if (st != PS_OK)
		pulsora_report(conn, st, &err, psprintf("could not estimate the rows of pulsora table \"%s\"", table));
	return true;
}

void
pulsora_forget_table_info(PulsoraConn *conn)
{
	conn->infos = NIL;
	if (conn->info_cxt != NULL)
		MemoryContextReset(conn->info_cxt);
}

ps_client_load *
pulsora_insert_load(PulsoraConn *conn, Oid relid, const char *table,
					const char *const *names, const ps_type *types,
					uint32 ncolumns, uint32 time_index, const char *series_key,
					const char *source)
{
	SubTransactionId subid = GetCurrentSubTransactionId();
	PulsoraXactLoad *xl;
	ps_client_load *load;
	ps_error	err;
	ps_status	st;
	ListCell   *cell;

	foreach(cell, conn->loads)
	{
		xl = lfirst(cell);
		if (xl->relid == relid && xl->subid == subid)
			return xl->load;
	}

	if (list_length(conn->loads) >= PS_FRAME_MAX_HANDLES)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("too many subtransactions of this transaction wrote to pulsora tables in %s",
						conn->where),
				 errdetail("Each (foreign table, subtransaction) pair is a separate load; at most %d commit together.",
						   PS_FRAME_MAX_HANDLES)));
	ps_client_set_load_source(conn->client, source);
	st = ps_client_load_begin(conn->client, table, names, types, ncolumns, time_index,
							  false, series_key, &load, &err);
	if (st != PS_OK)
		pulsora_report(conn, st, &err, psprintf("could not start writing to pulsora table \"%s\"", table));

	xl = MemoryContextAlloc(TopMemoryContext, sizeof(PulsoraXactLoad));
	xl->load = load;
	xl->relid = relid;
	xl->subid = subid;
	PG_TRY();
	{
		MemoryContext old = MemoryContextSwitchTo(TopMemoryContext);

		conn->loads = lappend(conn->loads, xl);
		MemoryContextSwitchTo(old);
	}
	PG_CATCH();
	{
		ps_client_load_abort(load);
		pfree(xl);
		PG_RE_THROW();
	}
	PG_END_TRY();
	return load;
}

/*
 * End the input of every load of conn: the owner has then written and
 * checked all their rows, not yet visible.  The loads stay in the list, so
 * an error here (reported) aborts them with the transaction.
 */
static void
conn_finish_loads(PulsoraConn *conn)
{
	ListCell   *cell;
	ps_error	err;
	ps_status	st;

	foreach(cell, conn->loads)
	{
		PulsoraXactLoad *xl = lfirst(cell);
		ps_client_load_result res;

		memset(&res, 0, sizeof res);
		st = ps_client_load_finish(xl->load, &res, &err);
		ps_client_load_result_free(&res);
		if (st != PS_OK)
			pulsora_report(conn, st, &err, "could not commit rows written to pulsora");
	}
}

/* Commit every (finished) load of conn in one catalog write; ereports on failure. */
static void
conn_commit_loads(PulsoraConn *conn)
{
	int			n = list_length(conn->loads);
	ps_client_load **loads;
	int			i = 0;
	ListCell   *cell;
	ps_error	err;
	ps_status	st;

	if (n == 0)
		return;
	/* The tables change (or, should the commit fail, may have). */
	pulsora_forget_table_info(conn);
	/* Take the handles out of the list first: the commit frees them whatever happens. */
	loads = MemoryContextAlloc(TopTransactionContext, sizeof(ps_client_load *) * n);
	foreach(cell, conn->loads)
	{
		PulsoraXactLoad *xl = lfirst(cell);

		loads[i++] = xl->load;
	}
	list_free_deep(conn->loads);
	conn->loads = NIL;
	st = ps_client_load_commit(loads, n, &err);
	if (st != PS_OK)
		pulsora_report(conn, st, &err, "could not commit rows written to pulsora");
}

/* Run step on every connection; an error ends the walk and propagates. */
static void
for_each_conn(void (*step) (PulsoraConn *conn))
{
	HASH_SEQ_STATUS scan;
	PulsoraConn *conn;

	hash_seq_init(&scan, connections);
	while ((conn = hash_seq_search(&scan)) != NULL)
	{
		PG_TRY();
		{
			step(conn);
		}
		PG_CATCH();
		{
			hash_seq_term(&scan);
			PG_RE_THROW();
		}
		PG_END_TRY();
	}
}

static void
conn_abort_loads(PulsoraConn *conn, SubTransactionId subid, bool all)
{
	ListCell   *cell;

	foreach(cell, conn->loads)
	{
		PulsoraXactLoad *xl = lfirst(cell);

		if (all || xl->subid == subid)
		{
			conn->loads = foreach_delete_current(conn->loads, cell);
			ps_client_load_abort(xl->load);
			pfree(xl);
		}
	}
}

static void
pulsora_xact_callback(XactEvent event, void *arg)
{
	HASH_SEQ_STATUS scan;
	PulsoraConn *conn;

	switch (event)
	{
		case XACT_EVENT_PRE_COMMIT:
		case XACT_EVENT_PARALLEL_PRE_COMMIT:
			/*
			 * Every owner first takes and checks all its rows; only once all
			 * have, each commits.  A dead owner or a bad row then aborts
			 * every owner's loads; only a failure of a commit message itself
			 * can leave one owner committed and another not.
			 */
			for_each_conn(conn_finish_loads);
			for_each_conn(conn_commit_loads);
			break;
		case XACT_EVENT_PRE_PREPARE:
			hash_seq_init(&scan, connections);
			while ((conn = hash_seq_search(&scan)) != NULL)
			{
				if (conn->loads != NIL)
				{
					hash_seq_term(&scan);
					ereport(ERROR,
							(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
							 errmsg("cannot PREPARE a transaction that has written to pulsora foreign tables")));
				}
			}
			break;
		case XACT_EVENT_ABORT:
		case XACT_EVENT_PARALLEL_ABORT:
			hash_seq_init(&scan, connections);
			while ((conn = hash_seq_search(&scan)) != NULL)
			{
				conn_abort_loads(conn, InvalidSubTransactionId, true);
				if (conn->client != NULL && ps_client_broken(conn->client))
					conn_drop_client(conn);
			}
			break;
		case XACT_EVENT_COMMIT:
		case XACT_EVENT_PARALLEL_COMMIT:
		case XACT_EVENT_PREPARE:
			hash_seq_init(&scan, connections);
			while ((conn = hash_seq_search(&scan)) != NULL)
				if (conn->client != NULL && ps_client_broken(conn->client))
					conn_drop_client(conn);
			break;
	}
}

static void
pulsora_subxact_callback(SubXactEvent event, SubTransactionId mySubid,
						 SubTransactionId parentSubid, void *arg)
{
	HASH_SEQ_STATUS scan;
	PulsoraConn *conn;
	ListCell   *cell;

	if (event != SUBXACT_EVENT_ABORT_SUB && event != SUBXACT_EVENT_COMMIT_SUB)
		return;
	hash_seq_init(&scan, connections);
	while ((conn = hash_seq_search(&scan)) != NULL)
	{
		if (event == SUBXACT_EVENT_ABORT_SUB)
			conn_abort_loads(conn, mySubid, false);
		else
			foreach(cell, conn->loads)
			{
				PulsoraXactLoad *xl = lfirst(cell);

				if (xl->subid == mySubid)
					xl->subid = parentSubid;
			}
	}
}
