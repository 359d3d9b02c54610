/*
 * ps_client.c — the client side of the native protocol (API in ps_client.h,
 * wire format in ps_frame.h): the socket path, connecting to a local owner,
 * the handshake, the caller's wait check (and a connect deadline), closing.
 *
 * The client is split by job: this file; ps_client_remote.c, connecting
 * over TCP and TLS; ps_client_call.c, requests and
 * their answers (including the one owed by a load's pipelined data frame or
 * a scan's read-ahead); ps_client_catalog.c (tables, delete, drop, status);
 * ps_client_scan.c (scans with read-ahead); ps_client_load.c (loads).  What
 * they share is in ps_client_int.h.
 *
 * Invariants:
 *  - The caller's wait check runs only inside frame I/O, with in_check set;
 *    should it longjmp, in_check stays set and the connection counts as
 *    broken (ps_client_dead).  Whenever it may run, every allocation of the
 *    client is reachable from the ps_client (a scan or load being opened is
 *    already on its list), so ps_client_close frees everything.
 *  - Memory per connection is bounded: the largest frame received, two
 *    batches per open scan, plus one PS_FRAME_BATCH_BYTES frame buffer per
 *    open load.
 * These files are linked into the PostgreSQL extension: libc, GnuTLS and
 * the client-side core only; no process-wide state (gnutls_global_init
 * aside); send() uses MSG_NOSIGNAL (ps_transport.c) so a dead owner never
 * raises SIGPIPE in a backend.
 */
#include "ps_client_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>

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

/* ---------------------------------------------------------------- connect */

uint64_t
ps_client_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t) ts.tv_sec * 1000 + (uint64_t) ts.tv_nsec / 1000000;
}

/*
 * The frame layer's wait check: enforces a connect deadline, then runs the
 * caller's check, marking the connection for ps_client_dead in case it
 * never returns.  Giving up breaks the connection, as the frame under way
 * stays incomplete.
 */
static bool
client_wait_check(void *arg, uint32_t waited_ms)
{
	ps_client  *c = arg;
	bool		go_on;
	char		why[96];

	if (c->deadline_ms != 0 && ps_client_now_ms() >= c->deadline_ms)
	{
		c->timed_out = true;
		snprintf(why, sizeof why, "timed out after %u ms", c->timeout_ms);
		ps_client_break(c, NULL, why);
		return false;
	}
	if (c->check == NULL)
		return true;
	c->in_check = true;
	go_on = c->check(c->check_arg, waited_ms);
	c->in_check = false;
	if (!go_on)
	{
		snprintf(why, sizeof why, "gave up waiting for its answer after %u ms", waited_ms);
		ps_client_break(c, NULL, why);
	}
	return go_on;
}

ps_status
ps_client_connect(const char *data_dir, ps_client **out, ps_error *err)
{
	return ps_client_connect_wait(data_dir, NULL, NULL, out, err);
}

ps_client *
ps_client_alloc(ps_client_wait_check check, void *arg)
{
	ps_client  *c = calloc(1, sizeof *c);

	if (c == NULL)
		return NULL;
	ps_transport_init(&c->tx, -1);
	c->check = check;
	c->check_arg = arg;
	c->wait.check = client_wait_check;
	c->wait.arg = c;
	ps_client_set_load_source(c, "client");
	return c;
}

ps_status
ps_client_handshake(ps_client *c, const char *token, ps_client **out, ps_error *err)
{
	ps_reader	payload;
	ps_msg_hello_ok hello;
	ps_status	st;

	if (ps_frame_start(&c->out, PS_MSG_HELLO) != PS_OK)
		st = ps_client_no_memory(err);
	else if ((st = ps_msg_hello_encode(&c->out, PS_PROTO_MAGIC, PS_PROTO_VERSION, token)) != PS_OK)
		st = st == PS_EINVAL ? ps_error_set(err, PS_EINVAL, "the token is longer than %d bytes",
											PS_PROTO_TOKEN_MAX) : ps_client_no_memory(err);
	else
	{
		*out = c;				/* the caller's, should check not return */
		st = ps_client_roundtrip(c, &c->out, &c->in, PS_MSG_HELLO_OK, &payload, err);
	}
	if (st == PS_OK && ps_msg_hello_ok_decode(&payload, &hello) != PS_OK)
		st = ps_client_bad_answer(c, PS_EPROTO, "HELLO_OK", err);
	if (st == PS_OK && hello.version != PS_PROTO_VERSION)
		st = ps_error_set(err, PS_EPROTO, "owner speaks protocol version %u, this client %u",
						  hello.version, PS_PROTO_VERSION);
	/* A remote owner's errors name it: there may be many owners. */
	if (c->timed_out)
		st = ps_error_set(err, PS_ECONN, "connection to %s timed out after %u ms", c->where,
						  c->timeout_ms);
	else if (st == PS_EPERM && c->where[0] != '\0')
		st = ps_error_set(err, PS_EPERM, "the owner at %s refused the token%s", c->where,
						  token == NULL || token[0] == '\0' ? " (none was given)" : "");
	else if (st != PS_OK && c->where[0] != '\0' && err != NULL &&
			 strstr(err->message, c->where) == NULL)
		st = ps_error_set(err, st, "pulsora owner at %s: %s", c->where, err->message);
	if (st != PS_OK)
	{
		*out = NULL;
		ps_client_close(c);
		return st;
	}
	c->deadline_ms = 0;
	return PS_OK;
}

ps_status
ps_client_connect_wait(const char *data_dir, ps_client_wait_check check, void *arg,
					   ps_client **out, ps_error *err)
{
	struct sockaddr_un sa;
	ps_client  *c;
	ps_status	st;

	*out = NULL;
	memset(&sa, 0, sizeof sa);
	sa.sun_family = AF_UNIX;
	if ((st = ps_socket_path(data_dir, sa.sun_path, sizeof sa.sun_path, err)) != PS_OK)
		return st;
	if ((c = ps_client_alloc(check, arg)) == NULL)
		return ps_error_set(err, PS_ENOMEM, "out of memory for a connection");
	if ((c->tx.fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
	{
		st = ps_error_set(err, PS_ECONN, "cannot create a socket: %s", strerror(errno));
		ps_client_close(c);
		return st;
	}
	/* The listener's backlog takes the connect: the handshake waits for the owner. */
	if (connect(c->tx.fd, (struct sockaddr *) &sa, sizeof sa) < 0)
	{
		st = ps_error_set(err, PS_ECONN, "no pulsora owner is listening on %s: %s",
						  sa.sun_path, strerror(errno));
		ps_client_close(c);
		return st;
	}
	/* The Unix socket's file mode is its guard: no token. */
	return ps_client_handshake(c, NULL, out, err);
}

void
ps_client_close(ps_client *c)
{
	if (c == NULL)
		return;
	while (c->scans != NULL)
		ps_client_scan_free(c->scans);
	while (c->loads != NULL)
		ps_client_load_free(c->loads);
	ps_transport_close(&c->tx);
	ps_buf_free(&c->out);
	ps_buf_free(&c->in);
	free(c);
}

bool
ps_client_broken(const ps_client *c)
{
	return c == NULL || c->broken || c->in_check;
}
