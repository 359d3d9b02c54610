/*
 * pulsora_fdw.h — interfaces between the files of the PostgreSQL extension
 * `pulsora` (DESIGN §1, §5).  Not installed; every file of src/fdw includes
 * postgres.h first and then this header.
 *
 * The extension never opens RocksDB: it talks to the owner (pulsorad) of a
 * data directory through the native-protocol client (proto/ps_client.h),
 * one cached connection per data directory per backend (connection.c),
 * starting the owner itself when none runs (owner.c).  Files by job:
 *
 *   pulsora_fdw.c  FDW callbacks: planning, scans, EXPLAIN; the handler
 *   analyze.c      ANALYZE: page estimate and a reservoir sample
 *   upper_plan.c   aggregate pushdown: which GROUP BY queries the owner computes
 *   upper_bucket.c ... and which GROUP BY expressions are its time buckets
 *   upper_order.c  ORDER BY / LIMIT / OFFSET over pushed groups
 *   upper_exec.c   running pushed aggregates: groups from the owner into tuples
 *   upper_state.c  pushed partial aggregates: PostgreSQL's transition states
 *   async.c        async foreign scans: partitions on several owners at once
 *   modify.c       FDW callbacks of INSERT and COPY FROM
 *   import.c       IMPORT FOREIGN SCHEMA
 *   option.c       option validator and option lookup
 *   connection.c   connection cache, transaction-scoped loads, error reports
 *   owner.c        autostart of pulsorad
 *   scan_range.c   time-range pushdown: recognising quals, evaluating ranges
 *   series_filter.c series-filter pushdown: recognising quals, estimates,
 *                  evaluating the values, EXPLAIN
 *   convert.c      column mapping, Datum <-> store values, the row reader
 *   functions.c    the SQL functions pulsora_*: loads, catalog, delete, status
 *   operations.c   pulsora_backup, pulsora_backups, pulsora_loads
 *   time_bucket.c, first_last.c  TimescaleDB's time_bucket, first and last
 *
 * Memory: unless stated otherwise, results are palloc'd in the current memory
 * context.  Everything malloc'd by ps_client is copied into palloc'd memory
 * and freed before any ereport can happen, so an error never leaks it.
 * Time units: PostgreSQL timestamps are microseconds since 2000-01-01
 * ("PostgreSQL us"); the store keeps nanoseconds since 1970-01-01 ("ns").
 */
#ifndef PULSORA_FDW_H
#define PULSORA_FDW_H

#include "commands/explain.h"
#include "foreign/foreign.h"
#include "foreign/fdwapi.h"
#include "nodes/execnodes.h"
#include "nodes/pathnodes.h"
#include "utils/relcache.h"

#include "proto/ps_client.h"

/* PostgreSQL's epoch (2000-01-01) minus the Unix epoch, in microseconds. */
#define PULSORA_EPOCH_SHIFT_US INT64CONST(946684800000000)

/* ---------------------------------------------------------------- option.c */

/* Default of option connect_timeout, in seconds. */
#define PULSORA_CONNECT_TIMEOUT_S 10

typedef struct PulsoraServerOptions
{
	/* A local owner: data_dir set (an absolute path), host NULL. */
	char	   *data_dir;
	bool		autostart;		/* start pulsorad when none runs (default true) */
	/* A remote owner: host and port set, data_dir NULL. */
	char	   *host;
	int			port;
	ps_tls_mode tls;			/* as given, else ps_client_default_tls(host) */
	char	   *tls_ca_file;	/* NULL: the system's trust store */
	int			connect_timeout_s;	/* 0: none */
} PulsoraServerOptions;

extern void pulsora_server_options(ForeignServer *server, PulsoraServerOptions *out);
/* Store table behind a foreign table: option `table`, else the relation's name. */
extern char *pulsora_table_name(Oid relid);
/* Store column behind an attribute: option `column_name`, else the attribute's name. */
extern char *pulsora_column_name(Oid relid, AttrNumber attnum);
/* Option `series_key` of a foreign table ("a,b"; "" = none), or NULL when not set. */
extern char *pulsora_table_series_key(Oid relid);
/* Option `async_capable` of the foreign table, else of its server, else true. */
extern bool pulsora_async_capable(ForeignTable *table, ForeignServer *server);

/* ---------------------------------------------------------------- connection.c */

/*
 * A connection to the owner of one data directory.  The object lives for
 * the whole backend (never freed, so pointers to it stay valid); the
 * ps_client inside is replaced when it breaks, which bumps the generation,
 * so holders of scan handles can tell that their handles died with it.
 */
typedef struct PulsoraConn PulsoraConn;

/* Connected (autostarting the owner if allowed) connection for a server. */
extern PulsoraConn *pulsora_connect(ForeignServer *server);
extern ps_client *pulsora_conn_client(PulsoraConn *conn);
/*
 * After a call failed with status: if it was PS_ECONN and nothing of the
 * transaction's writes lives on the connection, replace the connection
 * (starting the owner again if allowed) and return true, so the caller
 * retries its call once.  Handles of the old connection are gone.
 */
extern bool pulsora_reconnect(PulsoraConn *conn, ps_status status);
/*
 * st = call, retried once on a new connection when pulsora_reconnect allows.
 * call is evaluated anew, so it must reach the client through conn.
 */
#define PULSORA_CALL_OWNER(conn, st, call) \
	for (int pulsora_attempt_ = 0;; pulsora_attempt_++) \
	{ \
		(st) = (call); \
		if ((st) == PS_OK || pulsora_attempt_ > 0 || !pulsora_reconnect((conn), (st))) \
			break; \
	}
/*
 * For a scan freed by an error while an answer is still on its way: close
 * conn's client rather than wait for it with interrupts held (a stopped
 * owner would hold up the abort) when that is the abort of a top-level
 * transaction and no rows of it live on conn; the owner drops the
 * connection's scans.  Returns whether it did.
 */
extern bool pulsora_conn_abandon(PulsoraConn *conn);
extern uint64 pulsora_conn_generation(const PulsoraConn *conn);
/* A local owner's data directory; NULL for a remote owner. */
extern const char *pulsora_conn_data_dir(const PulsoraConn *conn);
/* What messages name: data directory "D", or pulsora server "S" (host:port). */
extern const char *pulsora_conn_where(const PulsoraConn *conn);

/*
 * The row load of the current subtransaction for foreign table relid on
 * conn, begun with the given columns (and series_key, used should the load
 * create the table; NULL: inferred) if there is none yet.  The load is
 * finished and committed with all of the transaction's other loads at
 * PRE_COMMIT, and aborted when its subtransaction or transaction aborts.
 * The handle is valid until then; callers may cache it together with the
 * subtransaction id they got it in.  source ("copy", "insert") is how the
 * owner lists a load begun here among its loads in progress.
 */
extern ps_client_load *pulsora_insert_load(PulsoraConn *conn, Oid relid, const char *table,
										   const char *const *names, const ps_type *types,
										   uint32 ncolumns, uint32 time_index,
										   const char *series_key, const char *source);

/*
 * Catalog of one store table, copied into palloc'd memory.  Returns false
 * when the table does not exist and missing_ok; otherwise errors.
 */
typedef struct PulsoraTableInfo
{
	char	   *name;
	uint64		row_count;
	int64		min_time;		/* ns, valid if row_count > 0 */
	int64		max_time;
	int			ncolumns;
	char	  **column_names;
	ps_type    *column_types;
	int			time_column;	/* index into the arrays */
	int		   *column_series;	/* 0: not in the series key, k: its k-th column */
	int			nkey;			/* columns in the series key (0: none) */
	uint64		nseries;		/* distinct series-key values, 0 if not known */
} PulsoraTableInfo;

extern bool pulsora_table_info(PulsoraConn *conn, const char *table, bool missing_ok,
							   PulsoraTableInfo *out);

/*
 * The same (missing_ok false) for the planner, which would otherwise ask the
 * owner on every plan: a copy kept per connection answers for up to
 * PULSORA_INFO_MAX_AGE_MS, unless `fresh`.  The copy is dropped when this
 * backend writes through the connection (pulsora_forget_table_info) or
 * reconnects, so only other sessions' writes can make estimates lag, and
 * by that long at most.  Returns true when the answer came from the copy,
 * so that a caller whose columns do not fit it asks again with `fresh`.
 */
#define PULSORA_INFO_MAX_AGE_MS 1000
extern bool pulsora_table_info_for_planning(PulsoraConn *conn, const char *table, bool fresh,
											PulsoraTableInfo *out);
/*
 * Rows of table in [lo_ns, hi_ns] that pass filters, estimated by the owner
 * from block metadata (ps_store_estimate), into *rows; false when the owner
 * would have to look at more than PULSORA_ESTIMATE_MAX_BLOCKS blocks (the
 * caller then guesses from the table's counts).
 */
#define PULSORA_ESTIMATE_MAX_BLOCKS 20000
extern bool pulsora_estimate_rows(PulsoraConn *conn, const char *table, int64 lo_ns, int64 hi_ns,
								  const ps_filter_spec *filters, int nfilters, double *rows);
/* Drop conn's kept catalog copies: this backend writes, or a plan went stale. */
extern void pulsora_forget_table_info(PulsoraConn *conn);

/*
 * ereport(ERROR) for a failed ps_client call, with the SQLSTATE mapped from
 * the status.  The message is the owner's; `what` (may be NULL) says what
 * was being done ("could not scan pulsora table \"x\"") and goes first.
 * An input position (line/column) is added when the error has one.
 */
extern void pulsora_report(PulsoraConn *conn, ps_status status, const ps_error *err,
						   const char *what) pg_attribute_noreturn();
extern void pulsora_report_no_table(PulsoraConn *conn, const char *table) pg_attribute_noreturn();
extern int	pulsora_sqlstate(ps_status status);
/* "line L, column C: " for an input error whose message does not say so, else "". */
extern const char *pulsora_error_position(const ps_error *err);

/* ---------------------------------------------------------------- owner.c */

/*
 * Start pulsorad for data_dir, detached from PostgreSQL, and wait until its
 * socket accepts connections; the connected client goes into *client.
 * Every connection attempt waits with check (as ps_client_connect_wait),
 * straight into *client, so should an interrupt leave in the middle of a
 * handshake, *client holds the broken client for the caller to close.
 * Errors name the data directory, the cause, and point to DIR/pulsorad.log.
 */
extern void pulsora_owner_start(const char *data_dir, ps_client_wait_check check,
								ps_client **client);

/* ---------------------------------------------------------------- scan_range.c */

/*
 * A time range in the time column's own domain (PostgreSQL us, inclusive
 * bounds).  PG_INT64_MIN / PG_INT64_MAX are -infinity / infinity, i.e. no
 * bound; empty is a contradiction (no row can match).  lo_exclusive and
 * hi_exclusive only say how a bound is shown: set, the query wrote it as
 * "> lo - 1" or "< hi + 1", and EXPLAIN prints it so, half-open.
 */
typedef struct PulsoraRange
{
	int64		lo;
	int64		hi;
	bool		lo_exclusive;
	bool		hi_exclusive;
	bool		empty;
} PulsoraRange;

/* One pushable comparison "time_column <strategy> operand". */
typedef struct PulsoraTimeQual
{
	int			strategy;		/* BTLessStrategyNumber .. BTGreaterStrategyNumber */
	Oid			operand_type;	/* TIMESTAMPTZOID, TIMESTAMPOID or DATEOID */
	Expr	   *operand;		/* evaluable without this relation's columns */
	bool		exact;			/* the range alone decides the qual (no recheck) */
} PulsoraTimeQual;

/*
 * Recognise clause as a comparison of the time column (attno time_attno, of
 * type time_type, in relation relid) with an operand PostgreSQL can
 * evaluate before the scan (Const, Param, stable expression; other
 * relations' columns only when allow_outer, for parameterised paths).
 * Operators are matched by btree strategy in the datetime operator family.
 * "time_column IS [NOT] NULL" is recognised too, as a range of nothing or
 * of everything (the store's time is never NULL).
 */
extern bool pulsora_time_qual(PlannerInfo *root, Expr *clause, Index relid,
							  AttrNumber time_attno, Oid time_type, bool allow_outer,
							  PulsoraTimeQual *out);

extern void pulsora_range_init(PulsoraRange *r);
/* Intersect r with "column <strategy> value" (value of operand_type; NULL: empty). */
extern void pulsora_range_apply(PulsoraRange *r, Oid time_type, int strategy,
								Oid operand_type, Datum value, bool isnull);
/*
 * r = the intersection of "column <strategy> value" for every bound: each
 * ExprState of bound_states evaluated in econtext, with the strategy and
 * operand type at the same place in strategies and operand_types.
 */
extern void pulsora_range_compute(List *bound_states, List *strategies, List *operand_types,
								  Oid time_type, ExprContext *econtext, PulsoraRange *r);
/* Stored-ns bounds of r; false when no stored time can fall in it. */
extern bool pulsora_range_to_ns(const PulsoraRange *r, int64 *lo_ns, int64 *hi_ns);
/* Fraction (0..1) of the stored span [min_ns, max_ns] that r covers. */
extern double pulsora_range_fraction(const PulsoraRange *r, int64 min_ns, int64 max_ns);
/*
 * "[a, b]", "(a, b)" (each side as the query wrote it) or "empty", bounds
 * printed as time_type in the session's style.
 */
extern char *pulsora_range_format(const PulsoraRange *r, Oid time_type);

/* ---------------------------------------------------------------- convert.c */

/* How one attribute of a foreign table maps onto the store table. */
typedef struct PulsoraColumnMap
{
	int			natts;			/* attributes of the relation, dropped included */
	/* per attribute (index attnum - 1); store_name NULL for dropped ones */
	char	  **store_name;
	Oid		   *pg_type;
	ps_type    *store_type;
	bool	   *series;			/* the store column is in the series key */
	AttrNumber	time_attno;		/* attribute holding the store's time, or 0 */
} PulsoraColumnMap;

/* Store type a PostgreSQL type maps to; false if it maps to none. */
extern bool pulsora_store_type_for(Oid pg_type, ps_type *out);

/*
 * Map every live attribute of rel onto the columns of the store table in
 * info, checking types; errors name the offending column.  With quiet, a
 * column that does not fit returns false instead (map is then unusable).
 */
extern bool pulsora_map_columns(Relation rel, const PulsoraTableInfo *info, PulsoraColumnMap *map,
								bool quiet);

/* ns <-> PostgreSQL us (floor); the ns conversion errors outside the store's range. */
extern int64 pulsora_ns_to_pg(int64 ns);
extern int64 pulsora_pg_to_ns(int64 pg_us, const char *column);

/*
 * The row reader: streams one scan from the owner in batches and turns each
 * row into Datums for the attributes of a relation.  Its memory (and the
 * owner-side scan, closed by a memory-context callback) lives in a context
 * created under the current one, so an aborted query cannot leak it.
 */
typedef struct PulsoraReader PulsoraReader;

typedef struct PulsoraReadSpec
{
	const char *table;
	int64		lo_ns, hi_ns;	/* inclusive */
	bool		descending;
	bool		unordered;		/* rows in any order (descending ignored) */
	int64		limit;			/* rows, or -1 */
	int			ncolumns;		/* value columns wanted */
	const char *const *columns; /* their store names */
	const ps_type *types;		/* their expected store types */
	const AttrNumber *attnos;	/* where each goes */
	AttrNumber	time_attno;		/* where the time goes, or 0 */
	int			natts;			/* width of the Datum arrays */
	const ps_filter_spec *filters;	/* series filters, borrowed for the open */
	int			nfilters;
	/* Open without waiting: the owner's answer comes with the first fetch. */
	bool		deferred;
} PulsoraReadSpec;

extern PulsoraReader *pulsora_reader_open(PulsoraConn *conn, const PulsoraReadSpec *spec);
/* Next row into values/isnull[0..natts); false at the end. */
extern bool pulsora_reader_next(PulsoraReader *r, Datum *values, bool *isnull);
/*
 * The same without waiting for the owner's answer to this scan: false
 * with *blocked set when the next row has not arrived yet (then wait for
 * pulsora_reader_socket to be readable).  The fetch may still wait for an
 * answer owed to another scan on the same connection.
 */
extern bool pulsora_reader_next_nowait(PulsoraReader *r, Datum *values, bool *isnull,
									   bool *blocked);
/* The socket the next row waits on, or -1 when it needs no wait. */
extern int	pulsora_reader_socket(PulsoraReader *r);
extern uint64 pulsora_reader_fetched(const PulsoraReader *r);
extern void pulsora_reader_close(PulsoraReader *r);

/* ---------------------------------------------------------------- series_filter.c */

/*
 * One pushable series qual on a series-key column: "column = operand"
 * (is_array false) or "column = ANY (operand)" (an IN list or = ANY of an
 * array).  Both are exact (the store compares bytes, integers, booleans as
 * PostgreSQL's equality does under a deterministic collation), so the qual
 * needs no recheck as long as its values reach the owner: nvalues says how
 * many the operand yields at most, or -1 when only run time tells (an
 * array parameter or expression).
 */
typedef struct PulsoraSeriesQual
{
	AttrNumber	attno;			/* series-key attribute */
	Expr	   *operand;		/* evaluable before the scan */
	Oid			value_type;		/* type of the values: int2/int4/int8, text or bool */
	bool		is_array;		/* operand is an array of value_type */
	int			nvalues;
} PulsoraSeriesQual;

/* What becomes of a recognised series qual (pulsora_series_take). */
typedef enum PulsoraSeriesPush
{
	PULSORA_SERIES_LOCAL,		/* not pushed: too many values */
	PULSORA_SERIES_EXACT,		/* pushed; no recheck */
	PULSORA_SERIES_RECHECK		/* pushed when its values fit at run time; rechecked */
} PulsoraSeriesPush;

/*
 * Recognise clause as a series qual on relation relid (columns as in map),
 * with an operand computable before the scan (other relations' columns
 * only when allow_outer).
 */
extern bool pulsora_series_qual(PlannerInfo *root, Expr *clause, Index relid,
								const PulsoraColumnMap *map, bool allow_outer,
								PulsoraSeriesQual *out);
/*
 * Decide how q is pushed, given *budget, the filter values a scan may still
 * send (start with PS_FRAME_MAX_FILTER_VALUES); quals of known size take
 * theirs from it.  Callers must ask in the same order at every step.
 */
extern PulsoraSeriesPush pulsora_series_take(const PulsoraSeriesQual *q, int *budget);
/*
 * Selectivity of exact series quals (PulsoraSeriesQual *) from the
 * table's count of distinct series-key values: per column, values over
 * the column's share of them.  Without that count, PostgreSQL's estimate
 * of their clauses (RestrictInfos) is used.
 */
extern Selectivity pulsora_series_selectivity(PlannerInfo *root, RelOptInfo *baserel,
											  List *quals, List *clauses,
											  const PulsoraTableInfo *info);
/*
 * At planning, the filters of quals (exact series quals) when every operand
 * is a constant: *filters (palloc'd) and *nfilters, *empty when some column
 * matches no value; false when an operand is not a constant.
 */
extern bool pulsora_series_plan_filters(List *quals, const PulsoraColumnMap *map,
										ps_filter_spec **filters, int *nfilters, bool *empty);
/* The fdw_private item that carries q (store column, its type, kind) to the executor. */
extern List *pulsora_series_private(const PulsoraSeriesQual *q, const char *column,
									ps_type type, PulsoraSeriesPush push);

/*
 * Executor state of a scan's series filters: the pushed quals' operands,
 * and after each pulsora_series_compute, one filter per column (the
 * intersection of that column's quals, values sorted and distinct).
 */
typedef struct PulsoraSeriesExec
{
	int			nquals;
	char	  **columns;		/* store column of each qual */
	ps_type    *types;			/* its store type */
	Oid		   *value_types;
	bool	   *is_array;
	bool	   *recheck;		/* PULSORA_SERIES_RECHECK */
	ExprState **states;
	MemoryContext cxt;			/* the values of the last computation */
	bool		known;			/* computed (EXPLAIN shows the values) */
	bool		empty;			/* some column matches no value: no row at all */
	int			nfilters;
	ps_filter_spec *filters;
} PulsoraSeriesExec;

/* items: the pulsora_series_private lists; exprs: their operands, in order. */
extern PulsoraSeriesExec *pulsora_series_exec(List *items, List *exprs, PlanState *parent);
extern void pulsora_series_compute(PulsoraSeriesExec *x, ExprContext *econtext);
/*
 * For EXPLAIN: "sym IN ('A', 'B') AND venue = 3", "empty" (no value can match),
 * "none (too many values)", or the columns and "computed at run time".
 */
extern char *pulsora_series_format(const PulsoraSeriesExec *x);

/* ---------------------------------------------------------------- modify.c */

extern List *pulsoraPlanForeignModify(PlannerInfo *root, ModifyTable *plan,
									  Index resultRelation, int subplan_index);
extern void pulsoraBeginForeignModify(ModifyTableState *mtstate, ResultRelInfo *rinfo,
									  List *fdw_private, int subplan_index, int eflags);
extern void pulsoraBeginForeignInsert(ModifyTableState *mtstate, ResultRelInfo *rinfo);
extern TupleTableSlot *pulsoraExecForeignInsert(EState *estate, ResultRelInfo *rinfo,
												TupleTableSlot *slot, TupleTableSlot *planSlot);
extern void pulsoraEndForeignModify(EState *estate, ResultRelInfo *rinfo);
extern int	pulsoraIsForeignRelUpdatable(Relation rel);

/* ---------------------------------------------------------------- functions.c */

typedef enum PulsoraServerRight
{
	SERVER_USAGE,
	SERVER_OWNER
} PulsoraServerRight;

/*
 * The pulsora server named by a SQL function's argument, once the caller
 * has the right on it (USAGE, or ownership, which superusers always have);
 * errors otherwise, and for a server of another wrapper.
 */
extern ForeignServer *pulsora_server_for_call(Name name, PulsoraServerRight right);

/* ---------------------------------------------------------------- analyze.c */

extern bool pulsoraAnalyzeForeignTable(Relation relation, AcquireSampleRowsFunc *func,
									   BlockNumber *totalpages);

/* ---------------------------------------------------------------- import.c */

extern List *pulsoraImportForeignSchema(ImportForeignSchemaStmt *stmt, Oid serverOid);

/* ---------------------------------------------------------------- pulsora_fdw.c */

/* True when server belongs to a foreign-data wrapper handled by this extension. */
extern bool pulsora_is_own_server(ForeignServer *server);

/* Planner state of one foreign relation (RelOptInfo.fdw_private). */
typedef struct PulsoraRelInfo
{
	char	   *table;
	PulsoraTableInfo info;
	PulsoraColumnMap map;
	Oid			time_type;		/* type of the time attribute, if any */
	List	   *local_conds;	/* baserestrictinfo PostgreSQL must check */
	double		fetched_rows;	/* rows the owner sends for the plain scan */
	Cost		startup_cost;
	Cost		total_cost;
	bool		async_capable;	/* option async_capable of the table or server */
} PulsoraRelInfo;

/*
 * A scan's quals sorted for the owner: time-qual operands (with their
 * btree strategy and type) and series-qual operands, in that order, as
 * fdw_exprs; series_items the pulsora_series_private of each series
 * operand; local_exprs what PostgreSQL must still check.
 */
typedef struct PulsoraPlanQuals
{
	List	   *fdw_exprs;
	List	   *strategies;
	List	   *operand_types;
	List	   *series_items;
	List	   *local_exprs;
} PulsoraPlanQuals;

/* Does node hold a PARAM_EXEC (known only at run time)?  An expression_tree_walker. */
extern bool pulsora_contains_exec_param(Node *node, void *context);

/* Sort clauses (RestrictInfos of baserel) as a scan pushes them. */
extern void pulsora_plan_quals(PlannerInfo *root, RelOptInfo *baserel, List *clauses,
							   PulsoraPlanQuals *out);

/*
 * For async.c, of a scan or of pushed aggregates: whether this (re)scan
 * has returned its last row, and the socket its next row waits on (-1:
 * none; IterateForeignScan of an async scan returns an empty slot rather
 * than wait).
 */
extern bool pulsora_scan_finished(ForeignScanState *node);
extern int	pulsora_scan_socket(ForeignScanState *node);

/* ---------------------------------------------------------------- async.c */

extern bool pulsoraIsForeignPathAsyncCapable(ForeignPath *path);
extern void pulsoraForeignAsyncRequest(AsyncRequest *areq);
extern void pulsoraForeignAsyncConfigureWait(AsyncRequest *areq);
extern void pulsoraForeignAsyncNotify(AsyncRequest *areq);

/* ---------------------------------------------------------------- first_last.c */

/*
 * The serialized transition state of first or last (bytea) whose kept row
 * has this time (PostgreSQL us) and value of type type.
 */
extern bytea *pulsora_first_last_state_bytes(int64 time, Oid type, Datum value, bool isnull);

/* ---------------------------------------------------------------- upper_plan.c, upper_exec.c */

/* GUC pulsora.enable_aggregate_pushdown */
extern bool pulsora_enable_aggregate_pushdown;
extern void pulsora_upper_define_gucs(void);
extern void pulsoraGetForeignUpperPaths(PlannerInfo *root, UpperRelationKind stage,
										RelOptInfo *input_rel, RelOptInfo *output_rel,
										void *extra);
extern ForeignScan *pulsora_upper_plan(PlannerInfo *root, RelOptInfo *rel, ForeignPath *best_path,
									   List *tlist, List *scan_clauses, Plan *outer_plan);
/* The executor callbacks of a ForeignScan of pushed aggregates (scanrelid 0). */
extern void pulsora_upper_begin(ForeignScanState *node, int eflags);
extern TupleTableSlot *pulsora_upper_next(ForeignScanState *node);
extern void pulsora_upper_rescan(ForeignScanState *node);
extern void pulsora_upper_end(ForeignScanState *node);
extern void pulsora_upper_explain(ForeignScanState *node, ExplainState *es);
/* pulsora_scan_finished and pulsora_scan_socket of pushed aggregates. */
extern bool pulsora_upper_finished(ForeignScanState *node);
extern int	pulsora_upper_socket(ForeignScanState *node);

#endif
