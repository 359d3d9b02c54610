/*
 * ps_client.h — client side of the native protocol: what the PostgreSQL
 * extension and pulsora-cli use to talk to the owner (pulsorad) of a data
 * directory over its Unix socket (DIR/pulsorad.sock).
 *
 * The library links no RocksDB and no PostgreSQL; it allocates with malloc.
 * A ps_client is one connection, used by one thread at a time.  Calls are
 * synchronous request/response, except that a scan reads its next batch
 * ahead (or opens deferred) and a load sends its data frames ahead (at
 * most one answer owed at a time, collected by the next call on the
 * connection, or piecemeal by ps_client_scan_poll).  Many scans and
 * loads may be open at once on one connection (each is a server-side
 * handle).  Any I/O error or
 * protocol violation makes the connection unusable: calls then return
 * PS_ECONN and the caller should ps_client_close it and reconnect.
 * A call waits for the owner as long as it takes, unless the caller sets a
 * wait check (below), which may interrupt the wait.
 *
 * Errors from the owner arrive as ps_error values with the owner's code,
 * line, column and message.
 */
#ifndef PS_CLIENT_H
#define PS_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "../core/ps_error.h"
#include "../core/ps_types.h"
#include "ps_frame.h"			/* ps_filter_spec */
#include "ps_frame_rows.h"
#include "ps_tls.h"				/* ps_tls_mode */

#define PS_SOCKET_NAME "pulsorad.sock"
#define PS_PID_NAME "pulsorad.pid"

typedef struct ps_client ps_client;
typedef struct ps_client_scan ps_client_scan;
typedef struct ps_client_load ps_client_load;

/* Socket path for a data directory; PS_ETOOBIG if it exceeds sun_path. */
ps_status	ps_socket_path(const char *data_dir, char *out, size_t outlen, ps_error *err);

/*
 * Connect and handshake.  PS_ECONN when nothing listens (caller may
 * autostart); an owner that refuses answers with its own code (PS_EBUSY:
 * too many connections, PS_EPROTO: protocol version mismatch).
 */
ps_status	ps_client_connect(const char *data_dir, ps_client **out, ps_error *err);
void		ps_client_close(ps_client *c);		/* closes open scans/loads; NULL ok */
bool		ps_client_broken(const ps_client *c);

/*
 * Waiting for the owner interruptibly (a PostgreSQL backend must act on
 * query cancel and statement_timeout while the owner does not answer).
 * While a call of a client with a wait check waits for the owner, it runs
 * check(arg, waited_ms) every PS_FRAME_WAIT_SLICE_MS (100 ms, ps_frame.h)
 * and as soon as a signal arrives; waited_ms is how long the frame being
 * sent or received has waited so far.  check returns true to go on
 * waiting, or false to give up: the call fails with PS_ECONN and the
 * connection is broken.  check may also not return at all (longjmp, as
 * PostgreSQL's ereport does): the connection is then left mid-frame and
 * counts as broken from then on (ps_client_broken is true, calls return
 * PS_ECONN, the close and abort functions do no I/O).  Everything the
 * client allocated stays reachable from it, including a scan or load whose
 * open was interrupted, so ps_client_close frees it all; the owner, seeing
 * the connection close, drops its scans and aborts its loads.  arg is
 * borrowed: it must outlive the client or the check.
 */
typedef bool (*ps_client_wait_check) (void *arg, uint32_t waited_ms);

/*
 * ps_client_connect with a wait check (NULL: none) in force from the
 * handshake on.  *out is set as soon as the client exists: should check
 * not return, the caller holds the (broken) client and must close it.
 * When an error is returned, *out is NULL.
 */
ps_status	ps_client_connect_wait(const char *data_dir, ps_client_wait_check check, void *arg,
								   ps_client **out, ps_error *err);

/*
 * An owner on TCP (DESIGN §7).  Every string is borrowed for the call.
 */
typedef struct ps_client_remote {
	const char *host;			/* name or address */
	uint16_t	port;
	/*
	 * disable: plain TCP; require: TLS without checking the owner's
	 * certificate; verify-full: TLS, the certificate must chain to a CA of
	 * tls_ca_file (PEM; NULL or "": the system's trust store) and name host.
	 * ps_client_default_tls gives the usual default.
	 */
	ps_tls_mode tls;
	const char *tls_ca_file;
	const char *token;			/* the owner's auth_token (NULL: none, which it refuses) */
	/*
	 * Bound on connecting: TCP connect and TLS handshake and HELLO, in ms
	 * (0: none; checked every PS_FRAME_WAIT_SLICE_MS, so that is its grain).
	 */
	uint32_t	connect_timeout_ms;
} ps_client_remote;

/*
 * Connect to an owner over TCP, as ps_client_connect_wait does to a local
 * one (check, arg and *out alike).  Errors name host:port, e.g.
 *   connection to 10.0.0.2:7820 refused                       (PS_ECONN)
 *   connection to 10.0.0.2:7820 timed out after 2000 ms       (PS_ECONN)
 *   TLS handshake with 127.0.0.1:7821 failed: ...             (PS_ECONN)
 *   certificate of 127.0.0.1:7821 not trusted: ...            (PS_ECONN)
 *   pulsora owner at 127.0.0.1:7821: this owner accepts only TLS ... (PS_ECONN)
 *   the owner at 127.0.0.1:7820 refused the token             (PS_EPERM)
 *   TLS CA file /x/ca.pem: ...                                (PS_EINVAL)
 * Later errors of a broken connection name it too ("connection to the
 * pulsora owner at H:P lost: ...").
 * Under TLS, bytes already decrypted do not show on the socket: see
 * ps_client_fd before waiting on it.
 */
ps_status	ps_client_connect_remote(const ps_client_remote *r, ps_client_wait_check check,
									 void *arg, ps_client **out, ps_error *err);
/*
 * The TLS mode to use when none is given: verify-full for a host that is
 * not this machine, disable for a loopback address (127/8, ::1, a name
 * resolving only to those); verify-full when host does not resolve.
 */
ps_tls_mode ps_client_default_tls(const char *host);
/* "host:port" of a remote client (ps_address_format), "" for a local one. */
const char *ps_client_address(const ps_client *c);

/* ---- catalog ---- */

typedef struct ps_client_table {
	char	   *name;
	uint64_t	row_count;
	int64_t		min_time, max_time;	/* ns; valid if row_count > 0 */
	/* Distinct series-key values (0: no key or not known); only
	 * ps_client_table_info fills it, ps_client_tables leaves 0. */
	uint64_t	nseries;
} ps_client_table;

typedef struct ps_client_column {
	char	   *name;
	ps_type		type;
	bool		is_time;
	bool		is_series;		/* part of the table's series key */
	uint8_t		series_position;	/* 1 = first column of the key; 0 if not in it */
} ps_client_column;

/* *out: malloc'd array; free with ps_client_tables_free. */
ps_status	ps_client_tables(ps_client *c, ps_client_table **out, size_t *n, ps_error *err);
void		ps_client_tables_free(ps_client_table *t, size_t n);
/*
 * Schema and stats of one table; PS_ENOTFOUND if absent.  info, cols and
 * ncols may each be NULL when not wanted; info->name is malloc'd (free()).
 */
ps_status	ps_client_table_info(ps_client *c, const char *table, ps_client_table *info,
								 ps_client_column **cols, size_t *ncols, ps_error *err);
void		ps_client_columns_free(ps_client_column *cols, size_t n);
ps_status	ps_client_delete_range(ps_client *c, const char *table, int64_t lo, int64_t hi,
								   uint64_t *removed, ps_error *err);
ps_status	ps_client_drop_table(ps_client *c, const char *table, ps_error *err);

typedef struct ps_client_status {
	int32_t		pid;
	char		kind[32];			/* "manual" or "autostart" */
	char		rest_address[128];	/* "127.0.0.1:8080" or "" when REST is off */
	char		version[32];
	uint64_t	data_bytes;
	uint32_t	connections;		/* native-protocol connections, the caller's included */
	uint64_t	open_scans;			/* scans the owner holds (snapshot + iterator) */
	uint64_t	open_loads;			/* loads neither committed nor aborted */
} ps_client_status;
ps_status	ps_client_status_get(ps_client *c, ps_client_status *st, ps_error *err);

/* ---- scans ---- */

typedef struct ps_client_scan_spec {
	const char *table;
	int64_t		lo, hi;			/* inclusive ns bounds */
	bool		descending;
	uint64_t	offset, limit;	/* limit 0 = none */
	const char *const *columns;	/* names of value columns wanted (time never needed) */
	uint32_t	ncolumns;
	/* Rows of the first batch, asked for with the open in one round trip
	 * (0: the first fetch asks, with its max_rows). */
	uint32_t	first_rows;
	/* Soft byte size of each batch (0: PS_FRAME_BATCH_BYTES; at most
	 * PS_FRAME_SCAN_BYTES_MAX, both in ps_frame.h). */
	uint32_t	batch_bytes;
	/*
	 * Series filters (ps_frame.h): only rows whose series-key column
	 * filters[i].column equals one of its values, for every i.  At most
	 * PS_FRAME_MAX_FILTERS filters and PS_FRAME_MAX_FILTER_VALUES values in
	 * all (else PS_EINVAL, nothing sent).  The owner refuses (PS_EINVAL) a
	 * column outside the series key and values of another type.
	 */
	const ps_filter_spec *filters;
	uint32_t	nfilters;
	/* Rows in any order (the owner merges nothing; descending is ignored). */
	bool		unordered;
	/* Batches carry no times (ps_frame_rows.times is NULL). */
	bool		no_times;
	/*
	 * Send the open and return without waiting (needs first_rows): the
	 * owner's answer, with the first batch, is then owed as a read-ahead
	 * batch is (ps_client_scan_poll, ps_client_scan_fetch), an error of the
	 * open comes from the first fetch, and the types from
	 * ps_client_scan_types once it is answered (types_out is NULL).
	 */
	bool		deferred;
} ps_client_scan_spec;

/*
 * Open a scan.  types_out (may be NULL) receives a pointer, owned by the scan,
 * to the types of the requested columns; batches hold exactly those columns,
 * in that order, as vectors (ps_frame_rows.h).
 */
ps_status	ps_client_scan_open(ps_client *c, const ps_client_scan_spec *spec,
								ps_client_scan **out, const ps_type **types_out, ps_error *err);
/*
 * Make the next batch current (ps_client_scan_rows).  Its vectors stay
 * valid until the next fetch or close of this scan, whatever else happens
 * on the connection.  *done becomes true
 * when the scan is exhausted (the batch may still hold rows).
 * Read-ahead: unless the scan is exhausted, the fetch then asks the owner for
 * the following batch, of at most max_rows rows (and batch_bytes), without
 * waiting for it; the next fetch takes it.  So a batch holds at most the
 * max_rows of the fetch before (or first_rows, for the first); a fetch with
 * nothing read ahead asks with its own max_rows and waits.
 */
ps_status	ps_client_scan_fetch(ps_client_scan *s, uint32_t max_rows, bool *done, ps_error *err);
/* (After a failed fetch the scan is dead: later fetches repeat the error.) */
/*
 * Without blocking (for callers that wait on many sockets, as PostgreSQL's
 * async foreign scans do): read what has arrived of the answer the owner
 * owes s (its deferred open or read-ahead batch) and tell whether the
 * next fetch can go without waiting for it: *ready is false only while
 * that answer is still on its way; then wait until ps_client_fd is
 * readable and poll again.  (That fetch may still wait for the answer
 * owed to another scan on the connection, as any call settles it first.)
 * A failure breaks the connection and leaves *ready true: the fetch
 * reports it.
 */
ps_status	ps_client_scan_poll(ps_client_scan *s, bool *ready, ps_error *err);
/*
 * The socket to wait on for readability; -1 once the connection is broken.
 * Wait on it only after ps_client_scan_poll said *ready is false: that
 * poll reads everything that has arrived, including what TLS has already
 * decrypted and the socket no longer shows, so nothing is left that a
 * wait on the socket would miss.
 */
int			ps_client_fd(const ps_client *c);
/*
 * Whether the owner owes c a scan's answer that has not fully arrived
 * (what has is read, without blocking): any call on c would wait for it.
 */
bool		ps_client_scan_in_flight(ps_client *c);
/* The types of the scan's columns (owned by the scan), NULL until a deferred open is answered. */
const ps_type *ps_client_scan_types(const ps_client_scan *s);
/* How many columns the scan has: those of its spec, or its groups' (0 until answered). */
uint32_t	ps_client_scan_ntypes(const ps_client_scan *s);
/* The current batch: count rows (0 before the first fetch and after a failed one). */
const ps_frame_rows *ps_client_scan_rows(const ps_client_scan *s);
/*
 * Or row by row: the next row of the current batch into *time (0 when the
 * scan asked for no times) and values[0..ncolumns) (strings borrowed from
 * the batch); false past its last row.
 */
bool		ps_client_scan_row(ps_client_scan *s, int64_t *time, ps_value *values);
/*
 * Rows a scan of spec would return (its table, range and filters), counted
 * by the owner from block metadata without reading blocks; PS_ETOOBIG when
 * it would have to look at more than max_blocks blocks.
 */
ps_status	ps_client_estimate(ps_client *c, const ps_client_scan_spec *spec, uint64_t max_blocks,
							   double *rows, ps_error *err);
/* Close early (frees the owner's iterator and snapshot).  NULL ok. */
ps_status	ps_client_scan_close(ps_client_scan *s, ps_error *err);

/*
 * Aggregates computed by the owner (core/ps_agg.h): fns are ps_agg_fn
 * codes, columns[i] NULL for count(*); group_by names value columns; a
 * bucket_width of 0 means no bucket; the groups come ordered by the sort
 * keys (result columns and PS_AGG_SORT_* flags), past offset of them at
 * most limit (0: all).  All borrowed for the call.
 */
typedef struct ps_client_agg_spec {
	int64_t		bucket_width, bucket_origin;	/* ns */
	const char *const *group_by;
	uint32_t	ngroup;
	const uint8_t *fns;
	const char *const *columns;
	const char *const *columns2;	/* SUM_PRODUCT's second factors (NULL: none) */
	uint32_t	nitems;
	const uint32_t *sort_columns;
	const uint8_t *sort_flags;
	uint32_t	nsort;
	uint64_t	offset, limit;
} ps_client_agg_spec;

/*
 * Compute the aggregates of agg over spec's table, range and filters
 * (spec's other fields must be unset, except first_rows and batch_bytes)
 * and open their groups as a scan: one row per group, no times, columns
 * as ps_agg.h lists them, their types in *types (owned by the scan) and
 * their count in *ntypes.  The first batch comes with the answer; fetch
 * and close as any scan.  With spec->deferred, the request is sent and
 * the call returns at once, as a deferred scan's open does: *types is NULL
 * and *ntypes 0, and both come from ps_client_scan_types and
 * ps_client_scan_ntypes once the answer is taken.
 */
ps_status	ps_client_aggregate(ps_client *c, const ps_client_scan_spec *spec,
								const ps_client_agg_spec *agg, ps_client_scan **out,
								const ps_type **types, uint32_t *ntypes, ps_error *err);

/* ---- loads ---- */

typedef struct ps_client_load_result {
	uint64_t	rows_loaded;
	uint64_t	rows_rejected;
	size_t		nerrors;
	ps_error   *errors;			/* malloc'd (NULL when nerrors is 0); freed by
								 * ps_client_load_result_free */
} ps_client_load_result;
void		ps_client_load_result_free(ps_client_load_result *r);

/*
 * A row load: the client sends rows whose columns are names/types[0..n) with
 * time_index naming the time column (TIMESTAMP).  Each row is the time plus an
 * untagged value holding the other columns in order (ps_row_encode).  If the
 * table does not exist, it is created with exactly these columns and the
 * series key series_key ("a,b"; "" = none; NULL = inferred from the column
 * names, ps_store.h); series_key is ignored for an existing table.
 */
ps_status	ps_client_load_begin(ps_client *c, const char *table, const char *const *names,
								 const ps_type *types, uint32_t n, uint32_t time_index,
								 bool add_columns, const char *series_key,
								 ps_client_load **out, ps_error *err);
/*
 * Queue one row; rows are sent in frames as they fill (bounded memory).  The
 * owner's verdict on a sent frame may arrive with a later call: the first
 * error on a load (e.g. a bad value, line = its row number in the load)
 * rolls the whole load back, and that load's later calls repeat it.
 */
ps_status	ps_client_load_row(ps_client_load *l, int64_t time, const void *value, size_t len,
							   ps_error *err);

/*
 * A CSV load: options are key/value pairs as in ps_csv_option_set.  Data is
 * sent as it is given (any chunking).
 */
ps_status	ps_client_load_csv_begin(ps_client *c, const char *table, const char *const *keys,
									 const char *const *values, uint32_t nopts,
									 ps_client_load **out, ps_error *err);
ps_status	ps_client_load_csv_data(ps_client_load *l, const void *data, size_t len, ps_error *err);

/*
 * End input: the owner has written every row but not committed; fills *res.
 * After finish the load can only be committed or aborted.
 */
ps_status	ps_client_load_finish(ps_client_load *l, ps_client_load_result *res, ps_error *err);
/*
 * Commit finished loads of one connection atomically (one catalog write).
 * Frees the handles whatever happens: on any error none is committed and
 * all are rolled back.
 */
ps_status	ps_client_load_commit(ps_client_load **loads, size_t n, ps_error *err);
/* Abort (any state); frees the handle.  NULL ok. */
void		ps_client_load_abort(ps_client_load *l);
/*
 * The rows and input bytes the owner had taken when it last answered one of
 * the load's data frames (the answers arrive one frame behind the sending;
 * after finish, everything sent).
 */
void		ps_client_load_progress(const ps_client_load *l, uint64_t *rows, uint64_t *bytes);
/*
 * Who runs the loads this client begins from now on, as the owner's list
 * of loads in progress shows it: "sql", "copy", "insert", "cli"...  At most
 * 15 bytes (longer is cut); "client" until set.
 */
void		ps_client_set_load_source(ps_client *c, const char *source);

/* ---- operations (ps_client_ops.c) ---- */

/*
 * Take an online backup into the owner's backup directory (PS_ENOTFOUND
 * when it has none).  *out is owned by the caller: ps_msg_backup_clear.
 */
ps_status	ps_client_backup(ps_client *c, ps_msg_backup *out, ps_error *err);
/* The complete backups, oldest first; ps_msg_backup_list_clear. */
ps_status	ps_client_backups(ps_client *c, ps_msg_backup_list *out, ps_error *err);
/* The loads in progress on the owner (every client's), by id; ps_msg_load_list_clear. */
ps_status	ps_client_loads(ps_client *c, ps_msg_load_list *out, ps_error *err);

#endif
