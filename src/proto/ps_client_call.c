/*
 * ps_client_call.c — requests and their answers on a client connection:
 * sending a request, receiving its answer (the owner's ERROR becomes the
 * call's error), collecting the answer an earlier call left owed, and
 * breaking the connection on I/O errors and protocol violations.
 *
 * Invariants:
 *  - One request is answered by one frame, in order.  At most one answer is
 *    outstanding beyond the call in progress: the OK/ERROR of the last
 *    LOAD_ROWS or LOAD_CSV_DATA frame a load sent (c->pending_load), or the
 *    ROWS/ERROR of a scan's read-ahead SCAN_FETCH or the SCAN_STARTED/ERROR
 *    of its deferred open (c->pending_scan).  Every
 *    request first reads that answer ("settles"): an ERROR is recorded on
 *    the load it belongs to, so that load's next call reports it; a scan's
 *    answer goes into that scan's read-ahead buffer.  This keeps a load
 *    frame in flight at the owner while the caller fills the next one, and
 *    the owner filling a scan's next batch while the caller reads this one.
 *  - A scan's owed answer may also be read piecemeal without blocking
 *    (ps_client_recv_part, for ps_client_scan_poll): what has arrived is
 *    kept (c->part_got), and the settle reads the rest.  Blocking receives
 *    otherwise go through the frame layer (ps_frame_io.c) unchanged.
 *  - Once an I/O error or protocol violation is seen the socket is closed
 *    and every call returns PS_ECONN naming the first cause; handles stay
 *    valid for their close/abort/free functions.  The owner frees a dead
 *    connection's scans and loads on its own.
 * This file is linked into the PostgreSQL extension: libc, the transport
 * and the client-side core only; no process-wide state.
 */
#include "ps_client_int.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>

/* Payload bytes a partial read takes (and allocates) at a time. */
#define RECV_PART_STEP (1024u * 1024)

/* ---------------------------------------------------------------- connection state */

/* Mark the connection unusable; returns PS_ECONN with the reason in err. */
ps_status
ps_client_break(ps_client *c, ps_error *err, const char *reason)
{
	if (!c->broken)
	{
		c->broken = true;
		snprintf(c->broken_reason, sizeof c->broken_reason, "%s", reason);
		ps_transport_close(&c->tx);
	}
	if (c->where[0] != '\0')
		return ps_error_set(err, PS_ECONN, "connection to the pulsora owner at %s lost: %s",
							c->where, c->broken_reason);
	return ps_error_set(err, PS_ECONN, "connection to the pulsora owner lost: %s", c->broken_reason);
}

/*
 * Whether the connection is unusable.  A wait check that did not return
 * left a frame half sent or half read: the connection breaks now.
 */
bool
ps_client_dead(ps_client *c)
{
	if (c->in_check)
	{
		ps_client_break(c, NULL, "interrupted while waiting for the owner");
		c->in_check = false;
	}
	return c->broken;
}

ps_status
ps_client_usable(ps_client *c, ps_error *err)
{
	return ps_client_dead(c) ? ps_client_break(c, err, NULL) : PS_OK;
}

/* How frame I/O on c waits: through the caller's check or a connect deadline, if any. */
static const ps_frame_wait *
client_frame_wait(const ps_client *c)
{
	return c->check || c->deadline_ms ? &c->wait : NULL;
}

/* Send the frame in req; an I/O failure breaks the connection. */
ps_status
ps_client_send(ps_client *c, ps_buf *req, ps_error *err)
{
	ps_error	e;
	ps_status	st;

	if ((st = ps_frame_send_wait(&c->tx, req, client_frame_wait(c), &e)) == PS_OK)
		return PS_OK;
	if (st == PS_ECONN)
		return ps_client_break(c, err, e.message);
	if (err)
		*err = e;
	return st;
}

/*
 * An answer received: an ERROR frame becomes *owner_err (and PS_OK is
 * returned); a malformed one breaks the connection.
 */
static ps_status
answer_error(ps_client *c, uint8_t code, ps_reader *payload, ps_error *owner_err, ps_error *err)
{
	if (code != PS_MSG_ERROR)
		return PS_OK;
	if (ps_frame_get_error(payload, owner_err) != PS_OK || ps_frame_get_end(payload) != PS_OK ||
		owner_err->code == PS_OK)
		return ps_client_break(c, err, "malformed ERROR frame from the owner");
	/*
	 * The owner closes a connection whose request it found malformed: this
	 * call reports the owner's error, later calls PS_ECONN.
	 */
	if (owner_err->code == PS_EPROTO)
		ps_client_break(c, NULL, owner_err->message);
	return PS_OK;
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

	if (ps_frame_recv_wait(&c->tx, resp, code, payload, NULL, client_frame_wait(c), &e) != PS_OK)
		return ps_client_break(c, err, e.message);
	return answer_error(c, *code, payload, owner_err, err);
}

/*
 * Wait until c's socket may be readable, as the frame layer's waits do (in
 * slices with the wait check after each, or as long as it takes without).
 */
static ps_status
wait_readable(ps_client *c, uint64_t *started, ps_error *err)
{
	ps_error	e;

	/* client_wait_check breaks the connection when it gives up. */
	if (ps_frame_wait_ready(&c->tx, POLLIN, client_frame_wait(c), started, &e) != PS_OK)
		return ps_client_break(c, err, e.message);
	return PS_OK;
}

ps_status
ps_client_recv_part(ps_client *c, ps_buf *b, bool block, bool *complete, uint8_t *code,
					ps_reader *payload, ps_error *owner_err, ps_error *err)
{
	uint32_t	len = 0;
	uint64_t	started = 0;
	ps_error	e;
	ps_status	st;

	*complete = false;
	if (c->part_got == 0)
		ps_buf_reset(b);
	for (;;)
	{
		uint8_t    *p;
		size_t		want;
		ssize_t		k;

		if (c->part_got < PS_FRAME_HEADER)
		{
			p = c->part_hdr + c->part_got;
			want = PS_FRAME_HEADER - c->part_got;
		}
		else
		{
			if (ps_frame_header_parse(c->part_hdr, &len, code, &e) != PS_OK)
				return ps_client_break(c, err, e.message);
			if (b->len == len)
				break;
			/* Grow with the bytes that arrive, as ps_frame_recv does. */
			want = len - b->len < RECV_PART_STEP ? len - b->len : RECV_PART_STEP;
			if (ps_buf_reserve(b, want) != PS_OK)
				return ps_client_break(c, err, "no memory for the owner's answer");
			p = b->data + b->len;
		}
		k = ps_transport_read(&c->tx, p, want, true);
		if (k > 0)
		{
			if (c->part_got >= PS_FRAME_HEADER)
				b->len += (size_t) k;
			c->part_got += (size_t) k;
			continue;
		}
		if (k == 0)
			return ps_client_break(c, err, "connection closed by peer");
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN && errno != EWOULDBLOCK)
		{
			snprintf(e.message, sizeof e.message, "receiving from peer: %s",
					 ps_transport_strerror(&c->tx, errno));
			return ps_client_break(c, err, e.message);
		}
		if (!block)
			return PS_OK;
		if ((st = wait_readable(c, &started, err)) != PS_OK)
			return st;
	}
	c->part_got = 0;
	*complete = true;
	ps_reader_init(payload, b->data, len);
	return answer_error(c, *code, payload, owner_err, err);
}

/* A malformed answer payload: the owner is not speaking our protocol. */
ps_status
ps_client_bad_answer(ps_client *c, ps_status decode_status, const char *what, ps_error *err)
{
	char		why[128];

	if (decode_status == PS_ENOMEM)
		return ps_error_set(err, PS_ENOMEM, "out of memory decoding the owner's %s", what);
	snprintf(why, sizeof why, "malformed %s from the owner", what);
	return ps_client_break(c, err, why);
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
	if (code != PS_MSG_LOAD_PROGRESS ||
		ps_msg_load_progress_decode(&payload, &l->owner_rows, &l->owner_bytes) != PS_OK)
		return ps_client_break(c, err, "unexpected answer to a load data frame");
	return PS_OK;
}

/*
 * Read the answer to the pending scan fetch (or deferred open) into that
 * scan's read-ahead buffer, finishing what ps_client_scan_poll began.
 */
static ps_status
settle_scan(ps_client *c, ps_error *err)
{
	ps_client_scan *s = c->pending_scan;
	uint8_t		code;
	ps_reader	payload;
	bool		complete;
	ps_status	st;

	c->pending_scan = NULL;
	if (c->part_got > 0)
		st = ps_client_recv_part(c, &s->ahead, true, &complete, &code, &payload,
								 &s->ahead_error, err);
	else
		st = client_recv(c, &s->ahead, &code, &payload, &s->ahead_error, err);
	if (st != PS_OK)
		return st;
	return ps_client_scan_answer(s, code, &payload, err);
}

/* Read the answer owed from an earlier call, if any (blocking). */
ps_status
ps_client_settle(ps_client *c, ps_error *err)
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
ps_status
ps_client_roundtrip(ps_client *c, ps_buf *req, ps_buf *resp, uint8_t expect,
				 ps_reader *payload, ps_error *err)
{
	uint8_t		sent = req->data[4];
	uint8_t		code;
	ps_error	owner_err;
	ps_status	st;
	ps_error	send_err;
	bool		unsent;
	char		why[128];

	st = ps_frame_send_wait(&c->tx, req, client_frame_wait(c), &send_err);
	unsent = st == PS_ECONN;
	if (st != PS_OK && !unsent)
	{
		if (err)
			*err = send_err;
		return st;
	}
	/* The wait check gave up: there is no answer to wait for. */
	if (unsent && c->broken)
		return ps_client_break(c, err, NULL);
	/*
	 * Read the answer even when sending failed: an owner that hangs up on
	 * us (too many connections, malformed request) says why first.
	 */
	if ((st = client_recv(c, resp, &code, payload, &owner_err, err)) != PS_OK)
		return st;
	if (unsent && code != PS_MSG_ERROR)
		return ps_client_break(c, err, send_err.message);
	if (code == PS_MSG_ERROR)
	{
		if (unsent)
			ps_client_break(c, NULL, send_err.message);
		if (err)
			*err = owner_err;
		return owner_err.code;
	}
	if (code != expect)
	{
		snprintf(why, sizeof why, "owner answered %s with %s", ps_msg_name(sent), ps_msg_name(code));
		return ps_client_break(c, err, why);
	}
	return PS_OK;
}

/* The usual request: settle, then round-trip c->out into c->in. */
ps_status
ps_client_call(ps_client *c, uint8_t expect, ps_reader *payload, ps_error *err)
{
	ps_status	st;

	if ((st = ps_client_usable(c, err)) != PS_OK || (st = ps_client_settle(c, err)) != PS_OK)
		return st;
	return ps_client_roundtrip(c, &c->out, &c->in, expect, payload, err);
}

/* A request whose answer is an empty OK. */
ps_status
ps_client_call_ok(ps_client *c, ps_error *err)
{
	ps_reader	payload;
	ps_status	st;

	if ((st = ps_client_call(c, PS_MSG_OK, &payload, err)) != PS_OK)
		return st;
	if (ps_frame_get_end(&payload) != PS_OK)
		return ps_client_bad_answer(c, PS_EPROTO, "OK", err);
	return PS_OK;
}

ps_status
ps_client_no_memory(ps_error *err)
{
	return ps_error_set(err, PS_ENOMEM, "out of memory building a request");
}

/* Start c->out as a request whose payload is one u32 handle. */
ps_status
ps_client_build_handle_request(ps_client *c, uint8_t code, uint32_t handle)
{
	if (ps_frame_start(&c->out, code) != PS_OK)
		return PS_ENOMEM;
	return ps_buf_append_u32be(&c->out, handle);
}
