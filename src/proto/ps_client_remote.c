/*
 * ps_client_remote.c — connecting to an owner over TCP (API in
 * ps_client.h, DESIGN §7): the TLS credentials (a CA file is read before
 * anything connects), resolving the host, connecting to each of its
 * addresses in turn, TLS as the mode says (ps_tls_client.c), then the
 * handshake with the token (ps_client.c).
 *
 * Invariants: every wait — the TCP connect, the TLS handshake, HELLO's
 * answer — goes through the client's wait check (ps_client.c), which also
 * enforces connect_timeout_ms, so query cancel interrupts a connect as it
 * does a scan; only name resolution blocks unchecked.  The socket is
 * blocking once connected (the connect alone runs non-blocking).  Every
 * error names host:port.
 * This file is linked into the PostgreSQL extension: libc, GnuTLS and the
 * client-side core only; no process-wide state; variables are declared at
 * the top of blocks.
 */
#include "ps_client_int.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

ps_tls_mode
ps_client_default_tls(const char *host)
{
	bool		loopback = false;

	if (ps_host_is_loopback(host, &loopback, NULL) != PS_OK)
		return PS_TLS_VERIFY_FULL;
	return loopback ? PS_TLS_DISABLE : PS_TLS_VERIFY_FULL;
}

const char *
ps_client_address(const ps_client *c)
{
	return c->where;
}

/* Why a connect failed, naming c->where; a give-up or timeout of the wait check says so. */
static ps_status
connect_failed(ps_client *c, int error, ps_error *err)
{
	if (c->timed_out)
		return ps_error_set(err, PS_ECONN, "connection to %s timed out after %u ms", c->where,
							c->timeout_ms);
	if (error == 0)
		return ps_error_set(err, PS_ECONN, "connection to %s: %s", c->where, c->broken_reason);
	if (error == ECONNREFUSED)
		return ps_error_set(err, PS_ECONN, "connection to %s refused", c->where);
	return ps_error_set(err, PS_ECONN, "cannot connect to %s: %s", c->where, strerror(error));
}

/*
 * Connect c->tx.fd (a fresh socket) to ai: non-blocking, waiting through
 * the wait check.  0 when connected, else the errno (0 when the check gave
 * up, which has broken c).
 */
static int
connect_one(ps_client *c, const struct addrinfo *ai)
{
	int			flags = fcntl(c->tx.fd, F_GETFL);
	uint64_t	started = 0;
	int			error = 0;
	socklen_t	len = sizeof error;
	struct pollfd pfd;

	if (flags < 0 || fcntl(c->tx.fd, F_SETFL, flags | O_NONBLOCK) < 0)
		return errno;
	if (connect(c->tx.fd, ai->ai_addr, ai->ai_addrlen) < 0)
	{
		if (errno != EINPROGRESS && errno != EINTR)
			return errno;
		for (;;)
		{
			pfd.fd = c->tx.fd;
			pfd.events = POLLOUT;
			pfd.revents = 0;
			if (poll(&pfd, 1, 0) > 0)
				break;
			/* A slice, then the check (deadline, cancel); a give-up breaks c. */
			if (ps_frame_wait_ready(&c->tx, POLLOUT, c->check || c->deadline_ms ? &c->wait : NULL,
									&started, NULL) != PS_OK || c->broken)
				return 0;
		}
		if (getsockopt(c->tx.fd, SOL_SOCKET, SO_ERROR, &error, &len) < 0)
			return errno;
		if (error != 0)
			return error;
	}
	if (fcntl(c->tx.fd, F_SETFL, flags) < 0)
		return errno;
	return -1;
}

/* Connect c to the first address of host:port that answers. */
static ps_status
connect_tcp(ps_client *c, const ps_client_remote *r, ps_error *err)
{
	struct addrinfo hints;
	struct addrinfo *res;
	struct addrinfo *ai;
	char		service[8];
	int			rc;
	int			error = ENOENT;

	memset(&hints, 0, sizeof hints);
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICSERV;
	snprintf(service, sizeof service, "%u", (unsigned) r->port);
	if ((rc = getaddrinfo(r->host, service, &hints, &res)) != 0)
		return ps_error_set(err, PS_ECONN, "connection to %s failed: cannot resolve host \"%s\": %s",
							c->where, r->host, gai_strerror(rc));
	for (ai = res; ai != NULL; ai = ai->ai_next)
	{
		if ((c->tx.fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol)) < 0)
		{
			error = errno;
			continue;
		}
		/* connect_one answers -1 for success, as 0 is "the wait check gave up". */
		if ((error = connect_one(c, ai)) == -1)
		{
			freeaddrinfo(res);
			ps_tcp_tune(c->tx.fd);
			return PS_OK;
		}
		if (c->broken)
			break;
		close(c->tx.fd);
		c->tx.fd = -1;
	}
	freeaddrinfo(res);
	return connect_failed(c, error, err);
}

ps_status
ps_client_connect_remote(const ps_client_remote *r, ps_client_wait_check check, void *arg,
						 ps_client **out, ps_error *err)
{
	ps_client  *c;
	ps_status	st;

	*out = NULL;
	if (r->host == NULL || r->host[0] == '\0' || r->port == 0)
		return ps_error_set(err, PS_EINVAL, "a remote owner needs a host and a port");
	if (r->tls != PS_TLS_DISABLE && r->tls != PS_TLS_REQUIRE && r->tls != PS_TLS_VERIFY_FULL)
		return ps_error_set(err, PS_EINVAL, "unknown TLS mode %d", (int) r->tls);
	if ((c = ps_client_alloc(check, arg)) == NULL)
		return ps_error_set(err, PS_ENOMEM, "out of memory for a connection");
	ps_address_format(r->host, r->port, c->where, sizeof c->where);
	if (r->tls != PS_TLS_DISABLE &&
		(st = ps_tls_client_credentials(&c->tx, r->tls, r->tls_ca_file, err)) != PS_OK)
	{
		ps_client_close(c);
		return st;
	}
	if (r->connect_timeout_ms > 0)
	{
		c->timeout_ms = r->connect_timeout_ms;
		c->deadline_ms = ps_client_now_ms() + r->connect_timeout_ms;
	}
	if ((st = connect_tcp(c, r, err)) != PS_OK)
	{
		ps_client_close(c);
		return st;
	}
	if (r->tls != PS_TLS_DISABLE)
	{
		/* Should check not return mid-handshake, the caller holds c. */
		*out = c;
		st = ps_tls_client_start(&c->tx, r->tls, r->host, c->where,
								 c->check || c->deadline_ms ? &c->wait : NULL, err);
		*out = NULL;
		if (st != PS_OK)
		{
			if (c->timed_out)
				st = connect_failed(c, 0, err);
			ps_client_close(c);
			return st;
		}
	}
	st = ps_client_handshake(c, r->token, out, err);
	return st;
}
