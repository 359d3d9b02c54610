/*
 * ps_frame_io.c — native protocol frames over a connection's transport
 * (layout in ps_frame.h; the transport, a plain socket or a TLS session,
 * in ps_transport.h): starting a frame, sending it, validating a header,
 * and receiving a frame.  Payloads are written and read by ps_frame_prim.c
 * and ps_frame_msg.c.
 *
 * Invariants: frame reads validate the header first and then grow the
 * buffer only as payload bytes arrive, so a hostile length costs nothing.
 * I/O with a ps_frame_wait is non-blocking (MSG_DONTWAIT, down to the TLS
 * session's pull and push) and waits in poll() instead, so it never
 * changes the socket's own (blocking) mode; a wait for input first asks
 * the transport whether TLS holds decrypted bytes, which poll() cannot
 * see.  Sends use MSG_NOSIGNAL: a dead peer is an error, never a SIGPIPE.
 * This file is linked into the PostgreSQL extension: it uses only libc,
 * the transport and the client-side core (ps_error, ps_buf), and declares
 * variables at the top of blocks as PostgreSQL's compiler flags require.
 */
#include "ps_frame.h"

#include <errno.h>
#include <poll.h>
#include <string.h>
#include <time.h>

/* Payload bytes read (and allocated) at a time. */
#define RECV_STEP (1024u * 1024)

ps_status
ps_frame_start(ps_buf *b, uint8_t code)
{
	static const uint8_t placeholder[4] = {0, 0, 0, 0};

	ps_buf_reset(b);
	if (ps_buf_append(b, placeholder, sizeof placeholder) != PS_OK)
		return PS_ENOMEM;
	return ps_buf_append_u8(b, code);
}

/* Milliseconds since started (a CLOCK_MONOTONIC reading, 0 = now: set it). */
static uint32_t
waited_ms(uint64_t *started)
{
	struct timespec ts;
	uint64_t	now;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	now = (uint64_t) ts.tv_sec * 1000 + (uint64_t) ts.tv_nsec / 1000000;
	if (*started == 0)
		*started = now;
	return now - *started > UINT32_MAX ? UINT32_MAX : (uint32_t) (now - *started);
}

ps_status
ps_frame_wait_ready(ps_transport *t, short events, const ps_frame_wait *wait, uint64_t *started,
					ps_error *err)
{
	struct pollfd pfd;
	int			n;
	uint32_t	waited;

	if ((events & POLLIN) && ps_transport_pending(t))
		return PS_OK;
	pfd.fd = t->fd;
	pfd.events = events;
	pfd.revents = 0;
	(void) waited_ms(started);	/* starts the clock at the first wait */
	n = poll(&pfd, 1, wait ? PS_FRAME_WAIT_SLICE_MS : -1);
	if (n > 0)
		return PS_OK;
	if (n < 0 && errno != EINTR)
		return ps_error_set(err, PS_ECONN, "waiting for peer: %s", strerror(errno));
	waited = waited_ms(started);
	if (wait && !wait->check(wait->arg, waited))
		return ps_error_set(err, PS_ECONN, "gave up waiting for peer after %u ms", waited);
	return PS_OK;
}

ps_status
ps_frame_send(ps_transport *t, ps_buf *b, ps_error *err)
{
	return ps_frame_send_wait(t, b, NULL, err);
}

ps_status
ps_frame_send_wait(ps_transport *t, ps_buf *b, const ps_frame_wait *wait, ps_error *err)
{
	size_t		body;
	size_t		off = 0;
	uint64_t	started = 0;
	ps_status	st;

	if (b->len < PS_FRAME_HEADER)
		return ps_error_set(err, PS_EINTERNAL, "frame sent without a header");
	body = b->len - 4;
	if (body > PS_FRAME_MAX)
		return ps_error_set(err, PS_ETOOBIG, "%s frame of %zu bytes exceeds the %u byte limit",
							ps_msg_name(b->data[4]), body, PS_FRAME_MAX);
	b->data[0] = (uint8_t) (body >> 24);
	b->data[1] = (uint8_t) (body >> 16);
	b->data[2] = (uint8_t) (body >> 8);
	b->data[3] = (uint8_t) body;
	while (off < b->len)
	{
		/* With a wait, never block in send(): ps_frame_wait_ready polls instead. */
		ssize_t		n = ps_transport_write(t, b->data + off, b->len - off, wait != NULL);

		if (n < 0)
		{
			if (errno == EINTR)
				continue;
			if (wait && (errno == EAGAIN || errno == EWOULDBLOCK))
			{
				if ((st = ps_frame_wait_ready(t, POLLOUT, wait, &started, err)) != PS_OK)
					return st;
				continue;
			}
			return ps_error_set(err, PS_ECONN, "sending to peer: %s",
								errno == EAGAIN || errno == EWOULDBLOCK ? "timed out" :
								ps_transport_strerror(t, errno));
		}
		off += (size_t) n;
	}
	return PS_OK;
}

/* Read exactly n bytes; *got tells how many arrived before an error or EOF. */
static ps_status
read_full(ps_transport *t, uint8_t *p, size_t n, size_t *got, const ps_frame_wait *wait,
		  uint64_t *started, ps_error *err)
{
	ps_status	st;

	*got = 0;
	while (*got < n)
	{
		/* With a wait, never block in recv(): ps_frame_wait_ready polls instead. */
		ssize_t		k = ps_transport_read(t, p + *got, n - *got, wait != NULL);

		if (k == 0)
			return ps_error_set(err, PS_ECONN, "connection closed by peer");
		if (k < 0)
		{
			if (errno == EINTR)
				continue;
			if (wait && (errno == EAGAIN || errno == EWOULDBLOCK))
			{
				if ((st = ps_frame_wait_ready(t, POLLIN, wait, started, err)) != PS_OK)
					return st;
				continue;
			}
			return ps_error_set(err, PS_ECONN, "receiving from peer: %s",
								errno == EAGAIN || errno == EWOULDBLOCK ? "timed out" :
								ps_transport_strerror(t, errno));
		}
		*got += (size_t) k;
	}
	return PS_OK;
}

ps_status
ps_frame_header_parse(const uint8_t hdr[PS_FRAME_HEADER], uint32_t *payload_len,
					  uint8_t *code, ps_error *err)
{
	uint32_t	len = ((uint32_t) hdr[0] << 24) | ((uint32_t) hdr[1] << 16) |
		((uint32_t) hdr[2] << 8) | hdr[3];

	if (len == 0)
		return ps_error_set(err, PS_EPROTO, "frame of length 0 has no message code");
	if (len > PS_FRAME_MAX)
		return ps_error_set(err, PS_EPROTO, "frame of %u bytes exceeds the %u byte limit",
							len, PS_FRAME_MAX);
	*payload_len = len - 1;
	*code = hdr[4];
	return PS_OK;
}

ps_status
ps_frame_recv(ps_transport *t, ps_buf *b, uint8_t *code, ps_reader *payload, bool *eof,
			  ps_error *err)
{
	return ps_frame_recv_wait(t, b, code, payload, eof, NULL, err);
}

ps_status
ps_frame_recv_wait(ps_transport *t, ps_buf *b, uint8_t *code, ps_reader *payload, bool *eof,
				   const ps_frame_wait *wait, ps_error *err)
{
	uint8_t		hdr[PS_FRAME_HEADER];
	uint32_t	len;
	size_t		got;
	uint64_t	started = 0;
	ps_status	st;

	if (eof)
		*eof = false;
	ps_buf_reset(b);
	if ((st = read_full(t, hdr, sizeof hdr, &got, wait, &started, err)) != PS_OK)
	{
		if (eof && got == 0)
			*eof = true;
		return st;
	}
	if ((st = ps_frame_header_parse(hdr, &len, code, err)) != PS_OK)
		return st;
	/*
	 * Grow with the bytes that actually arrive, so a peer that announces a
	 * large frame and stalls holds little memory.
	 */
	while (b->len < len)
	{
		size_t		step = len - b->len < RECV_STEP ? len - b->len : RECV_STEP;

		if (ps_buf_reserve(b, step) != PS_OK)
			return ps_error_set(err, PS_ENOMEM, "no memory for a %u byte frame", len);
		if ((st = read_full(t, b->data + b->len, step, &got, wait, &started, err)) != PS_OK)
			return st;
		b->len += step;
	}
	ps_reader_init(payload, b->data, len);
	return PS_OK;
}
