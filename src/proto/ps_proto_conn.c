/*
 * ps_proto_conn.c — a connection of the owner's protocol server, served by
 * a thread of its own (started by admit, ps_proto_server.c): TLS and the
 * token check of a TCP connection, the handshake,
 * reading requests, dispatching them to their handlers (ps_proto_catalog.c,
 * ps_proto_scan.c, ps_proto_load.c), sending the answers, and releasing
 * what the connection leaves behind; also the answers and errors that every
 * handler shares.  A new request message gets a handler declared in
 * ps_proto_server_int.h and a case in dispatch.
 *
 * Requests are received into a buffer with room to spare and parsed in
 * place, so a small request usually costs one recv (and requests pipelined
 * behind it none).
 *
 * Invariants:
 *  - Every request gets exactly one answer frame.  A malformed frame or
 *    payload gets an ERROR with PS_EPROTO and the connection is closed.
 *  - A connection holds at most PS_PROTO_MAX_HANDLES scans plus loads; when
 *    it ends, its loads are aborted and its scans closed, before the
 *    connection count drops.
 *  - A scan untouched for scan_idle_timeout_s is closed even while its
 *    connection sits idle: while it has scans open, the thread polls with a
 *    timeout that ends at the earliest scan deadline (with none it simply
 *    blocks in recv).  The same timeout bounds how long a peer may stall
 *    mid-frame or before its handshake (SO_RCVTIMEO) or refuse to read an
 *    answer (SO_SNDTIMEO), after which the connection is dropped; a TLS
 *    handshake is bounded alike.
 *  - A TCP connection is served only after its HELLO's token matched
 *    (constant time) and, on a TLS port, its TLS handshake succeeded; a
 *    refusal is answered with an ERROR, counted, and the connection closed.
 */
#include "ps_proto_server_int.h"

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <stdatomic.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

/*
 * Request/answer buffers above this are freed after use, not kept; a
 * largest scan batch (plus the row that crosses its soft size) stays.
 */
#define KEEP_BUFFER_BYTES (2u * PS_FRAME_SCAN_BYTES_MAX)
/*
 * Requests are read into a buffer with room for at least this much, so one
 * recv usually brings a whole request (and any pipelined after it); a large
 * frame's buffer grows at most RECV_STEP ahead of the bytes that arrived.
 */
#define RECV_MIN_ROOM (16u * 1024)
#define RECV_STEP (1024u * 1024)

/* ---------------------------------------------------------------- answers */

int64_t
ps_proto_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

ps_status
ps_proto_malformed(ps_error *err, uint8_t code)
{
	return ps_error_set(err, PS_EPROTO, "malformed %s request", ps_msg_name(code));
}

/* Map a decoder's status to the request's error. */
ps_status
ps_proto_decode_failed(ps_status st, uint8_t code, ps_error *err)
{
	if (st == PS_ENOMEM)
		return ps_error_set(err, PS_ENOMEM, "out of memory decoding a %s request", ps_msg_name(code));
	return ps_proto_malformed(err, code);
}

ps_status
ps_proto_answer_memory(ps_error *err)
{
	return ps_error_set(err, PS_ENOMEM, "out of memory building an answer");
}

ps_status
ps_proto_room_for_handle(const conn *cn, ps_error *err)
{
	if (cn->nscans + cn->nloads >= PS_PROTO_MAX_HANDLES)
		return ps_error_set(err, PS_ETOOBIG,
							"too many open scans and loads on one connection (max %d)",
							PS_PROTO_MAX_HANDLES);
	return PS_OK;
}

ps_status
ps_proto_answer_ok(conn *cn, ps_error *err)
{
	return ps_frame_start(&cn->out, PS_MSG_OK) == PS_OK ? PS_OK : ps_proto_answer_memory(err);
}

/* ---------------------------------------------------------------- connection loop */

static ps_status
dispatch(conn *cn, uint8_t code, ps_reader *r, ps_error *err)
{
	switch ((ps_msg_code) code)
	{
		case PS_MSG_TABLES: return ps_proto_handle_tables(cn, r, err);
		case PS_MSG_TABLE_INFO: return ps_proto_handle_table_info(cn, r, err);
		case PS_MSG_DELETE_RANGE: return ps_proto_handle_delete_range(cn, r, err);
		case PS_MSG_DROP_TABLE: return ps_proto_handle_drop_table(cn, r, err);
		case PS_MSG_STATUS: return ps_proto_handle_status(cn, r, err);
		case PS_MSG_BACKUP: return ps_proto_handle_backup(cn, r, err);
		case PS_MSG_BACKUPS: return ps_proto_handle_backups(cn, r, err);
		case PS_MSG_LOADS: return ps_proto_handle_loads(cn, r, err);
		case PS_MSG_SCAN_OPEN: return ps_proto_handle_scan_open(cn, r, false, err);
		case PS_MSG_SCAN_START: return ps_proto_handle_scan_open(cn, r, true, err);
		case PS_MSG_SCAN_FETCH: return ps_proto_handle_scan_fetch(cn, r, err);
		case PS_MSG_SCAN_CLOSE: return ps_proto_handle_scan_close(cn, r, err);
		case PS_MSG_ESTIMATE: return ps_proto_handle_estimate(cn, r, err);
		case PS_MSG_AGGREGATE: return ps_proto_handle_aggregate(cn, r, err);
		case PS_MSG_LOAD_BEGIN: return ps_proto_handle_load_begin(cn, r, err);
		case PS_MSG_LOAD_ROWS: return ps_proto_handle_load_rows(cn, r, err);
		case PS_MSG_LOAD_CSV_BEGIN: return ps_proto_handle_load_csv_begin(cn, r, err);
		case PS_MSG_LOAD_CSV_DATA: return ps_proto_handle_load_csv_data(cn, r, err);
		case PS_MSG_LOAD_FINISH: return ps_proto_handle_load_finish(cn, r, err);
		case PS_MSG_LOAD_COMMIT: return ps_proto_handle_load_commit(cn, r, err);
		case PS_MSG_LOAD_ABORT: return ps_proto_handle_load_abort(cn, r, err);
		default:
			break;
	}
	return ps_error_set(err, PS_EPROTO, "unexpected message %s (code 0x%02x)",
						ps_msg_name(code), code);
}

/* Send an ERROR frame built from err (best effort: the caller may close next). */
ps_status
ps_proto_send_error(ps_transport *t, ps_buf *out, const ps_error *err)
{
	if (ps_frame_start(out, PS_MSG_ERROR) != PS_OK || ps_frame_put_error(out, err) != PS_OK)
		return PS_ENOMEM;
	return ps_frame_send(t, out, NULL);
}

/*
 * Receive more bytes of a request into cn->in, after the `have` bytes
 * already there, of a frame that needs `need` bytes in all.  Between
 * requests (have == 0) with scans open, poll first, waking to close scans
 * as they pass their idle deadline; otherwise recv blocks, bounded by
 * SO_RCVTIMEO: a peer may then sit idle between requests for ever (its
 * scans, if any, expire), but not stall mid-frame or before its handshake.
 * PS_ECONN when the connection should end.
 */
static ps_status
recv_more(conn *cn, size_t have, size_t need, bool handshake, ps_error *err)
{
	size_t		want = need - have;
	size_t		room = want < RECV_STEP ? want : RECV_STEP;

	if (room < RECV_MIN_ROOM)
		room = RECV_MIN_ROOM;
	/* Compact first: the unread bytes move to the front of the buffer. */
	if (cn->in_start > 0)
	{
		memmove(cn->in.data, cn->in.data + cn->in_start, have);
		cn->in.len = have;
		cn->in_start = 0;
	}
	if (ps_buf_reserve(&cn->in, room) != PS_OK)
		return ps_error_set(err, PS_ENOMEM, "no memory for a %zu byte frame", need);
	for (;;)
	{
		ssize_t		n;

		/* Bytes TLS has decrypted already do not show on the socket. */
		if (have == 0 && !handshake && cn->nscans > 0 && !ps_transport_pending(&cn->tx))
		{
			struct pollfd pfd;
			int64_t		now = ps_proto_now_ms();
			int			ready;

			ps_proto_scans_expire(cn, now);
			pfd.fd = cn->tx.fd;
			pfd.events = POLLIN;
			pfd.revents = 0;
			ready = poll(&pfd, 1, ps_proto_scans_poll_timeout(cn, now));
			if (ready < 0 && errno != EINTR)
				return ps_error_set(err, PS_ECONN, "waiting for a request: %s", strerror(errno));
			if (ready <= 0)
				continue;		/* a deadline passed, or a signal */
		}
		n = ps_transport_read(&cn->tx, cn->in.data + cn->in.len, cn->in.cap - cn->in.len, false);
		if (n > 0)
		{
			cn->in.len += (size_t) n;
			return PS_OK;
		}
		if (n == 0)
			return ps_error_set(err, PS_ECONN, "connection closed by peer");
		if (errno == EINTR)
			continue;
		/* SO_RCVTIMEO passed: fine between requests, not otherwise. */
		if ((errno == EAGAIN || errno == EWOULDBLOCK) && have == 0 && !handshake)
			continue;
		return ps_error_set(err, PS_ECONN, "receiving from peer: %s",
							errno == EAGAIN || errno == EWOULDBLOCK ? "timed out" :
							ps_transport_strerror(&cn->tx, errno));
	}
}

/*
 * Read the next request (the one served before is dropped first): *code
 * and *payload, which points into cn->in and is valid until the next call.
 * A request already received along with an earlier one costs no system
 * call.  PS_EPROTO for a bad header, PS_ECONN when the peer is gone or too
 * slow, PS_ENOMEM.
 */
static ps_status
read_request(conn *cn, bool handshake, uint8_t *code, ps_reader *payload, ps_error *err)
{
	ps_status	st;

	cn->in_start += cn->in_frame;
	cn->in_frame = 0;
	if (cn->in_start == cn->in.len)
	{
		/* Nothing unread: the buffer starts afresh (huge ones are let go). */
		cn->in_start = 0;
		ps_buf_reset(&cn->in);
		if (cn->in.cap > KEEP_BUFFER_BYTES)
			ps_buf_free(&cn->in);
	}
	for (;;)
	{
		size_t		have = cn->in.len - cn->in_start;
		size_t		need = PS_FRAME_HEADER;
		uint32_t	payload_len;

		if (have >= PS_FRAME_HEADER)
		{
			if ((st = ps_frame_header_parse(cn->in.data + cn->in_start, &payload_len, code,
											err)) != PS_OK)
				return st;
			need += payload_len;
			if (have >= need)
			{
				ps_reader_init(payload, cn->in.data + cn->in_start + PS_FRAME_HEADER, payload_len);
				cn->in_frame = need;
				return PS_OK;
			}
		}
		if ((st = recv_more(cn, have, need, handshake, err)) != PS_OK)
			return st;
	}
}

bool
ps_proto_token_matches(const char *given, size_t given_len, const char *want)
{
	size_t		want_len = strlen(want);
	unsigned char diff = (unsigned char) (given_len != want_len);

	for (size_t i = 0; i < want_len; i++)
		diff |= (unsigned char) (want[i] ^ (i < given_len ? given[i] : 0));
	return diff == 0;
}

/*
 * TLS first on a TLS port.  A TLS client opens with a handshake record
 * (content type 22); anything else is a plain client (a pulsora client
 * with tls = disable sends HELLO's length, whose first byte is 0), which is
 * told in a plain ERROR frame rather than left to guess from a dropped
 * connection.  Either failure is counted.
 */
static bool
tls_accept(conn *cn)
{
	ps_proto_server *srv = cn->srv;
	uint8_t		first;
	ssize_t		n;
	ps_error	err;

	do
		n = recv(cn->tx.fd, &first, 1, MSG_PEEK);
	while (n < 0 && errno == EINTR);
	if (n == 1 && first != 22)
	{
		atomic_fetch_add_explicit(&srv->stats->tls_failures, 1, memory_order_relaxed);
		ps_error_set(&err, PS_ECONN,
					 "this owner accepts only TLS connections on %s: connect with tls = require or verify-full",
					 srv->tcp_address);
		ps_proto_send_error(&cn->tx, &cn->out, &err);
		return false;
	}
	if (n != 1 || ps_tls_server_handshake(srv->tls, &cn->tx, &err) != PS_OK)
	{
		atomic_fetch_add_explicit(&srv->stats->tls_failures, 1, memory_order_relaxed);
		return false;
	}
	return true;
}

static bool
handshake(conn *cn)
{
	uint8_t		code;
	ps_reader	r;
	ps_msg_hello hello;
	ps_status	st;
	ps_error	err;
	ps_msg_hello_ok ok;

	if (cn->tcp && cn->srv->tls != NULL && !tls_accept(cn))
		return false;
	if (read_request(cn, true, &code, &r, &err) != PS_OK)
	{
		if (err.code == PS_EPROTO)
			ps_proto_send_error(&cn->tx, &cn->out, &err);
		return false;
	}
	st = code == PS_MSG_HELLO ? ps_msg_hello_decode(&r, &hello) : PS_EPROTO;
	if (code != PS_MSG_HELLO || hello.magic != PS_PROTO_MAGIC)
	{
		ps_error_set(&err, PS_EPROTO, "not a pulsora client: expected HELLO");
		ps_proto_send_error(&cn->tx, &cn->out, &err);
		return false;
	}
	/* Before the rest: another version's HELLO may end differently. */
	if (hello.version != PS_PROTO_VERSION)
	{
		ps_error_set(&err, PS_EPROTO, "client speaks protocol version %u, this owner %u",
					 hello.version, PS_PROTO_VERSION);
		ps_proto_send_error(&cn->tx, &cn->out, &err);
		return false;
	}
	if (st != PS_OK)
	{
		ps_proto_malformed(&err, code);
		ps_proto_send_error(&cn->tx, &cn->out, &err);
		return false;
	}
	/* The Unix socket is guarded by its file mode; TCP by the token. */
	if (cn->tcp && !ps_proto_token_matches(hello.token, strlen(hello.token), cn->srv->auth_token))
	{
		atomic_fetch_add_explicit(&cn->srv->stats->auth_failures, 1, memory_order_relaxed);
		ps_error_set(&err, PS_EPERM, "pulsora owner refused the token");
		ps_proto_send_error(&cn->tx, &cn->out, &err);
		return false;
	}
	memset(&ok, 0, sizeof ok);
	ok.version = PS_PROTO_VERSION;
	ok.pid = (uint32_t) getpid();
	memcpy(ok.server_version, cn->srv->status.version, sizeof ok.server_version);
	return ps_frame_start(&cn->out, PS_MSG_HELLO_OK) == PS_OK &&
		ps_msg_hello_ok_encode(&cn->out, &ok) == PS_OK &&
		ps_frame_send(&cn->tx, &cn->out, NULL) == PS_OK;
}

static void
conn_serve(conn *cn)
{
	uint8_t		code;
	ps_reader	r;
	ps_error	err;
	ps_status	st;

	if (!handshake(cn))
		return;
	for (;;)
	{
		if ((st = read_request(cn, false, &code, &r, &err)) != PS_OK)
		{
			/* A bad header deserves an explanation; a dead peer does not. */
			if (st == PS_EPROTO)
				ps_proto_send_error(&cn->tx, &cn->out, &err);
			return;
		}
		/* Requests arriving after a scan's deadline must not revive it. */
		ps_proto_scans_expire(cn, ps_proto_now_ms());
		ps_error_clear(&err);
		if ((st = dispatch(cn, code, &r, &err)) != PS_OK)
		{
			if (err.code == PS_OK)	/* every path sets err; never send "success" */
				ps_error_set(&err, st, "%s", ps_strerror(st));
			if (ps_proto_send_error(&cn->tx, &cn->out, &err) != PS_OK || st == PS_EPROTO)
				return;
		}
		else if (ps_frame_send(&cn->tx, &cn->out, NULL) != PS_OK)
			return;
		/* One huge answer must not pin its memory for the connection's life. */
		if (cn->out.cap > KEEP_BUFFER_BYTES)
			ps_buf_free(&cn->out);
	}
}

/* Close the scans and roll back the loads a connection leaves behind. */
static void
conn_release_handles(conn *cn)
{
	while (cn->nscans > 0)
		ps_proto_scan_remove(cn, cn->nscans - 1);
	while (cn->nloads > 0)
	{
		ps_proto_load_handle_free(cn->loads[cn->nloads - 1]);
		cn->nloads--;
	}
}

void *
ps_proto_conn_main(void *arg)
{
	conn	   *cn = arg;
	ps_proto_server *srv = cn->srv;

	conn_serve(cn);
	/* Before the count drops: stop may close the store right after. */
	conn_release_handles(cn);
	pthread_mutex_lock(&srv->mu);
	if (cn->prev)
		cn->prev->next = cn->next;
	else
		srv->conns = cn->next;
	if (cn->next)
		cn->next->prev = cn->prev;
	ps_transport_close(&cn->tx);
	srv->nconns--;
	pthread_cond_broadcast(&srv->idle);
	pthread_mutex_unlock(&srv->mu);
	/* srv may be gone from here on. */
	ps_buf_free(&cn->in);
	ps_buf_free(&cn->out);
	free(cn);
	return NULL;
}
