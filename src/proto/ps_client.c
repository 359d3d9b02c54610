/*
 * ps_client.c — the client side of the native protocol (API in ps_client.h,
 * wire format in ps_frame.h).
 *
 * Invariants:
 *  - One request is answered by one frame, in order.  At most one answer is
 *    outstanding beyond the call in progress: the OK/ERROR of the last
 *    LOAD_ROWS or LOAD_CSV_DATA frame a load sent (c->pending_load), or the
 *    ROWS/ERROR of a scan's read-ahead SCAN_FETCH (c->pending_scan).  Every
 *    request first reads that answer ("settles"): an ERROR is recorded on
 *    the load it belongs to, so that load's next call reports it; a scan's
 *    answer goes into that scan's read-ahead buffer.  This keeps a load
 *    frame in flight at the owner while the caller fills the next one, and
 *    the owner filling a scan's next batch while the caller reads this one.
 *  - A scan owns two buffers: the current batch, whose row pointers survive
 *    any other call on the connection until that scan's next fetch or
 *    close, and the batch read ahead.  A fetch swaps them.
 *  - Once an I/O error or protocol violation is seen the socket is closed
 *    and every call returns PS_ECONN naming the first cause; handles stay
 *    valid for their close/abort/free functions.  The owner frees a dead
 *    connection's scans and loads on its own.
 *  - The caller's wait check runs only inside frame I/O, with in_check set;
 *    should it longjmp, in_check stays set and the connection counts as
 *    broken (client_dead).  Whenever it may run, every allocation of the
 *    client is reachable from the ps_client (a scan or load being opened is
 *    already on its list), so ps_client_close frees everything.
 *  - Memory per connection is bounded: the largest frame received, two
 *    batches per open scan, plus one PS_FRAME_BATCH_BYTES frame buffer per
 *    open load.
 * This file is linked into the PostgreSQL extension: libc and the
 * client-side core only; no process-wide state; send() uses MSG_NOSIGNAL
 * (in ps_frame.c) so a dead owner never raises SIGPIPE in a backend.
 */
#include "ps_client.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "ps_frame.h"

struct ps_client {
	int			fd;				/* -1 once broken */
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
	ps_client_scan *pending_scan;	/* its read-ahead SCAN_FETCH is unanswered */
	ps_client_scan *scans;		/* open scans (doubly linked) */
	ps_client_load *loads;		/* open loads (doubly linked) */
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
};

/* Bytes of a data frame before its rows or CSV bytes: header + u32 handle. */
#define DATA_FRAME_START (PS_FRAME_HEADER + 4)

ps_status
ps_socket_path(const char *data_dir, char *out, size_t outlen, ps_error *err)
{
	struct sockaddr_un sa;
	int			n;

	n = snprintf(out, outlen, "%s/%s", data_dir, PS_SOCKET_NAME);
	if (n < 0 || (size_t) n >= outlen || (size_t) n >= sizeof sa.sun_path)
		return ps_error_set(err, PS_ETOOBIG,
							"socket path \"%s/%s\" is longer than the %zu bytes a Unix socket allows; use a shorter data directory path",
							data_dir, PS_SOCKET_NAME, sizeof sa.sun_path - 1);
	return PS_OK;
}

/* ---------------------------------------------------------------- connection state */

/* Mark the connection unusable; returns PS_ECONN with the reason in err. */
static ps_status
client_break(ps_client *c, ps_error *err, const char *reason)
{
	if (!c->broken)
	{
		c->broken = true;
		snprintf(c->broken_reason, sizeof c->broken_reason, "%s", reason);
		close(c->fd);
		c->fd = -1;
	}
	return ps_error_set(err, PS_ECONN, "connection to the pulsora owner lost: %s", c->broken_reason);
}

/*
 * Whether the connection is unusable.  A wait check that did not return
 * left a frame half sent or half read: the connection breaks now.
 */
static bool
client_dead(ps_client *c)
{
	if (c->in_check)
	{
		client_break(c, NULL, "interrupted while waiting for the owner");
		c->in_check = false;
	}
	return c->broken;
}

static ps_status
client_usable(ps_client *c, ps_error *err)
{
	return client_dead(c) ? client_break(c, err, NULL) : PS_OK;
}

/*
 * The frame layer's wait check: runs the caller's, marking the connection
 * for client_dead in case it never returns.  Giving up breaks the
 * connection, as the frame under way stays incomplete.
 */
static bool
client_wait_check(void *arg, uint32_t waited_ms)
{
	ps_client  *c = arg;
	bool		go_on;
	char		why[96];

	c->in_check = true;
	go_on = c->check(c->check_arg, waited_ms);
	c->in_check = false;
	if (!go_on)
	{
		snprintf(why, sizeof why, "gave up waiting for its answer after %u ms", waited_ms);
		client_break(c, NULL, why);
	}
	return go_on;
}

/* How frame I/O on c waits: through the caller's check, if any. */
static const ps_frame_wait *
client_frame_wait(const ps_client *c)
{
	return c->check ? &c->wait : NULL;
}

/* Send the frame in req; an I/O failure breaks the connection. */
static ps_status
client_send(ps_client *c, ps_buf *req, ps_error *err)
{
	ps_error	e;
	ps_status	st;

	if ((st = ps_frame_send_wait(c->fd, req, client_frame_wait(c), &e)) == PS_OK)
		return PS_OK;
	if (st == PS_ECONN)
		return client_break(c, err, e.message);
	if (err)
		*err = e;
	return st;
}

/*
 * Receive one answer into resp.  An ERROR frame becomes *owner_err (and
 * PS_OK is returned with *code = PS_MSG_ERROR); only transport and protocol
 * failures return an error here, after breaking the connection.
 */
static ps_status
client_recv(ps_client *c, ps_buf *resp, uint8_t *code, ps_reader *payload,
			ps_error *owner_err, ps_error *err)
{
	ps_error	e;

	if (ps_frame_recv_wait(c->fd, resp, code, payload, NULL, client_frame_wait(c), &e) != PS_OK)
		return client_break(c, err, e.message);
	if (*code != PS_MSG_ERROR)
		return PS_OK;
	if (ps_frame_get_error(payload, owner_err) != PS_OK || ps_frame_get_end(payload) != PS_OK ||
		owner_err->code == PS_OK)
		return client_break(c, err, "malformed ERROR frame from the owner");
	/*
	 * The owner closes a connection whose request it found malformed: this
	 * call reports the owner's error, later calls PS_ECONN.
	 */
	if (owner_err->code == PS_EPROTO)
		client_break(c, NULL, owner_err->message);
	return PS_OK;
}

/* A malformed answer payload: the owner is not speaking our protocol. */
static ps_status
client_bad_answer(ps_client *c, ps_status decode_status, const char *what, ps_error *err)
{
	char		why[128];

	if (decode_status == PS_ENOMEM)
		return ps_error_set(err, PS_ENOMEM, "out of memory decoding the owner's %s", what);
	snprintf(why, sizeof why, "malformed %s from the owner", what);
	return client_break(c, err, why);
}

/* Read the answer to the pending load data frame. */
static ps_status
settle_load(ps_client *c, ps_error *err)
{
	ps_client_load *l = c->pending_load;
	uint8_t		code;
	ps_reader	payload;
	ps_error	owner_err;
	ps_status	st;

	c->pending_load = NULL;
	if ((st = client_recv(c, &c->in, &code, &payload, &owner_err, err)) != PS_OK)
		return st;
	if (code == PS_MSG_ERROR)
	{
		l->failed = true;
		l->failure = owner_err;
		return PS_OK;
	}
	if (code != PS_MSG_OK || ps_frame_get_end(&payload) != PS_OK)
		return client_break(c, err, "unexpected answer to a load data frame");
	return PS_OK;
}

/*
 * Read the answer to the pending scan fetch into that scan's read-ahead
 * buffer.  Either answer ends the owner's handle when it says so: a ROWS
 * with done = 1, or an ERROR (ps_frame.h).
 */
static ps_status
settle_scan(ps_client *c, ps_error *err)
{
	ps_client_scan *s = c->pending_scan;
	uint8_t		code;
	ps_reader	payload;
	ps_status	st;

	c->pending_scan = NULL;
	if ((st = client_recv(c, &s->ahead, &code, &payload, &s->ahead_error, err)) != PS_OK)
		return st;
	if (code == PS_MSG_ERROR)
	{
		s->ahead_state = AHEAD_ERROR;
		s->released = true;
		return PS_OK;
	}
	if (code != PS_MSG_ROWS ||
		ps_frame_rows_decode(&payload, s->types, s->ntypes, &s->ahead_rows) != PS_OK)
		return client_bad_answer(c, PS_EPROTO, "ROWS", err);
	s->ahead_state = AHEAD_ROWS;
	if (s->ahead_rows.done)
		s->released = true;
	return PS_OK;
}

/* Read the answer owed from an earlier call, if any. */
static ps_status
client_settle(ps_client *c, ps_error *err)
{
	if (c->pending_load != NULL)
		return settle_load(c, err);
	if (c->pending_scan != NULL)
		return settle_scan(c, err);
	return PS_OK;
}

/*
 * Send req and receive its answer into resp, expecting message `expect`.
 * The owner's ERROR is returned as its own code with its message.
 */
static ps_status
client_roundtrip(ps_client *c, ps_buf *req, ps_buf *resp, uint8_t expect,
				 ps_reader *payload, ps_error *err)
{
	uint8_t		sent = req->data[4];
	uint8_t		code;
	ps_error	owner_err;
	ps_status	st;
	ps_error	send_err;
	bool		unsent;
	char		why[128];

	st = ps_frame_send_wait(c->fd, req, client_frame_wait(c), &send_err);
	unsent = st == PS_ECONN;
	if (st != PS_OK && !unsent)
	{
		if (err)
			*err = send_err;
		return st;
	}
	/* The wait check gave up: there is no answer to wait for. */
	if (unsent && c->broken)
		return client_break(c, err, NULL);
	/*
	 * Read the answer even when sending failed: an owner that hangs up on
	 * us (too many connections, malformed request) says why first.
	 */
	if ((st = client_recv(c, resp, &code, payload, &owner_err, err)) != PS_OK)
		return st;
	if (unsent && code != PS_MSG_ERROR)
		return client_break(c, err, send_err.message);
	if (code == PS_MSG_ERROR)
	{
		if (unsent)
			client_break(c, NULL, send_err.message);
		if (err)
			*err = owner_err;
		return owner_err.code;
	}
	if (code != expect)
	{
		snprintf(why, sizeof why, "owner answered %s with %s", ps_msg_name(sent), ps_msg_name(code));
		return client_break(c, err, why);
	}
	return PS_OK;
}

/* The usual request: settle, then round-trip c->out into c->in. */
static ps_status
client_call(ps_client *c, uint8_t expect, ps_reader *payload, ps_error *err)
{
	ps_status	st;

	if ((st = client_usable(c, err)) != PS_OK || (st = client_settle(c, err)) != PS_OK)
		return st;
	return client_roundtrip(c, &c->out, &c->in, expect, payload, err);
}

static ps_status
no_memory(ps_error *err)
{
	return ps_error_set(err, PS_ENOMEM, "out of memory building a request");
}

/* Start c->out as a request whose payload is one u32 handle. */
static ps_status
build_handle_request(ps_client *c, uint8_t code, uint32_t handle)
{
	if (ps_frame_start(&c->out, code) != PS_OK)
		return PS_ENOMEM;
	return ps_buf_append_u32be(&c->out, handle);
}

/* ---------------------------------------------------------------- connect */

ps_status
ps_client_connect(const char *data_dir, ps_client **out, ps_error *err)
{
	return ps_client_connect_wait(data_dir, NULL, NULL, out, err);
}

/* Set the wait check of c (check NULL: wait as long as it takes). */
static void
ps_client_set_wait_check(ps_client *c, ps_client_wait_check check, void *arg)
{
	c->check = check;
	c->check_arg = arg;
	c->wait.check = client_wait_check;
	c->wait.arg = c;
}

ps_status
ps_client_connect_wait(const char *data_dir, ps_client_wait_check check, void *arg,
					   ps_client **out, ps_error *err)
{
	struct sockaddr_un sa;
	ps_client  *c;
	ps_reader	payload;
	ps_msg_hello_ok hello;
	ps_status	st;

	*out = NULL;
	memset(&sa, 0, sizeof sa);
	sa.sun_family = AF_UNIX;
	if ((st = ps_socket_path(data_dir, sa.sun_path, sizeof sa.sun_path, err)) != PS_OK)
		return st;
	if ((c = calloc(1, sizeof *c)) == NULL)
		return ps_error_set(err, PS_ENOMEM, "out of memory for a connection");
	if ((c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
	{
		st = ps_error_set(err, PS_ECONN, "cannot create a socket: %s", strerror(errno));
		free(c);
		return st;
	}
	ps_client_set_wait_check(c, check, arg);
	/* The listener's backlog takes the connect: the handshake waits for the owner. */
	if (connect(c->fd, (struct sockaddr *) &sa, sizeof sa) < 0)
		st = ps_error_set(err, PS_ECONN, "no pulsora owner is listening on %s: %s",
						  sa.sun_path, strerror(errno));
	else if (ps_frame_start(&c->out, PS_MSG_HELLO) != PS_OK ||
			 ps_msg_hello_encode(&c->out, PS_PROTO_MAGIC, PS_PROTO_VERSION) != PS_OK)
		st = no_memory(err);
	else
	{
		*out = c;				/* the caller's, should check not return */
		st = client_roundtrip(c, &c->out, &c->in, PS_MSG_HELLO_OK, &payload, err);
	}
	if (st == PS_OK && ps_msg_hello_ok_decode(&payload, &hello) != PS_OK)
		st = client_bad_answer(c, PS_EPROTO, "HELLO_OK", err);
	if (st == PS_OK && hello.version != PS_PROTO_VERSION)
		st = ps_error_set(err, PS_EPROTO, "owner speaks protocol version %u, this client %u",
						  hello.version, PS_PROTO_VERSION);
	if (st != PS_OK)
	{
		*out = NULL;
		ps_client_close(c);
		return st;
	}
	return PS_OK;
}


static void scan_free(ps_client_scan *s);
static void load_free(ps_client_load *l);

void
ps_client_close(ps_client *c)
{
	if (c == NULL)
		return;
	while (c->scans != NULL)
		scan_free(c->scans);
	while (c->loads != NULL)
		load_free(c->loads);
	if (c->fd >= 0)
		close(c->fd);
	ps_buf_free(&c->out);
	ps_buf_free(&c->in);
	free(c);
}

bool
ps_client_broken(const ps_client *c)
{
	return c == NULL || c->broken || c->in_check;
}

/* ---------------------------------------------------------------- catalog */

ps_status
ps_client_tables(ps_client *c, ps_client_table **out, size_t *n, ps_error *err)
{
	ps_reader	payload;
	ps_msg_table_list m;
	ps_client_table *t;
	ps_status	st;

	*out = NULL;
	*n = 0;
	if (ps_frame_start(&c->out, PS_MSG_TABLES) != PS_OK)
		return no_memory(err);
	if ((st = client_call(c, PS_MSG_TABLE_LIST, &payload, err)) != PS_OK)
		return st;
	if ((st = ps_msg_table_list_decode(&payload, &m)) != PS_OK)
	{
		ps_msg_table_list_clear(&m);
		return client_bad_answer(c, st, "TABLE_LIST", err);
	}
	if ((t = calloc(m.ntables ? m.ntables : 1, sizeof *t)) == NULL)
	{
		ps_msg_table_list_clear(&m);
		return ps_error_set(err, PS_ENOMEM, "out of memory for %u tables", m.ntables);
	}
	for (uint32_t i = 0; i < m.ntables; i++)
	{
		t[i].name = m.tables[i].name;	/* moved */
		m.tables[i].name = NULL;
		t[i].row_count = m.tables[i].row_count;
		t[i].min_time = m.tables[i].min_time;
		t[i].max_time = m.tables[i].max_time;
	}
	*out = t;
	*n = m.ntables;
	ps_msg_table_list_clear(&m);
	return PS_OK;
}

void
ps_client_tables_free(ps_client_table *t, size_t n)
{
	if (t == NULL)
		return;
	for (size_t i = 0; i < n; i++)
		free(t[i].name);
	free(t);
}

ps_status
ps_client_table_info(ps_client *c, const char *table, ps_client_table *info,
					 ps_client_column **cols, size_t *ncols, ps_error *err)
{
	ps_reader	payload;
	ps_msg_table_info m;
	ps_client_column *cv = NULL;
	ps_status	st;

	if (info)
		memset(info, 0, sizeof *info);
	if (cols)
		*cols = NULL;
	if (ncols)
		*ncols = 0;
	if (ps_frame_start(&c->out, PS_MSG_TABLE_INFO) != PS_OK ||
		ps_frame_put_str(&c->out, table) != PS_OK)
		return no_memory(err);
	if ((st = client_call(c, PS_MSG_TABLE, &payload, err)) != PS_OK)
		return st;
	if ((st = ps_msg_table_info_decode(&payload, &m)) != PS_OK)
	{
		ps_msg_table_info_clear(&m);
		return client_bad_answer(c, st, "TABLE", err);
	}
	if (cols && (cv = calloc(m.ncolumns ? m.ncolumns : 1, sizeof *cv)) == NULL)
	{
		ps_msg_table_info_clear(&m);
		return ps_error_set(err, PS_ENOMEM, "out of memory for %u columns", m.ncolumns);
	}
	if (cols)
	{
		for (uint32_t i = 0; i < m.ncolumns; i++)
		{
			cv[i].name = m.columns[i].name;	/* moved */
			m.columns[i].name = NULL;
			cv[i].type = m.columns[i].type;
			cv[i].is_time = m.columns[i].is_time;
			cv[i].is_series = m.columns[i].series > 0;
			cv[i].series_position = m.columns[i].series;
		}
		*cols = cv;
		if (ncols)
			*ncols = m.ncolumns;
	}
	if (info)
	{
		info->name = m.table.name;	/* moved */
		m.table.name = NULL;
		info->row_count = m.table.row_count;
		info->min_time = m.table.min_time;
		info->max_time = m.table.max_time;
		info->nseries = m.nseries;
	}
	ps_msg_table_info_clear(&m);
	return PS_OK;
}

void
ps_client_columns_free(ps_client_column *cols, size_t n)
{
	if (cols == NULL)
		return;
	for (size_t i = 0; i < n; i++)
		free(cols[i].name);
	free(cols);
}

ps_status
ps_client_delete_range(ps_client *c, const char *table, int64_t lo, int64_t hi,
					   uint64_t *removed, ps_error *err)
{
	ps_reader	payload;
	uint64_t	n;
	ps_status	st;

	if (ps_frame_start(&c->out, PS_MSG_DELETE_RANGE) != PS_OK ||
		ps_frame_put_str(&c->out, table) != PS_OK ||
		ps_frame_put_i64(&c->out, lo) != PS_OK ||
		ps_frame_put_i64(&c->out, hi) != PS_OK)
		return no_memory(err);
	if ((st = client_call(c, PS_MSG_DELETED, &payload, err)) != PS_OK)
		return st;
	if (ps_frame_get_u64(&payload, &n) != PS_OK || ps_frame_get_end(&payload) != PS_OK)
		return client_bad_answer(c, PS_EPROTO, "DELETED", err);
	if (removed)
		*removed = n;
	return PS_OK;
}

/* A request whose answer is an empty OK. */
static ps_status
client_call_ok(ps_client *c, ps_error *err)
{
	ps_reader	payload;
	ps_status	st;

	if ((st = client_call(c, PS_MSG_OK, &payload, err)) != PS_OK)
		return st;
	if (ps_frame_get_end(&payload) != PS_OK)
		return client_bad_answer(c, PS_EPROTO, "OK", err);
	return PS_OK;
}

ps_status
ps_client_drop_table(ps_client *c, const char *table, ps_error *err)
{
	if (ps_frame_start(&c->out, PS_MSG_DROP_TABLE) != PS_OK ||
		ps_frame_put_str(&c->out, table) != PS_OK)
		return no_memory(err);
	return client_call_ok(c, err);
}

ps_status
ps_client_status_get(ps_client *c, ps_client_status *out, ps_error *err)
{
	ps_reader	payload;
	ps_msg_status m;
	ps_status	st;

	if (ps_frame_start(&c->out, PS_MSG_STATUS) != PS_OK)
		return no_memory(err);
	if ((st = client_call(c, PS_MSG_STATUS_OK, &payload, err)) != PS_OK)
		return st;
	if (ps_msg_status_decode(&payload, &m) != PS_OK)
		return client_bad_answer(c, PS_EPROTO, "STATUS_OK", err);
	memset(out, 0, sizeof *out);
	out->pid = (int32_t) m.pid;
	/* The arrays have the same sizes on both sides (ps_frame.h). */
	memcpy(out->kind, m.kind, sizeof out->kind);
	memcpy(out->rest_address, m.rest_address, sizeof out->rest_address);
	memcpy(out->version, m.version, sizeof out->version);
	out->data_bytes = m.data_bytes;
	out->connections = m.connections;
	out->open_scans = m.open_scans;
	out->open_loads = m.open_loads;
	return PS_OK;
}

/* ---------------------------------------------------------------- scans */

static void
scan_free(ps_client_scan *s)
{
	ps_client  *c = s->c;

	/* Only a broken or closing connection may still owe this scan an answer. */
	if (c->pending_scan == s)
		c->pending_scan = NULL;
	if (s->prev)
		s->prev->next = s->next;
	else
		c->scans = s->next;
	if (s->next)
		s->next->prev = s->prev;
	free(s->types);
	ps_buf_free(&s->batch);
	ps_buf_free(&s->ahead);
	ps_frame_rows_free(&s->rows);
	ps_frame_rows_free(&s->ahead_rows);
	free(s);
}

/*
 * Ask for the next batch of s without waiting: after settling what the
 * connection owes, send a SCAN_FETCH whose answer becomes c->pending_scan.
 */
static ps_status
scan_request(ps_client_scan *s, uint32_t max_rows, ps_error *err)
{
	ps_client  *c = s->c;
	ps_status	st;

	if ((st = client_usable(c, err)) != PS_OK || (st = client_settle(c, err)) != PS_OK)
		return st;
	if (build_handle_request(c, PS_MSG_SCAN_FETCH, s->handle) != PS_OK ||
		ps_buf_append_u32be(&c->out, max_rows) != PS_OK ||
		ps_buf_append_u32be(&c->out, s->batch_bytes) != PS_OK)
		return no_memory(err);
	if ((st = client_send(c, &c->out, err)) != PS_OK)
		return st;
	c->pending_scan = s;
	return PS_OK;
}

ps_status
ps_client_scan_open(ps_client *c, const ps_client_scan_spec *spec,
					ps_client_scan **out, const ps_type **types_out, ps_error *err)
{
	ps_client_scan *s;
	ps_reader	payload;
	ps_msg_scan_opened m;
	bool		start = spec->first_rows > 0;
	uint32_t	batch_bytes = spec->batch_bytes == 0 ? PS_FRAME_BATCH_BYTES
		: spec->batch_bytes < PS_FRAME_SCAN_BYTES_MAX ? spec->batch_bytes : PS_FRAME_SCAN_BYTES_MAX;
	ps_status	st;

	*out = NULL;
	if (types_out)
		*types_out = NULL;
	if (spec->table == NULL || (spec->ncolumns > 0 && spec->columns == NULL))
		return ps_error_set(err, PS_EINVAL, "scan needs a table name and its column names");
	/* SCAN_START brings the first batch along, into the read-ahead buffer. */
	if (ps_frame_start(&c->out, start ? PS_MSG_SCAN_START : PS_MSG_SCAN_OPEN) != PS_OK)
		return no_memory(err);
	st = ps_msg_scan_open_encode(&c->out, spec->table, spec->lo, spec->hi,
								 (spec->descending ? PS_SCAN_DESCENDING : 0) |
								 (spec->unordered ? PS_SCAN_UNORDERED : 0) |
								 (spec->no_times ? PS_SCAN_NO_TIMES : 0),
								 spec->offset, spec->limit, spec->columns, spec->ncolumns,
								 spec->filters, spec->nfilters);
	if (st == PS_EINVAL)
		return ps_error_set(err, PS_EINVAL,
							"series filters must be at most %d, with at most %d values in all, of integer, string or boolean columns",
							PS_FRAME_MAX_FILTERS, PS_FRAME_MAX_FILTER_VALUES);
	if (st != PS_OK ||
		(start && ps_msg_scan_start_put_batch(&c->out, spec->first_rows, batch_bytes) != PS_OK))
		return no_memory(err);
	/*
	 * Allocate before asking, so success on the owner cannot leak a handle,
	 * and list the scan at once (holding no handle yet), so that the client
	 * owns it should the wait check not return.
	 */
	if ((s = calloc(1, sizeof *s)) == NULL)
		return no_memory(err);
	s->c = c;
	s->released = true;
	s->next = c->scans;
	if (c->scans)
		c->scans->prev = s;
	c->scans = s;
	if ((st = client_usable(c, err)) == PS_OK && (st = client_settle(c, err)) == PS_OK)
		st = client_roundtrip(c, &c->out, start ? &s->ahead : &c->in,
							  start ? PS_MSG_SCAN_STARTED : PS_MSG_SCAN_OPENED, &payload, err);
	if (st != PS_OK)
	{
		scan_free(s);
		return st;
	}
	if ((start ? ps_msg_scan_started_decode(&payload, &m, &s->ahead_rows)
		 : ps_msg_scan_opened_decode(&payload, &m)) != PS_OK || m.ntypes != spec->ncolumns)
	{
		ps_msg_scan_opened_clear(&m);
		scan_free(s);
		/* The owner holds the handle; breaking the connection releases it. */
		return client_bad_answer(c, PS_EPROTO, start ? "SCAN_STARTED" : "SCAN_OPENED", err);
	}
	s->handle = m.handle;
	s->batch_bytes = batch_bytes;
	s->types = m.types;			/* moved */
	s->ntypes = m.ntypes;
	s->released = false;
	if (start)
	{
		s->ahead_state = AHEAD_ROWS;
		s->released = s->ahead_rows.done;
	}
	*out = s;
	if (types_out)
		*types_out = s->types;
	return PS_OK;
}

ps_status
ps_client_scan_fetch(ps_client_scan *s, uint32_t max_rows, bool *done, ps_error *err)
{
	ps_client  *c = s->c;
	ps_buf		swap;
	ps_frame_rows rows_swap;
	ps_status	st;

	s->rows.count = 0;
	s->row = 0;
	*done = false;
	if (s->failed)
	{
		if (err)
			*err = s->failure;
		return s->failure.code;
	}
	/* The batch read ahead, if the owner still owes it, arrives first. */
	if (c->pending_scan == s && (st = client_settle(c, err)) != PS_OK)
		return st;
	if (s->ahead_state == AHEAD_NONE)
	{
		if (s->released)
		{
			*done = true;
			return PS_OK;
		}
		if ((st = scan_request(s, max_rows, err)) != PS_OK ||
			(st = client_settle(c, err)) != PS_OK)
			return st;
	}
	if (s->ahead_state == AHEAD_ERROR)
	{
		/* The owner released the handle; later fetches repeat the error. */
		s->ahead_state = AHEAD_NONE;
		s->failed = true;
		s->failure = s->ahead_error;
		if (err)
			*err = s->failure;
		return s->failure.code;
	}
	/* The batch read ahead becomes current; its vectors move with its bytes. */
	swap = s->batch;
	s->batch = s->ahead;
	s->ahead = swap;
	rows_swap = s->rows;
	s->rows = s->ahead_rows;
	s->ahead_rows = rows_swap;
	s->ahead_state = AHEAD_NONE;
	*done = s->rows.done;
	/* Read ahead; should that fail, the next call on the connection says why. */
	if (!*done)
		(void) scan_request(s, max_rows, NULL);
	return PS_OK;
}

const ps_frame_rows *
ps_client_scan_rows(const ps_client_scan *s)
{
	return &s->rows;
}

bool
ps_client_scan_row(ps_client_scan *s, int64_t *time, ps_value *values)
{
	uint32_t	r = s->row;

	if (r >= s->rows.count)
		return false;
	*time = s->rows.times ? ps_frame_le_i64(s->rows.times, r) : 0;
	for (uint32_t c = 0; c < s->ntypes; c++)
		ps_frame_rows_value(&s->rows, c, s->types[c], r, &values[c]);
	s->row++;
	return true;
}

ps_status
ps_client_scan_close(ps_client_scan *s, ps_error *err)
{
	ps_client  *c;
	ps_status	st = PS_OK;

	if (s == NULL)
		return PS_OK;
	c = s->c;
	/*
	 * A batch still owed must be read (and is dropped): answers come in
	 * order.  Should that break the connection, the owner drops the scan.
	 */
	if (c->pending_scan == s && !client_dead(c))
		(void) client_settle(c, NULL);
	if (!s->released && !client_dead(c))
	{
		if (build_handle_request(c, PS_MSG_SCAN_CLOSE, s->handle) != PS_OK)
			st = no_memory(err);
		else
			st = client_call_ok(c, err);
	}
	scan_free(s);
	return st;
}

/* ---------------------------------------------------------------- loads */

static void
load_free(ps_client_load *l)
{
	ps_client  *c = l->c;

	if (c->pending_load == l)
		c->pending_load = NULL;
	if (l->prev)
		l->prev->next = l->next;
	else
		c->loads = l->next;
	if (l->next)
		l->next->prev = l->prev;
	ps_buf_free(&l->frame);
	free(l);
}

/* Start (or restart) the load's data frame. */
static ps_status
load_frame_start(ps_client_load *l)
{
	if (ps_frame_start(&l->frame, l->csv ? PS_MSG_LOAD_CSV_DATA : PS_MSG_LOAD_ROWS) != PS_OK)
		return PS_ENOMEM;
	return ps_buf_append_u32be(&l->frame, l->handle);
}

/* Finish a LOAD_BEGIN / LOAD_CSV_BEGIN request already built in c->out. */
static ps_status
load_open(ps_client *c, bool csv, ps_client_load **out, ps_error *err)
{
	ps_client_load *l;
	ps_reader	payload;
	ps_status	st;

	/* Listed before asking: the client owns it should the wait check not return. */
	if ((l = calloc(1, sizeof *l)) == NULL)
		return no_memory(err);
	l->c = c;
	l->csv = csv;
	l->state = LOAD_OPEN;
	l->next = c->loads;
	if (c->loads)
		c->loads->prev = l;
	c->loads = l;
	if ((st = client_call(c, PS_MSG_LOAD_OPENED, &payload, err)) != PS_OK)
	{
		load_free(l);
		return st;
	}
	if (ps_frame_get_u32(&payload, &l->handle) != PS_OK || ps_frame_get_end(&payload) != PS_OK)
	{
		load_free(l);
		return client_bad_answer(c, PS_EPROTO, "LOAD_OPENED", err);
	}
	if (load_frame_start(l) != PS_OK)
	{
		ps_client_load_abort(l);
		return no_memory(err);
	}
	*out = l;
	return PS_OK;
}

ps_status
ps_client_load_begin(ps_client *c, const char *table, const char *const *names,
					 const ps_type *types, uint32_t n, uint32_t time_index,
					 bool add_columns, const char *series_key, ps_client_load **out,
					 ps_error *err)
{
	*out = NULL;
	if (ps_frame_start(&c->out, PS_MSG_LOAD_BEGIN) != PS_OK ||
		ps_msg_load_begin_encode(&c->out, table, names, types, n, time_index, add_columns,
								 series_key) != PS_OK)
		return no_memory(err);
	return load_open(c, false, out, err);
}

ps_status
ps_client_load_csv_begin(ps_client *c, const char *table, const char *const *keys,
						 const char *const *values, uint32_t nopts,
						 ps_client_load **out, ps_error *err)
{
	*out = NULL;
	if (nopts > PS_FRAME_MAX_OPTIONS)
		return ps_error_set(err, PS_EINVAL, "%u load options given, at most %d allowed",
							nopts, PS_FRAME_MAX_OPTIONS);
	if (ps_frame_start(&c->out, PS_MSG_LOAD_CSV_BEGIN) != PS_OK ||
		ps_msg_csv_begin_encode(&c->out, table, keys, values, nopts) != PS_OK)
		return no_memory(err);
	return load_open(c, true, out, err);
}

/* Whether the load accepts more input of kind csv; sets err if not. */
static ps_status
load_usable(ps_client_load *l, bool csv, ps_error *err)
{
	ps_status	st;

	if ((st = client_usable(l->c, err)) != PS_OK)
		return st;
	if (l->failed)
	{
		if (err)
			*err = l->failure;
		return l->failure.code;
	}
	if (l->state != LOAD_OPEN)
		return ps_error_set(err, PS_EINVAL, "load already finished: commit or abort it");
	if (l->csv != csv)
		return ps_error_set(err, PS_EINVAL, csv ? "not a CSV load" : "a CSV load takes CSV data, not rows");
	return PS_OK;
}

/*
 * Send the load's data frame without waiting for its answer (read later by
 * client_settle).  The previous answer is settled first, so an error the
 * owner reported for this load's earlier frames surfaces here.
 */
static ps_status
load_flush(ps_client_load *l, ps_error *err)
{
	ps_client  *c = l->c;
	ps_status	st;

	if (l->frame.len == DATA_FRAME_START)
		return PS_OK;
	if ((st = client_settle(c, err)) != PS_OK)
		return st;
	if (l->failed)
	{
		if (err)
			*err = l->failure;
		return l->failure.code;
	}
	if ((st = client_send(c, &l->frame, err)) != PS_OK)
		return st;
	c->pending_load = l;
	return load_frame_start(l) == PS_OK ? PS_OK : no_memory(err);
}

ps_status
ps_client_load_row(ps_client_load *l, int64_t time, const void *value, size_t len, ps_error *err)
{
	ps_status	st;

	if ((st = load_usable(l, false, err)) != PS_OK)
		return st;
	/* i64 time + a varint of at most 10 bytes + the value must fit a frame. */
	if (len > PS_FRAME_MAX - (DATA_FRAME_START - 4) - 18)
		return ps_error_set(err, PS_ETOOBIG, "row value of %zu bytes exceeds the frame limit", len);
	if (l->frame.len + 18 + len > (size_t) PS_FRAME_MAX + 4 &&
		(st = load_flush(l, err)) != PS_OK)
		return st;
	if (ps_frame_put_row(&l->frame, time, value, len) != PS_OK)
		return no_memory(err);
	if (l->frame.len >= DATA_FRAME_START + PS_FRAME_BATCH_BYTES)
		return load_flush(l, err);
	return PS_OK;
}

ps_status
ps_client_load_csv_data(ps_client_load *l, const void *data, size_t len, ps_error *err)
{
	const uint8_t *p = data;
	ps_status	st;

	if ((st = load_usable(l, true, err)) != PS_OK)
		return st;
	while (len > 0)
	{
		size_t		room = DATA_FRAME_START + PS_FRAME_BATCH_BYTES - l->frame.len;
		size_t		n = len < room ? len : room;

		if (ps_buf_append(&l->frame, p, n) != PS_OK)
			return no_memory(err);
		p += n;
		len -= n;
		if (l->frame.len >= DATA_FRAME_START + PS_FRAME_BATCH_BYTES &&
			(st = load_flush(l, err)) != PS_OK)
			return st;
	}
	return PS_OK;
}

ps_status
ps_client_load_finish(ps_client_load *l, ps_client_load_result *res, ps_error *err)
{
	ps_client  *c = l->c;
	ps_reader	payload;
	ps_msg_load_result m;
	ps_status	st;

	if (res)
		memset(res, 0, sizeof *res);
	if ((st = load_usable(l, l->csv, err)) != PS_OK || (st = load_flush(l, err)) != PS_OK)
		return st;
	/* client_call settles: an error on the last data frame must win. */
	if ((st = client_settle(c, err)) != PS_OK)
		return st;
	if ((st = load_usable(l, l->csv, err)) != PS_OK)
		return st;
	if (build_handle_request(c, PS_MSG_LOAD_FINISH, l->handle) != PS_OK)
		return no_memory(err);
	if ((st = client_call(c, PS_MSG_LOAD_RESULT, &payload, &l->failure)) != PS_OK)
	{
		if (st != PS_ECONN)
			l->failed = true;	/* the owner rolled the load back */
		if (err)
			*err = l->failure;
		return st;
	}
	if ((st = ps_msg_load_result_decode(&payload, &m)) != PS_OK)
	{
		ps_msg_load_result_clear(&m);
		return client_bad_answer(c, st, "LOAD_RESULT", err);
	}
	l->state = LOAD_FINISHED;
	if (res)
	{
		res->rows_loaded = m.rows_loaded;
		res->rows_rejected = m.rows_rejected;
		res->nerrors = m.nerrors;
		/* No errors, no allocation: a caller that frees nothing leaks nothing. */
		if (m.nerrors > 0)
		{
			res->errors = m.errors;	/* moved */
			m.errors = NULL;
		}
	}
	ps_msg_load_result_clear(&m);
	return PS_OK;
}

void
ps_client_load_result_free(ps_client_load_result *r)
{
	if (r == NULL)
		return;
	free(r->errors);
	memset(r, 0, sizeof *r);
}

/* Whether loads[i] already appeared in loads[0..i) (compares pointers only). */
static bool
listed_before(ps_client_load *const *loads, size_t i)
{
	for (size_t j = 0; j < i; j++)
		if (loads[j] == loads[i])
			return true;
	return false;
}

ps_status
ps_client_load_commit(ps_client_load **loads, size_t n, ps_error *err)
{
	ps_client  *c;
	uint32_t   *handles;
	ps_status	st = PS_OK;

	if (n == 0)
		return PS_OK;
	c = loads[0]->c;
	if (n > PS_FRAME_MAX_HANDLES)
		st = ps_error_set(err, PS_EINVAL, "%zu loads given, at most %d commit together",
						  n, PS_FRAME_MAX_HANDLES);
	/* Validate everything before the owner sees anything: all or none. */
	for (size_t i = 0; i < n && st == PS_OK; i++)
	{
		ps_client_load *l = loads[i];

		if (listed_before(loads, i))
			st = ps_error_set(err, PS_EINVAL, "load listed twice in one commit");
		else if (l->c != c)
			st = ps_error_set(err, PS_EINVAL, "loads committed together must share a connection");
		else if (l->failed)
		{
			if (err)
				*err = l->failure;
			st = l->failure.code;
		}
		else if (l->state != LOAD_FINISHED)
			st = ps_error_set(err, PS_EINVAL, "load not finished: call ps_client_load_finish first");
	}
	if (st == PS_OK)
		st = client_usable(c, err);
	if (st == PS_OK && (handles = malloc(n * sizeof *handles)) == NULL)
		st = no_memory(err);
	if (st == PS_OK)
	{
		for (size_t i = 0; i < n; i++)
			handles[i] = loads[i]->handle;
		if (ps_frame_start(&c->out, PS_MSG_LOAD_COMMIT) != PS_OK ||
			ps_msg_commit_encode(&c->out, handles, (uint32_t) n) != PS_OK)
			st = no_memory(err);
		/* Freed before waiting: the wait check may not return. */
		free(handles);
		if (st == PS_OK)
			st = client_call_ok(c, err);
	}
	/*
	 * The handles are consumed either way.  Unless committed, roll each
	 * distinct one back (on its own connection).
	 */
	for (size_t i = 0; i < n; i++)
	{
		if (listed_before(loads, i))
			continue;			/* freed already */
		if (st == PS_OK)
			load_free(loads[i]);
		else
			ps_client_load_abort(loads[i]);
	}
	return st;
}

void
ps_client_load_abort(ps_client_load *l)
{
	ps_client  *c;

	if (l == NULL)
		return;
	c = l->c;
	/* Errors are ignored: the owner also aborts loads of a broken connection. */
	if (!client_dead(c) && build_handle_request(c, PS_MSG_LOAD_ABORT, l->handle) == PS_OK)
		client_call_ok(c, NULL);
	load_free(l);
}
