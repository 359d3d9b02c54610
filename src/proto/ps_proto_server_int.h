/*
 * ps_proto_server_int.h — what the modules of the owner's protocol server
 * share: the server and connection structs, and the functions one module
 * offers the others.  Not a public header: only ps_proto_server.c (the
 * listener, start and stop), ps_proto_conn.c (a connection's thread:
 * reading requests, dispatch, answers) and the request handlers of
 * ps_proto_catalog.c, ps_proto_scan.c and ps_proto_load.c include it.
 */
#ifndef PS_PROTO_SERVER_INT_H
#define PS_PROTO_SERVER_INT_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/un.h>

#include "ps_frame.h"
#include "ps_proto_server.h"

#define PS_PROTO_MAX_HANDLES 256	/* open scans + loads per connection */

typedef struct scan_handle scan_handle;	/* ps_proto_scan.c */
typedef struct load_handle load_handle;	/* ps_proto_load.c */
typedef struct conn conn;

struct ps_proto_server {
	ps_store   *st;
	char		socket_path[sizeof(((struct sockaddr_un *) 0)->sun_path)];
	uint32_t	max_connections;
	uint32_t	idle_timeout_s;
	uint64_t	max_field_bytes;
	uint32_t	batch_size;
	ps_msg_status status;		/* what STATUS reports, pid and size aside */
	ps_backup_spec backup;		/* strings owned (copied at start); parent NULL = none */
	int			listen_fd;
	int			tcp_fd;			/* -1: no TCP listener */
	char		tcp_address[PS_ADDRESS_MAX];	/* "host:port", for messages */
	char	   *auth_token;		/* TCP connections' token (owned); NULL without TCP */
	const ps_tls_server *tls;	/* borrowed; NULL: plain TCP */
	ps_proto_stats *stats;		/* borrowed; never NULL (own_stats if the caller gave none) */
	ps_proto_stats own_stats;
	int			wake[2];		/* written by stop to end the accept thread */
	pthread_t	accept_thread;
	pthread_mutex_t mu;
	pthread_cond_t idle;		/* signalled when a connection ends */
	conn	   *conns;			/* under mu */
	uint32_t	nconns;			/* under mu */
};

struct conn {
	ps_proto_server *srv;
	ps_transport tx;			/* the socket (and TLS session) */
	bool		tcp;			/* came through the TCP listener: token (and TLS) required */
	conn	   *prev, *next;	/* srv->conns, under srv->mu */
	ps_buf		in;				/* bytes received; requests are parsed in place */
	size_t		in_start;		/* where the unread bytes of in begin */
	size_t		in_frame;		/* length of the request being served, at in_start */
	ps_buf		out;			/* answer */
	uint32_t	next_id;
	scan_handle *scans[PS_PROTO_MAX_HANDLES];
	uint32_t	nscans;
	load_handle *loads[PS_PROTO_MAX_HANDLES];
	uint32_t	nloads;
};

/* ---- ps_proto_conn.c: connection threads, and what every handler answers with ---- */

/* Milliseconds on the monotonic clock (scan deadlines). */
int64_t		ps_proto_now_ms(void);
/* A malformed request of message code: PS_EPROTO, which closes the connection. */
ps_status	ps_proto_malformed(ps_error *err, uint8_t code);
/* Map a decoder's status to the request's error. */
ps_status	ps_proto_decode_failed(ps_status st, uint8_t code, ps_error *err);
/* PS_ENOMEM: no memory to build an answer. */
ps_status	ps_proto_answer_memory(ps_error *err);
/* PS_ETOOBIG when cn already holds PS_PROTO_MAX_HANDLES scans and loads. */
ps_status	ps_proto_room_for_handle(const conn *cn, ps_error *err);
/* Answer OK (empty payload) in cn->out. */
ps_status	ps_proto_answer_ok(conn *cn, ps_error *err);
/* Send an ERROR frame built from err (best effort: the caller may close next). */
ps_status	ps_proto_send_error(ps_transport *t, ps_buf *out, const ps_error *err);
/* A connection's thread (arg: its conn, linked by admit): serves it, then unlinks and frees it. */
void	   *ps_proto_conn_main(void *arg);

/*
 * ---- request handlers, one per request message, called by dispatch ----
 * Each reads its request's payload from r (malformed: PS_EPROTO) and builds
 * its answer frame in cn->out, or returns an error with err set.
 */

/* ps_proto_catalog.c */
/* TABLES -> TABLE_LIST */
ps_status	ps_proto_handle_tables(conn *cn, ps_reader *r, ps_error *err);
/* TABLE_INFO -> TABLE */
ps_status	ps_proto_handle_table_info(conn *cn, ps_reader *r, ps_error *err);
/* DELETE_RANGE -> DELETED */
ps_status	ps_proto_handle_delete_range(conn *cn, ps_reader *r, ps_error *err);
/* DROP_TABLE -> OK */
ps_status	ps_proto_handle_drop_table(conn *cn, ps_reader *r, ps_error *err);
/* STATUS -> STATUS_OK */
ps_status	ps_proto_handle_status(conn *cn, ps_reader *r, ps_error *err);

/* ps_proto_ops.c */
/* BACKUP -> BACKUP_DONE */
ps_status	ps_proto_handle_backup(conn *cn, ps_reader *r, ps_error *err);
/* BACKUPS -> BACKUP_LIST */
ps_status	ps_proto_handle_backups(conn *cn, ps_reader *r, ps_error *err);
/* LOADS -> LOAD_LIST */
ps_status	ps_proto_handle_loads(conn *cn, ps_reader *r, ps_error *err);

/* ps_proto_scan.c */
/* SCAN_OPEN -> SCAN_OPENED, or (start) SCAN_START -> SCAN_STARTED */
ps_status	ps_proto_handle_scan_open(conn *cn, ps_reader *r, bool start, ps_error *err);
/* SCAN_FETCH -> ROWS */
ps_status	ps_proto_handle_scan_fetch(conn *cn, ps_reader *r, ps_error *err);
/* SCAN_CLOSE -> OK */
ps_status	ps_proto_handle_scan_close(conn *cn, ps_reader *r, ps_error *err);
/* ESTIMATE -> ESTIMATED */
ps_status	ps_proto_handle_estimate(conn *cn, ps_reader *r, ps_error *err);
/* AGGREGATE -> SCAN_STARTED */
ps_status	ps_proto_handle_aggregate(conn *cn, ps_reader *r, ps_error *err);
/*
 * A scan's series filters for the store, borrowing m's columns and values,
 * once their value kinds are checked against the table's schema
 * (ps_proto_filters_check); the store refuses columns outside the key.
 */
ps_status	ps_proto_filters_prepare(ps_store *st, const ps_msg_scan_open *m,
									 ps_series_filter *out, ps_error *err);
ps_status	ps_proto_filters_check(const ps_msg_scan_open *m, const ps_schema *schema,
								   ps_error *err);
/* Close the scan in cn->scans[slot]; the last one moves into the slot. */
void		ps_proto_scan_remove(conn *cn, uint32_t slot);
/* Close the scans of cn whose idle deadline is at or before now. */
void		ps_proto_scans_expire(conn *cn, int64_t now);
/* Milliseconds until the earliest scan deadline, or -1 (no scan: wait forever). */
int			ps_proto_scans_poll_timeout(const conn *cn, int64_t now);

/* ps_proto_load.c */
/* LOAD_BEGIN -> LOAD_OPENED */
ps_status	ps_proto_handle_load_begin(conn *cn, ps_reader *r, ps_error *err);
/* LOAD_ROWS -> OK */
ps_status	ps_proto_handle_load_rows(conn *cn, ps_reader *r, ps_error *err);
/* LOAD_CSV_BEGIN -> LOAD_OPENED */
ps_status	ps_proto_handle_load_csv_begin(conn *cn, ps_reader *r, ps_error *err);
/* LOAD_CSV_DATA -> OK */
ps_status	ps_proto_handle_load_csv_data(conn *cn, ps_reader *r, ps_error *err);
/* LOAD_FINISH -> LOAD_RESULT */
ps_status	ps_proto_handle_load_finish(conn *cn, ps_reader *r, ps_error *err);
/* LOAD_COMMIT -> OK */
ps_status	ps_proto_handle_load_commit(conn *cn, ps_reader *r, ps_error *err);
/* LOAD_ABORT -> OK */
ps_status	ps_proto_handle_load_abort(conn *cn, ps_reader *r, ps_error *err);
/* Free a load handle, aborting what is left of its load. */
void		ps_proto_load_handle_free(load_handle *h);

#endif
