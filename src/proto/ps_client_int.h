/*
 * ps_client_int.h — what the modules of the protocol client share: the
 * connection, scan and load structs, and the functions one module offers
 * the others.  Not a public header: only ps_client.c (connecting, the
 * handshake, closing), ps_client_call.c (requests and their answers),
 * ps_client_catalog.c, ps_client_ops.c, ps_client_scan.c and
 * ps_client_load.c include it;
 * they are linked into the PostgreSQL extension.
 */
#ifndef PS_CLIENT_INT_H
#define PS_CLIENT_INT_H

#include "ps_client.h"
#include "ps_frame.h"

struct ps_client {
	ps_transport tx;			/* the socket (and TLS session); fd -1 once broken */
	char		where[PS_ADDRESS_MAX];	/* "host:port" of a remote owner, "" for a local one */
	/*
	 * While connecting to a remote owner with a timeout: when it ends (ms
	 * on the monotonic clock; 0: none) and its length; timed_out once
	 * passed.  The wait check enforces it, so waits run in slices then.
	 */
	uint64_t	deadline_ms;
	uint32_t	timeout_ms;
	bool		timed_out;
	bool		broken;
	char		broken_reason[PS_ERROR_MESSAGE_MAX];
	ps_client_wait_check check;	/* the caller's, or NULL: block */
	void	   *check_arg;
	ps_frame_wait wait;			/* runs client_wait_check on this client */
	bool		in_check;		/* check is running, or longjmp'd out */
	ps_buf		out;			/* request being built */
	ps_buf		in;				/* last answer, except scan batches */
	/* The one answer owed beyond the call in progress (at most one is set). */
	ps_client_load *pending_load;	/* its last data frame is unanswered */
	ps_client_scan *pending_scan;	/* its read-ahead SCAN_FETCH or deferred open is unanswered */
	/*
	 * How much of pending_scan's answer ps_client_scan_poll has read: the
	 * frame's bytes so far, header included (0: none).  The header is kept
	 * here, the payload goes into the scan's `ahead` buffer; the settle
	 * finishes the frame.
	 */
	size_t		part_got;
	uint8_t		part_hdr[PS_FRAME_HEADER];
	ps_client_scan *scans;		/* open scans (doubly linked) */
	ps_client_load *loads;		/* open loads (doubly linked) */
	char		load_source[16];	/* sent with each load begun (ps_client_set_load_source) */
};

/* What a scan holds read ahead (in its `ahead` buffer). */
typedef enum ahead_state {
	AHEAD_NONE,					/* nothing: pending_scan may name this scan */
	AHEAD_ROWS,					/* a ROWS batch */
	AHEAD_ERROR					/* the owner's ERROR for the fetch */
} ahead_state;

struct ps_client_scan {
	ps_client  *c;
	ps_client_scan *prev, *next;
	uint32_t	handle;
	uint32_t	batch_bytes;	/* max_bytes of every SCAN_FETCH */
	bool		opening;		/* its deferred SCAN_START or AGGREGATE is unanswered (no handle yet) */
	bool		aggregate;		/* groups of AGGREGATE: their column count comes with the answer */
	bool		released;		/* the owner no longer holds the handle */
	bool		failed;			/* a fetch failed: repeat its error */
	ps_error	failure;
	ps_type    *types;
	uint32_t	ntypes;
	ps_buf		batch;			/* the current ROWS frame */
	ps_frame_rows rows;			/* its vectors */
	uint32_t	row;			/* ps_client_scan_row: the next row of rows */
	ahead_state ahead_state;
	ps_buf		ahead;			/* the ROWS frame read ahead */
	ps_frame_rows ahead_rows;
	ps_error	ahead_error;
};

typedef enum load_state { LOAD_OPEN, LOAD_FINISHED } load_state;

struct ps_client_load {
	ps_client  *c;
	ps_client_load *prev, *next;
	uint32_t	handle;
	bool		csv;
	load_state	state;
	bool		failed;			/* the owner rolled it back; failure says why */
	ps_error	failure;
	ps_buf		frame;			/* LOAD_ROWS / LOAD_CSV_DATA being filled */
	uint64_t	owner_rows;		/* the last LOAD_PROGRESS: rows the owner has taken */
	uint64_t	owner_bytes;	/* ... and input bytes */
	uint64_t	sent_bytes;		/* rows or CSV bytes sent so far, counted as the owner counts them */
};

/* ---- ps_client.c ---- */

/* A client not yet connected (tx.fd -1) with the caller's wait check; NULL: no memory. */
ps_client  *ps_client_alloc(ps_client_wait_check check, void *arg);
/*
 * HELLO (with token) on c's connected transport and its answer.  *out = c
 * before any wait (the caller's, should the check not return); on error c
 * is closed and *out is NULL.  Errors of a remote client name c->where.
 */
ps_status	ps_client_handshake(ps_client *c, const char *token, ps_client **out, ps_error *err);
/* Milliseconds on the monotonic clock (connect deadlines). */
uint64_t	ps_client_now_ms(void);

/* ---- ps_client_call.c: requests and their answers ---- */

/* Mark the connection unusable; returns PS_ECONN with the reason in err. */
ps_status	ps_client_break(ps_client *c, ps_error *err, const char *reason);
/* Whether the connection is unusable; a wait check that did not return breaks it now. */
bool		ps_client_dead(ps_client *c);
/* PS_ECONN, naming the first cause, once the connection is broken. */
ps_status	ps_client_usable(ps_client *c, ps_error *err);
/* Send the frame in req; an I/O failure breaks the connection. */
ps_status	ps_client_send(ps_client *c, ps_buf *req, ps_error *err);
/* A malformed answer (what: its message) breaks the connection; PS_ENOMEM does not. */
ps_status	ps_client_bad_answer(ps_client *c, ps_status decode_status, const char *what,
								 ps_error *err);
/* Read the answer owed from an earlier call, if any. */
ps_status	ps_client_settle(ps_client *c, ps_error *err);
/*
 * Read on into b (its payload; the header in c->part_hdr) the answer
 * owed on c, resuming where the last call stopped: without blocking, or
 * with block until it is whole (waiting as the frame layer does, through
 * the wait check).  *complete when it is: *code and *payload are then the
 * frame's, an ERROR frame in *owner_err as ps_client_roundtrip reads it.
 * Transport and protocol failures break the connection.
 */
ps_status	ps_client_recv_part(ps_client *c, ps_buf *b, bool block, bool *complete, uint8_t *code,
								ps_reader *payload, ps_error *owner_err, ps_error *err);
/* Send req and receive its answer (message expect) into resp; the owner's ERROR is the result. */
ps_status	ps_client_roundtrip(ps_client *c, ps_buf *req, ps_buf *resp, uint8_t expect,
								ps_reader *payload, ps_error *err);
/* The usual request: settle, then round-trip c->out into c->in. */
ps_status	ps_client_call(ps_client *c, uint8_t expect, ps_reader *payload, ps_error *err);
/* A request whose answer is an empty OK. */
ps_status	ps_client_call_ok(ps_client *c, ps_error *err);
/* PS_ENOMEM: no memory to build a request. */
ps_status	ps_client_no_memory(ps_error *err);
/* Start c->out as a request whose payload is one u32 handle. */
ps_status	ps_client_build_handle_request(ps_client *c, uint8_t code, uint32_t handle);

/* ps_client_scan.c */
/* Unlink a scan from its client and free it, without telling the owner. */
void		ps_client_scan_free(ps_client_scan *s);
/*
 * Take the answer owed to s, received into s->ahead (an ERROR into
 * s->ahead_error): the first batch of its deferred open or the batch of
 * its read-ahead fetch, or the owner's error.
 */
ps_status	ps_client_scan_answer(ps_client_scan *s, uint8_t code, ps_reader *payload, ps_error *err);

/* ps_client_load.c */
/* Unlink a load from its client and free it, without telling the owner. */
void		ps_client_load_free(ps_client_load *l);

#endif
